// Package testregistry runs Debian's docker-registry (distribution) for
// tests, on a loopback port with its config and storage in a temp dir,
// and fills it with images built from busybox-static by umoci
// (mkimages.sh) and pushed by skopeo: what real users' registries and
// image tools produce, not what our own code would.
package testregistry

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Registry is a running docker-registry.
type Registry struct {
	Host string // 127.0.0.1:PORT
	dir  string
}

// Options choose how the registry is set up.
type Options struct {
	// User and Password, when set, make it require Basic auth (htpasswd).
	User, Password string
}

// Start runs a registry until the test ends; under CI a missing tool is a
// failure, elsewhere a skip.
func Start(t *testing.T, o Options) *Registry {
	t.Helper()
	need(t, "docker-registry", "umoci", "skopeo")
	dir := t.TempDir()
	port := freePort(t)
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
	auth := ""
	if o.User != "" {
		need(t, "htpasswd")
		out, err := exec.Command("htpasswd", "-Bbn", o.User, o.Password).Output()
		if err != nil {
			t.Fatalf("htpasswd: %v", err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, out, 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth: {htpasswd: {realm: test, path: %s}}\n", pw)
	}
	config := fmt.Sprintf(`version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: %s}
  delete: {enabled: true}
http: {addr: %s}
%s`, filepath.Join(dir, "storage"), r.Host, auth)
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	log.Close()
	t.Cleanup(func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			out, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry did not answer: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (apt-get install docker-registry umoci skopeo apache2-utils)", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Layout builds the test images (mkimages.sh) into a temp dir and returns
// its OCI layout, "DIR/oci".
func Layout(t *testing.T) string {
	t.Helper()
	need(t, "umoci")
	dir := t.TempDir()
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("bash", filepath.Join(filepath.Dir(self), "mkimages.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimages.sh: %v\n%s", err, out)
	}
	return filepath.Join(dir, "oci")
}

// Push copies the layout's tag to NAME:TAG in the registry with skopeo;
// extra flags such as --format v2s2 or --dest-creds go before the images.
func (r *Registry) Push(t *testing.T, layout, tag, dest string, extra ...string) {
	t.Helper()
	args := append([]string{"copy", "-q", "--dest-tls-verify=false"}, extra...)
	args = append(args, "oci:"+layout+":"+tag, "docker://"+r.Host+"/"+dest)
	if out, err := exec.Command("skopeo", args...).CombinedOutput(); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
