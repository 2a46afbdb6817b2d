package registry

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// entry kinds for tarOf.
func file(name, body string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), Linkname: body}
}
func dir(name string) *tar.Header { return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755} }
func symlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}
}
func hardlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target}
}

// tarOf builds a layer; a regular file's body rides in Linkname.
func tarOf(t *testing.T, hdrs ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		h := *h
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = h.Linkname, ""
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if body != "" {
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestUnpack(t *testing.T) {
	hostcheck.RequireRoot(t) // chown, mknod, trusted xattrs
	outside := t.TempDir()   // what a hostile layer aims at
	tests := []struct {
		name    string
		layer   []*tar.Header
		wantErr error // nil: unpacks
		check   func(t *testing.T, root string)
	}{
		{"files, dirs, modes", []*tar.Header{dir("etc/"), file("etc/motd", "hi"), {Typeflag: tar.TypeReg, Name: "bin/su", Mode: 0o4755}},
			nil, func(t *testing.T, root string) {
				mustRead(t, filepath.Join(root, "etc/motd"), "hi")
				if fi, err := os.Stat(filepath.Join(root, "bin/su")); err != nil || fi.Mode()&os.ModeSetuid == 0 {
					t.Errorf("bin/su: set-uid bit lost: %v %v", fi, err)
				}
			}},
		{"whiteout becomes a 0:0 device", []*tar.Header{dir("etc/"), file("etc/.wh.gone", "")},
			nil, func(t *testing.T, root string) {
				var st unix.Stat_t
				if err := unix.Lstat(filepath.Join(root, "etc/gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
					t.Errorf("etc/gone is not a whiteout device: %+v %v", st, err)
				}
			}},
		{"opaque directory", []*tar.Header{dir("data/"), file("data/.wh..wh..opq", ""), file("data/new", "n")},
			nil, func(t *testing.T, root string) {
				buf := make([]byte, 8)
				n, err := unix.Lgetxattr(filepath.Join(root, "data"), overlayOpaque, buf)
				if err != nil || string(buf[:n]) != "y" {
					t.Errorf("data: opaque xattr %q, %v", buf[:n], err)
				}
				if _, err := os.Lstat(filepath.Join(root, "data/.wh..wh..opq")); err == nil {
					t.Error("the opaque marker was written as a file")
				}
			}},
		{"dotdot refused", []*tar.Header{file("../../escape", "x")}, errEscape, nil},
		{"dotdot inside refused", []*tar.Header{file("a/../../escape", "x")}, errEscape, nil},
		{"absolute symlink followed inside", []*tar.Header{symlink("evil", outside), file("evil/planted", "x")},
			nil, func(t *testing.T, root string) {
				mustRead(t, filepath.Join(root, outside, "planted"), "x")
			}},
		{"relative symlink climbing out stays inside", []*tar.Header{symlink("up", "../../../../.."+outside), file("up/planted", "x")},
			nil, func(t *testing.T, root string) {
				mustRead(t, filepath.Join(root, outside, "planted"), "x")
			}},
		{"symlink then whiteout through it", []*tar.Header{symlink("evil", outside), file("evil/.wh.victim", "")},
			nil, nil},
		{"hard link out refused", []*tar.Header{hardlink("passwd", "../../../etc/passwd")}, errEscape, nil},
		{"hard link through a symlink stays inside", []*tar.Header{symlink("h", "/etc"), hardlink("pw", "h/passwd")},
			os.ErrNotExist, nil},
		{"hard link inside", []*tar.Header{file("a", "same"), hardlink("b", "a")},
			nil, func(t *testing.T, root string) { mustRead(t, filepath.Join(root, "b"), "same") }},
		{"devices not made", []*tar.Header{{Typeflag: tar.TypeBlock, Name: "sda", Devmajor: 8, Mode: 0o666}},
			nil, func(t *testing.T, root string) {
				if _, err := os.Lstat(filepath.Join(root, "sda")); err == nil {
					t.Error("a block device was created")
				}
			}},
		{"overlay xattrs dropped", []*tar.Header{{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755,
			PAXRecords: map[string]string{"SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.user.note": "ok"}}},
			nil, func(t *testing.T, root string) {
				buf := make([]byte, 16)
				if _, err := unix.Lgetxattr(filepath.Join(root, "d"), "trusted.overlay.redirect", buf); err == nil {
					t.Error("trusted.overlay.redirect was set")
				}
				if n, err := unix.Lgetxattr(filepath.Join(root, "d"), "user.note", buf); err != nil || string(buf[:n]) != "ok" {
					t.Errorf("user.note: %q %v", buf[:n], err)
				}
			}},
		{"later entry replaces a directory", []*tar.Header{dir("x/"), file("x/f", "1"), symlink("x", outside), file("x/g", "2")},
			nil, func(t *testing.T, root string) { mustRead(t, filepath.Join(root, outside, "g"), "2") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := unpack(tarOf(t, tc.layer...), root)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("unpack: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("unpack: err %v, want %v", err, tc.wantErr)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Fatalf("the layer wrote outside its directory: %v", entries)
			}
			if tc.check != nil {
				tc.check(t, root)
			}
		})
	}
}

func mustRead(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s: %q, %v; want %q", path, got, err, want)
	}
}
