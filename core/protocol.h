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
	MSG_PID = 6,      // init -> parent: arg = pid of the child OP_FORK made (exec)
};

// The step list is a sequence of steps, each a header
//   {u32 op, u32 nstr, u64 flags}
// followed by nstr operands, each {u32 len, len bytes}, whose last byte is
// a NUL. Operands are C strings except where a step says "bytes".
//
// op          operands                       flags
// ----------  -----------------------------  -------------------------------
// MOUNT       source target fstype data      mount(2) flags ("" = NULL); a bind
//                                                remount refused (EPERM) is retried
//                                                with the target's locked flags
// HOSTNAME    name                           -
// SYNC        -                              0: MSG_READY, wait for MSG_CONTINUE;
//                                                SYNC_LATER: MSG_READY only, and the
//                                                wait is a later AWAIT step's
// AWAIT       -                              -   (wait for MSG_CONTINUE with read(2),
//                                                which any seccomp profile allows)
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
// CAPSET      -                              mask for the effective and permitted
//                                            sets; inheritable emptied, ambient cleared
// NONEWPRIVS  -                              -
// SECCOMP     program (bytes: sock_filter[]) seccomp(2) filter flags
// SETATTR     path                           MOUNT_ATTR_* to set, recursively
// SETNS       pidfd (decimal fd number)      CLONE_NEW* namespaces to join (exec)
// FORK        -                              1: the child gets a parent-death SIGKILL
//                                                (child goes on in the joined pid
//                                                namespace, a sibling of this process;
//                                                this one sends MSG_PID, exits 0)
// DUMPABLE    -                              0 or 1: PR_SET_DUMPABLE (exec keeps 0 until
//                                                execve, so no container process can
//                                                open its /proc/PID/exe, fds or memory)
// RLIMIT      soft hard (decimal; "-1" = inf)   the resource (RLIMIT_*)
// UMASK       -                              the umask the command gets
// CAPSETS     effective permitted inheritable ambient (hex masks); OCI's sets
// NSPATH      path                           CLONE_NEW* type: setns(open(path)) (OCI)
// FIFO        path                           -   (open the start fifo O_PATH: kept)
// PARK        -                              -   (open the kept fifo for writing
//                                                through /proc/self/fd: blocks until
//                                                `start` reads; write one byte)
// RESET       -                              -   (default signal dispositions, empty
//                                                mask, fds above 2 close-on-exec, the
//                                                umask: before the seccomp filter,
//                                                which may not allow those calls)
// TOUCH       path                           mode; an empty file unless something is
//                                                there (never opened): a bind mount's
//                                                file target
// LINKUP      interface name                 -   (bring it up: lo in a new network
//                                                namespace)
// MOVEMOUNT   fd (decimal) target            -   (move_mount of a detached tree mydocker
//                                                cloned on the host, open_tree: a bind
//                                                mount's source in a user namespace)
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
	OP_SETNS = 22,
	OP_FORK = 23,
	OP_DUMPABLE = 24,
	OP_RLIMIT = 25,
	OP_UMASK = 26,
	OP_CAPSETS = 27,
	OP_NSPATH = 28,
	OP_FIFO = 29,
	OP_PARK = 30,
	OP_TOUCH = 31,
	OP_RESET = 32,
	OP_LINKUP = 33,
	OP_MOVEMOUNT = 34,
	OP_AWAIT = 35,
};

// SYNC_LATER, in OP_SYNC's flags: the init goes on with its steps while
// the parent runs the post-mount hooks, and an OP_AWAIT step waits for them.
enum { SYNC_LATER = 1 };

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

// The monitor of a detached container (monitor.c). Its parent sends one
// MON_CONFIG packet: the kind byte, then NUL-ended strings:
//   clone flags, state dir, log file size cap, OOM counter file ("" none),
//   keep stdin open ("1"/"0"), N, N cgroup dirs to remove, M, M finish args
// with the init's sync socket as fd 4. The monitor answers with one syncMsg:
// {MON_PID, init pid, monitor pid} once the init is cloned (the third field
// is a pid here, not an errno), or {MON_ERROR, 0, errno}. The
// parent may then send MON_CONSOLE (the pty master as SCM_RIGHTS) and, once
// the command runs, MON_STARTED: only then does the monitor execute the
// finish args (post-stop hooks, --rm) after recording the container's end.
#define MONITORFD_ENV "_MYDOCKER_MONITORFD"
enum {
	MON_CONFIG = 1,
	MON_PID = 2,
	MON_ERROR = 3,
	MON_CONSOLE = 4,
	MON_STARTED = 5,
};
#define MON_MSG_MAX 65536
// What the monitor writes in the state dir.
#define MON_LOG "container.log"        // stdout and stderr, CRI log format
#define MON_LOG_OLD "container.log.1"  // the log before the last rotation
#define MON_EXIT "exit.json"           // how the container ended, written once

#endif
