// Package cli is the `run` command line, shared by the mydocker> prompt,
// scripts and one-shot `mydocker run`: docker's flags, their help and
// value names (for help and completion), parsed into a core.Spec that core
// validates. core itself takes only a Spec.
package cli

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mydocker/mydocker/core"
)

// RunUsage is the one-line synopsis of `run`.
const RunUsage = "run [OPTIONS] IMAGE|COMMAND [ARG...]"

// runFlagValues are the `run` flags that are parsed further after pflag.
type runFlagValues struct {
	env, volumes, devices, tmpfs, securityOpts []string
	labels, dns, addHosts, publish             []string
	network                                    string
	hostname, rootfs, name, pull, entrypoint   string
	rm, detach                                 bool
	memory, cpus, pids, storage                string
}

// newRunFlags declares the flags of `run`, docker style: short flags
// combine (-it, -ti), and the first non-flag word ends the flags, so the
// command's own flags are left alone (`run ls -l`).
func newRunFlags(s *core.Spec, v *runFlagValues) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard) // errors are returned, never printed here
	fs.BoolVarP(&s.Interactive, "interactive", "i", false, "keep stdin attached to the container")
	fs.BoolVarP(&s.TTY, "tty", "t", false, "give the container its own pseudo-terminal")
	fs.StringVarP(&v.hostname, "hostname", "h", "", "container hostname `NAME` (default: the container id)")
	fs.StringArrayVarP(&v.env, "env", "e", nil, "set `KEY=VALUE` in the container (repeatable); KEY alone copies it from here")
	fs.StringVar(&v.rootfs, "rootfs", "", "run in its own root filesystem: `DIR`, read-only, under a throwaway overlay")
	fs.StringArrayVarP(&v.volumes, "volume", "v", nil, "bind-mount `HOST:CONTAINER[:ro]` (repeatable; needs --rootfs)")
	fs.StringVarP(&v.memory, "memory", "m", "", "memory limit, a `SIZE` such as 64m or 1g; the container is killed beyond it")
	fs.StringVar(&v.cpus, "cpus", "", "CPU limit in `N` CPUs' worth of time, e.g. 0.5")
	fs.StringVar(&v.pids, "pids-limit", "", "most processes (`N`) the container may have at once")
	fs.StringVarP(&s.User, "user", "u", "", "run as `USER[:GROUP]` or UID[:GID], from the container's /etc/passwd")
	fs.StringVarP(&s.WorkDir, "workdir", "w", "", "working directory `DIR` of the command (made if missing, with --rootfs)")
	fs.BoolVar(&s.ReadOnly, "read-only", false, "make the container's root filesystem read-only")
	fs.StringArrayVar(&v.tmpfs, "tmpfs", nil, "mount a tmpfs at `PATH[:OPTS]`, OPTS size=SIZE,mode=MODE,ro,noexec (repeatable; needs --rootfs)")
	fs.StringVar(&v.storage, "storage-size", "", "most the container may write to its root, a `SIZE` such as 512m (default: -m or 1g)")
	fs.StringArrayVar(&s.Security.CapAdd, "cap-add", nil, "add a capability `CAP`, e.g. NET_ADMIN, or ALL (repeatable)")
	fs.StringArrayVar(&s.Security.CapDrop, "cap-drop", nil, "drop a capability `CAP`, or ALL (repeatable)")
	fs.BoolVar(&s.Security.Privileged, "privileged", false, "all capabilities, no seccomp, no masks, all devices: root on the host")
	fs.StringArrayVar(&v.securityOpts, "security-opt", nil, "`OPT`: seccomp=unconfined, seccomp=FILE.json or no-new-privileges (repeatable)")
	fs.StringArrayVar(&v.devices, "device", nil, "make a host device usable: `HOST[:CONTAINER][:PERMS]` (repeatable)")
	fs.BoolVar(&s.Debug, "debug", false, "print the container's boot steps to stderr")
	fs.StringArrayVarP(&v.labels, "label", "l", nil, "a `KEY=VALUE` note on the container, for plugins (repeatable)")
	fs.BoolVar(&v.rm, "rm", false, "remove the container when it ends (else ps -a lists it until rm)")
	fs.BoolVarP(&v.detach, "detach", "d", false, "run in the background and print the container id; see logs, exec, stop")
	fs.StringVar(&v.name, "name", "", "name the container `NAME` ([a-zA-Z0-9][a-zA-Z0-9_.-]*, unique)")
	fs.StringVar(&v.network, "network", "", "`NET`: none (its own, only lo), bridge (NAT, -p), host, container:NAME, ns:PATH, cni:NAME (default $MYDOCKER_NETWORK, else none)")
	fs.StringArrayVar(&v.dns, "dns", nil, "a nameserver `IP` for its /etc/resolv.conf (repeatable)")
	fs.StringArrayVar(&v.addHosts, "add-host", nil, "a `NAME:IP` line for its /etc/hosts (repeatable)")
	fs.StringArrayVarP(&v.publish, "publish", "p", nil, "publish a port on the host: `[HOSTIP:]HOSTPORT:PORT[/udp]` (repeatable; bridge or cni)")
	fs.StringVar(&v.pull, "pull", PullMissing, "pull the image `WHEN`: missing, always or never")
	fs.StringVar(&v.entrypoint, "entrypoint", "", "run `CMD` instead of the image's entrypoint (\"\" clears it)")
	return fs
}

