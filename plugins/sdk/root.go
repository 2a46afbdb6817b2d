package sdk

import "github.com/mydocker/mydocker/internal/inroot"

// Root is a container's root filesystem, for post-mount hooks that read or
// write files in it. Use it rather than plain paths under Spec.Rootfs: the
// image is the container's, and its symlinks are absolute paths of the
// container. Joined to Spec.Rootfs by hand, `etc/motd -> /tmp/x` would
// send a write to the host's /tmp/x. Through Root, every path, symlinks
// and ".." included, is resolved by the kernel inside the root (openat2
// with RESOLVE_IN_ROOT), so whatever the image holds, a write lands inside
// the container. It has ReadFile, WriteFile, MkdirAll and Chmod.
type Root = inroot.Root

// InRoot opens the container root dir (post-mount: State.Spec.Rootfs).
func InRoot(dir string) (*Root, error) { return inroot.Open(dir) }
