// The init's filesystem steps: mounts, the pivot into the container's
// root, mount points and files. Which paths, flags and contents is the Go
// side's business (rootfs.go, oci_mounts.go); this only carries them out.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef MOVE_MOUNT_F_EMPTY_PATH // glibc's sys/mount.h has it, musl's not
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004 // linux/mount.h
#endif

static const char *nullable(const char *s)
{
	return *s ? s : NULL;
}

// init_mount is mount(2) with the step's operands ("" for NULL).
int init_mount(struct step *s)
{
	if (s->nstr != 4)
		return errno = EPROTO, -1;
	unsigned long flags = (unsigned long)s->flags;
	if (mount(nullable(s->str[0]), s->str[1], nullable(s->str[2]), flags, nullable(s->str[3])) == 0)
		return 0;
	// In a user namespace, a bind mount that came from the host keeps the
	// host's nosuid, nodev, noexec and atime flags locked: a remount must
	// repeat them (the kernel refuses to clear them), as runc does.
	struct statvfs st;
	int err = errno;
	if (err != EPERM || (flags & (MS_REMOUNT | MS_BIND)) != (MS_REMOUNT | MS_BIND) || statvfs(s->str[1], &st) < 0)
		return errno = err, -1;
	static const struct { unsigned long st, ms; } locked[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	for (size_t i = 0; i < sizeof(locked) / sizeof(locked[0]); i++)
		if (st.f_flag & locked[i].st)
			flags |= locked[i].ms;
	return mount(NULL, s->str[1], NULL, flags, NULL);
}

// init_pivot makes the current directory the root, runc's way: pivot_root
// with new and old root both ".", then detach the old root stacked below,
// so that no host path stays reachable.
int init_pivot(void)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0)
		return -1;
	return chdir("/");
}

// init_write_file writes a whole buffer to a new or existing file.
int init_write_file(const char *path, int oflags, mode_t mode, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | oflags, mode);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			close(fd);
			return errno = err, -1;
		}
		data += n, len -= (size_t)n;
	}
	return close(fd);
}

// init_touch makes an empty file at path, unless something is there: a
// bind mount's file target. mknod, not open: whatever the image has there
// (a device, a fifo) is never opened, and any non-directory is a mount
// point; but never a symlink, which the mount would follow.
int init_touch(const char *path, mode_t mode)
{
	struct stat st;
	if (mknod(path, S_IFREG | (mode & 07777), 0) == 0)
		return 0;
	if (errno != EEXIST || lstat(path, &st) < 0)
		return -1;
	return S_ISLNK(st.st_mode) ? (errno = ELOOP, -1) : 0;
}

// init_move_mount attaches at target the detached mount tree open at fd
// (open_tree with OPEN_TREE_CLONE, made by mydocker on the host): a bind
// mount whose source the container's root could not reach by its path.
int init_move_mount(int fd, const char *target)
{
	if (fd < 3)
		return errno = EBADF, -1;
	return (int)syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}