// Run is a parsed `run`: the container's spec, and what to do with the
// container as an object.
type Run struct {
	Spec   *core.Spec
	Name   string // --name; "" for a generated one
	Detach bool   // -d
	Remove bool   // --rm
	// Image is the first word when it may name an image (no --rootfs, not
	// a path); then Spec is not validated yet: whoever knows the image
	// store decides (lifecycle), applies the image and validates.
	Image string
	// Pull is --pull; PullSet says it was given, which makes the first
	// word an image even if the host has a command of that name.
	Pull    string
	PullSet bool
	// Entrypoint is --entrypoint as words (nil: not given).
	Entrypoint []string
	// EnvFlags are the -e entries, KEY=VALUE, for an image's Env to go
	// under.
	EnvFlags []string
}

// The values of --pull.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
)

// ParseRun turns the words after `run` into a validated Spec with a fresh id.
// Errors wrap ErrInvalid and name the offending flag or value.
func ParseRun(args []string) (*core.Spec, error) {
	r, err := ParseRunCommand(args)
	if err != nil {
		return nil, err
	}
	if err := r.HostCommand(); err != nil {
		return nil, err
	}
	return r.Spec, nil
}

// HostCommand settles that the first word is a command, of the host's
// root or --rootfs, not an image: the spec is validated as it is.
func (r *Run) HostCommand() error {
	if r.PullSet || r.Entrypoint != nil {
		return core.Invalidf("--pull and --entrypoint need an image; %s is a command", r.Spec.Args[0])
	}
	r.Image = ""
	return r.Spec.Validate()
}

// ParseRunCommand is ParseRun with the flags about the container as an
// object (-d, --name, --rm).
func ParseRunCommand(args []string) (*Run, error) {
	s := &core.Spec{ID: core.NewID()}
	var v runFlagValues
	fs := newRunFlags(s, &v)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, core.ErrHelp
		}
		return nil, core.Invalidf("%v", err)
	}
	if err := v.apply(fs, s); err != nil {
		return nil, err
	}
	if fs.Changed("name") && v.name == "" {
		return nil, core.Invalidf("invalid --name: empty value")
	}
	s.Args = fs.Args()
	if len(s.Args) == 0 {
		return nil, core.Invalidf("no image or command given (usage: %s)", RunUsage)
	}
	r := &Run{Spec: s, Name: v.name, Detach: v.detach, Remove: v.rm, Pull: v.pull, PullSet: fs.Changed("pull")}
	switch v.pull {
	case PullMissing, PullAlways, PullNever:
	default:
		return nil, core.Invalidf("invalid --pull %q: want missing, always or never", v.pull)
	}
	if fs.Changed("entrypoint") {
		r.Entrypoint = []string{}
		if v.entrypoint != "" {
			r.Entrypoint = []string{v.entrypoint}
		}
	}
	if v.rootfs == "" && !strings.HasPrefix(s.Args[0], "/") && !strings.HasPrefix(s.Args[0], ".") {
		r.Image = s.Args[0]
	}
	s.Hostname = v.hostname
	if s.Hostname == "" {
		s.Hostname = core.ShortID(s.ID)
	}
	s.Env = core.DefaultEnv(s.Hostname, s.TTY)
	for _, kv := range v.env {
		if err := validateEnvFlag(kv); err != nil {
			return nil, err
		}
		if !strings.Contains(kv, "=") {
			val, set := os.LookupEnv(kv)
			if !set {
				continue // docker habit: -e KEY with KEY unset passes nothing
			}
			kv += "=" + val
		}
		s.Env = core.SetEnv(s.Env, kv)
		r.EnvFlags = append(r.EnvFlags, kv)
	}
	if r.Image != "" {
		return r, nil
	}
	if err := r.HostCommand(); err != nil {
		return nil, err
	}
	return r, nil
}

