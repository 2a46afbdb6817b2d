package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mydocker/mydocker/internal/testregistry"
)

// mdReg is md with the default registry set to host, and stdin.
func mdReg(t *testing.T, root, host, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := mydocker(append([]string{"--root", root}, args...)...)
	cmd.Env = append(cmd.Env, "MYDOCKER_REGISTRY="+host)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// Images from a real registry (Debian's docker-registry), built by umoci
// and pushed by skopeo, as a user's would be: pull in every manifest
// form, layer sharing, docker's config rules, whiteouts seen from inside
// a running container, rmi against a container using the image, prune.
func TestImagesFromARealRegistry(t *testing.T) {
	requireRoot(t)
	reg := testregistry.Start(t, testregistry.Options{})
	oci := testregistry.Layout(t)
	reg.Push(t, oci, "bb", "bb:latest")
	reg.Push(t, oci, "bb3", "bb3:latest")
	reg.Push(t, oci, "bb", "bb:v2s2", "--format", "v2s2")
	pushIndex(t, oci, "bb", reg.Host+"/bbindex:latest")
	root := t.TempDir()
	t.Cleanup(func() { md(t, root, "rm", "-f", "keep") })
	run := func(stdin string, args ...string) (int, string, string) {
		return mdReg(t, root, reg.Host, stdin, args...)
	}
	for _, ref := range []string{"bb", "bb3", "bb:v2s2", "bbindex", reg.Host + "/bb:latest"} {
		if status, out, errs := run("", "pull", ref); status != 0 || !strings.Contains(out, "Digest: sha256:") {
			t.Fatalf("pull %s: %d %q %q", ref, status, out, errs)
		}
	}
	if layers, _ := os.ReadDir(filepath.Join(root, "images", "layers")); len(layers) != 3 {
		t.Errorf("%d layers unpacked, want 3: bb's one shared by all five pulls, bb3's two", len(layers))
	}
	status, out, _ := run("", "images")
	header := regexp.MustCompile(`^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n`)
	if status != 0 || !header.MatchString(out) || strings.Count(out, "\n") != 5 {
		t.Errorf("images: %d\n%s", status, out)
	}
	tests := []struct {
		args           []string
		status         int
		stdout, stderr string
	}{
		{[]string{"run", "--rm", "bb3"}, 0, "ep default\n", ""},
		{[]string{"run", "--rm", "bb3", "a", "b"}, 0, "ep a b\n", ""},
		{[]string{"run", "--rm", "bbindex", "echo", "from the index"}, 0, "from the index\n", ""},
		{[]string{"run", "--rm", "bb:v2s2", "echo", "schema2"}, 0, "schema2\n", ""},
		// Config: User nobody, WorkingDir /data, Env FOO=bar; -u, -w, -e win.
		{[]string{"run", "--rm", "--entrypoint", "/bin/sh", "bb3", "-c", "id -u; pwd; echo $FOO"}, 0, "65534\n/data\nbar\n", ""},
		{[]string{"run", "--rm", "-u", "0", "-w", "/tmp", "-e", "FOO=mine", "--entrypoint", "/bin/sh", "bb3", "-c", "id -u; pwd; echo $FOO"}, 0, "0\n/tmp\nmine\n", ""},
		// Whiteouts: /etc/deleted.txt deleted, /data replaced (opaque).
		{[]string{"run", "--rm", "--entrypoint", "/bin/sh", "bb3", "-c", "ls /data; test -e /etc/deleted.txt || echo gone"}, 0, "new.txt\ngone\n", ""},
		{[]string{"run", "--rm", "bb", "sh", "-c", "ls /data; cat /etc/deleted.txt"}, 0, "old\ndeleted\n", ""},
		// Writes go to the container's own upper layer, never to the image.
		{[]string{"run", "--rm", "bb", "sh", "-c", "echo x > /etc/deleted.txt; rm /data/old"}, 0, "", ""},
		{[]string{"run", "--rm", "bb", "cat", "/etc/deleted.txt", "/data/old"}, 0, "deleted\nold\n", ""},
		{[]string{"run", "--rm", "--pull", "never", "nope"}, 125, "", "mydocker: run: image not found locally: nope (--pull never)"},
		{[]string{"run", "--rm", "--pull", "sometimes", "bb"}, 125, "", `mydocker: run: invalid --pull "sometimes": want missing, always or never`},
		{[]string{"run", "--rm", "--entrypoint", "", "bb3"}, 125, "", "mydocker: run: no command given, and image bb3:latest has neither Entrypoint nor Cmd"},
		{[]string{"rmi", "nope"}, 1, "", "mydocker: rmi: no such image: nope"},
	}
	for _, tc := range tests {
		status, out, errs := run("", tc.args...)
		if status != tc.status || out != tc.stdout || strings.TrimSpace(errs) != tc.stderr {
			t.Errorf("%q: %d %q %q; want %d %q %q", tc.args, status, out, errs, tc.status, tc.stdout, tc.stderr)
		}
	}
	// A pull on demand says so on stderr, as docker does.
	reg.Push(t, oci, "bb", "fresh:1")
	if status, out, errs := run("", "run", "--rm", "fresh:1", "echo", "ok"); status != 0 || out != "ok\n" || !strings.Contains(errs, "Unable to find image 'fresh:1' locally") {
		t.Errorf("run pulling on demand: %d %q %q", status, out, errs)
	}
	// rmi refuses an image a container uses; -f removes it but keeps the
	// layers the running container is mounted on.
	if status, _, errs := run("", "run", "-d", "--name", "keep", "--entrypoint", "sleep", "bb3", "100"); status != 0 {
		t.Fatalf("run -d: %d %s", status, errs)
	}
	if status, _, errs := run("", "rmi", "bb3"); status != 1 || !strings.Contains(errs, "used by container keep") {
		t.Errorf("rmi of an image in use: %d %q", status, errs)
	}
	if status, _, errs := run("", "rmi", "-f", "bb3"); status != 0 {
		t.Errorf("rmi -f: %d %q", status, errs)
	}
	if status, _, errs := run("", "image", "prune", "-a"); status != 0 {
		t.Errorf("image prune -a: %d %q", status, errs)
	}
	if status, out, errs := run("", "exec", "keep", "ls", "/data"); status != 0 || out != "new.txt\n" {
		t.Errorf("the running container lost its layers: %d %q %q", status, out, errs)
	}
	md(t, root, "rm", "-f", "keep")
	if status, out, errs := run("", "image", "prune", "-a"); status != 0 || !strings.Contains(out, "Total reclaimed space") {
		t.Errorf("image prune -a: %d %q %q", status, out, errs)
	}
	if layers, _ := os.ReadDir(filepath.Join(root, "images", "layers")); len(layers) != 0 {
		t.Errorf("%d layers left after prune -a with no container", len(layers))
	}
}

// pushIndex pushes the layout's tag as the only (this platform's) entry
// of an OCI image index.
func pushIndex(t *testing.T, oci, tag, dest string) {
	t.Helper()
	p, err := layout.FromPath(oci)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] != tag {
			continue
		}
		img, err := p.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		out := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}})
		ref, err := name.ParseReference(dest)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.WriteIndex(ref, out); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no %s in %s", tag, oci)
}

