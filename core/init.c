// The container init's step runner. It runs as an ELF constructor, before the
// Go runtime starts, in the child that mydocker cloned into new namespaces.
//
// It is deliberately small and dumb: the Go side (initsteps.go, security.go)
// decides everything and sends a list of steps over the sync socket; this
// code only replays them in order and execve's. The security steps are in
// init_security.c, the filesystem steps in init_fs.c, the network's in
// init_net.c, the step list's parsing in init_parse.c; what they share is
// in init.h. On failure it reports the step index and errno back to the
// parent, which owns every error message.
// The wire format, the messages and each op's operands are defined once, in
// protocol.h; the message flow is drawn in sync.go.
//
// Doing this before the Go runtime starts means the init child never pays for
// Go's runtime start-up and package initialisation (gRPC, protobuf, ...),
// which would otherwise dominate the cost of starting a container.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "protocol.h"
#include "role.h"
#include "init.h"

struct msg {
	uint32_t type;
	uint32_t arg;
	int32_t err;
};


static int syncfd = -1;
static int parkfd = -1;         // the start fifo, O_PATH (OP_FIFO)
static mode_t exec_umask = 022; // OP_UMASK

// bail reports a failed step to the parent and exits. The parent turns the
// (step, errno) pair into the message the user sees.
static __attribute__((noreturn)) void bail(uint32_t step, int err)
{
	struct msg m = { MSG_ERROR, step, err };
	if (send(syncfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		dprintf(2, "mydocker init: step %u failed: %s\n", step, strerror(err));
	_exit(125);
}

// init_die is for failures of the channel itself and for a malformed step
// list: the one line goes to stderr, and the status is 125.
void init_die(const char *what, int err)
{
	dprintf(2, "mydocker init: %s: %s\n", what, strerror(err));
	_exit(125);
}

static void recv_msg(struct msg *m)
{
	ssize_t n;
	do
		n = recv(syncfd, m, sizeof(*m), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(125); // the parent gave up on us; nothing to report
	if (n < 0)
		init_die("read sync message", errno);
	if (n != sizeof(*m))
		init_die("read sync message", EPROTO);
}

// read_config receives the step list: a MSG_CONFIG header with the total
// length, then the bytes in packets of at most CHUNK_MAX. Every read is
// bounded by what is left, and a packet longer than that (MSG_TRUNC tells
// its real length) is an error, never a silent truncation.
static char *read_config(uint32_t *len)
{
	struct msg m;
	recv_msg(&m);
	if (m.type != MSG_CONFIG || m.arg > CONFIG_MAX)
		init_die("read config header", EPROTO);
	char *buf = malloc(m.arg + 1);
	if (!buf)
		init_die("allocate config", ENOMEM);
	for (uint32_t off = 0; off < m.arg;) {
		size_t want = m.arg - off < CHUNK_MAX ? m.arg - off : CHUNK_MAX;
		ssize_t n = recv(syncfd, buf + off, want, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			init_die("read config", errno);
		if (n == 0 || (size_t)n > want)
			init_die("read config", EPROTO);
		off += (uint32_t)n;
	}
	*len = m.arg;
	return buf;
}

// do_console makes the container's terminal in its own devpts: it opens
// the ptmx at str[0], hands the master to the parent (which relays it to
// the user's terminal), and makes the slave the controlling terminal and
// stdio of a new session.
static int do_console(uint32_t i, struct step *s)
{
	int unlock = 0, master, slave;
	if (s->nstr != 1)
		return errno = EPROTO, -1;
	if ((master = open(s->str[0], O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return -1;
	if ((slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0)
		return -1;

	struct msg m = { MSG_CONSOLE, i, 0 };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(syncfd, &mh, MSG_NOSIGNAL) != sizeof(m))
		init_die("send console", errno);
	close(master);

	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return -1;
	if (slave > 2)
		close(slave);
	return 0;
}

// do_await waits for the parent's MSG_CONTINUE. It reads with read(2): it
// may come after the seccomp filter is loaded (SYNC_LATER), and no profile
// that lets a program run forbids read.
static int do_await(void)
{
	struct msg m;
	ssize_t n;
	do
		n = read(syncfd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(125); // the parent gave up on us (a hook refused): nothing to report
	if (n != sizeof(m) || m.type != MSG_CONTINUE)
		return errno = n < 0 ? errno : EPROTO, -1;
	return 0;
}

// do_sync tells the parent that step i is reached, and waits for it to go
// on, unless the wait is a later OP_AWAIT step's (SYNC_LATER).
static int do_sync(uint32_t i, uint64_t flags)
{
	struct msg m = { MSG_READY, i, 0 };
	if (send(syncfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		init_die("send ready", errno);
	return flags & SYNC_LATER ? 0 : do_await();
}






// reset_process gives the command a clean start: default signal dispositions,
// an empty signal mask, and every descriptor above 2 closed on exec (the sync
// socket too, so the parent reads EOF exactly when execve succeeds).
static int reset_process(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	umask(exec_umask); // the init ran with 0, so that modes were exact
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); // fails harmlessly for KILL, STOP, RT internals
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	return (int)syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
}

// do_exec behaves like execvpe with the container's PATH: operands are
// file, PATH, argv[flags], env... . The errno reported is the most telling
// one: EACCES if any candidate existed but was not executable, as execvp.
static int do_exec(struct step *s)
{
	uint32_t argc = (uint32_t)s->flags;
	if (s->nstr < 2 || argc == 0 || s->flags > s->nstr - 2)
		return errno = EPROTO, -1;
	char *file = s->str[0], *path = s->str[1];
	char **envp = s->str + 2 + argc; // ends at the NULL calloc'd after the last operand
	char **argv = calloc(argc + 1, sizeof(char *));
	if (!argv)
		return -1;
	memcpy(argv, s->str + 2, argc * sizeof(char *));
	if (strchr(file, '/') || !*path) {
		execve(file, argv, envp);
		return -1;
	}
	int best = ENOENT;
	char buf[4096];
	for (char *dir = path, *end; dir; dir = end ? end + 1 : NULL) {
		end = strchr(dir, ':');
		size_t dl = end ? (size_t)(end - dir) : strlen(dir);
		if (dl == 0)
			dir = ".", dl = 1; // an empty PATH entry means the cwd
		if (dl + 1 + strlen(file) + 1 > sizeof(buf))
			continue;
		memcpy(buf, dir, dl);
		buf[dl] = '/';
		strcpy(buf + dl + 1, file);
		execve(buf, argv, envp);
		if (errno != ENOENT && errno != ENOTDIR && best != EACCES)
			best = errno;
	}
	return errno = best, -1;
}

// do_setns joins the namespaces in flags of the process whose pidfd is the
// operand, all at once, then closes the pidfd.
static int do_setns(struct step *s)
{
	int fd = atoi(s->str[0]);
	if (fd < 3 || setns(fd, (int)s->flags) < 0)
		return -1;
	return close(fd);
}

// do_fork: a joined pid namespace is entered by children only, so fork a
// child that goes on with the next steps, as a sibling of this process
// (CLONE_PARENT): mydocker is its parent and reaper, as runc's nsexec does.
// This process tells mydocker the child's pid and exits.
//
// The child goes on only once its pid was sent (EOF on a pipe this process
// holds until it exits): else it could fail, say an exec of a missing
// command, and report that first; mydocker, not knowing the child yet,
// would never reap it, and a zombie in a pid namespace keeps its PID 1
// from ever finishing its exit.
//
// The child shares this process's memory (CLONE_VM), on a stack of its own
// (fork_stack), and this process touches nothing of it before it exits: no
// page is copied. A real fork, and the copy-on-write faults of the child's
// first writes, cost about a millisecond on this kind of VM.
static char fork_stack[256 << 10] __attribute__((aligned(16)));

struct forked {
	uint32_t next;  // the step the child begins with
	int gate[2];    // the pipe
	uint64_t flags; // 1: the command dies with mydocker
};

static struct step *steps; // the step list, for replay
static uint32_t nsteps;

static void replay(uint32_t from) __attribute__((noreturn));

// child_of_fork is the forked child's start: it waits at the gate, then
// goes on with the steps.
static int child_of_fork(void *arg)
{
	const struct forked *f = arg;
	char c;
	close(f->gate[1]); // this process's copy: the parent's is the gate
	while (read(f->gate[0], &c, 1) < 0 && errno == EINTR)
		;
	close(f->gate[0]);
	if (f->flags && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		bail(f->next - 1, errno);
	replay(f->next);
}

static int do_fork(uint32_t i, uint64_t flags)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -1;
	static struct forked f; // read by the child after this process has gone
	f = (struct forked){ i + 1, { gate[0], gate[1] }, flags };
	pid_t pid = clone(child_of_fork, fork_stack + sizeof(fork_stack), CLONE_VM | CLONE_PARENT | SIGCHLD, &f);
	if (pid < 0) {
		int err = errno;
		close(gate[0]), close(gate[1]);
		return errno = err, -1;
	}
	struct msg m = { MSG_PID, (uint32_t)pid, 0 };
	if (send(syncfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m)) {
		kill(pid, SIGKILL);
		init_die("send pid", errno);
	}
	_exit(0); // closes gate[1]: the child goes on
}

// do_rlimit sets one resource limit: operands soft and hard, -1 = infinity.
static int do_rlimit(struct step *s)
{
	long long soft = strtoll(s->str[0], NULL, 10), hard = strtoll(s->str[1], NULL, 10);
	struct rlimit rl = { soft < 0 ? RLIM_INFINITY : (rlim_t)soft, hard < 0 ? RLIM_INFINITY : (rlim_t)hard };
	return setrlimit((int)s->flags, &rl);
}

// do_nspath joins the namespace at path (an OCI namespace with a path).
static int do_nspath(struct step *s)
{
	int fd = open(s->str[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = setns(fd, (int)s->flags);
	int err = errno;
	close(fd);
	return errno = err, rc;
}

// do_park waits for `start`: it opens the start fifo for writing, which
// blocks until `start` opens it for reading, and writes one byte. The fifo
// was opened O_PATH before pivot_root; /proc/self/fd reaches it after.
static int do_park(void)
{
	char path[64];
	if (parkfd < 0)
		return errno = EPROTO, -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", parkfd);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write(fd, "0", 1) == 1 ? 0 : -1;
	close(fd);
	close(parkfd);
	parkfd = -1;
	return rc;
}

// want checks a step's operand count.
static int want(struct step *s, uint32_t n)
{
	if (s->nstr != n)
		return errno = EPROTO, 0;
	return 1;
}

// run_step runs one step and returns 0, or -1 with errno set.
static int run_step(uint32_t i, struct step *s)
{
	switch (s->op & OP_MASK) {
	case OP_MOUNT: return init_mount(s);
	case OP_HOSTNAME: return want(s, 1) ? sethostname(s->str[0], s->len[0]) : -1;
	case OP_SYNC: return want(s, 0) ? do_sync(i, s->flags) : -1;
	case OP_AWAIT: return want(s, 0) ? do_await() : -1;
	case OP_EXEC: return do_exec(s);
	case OP_CHDIR: return want(s, 1) ? chdir(s->str[0]) : -1;
	case OP_PIVOT: return want(s, 0) ? init_pivot() : -1;
	case OP_MKNOD:
		return want(s, 1) ? mknod(s->str[0], (mode_t)(s->flags >> 32), (dev_t)(uint32_t)s->flags) : -1;
	case OP_SYMLINK: return want(s, 2) ? symlink(s->str[0], s->str[1]) : -1;
	case OP_MKDIR:
		if (!want(s, 1))
			return -1;
		return mkdir(s->str[0], (mode_t)s->flags) < 0 && errno != EEXIST ? -1 : 0;
	case OP_CONSOLE: return do_console(i, s);
	case OP_WRITEFILE:
		return want(s, 2) ? init_write_file(s->str[0], O_CREAT | O_TRUNC | O_NOFOLLOW, (mode_t)s->flags, s->str[1], s->len[1]) : -1;
	case OP_JOINCGROUP: return want(s, 1) ? init_write_file(s->str[0], 0, 0, "0", 1) : -1;
	case OP_UNSHARE: return want(s, 0) ? unshare((int)s->flags) : -1;
	case OP_SETSID: return want(s, 0) ? (setsid() < 0 ? -1 : 0) : -1;
	case OP_KEYRING:
		if (!want(s, 0))
			return -1;
		// KEYCTL_JOIN_SESSION_KEYRING with no name: a new anonymous keyring.
		return syscall(SYS_keyctl, 1, NULL) < 0 && errno != ENOSYS ? -1 : 0;
	case OP_BOUNDING: return want(s, 0) ? init_bounding(s->flags) : -1;
	case OP_USER: return init_user(s);
	case OP_CAPSET: return want(s, 0) ? init_capset(s->flags) : -1;
	case OP_NONEWPRIVS: return want(s, 0) ? prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) : -1;
	case OP_SECCOMP: return init_seccomp(s);
	case OP_SETATTR: return init_setattr(s);
	case OP_SETNS: return want(s, 1) ? do_setns(s) : -1;
	case OP_FORK: return want(s, 0) ? do_fork(i, s->flags) : -1;
	case OP_DUMPABLE: return want(s, 0) ? prctl(PR_SET_DUMPABLE, s->flags, 0, 0, 0) : -1;
	case OP_RESET: return want(s, 0) ? reset_process() : -1;
	case OP_RLIMIT: return want(s, 2) ? do_rlimit(s) : -1;
	case OP_UMASK: return want(s, 0) ? (exec_umask = (mode_t)s->flags & 0777, 0) : -1;
	case OP_CAPSETS: return init_capsets(s);
	case OP_NSPATH: return want(s, 1) ? do_nspath(s) : -1;
	case OP_FIFO:
		if (!want(s, 1))
			return -1;
		return (parkfd = open(s->str[0], O_PATH | O_CLOEXEC)) < 0 ? -1 : 0;
	case OP_PARK: return want(s, 0) ? do_park() : -1;
	case OP_LINKUP: return init_linkup(s);
	case OP_MOVEMOUNT: return want(s, 2) ? init_move_mount(atoi(s->str[0]), s->str[1]) : -1;
	case OP_TOUCH: return want(s, 1) ? init_touch(s->str[0], (mode_t)s->flags) : -1;
	default: return errno = EPROTO, -1;
	}
}

__attribute__((constructor)) static void mydocker_init(void)
{
	if ((syncfd = started_as(INITFD_ENV, "init")) < 0)
		return; // not a container init: let the Go program start
	umask(0); // device nodes and directories get exactly the modes planned

	uint32_t len;
	char *buf = read_config(&len);
	steps = init_parse_steps(buf, len, &nsteps);
	replay(0);
}

// replay runs the steps from the index from on, in order; it never
// returns: the last step executes the command, and a failure bails.
static void replay(uint32_t from)
{
	for (uint32_t i = from; i < nsteps; i++) {
		errno = 0;
		if (run_step(i, &steps[i]) < 0 && !((steps[i].op & OP_OPTIONAL) && errno == ENOENT))
			bail(i, errno ? errno : EPROTO);
	}
	bail(nsteps, ENOEXEC); // the list must end in an exec
}