// apply parses the flags that take structured values into s. A flag given
// with an empty value is an error: it never means "no limit".
func (v *runFlagValues) apply(fs *pflag.FlagSet, s *core.Spec) error {
	for _, name := range []string{"rootfs", "memory", "cpus", "pids-limit", "storage-size", "user", "workdir"} {
		if f := fs.Lookup(name); fs.Changed(name) && f.Value.String() == "" {
			return core.Invalidf("invalid --%s: empty value", name)
		}
	}
	s.Rootfs = v.rootfs
	var err error
	if v.memory != "" {
		if s.Limits.Memory, err = core.ParseSize(v.memory); err != nil {
			return core.Invalidf("invalid --memory %q: want a size such as 64m, 512k or 1g", v.memory)
		}
	}
	if v.storage != "" {
		if s.StorageSize, err = core.ParseSize(v.storage); err != nil {
			return core.Invalidf("invalid --storage-size %q: want a size such as 512m or 2g", v.storage)
		}
	}
	if v.cpus != "" {
		if s.Limits.CPUs, err = strconv.ParseFloat(v.cpus, 64); err != nil {
			return core.Invalidf("invalid --cpus %q: want a number such as 0.5", v.cpus)
		}
		if err := core.ValidateCPUs(s.Limits.CPUs); err != nil {
			return err
		}
	}
	if v.pids != "" {
		if s.Limits.Pids, err = strconv.ParseInt(v.pids, 10, 64); err != nil || s.Limits.Pids < 1 {
			return core.Invalidf("invalid --pids-limit %s: must be at least 1", v.pids)
		}
	}
	if s.Volumes, err = parseEach(v.volumes, core.ParseVolume); err != nil {
		return err
	}
	if s.Devices, err = parseEach(v.devices, core.ParseDevice); err != nil {
		return err
	}
	if s.Tmpfs, err = parseEach(v.tmpfs, core.ParseTmpfs); err != nil {
		return err
	}
	for _, l := range v.labels {
		key, value, ok := strings.Cut(l, "=")
		if !ok || key == "" {
			return core.Invalidf("invalid --label %q: want KEY=VALUE", l)
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[key] = value
	}
	network := v.network
	if !fs.Changed("network") {
		network = os.Getenv("MYDOCKER_NETWORK")
	} else if network == "" {
		return core.Invalidf("invalid --network: empty value")
	}
	if s.Network, err = core.ParseNetwork(network); err != nil {
		return err
	}
	s.DNS = v.dns
	if s.ExtraHosts, err = parseEach(v.addHosts, core.ParseExtraHost); err != nil {
		return err
	}
	if s.Ports, err = parseEach(v.publish, core.ParsePort); err != nil {
		return err
	}
	for _, o := range v.securityOpts {
		if err := parseSecurityOpt(&s.Security, o); err != nil {
			return err
		}
	}
	return nil
}

// parseSecurityOpt reads one --security-opt, docker's spellings.
func parseSecurityOpt(sec *core.Security, opt string) error {
	key, val, hasVal := strings.Cut(opt, "=")
	if !hasVal {
		key, val, hasVal = strings.Cut(opt, ":")
	}
	switch {
	case key == "seccomp" && hasVal && val != "":
		sec.Seccomp = val
	case key == "no-new-privileges" && (!hasVal || val == "true"):
		sec.NoNewPrivileges = true
	case key == "no-new-privileges" && val == "false":
		sec.NoNewPrivileges = false
	default:
		return core.Invalidf("invalid --security-opt %q: want seccomp=unconfined, seccomp=FILE or no-new-privileges", opt)
	}
	return nil
}

// RunFlagHelp describes each `run` flag: name, shorthand and usage, for
// help text and completion.
func RunFlagHelp() []FlagHelp {
	var out []FlagHelp
	newRunFlags(&core.Spec{}, &runFlagValues{}).VisitAll(func(f *pflag.Flag) {
		value, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			value = ""
		}
		out = append(out, FlagHelp{Name: f.Name, Short: f.Shorthand, Usage: usage, Value: value, TakesValue: value != ""})
	})
	return out
}

// FlagHelp describes one flag of `run`.
type FlagHelp struct {
	Name, Short, Usage string
	Value              string // the value's name in help, e.g. DIR; "" for a switch
	TakesValue         bool
}

func validateEnvFlag(kv string) error {
	if kv == "" || kv[0] == '=' {
		return core.Invalidf("invalid -e %q: want KEY=VALUE or KEY, with a non-empty KEY", kv)
	}
	return nil
}

// parseEach parses every value of a repeatable flag, stopping at the
// first that is refused; no values give nil, as before any was given.
func parseEach[T any](values []string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, v := range values {
		parsed, err := parse(v)
		if err != nil {
			return nil, err
		}
		out = append(out, parsed)
	}
	return out, nil
}