// A registry with htpasswd auth: pull refused until login, login with a
// wrong password refused, credentials kept 0600, logout forgets them.
func TestImagesLogin(t *testing.T) {
	requireRoot(t)
	reg := testregistry.Start(t, testregistry.Options{User: "alice", Password: "s3cret"})
	oci := testregistry.Layout(t)
	reg.Push(t, oci, "bb", "private:1", "--dest-creds", "alice:s3cret")
	root := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		return mdReg(t, root, reg.Host, stdin, args...)
	}
	if status, _, errs := run("", "pull", "private:1"); status != 1 || !strings.Contains(errs, "log in first (login "+reg.Host+")") {
		t.Errorf("anonymous pull: %d %q", status, errs)
	}
	if status, _, errs := run("wrong\n", "login", "-u", "alice", "--password-stdin", reg.Host); status != 1 || strings.TrimSpace(errs) != "mydocker: login: unauthorized: wrong username or password" {
		t.Errorf("login with a wrong password: %d %q", status, errs)
	}
	if status, out, errs := run("s3cret\n", "login", "-u", "alice", "--password-stdin", reg.Host); status != 0 || out != "Login Succeeded\n" {
		t.Fatalf("login: %d %q %q", status, out, errs)
	}
	if fi, err := os.Stat(filepath.Join(root, "images", "auth.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("auth.json: %v %v", fi, err)
	}
	if status, out, errs := run("", "run", "--rm", "private:1", "echo", "in"); status != 0 || out != "in\n" {
		t.Errorf("run after login: %d %q %q", status, out, errs)
	}
	if status, out, _ := run("", "logout", reg.Host); status != 0 || !strings.Contains(out, "Removing login credentials") {
		t.Errorf("logout: %d %q", status, out)
	}
	if status, _, _ := run("", "pull", "private:1"); status != 1 {
		t.Errorf("pull after logout: %d, want refused", status)
	}
}

// In a script, `login --password-stdin` takes the next line as the
// password and nothing more: the lines after it are still commands.
func TestLoginInAScript(t *testing.T) {
	requireRoot(t)
	reg := testregistry.Start(t, testregistry.Options{User: "bob", Password: "pw"})
	root := t.TempDir()
	script := "login -u bob --password-stdin " + reg.Host + "\npw\nlogout " + reg.Host + "\n"
	status, out, errs := mdReg(t, root, reg.Host, script)
	if status != 0 || out != "Login Succeeded\nRemoving login credentials for "+reg.Host+"\n" {
		t.Errorf("script: %d %q %q", status, out, errs)
	}
}
