// The init's security steps: the capability sets, the user, the seccomp
// filter and recursive mount attributes. Like the rest of the init (init.c)
// they run before the Go runtime, in the order the step list gives
// (planned in security.go).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

// init_bounding drops every capability not in keep from the bounding set, up
// to the kernel's last (PR_CAPBSET_DROP says EINVAL past it).
int init_bounding(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				return 0;
			return -1;
		}
	}
	return 0;
}

// init_user switches to uid:gid with the listed supplementary groups, keeping
// the capabilities for the CAPSET step that follows.
int init_user(struct step *s)
{
	gid_t *gids = calloc(s->nstr + 1, sizeof(gid_t));
	if (!gids)
		return -1;
	for (uint32_t i = 0; i < s->nstr; i++) {
		char *end;
		errno = 0;
		unsigned long g = strtoul(s->str[i], &end, 10);
		if (errno || *end || end == s->str[i] || g > UINT32_MAX - 1)
			return errno = EPROTO, -1;
		gids[i] = (gid_t)g;
	}
	uid_t uid = (uid_t)(s->flags >> 32);
	gid_t gid = (gid_t)s->flags;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(s->nstr, gids) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -1;
	free(gids);
	return 0;
}

// init_capset makes mask the effective and permitted sets, empties the
// inheritable set and clears the ambient set. An inheritable capability
// would pass to whoever executes a file with it in its inheritable file
// capabilities: a user the command drops to (a server's nobody) would get
// it back (CVE-2022-24769; docker and runc leave the set empty). Root
// keeps its capabilities across execve without it.
int init_capset(uint64_t mask)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));
		data[i].effective = data[i].permitted = m;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	return 0;
}

// init_capsets sets OCI's capability sets apart: operands are the
// effective, permitted, inheritable and ambient masks in hex.
int init_capsets(struct step *s)
{
	if (s->nstr != 4)
		return errno = EPROTO, -1;
	uint64_t m[4];
	for (int i = 0; i < 4; i++)
		m[i] = strtoull(s->str[i], NULL, 16);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(m[0] >> (32 * i));
		data[i].permitted = (uint32_t)(m[1] >> (32 * i));
		data[i].inheritable = (uint32_t)(m[2] >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	// The kernel raises an ambient capability only if it is permitted and
	// inheritable; like runc, the others are left out, not an error.
	uint64_t ambient = m[3] & m[1] & m[2];
	for (int cap = 0; cap < 64; cap++)
		if ((ambient >> cap) & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

// init_seccomp loads a compiled BPF program (planned and compiled in Go).
int init_seccomp(struct step *s)
{
	if (s->nstr != 1 || s->len[0] == 0 || s->len[0] % sizeof(struct sock_filter) ||
	    s->len[0] / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return errno = EPROTO, -1;
	// Copy to an aligned buffer: the operand sits at any offset.
	struct sock_filter *prog = malloc(s->len[0]);
	if (!prog)
		return -1;
	memcpy(prog, s->str[0], s->len[0]);
	struct sock_fprog fprog = { (unsigned short)(s->len[0] / sizeof(struct sock_filter)), prog };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)s->flags, &fprog);
}

// init_setattr sets mount attributes on a whole mount tree (AT_RECURSIVE), so
// that a read-only volume's submounts are read-only too.
int init_setattr(struct step *s)
{
	struct { uint64_t set, clr, propagation, userns_fd; } attr = { s->flags, 0, 0, 0 };
	if (s->nstr != 1)
		return errno = EPROTO, -1;
	return (int)syscall(SYS_mount_setattr, AT_FDCWD, s->str[0], 0x8000 /* AT_RECURSIVE */, &attr, sizeof(attr));
}
