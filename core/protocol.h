// protocol.h is the one definition of what mydocker's parent and its
// container init (init.c, before the Go runtime) say to each other. init.c
// includes it, and Go reads the same constants through cgo (protocol.go),
// so the compiler keeps both sides in sync. The message flow is drawn in
// sync.go; the step list is planned in Go (initsteps.go, security.go).
#ifndef MYDOCKER_PROTOCOL_H
#define MYDOCKER_PROTOCOL_H

// Messages on the sync socket: each a fixed {u32 type, u32 arg, i32 errno}.
enum {
	MSG_CONFIG = 1,   // parent -> init: arg = length of the step list that follows
	MSG_READY = 2,    // init -> parent: arg = index of the OP_SYNC step reached
	MSG_CONTINUE = 3, // parent -> init: go on past the OP_SYNC step
	MSG_ERROR = 4,    // init -> parent: arg = failed step, errno = why; then exit 125
	MSG_CONSOLE = 5,  // init -> parent: arg = OP_CONSOLE step, the pty master as SCM_RIGHTS
};

// The step list is a sequence of steps, each a header
//   {u32 op, u32 nstr, u64 flags}
// followed by nstr operands, each {u32 len, len bytes}, whose last byte is
// a NUL. Operands are C strings except where a step says "bytes".
//
// op          operands                       flags
// ----------  -----------------------------  -------------------------------
// MOUNT       source target fstype data      mount(2) flags ("" = NULL)
// HOSTNAME    name                           -
// SYNC        -                              -   (MSG_READY, wait MSG_CONTINUE)
// EXEC        file PATH argv[argc] env...    argc; execvpe-like PATH lookup
// CHDIR       dir                            -
// PIVOT       -                              -   (pivot_root("."), detach old root)
// MKNOD       path                           mode << 32 | dev_t (32 bits)
// SYMLINK     target linkpath                -
// MKDIR       path                           mode; EEXIST is not an error
// CONSOLE     ptmx                           -   (new pty; master to the parent)
// WRITEFILE   path content                   mode; O_CREAT|O_TRUNC|O_NOFOLLOW
// JOINCGROUP  cgroup.procs path              -   (writes "0": this process)
// UNSHARE     -                              unshare(2) flags
// SETSID      -                              -   (a session with no terminal)
// KEYRING     -                              -   (join a new session keyring)
// BOUNDING    -                              capability mask to keep; the rest dropped
// USER        supplementary gids (decimal)   uid << 32 | gid
// CAPSET      -                              mask for the effective, permitted and
//                                            inheritable sets; ambient cleared
// NONEWPRIVS  -                              -
// SECCOMP     program (bytes: sock_filter[]) seccomp(2) filter flags
// SETATTR     path                           MOUNT_ATTR_* to set, recursively
enum {
	OP_MOUNT = 1,
	OP_HOSTNAME = 2,
	OP_SYNC = 3,
	OP_EXEC = 4,
	OP_CHDIR = 5,
	OP_PIVOT = 6,
	OP_MKNOD = 7,
	OP_SYMLINK = 8,
	OP_MKDIR = 9,
	OP_CONSOLE = 10,
	OP_WRITEFILE = 11,
	OP_JOINCGROUP = 12,
	OP_UNSHARE = 13,
	OP_SETSID = 14,
	OP_KEYRING = 15,
	OP_BOUNDING = 16,
	OP_USER = 17,
	OP_CAPSET = 18,
	OP_NONEWPRIVS = 19,
	OP_SECCOMP = 20,
	OP_SETATTR = 21,
};

// OP_MASK selects the op; OP_OPTIONAL on a step means a missing path
// (ENOENT) is not a failure.
#define OP_MASK 0xffu
#define OP_OPTIONAL 0x100u

// Limits: the whole step list, one packet of it, one step's operands.
#define CONFIG_MAX (64u << 20)
#define CHUNK_MAX (32u << 10)
#define NSTR_MAX (1u << 20)

// The environment variable naming the init's end of the sync socket.
#define INITFD_ENV "_MYDOCKER_INITFD"
// The environment variable naming the guard's end of its socket (guard.c).
#define GUARDFD_ENV "_MYDOCKER_GUARDFD"

// Messages to the guard: one SOCK_SEQPACKET packet each, a kind byte, then
// the container id and NUL; REGISTER adds the cgroup parent directories,
// each NUL-ended; ATTACH carries the PID 1's pidfd as SCM_RIGHTS.
enum {
	GUARD_REGISTER = 1,
	GUARD_ATTACH = 2,
	GUARD_FORGET = 3,
};
#define GUARD_MSG_MAX 8192

#endif
