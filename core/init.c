// The container init's step runner. It runs as an ELF constructor, before the
// Go runtime starts, in the child that mydocker cloned into new namespaces.
//
// It is deliberately small and dumb: the Go side (initsteps.go) decides
// everything and sends a short list of steps over the sync socket; this code
// only replays them in order and execve's. On failure it reports the step
// index and errno back to the parent, which owns every error message. See
// sync.go for the protocol table and initsteps.go for the step encoding.
//
// Doing this before the Go runtime starts means the init child never pays for
// Go's runtime start-up and package initialisation (gRPC, protobuf, ...),
// which would otherwise dominate the cost of starting a container.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

// Keep in sync with sync.go and initsteps.go.
enum { MSG_CONFIG = 1, MSG_READY = 2, MSG_CONTINUE = 3, MSG_ERROR = 4, MSG_CONSOLE = 5 };
enum {
	OP_MOUNT = 1, OP_HOSTNAME = 2, OP_SYNC = 3, OP_EXEC = 4,
	OP_CHDIR = 5, OP_PIVOT = 6, OP_MKNOD = 7, OP_SYMLINK = 8, OP_MKDIR = 9,
	OP_CONSOLE = 10, OP_WRITEFILE = 11,
};
// OP_OPTIONAL on a step: a missing path (ENOENT) is not a failure.
#define OP_OPTIONAL 0x100
#define CONFIG_MAX (64u << 20)
#define CHUNK_MAX (32u << 10)

struct msg {
	uint32_t type;
	uint32_t arg;
	int32_t err;
};

struct step {
	uint32_t op;
	uint32_t nstr;
	uint64_t flags;
	char **str;
};

static int syncfd = -1;

// bail reports a failed step to the parent and exits. The parent turns the
// (step, errno) pair into the message the user sees.
static void bail(uint32_t step, int err)
{
	struct msg m = { MSG_ERROR, step, err };
	if (send(syncfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		dprintf(2, "mydocker init: step %u failed: %s\n", step, strerror(err));
	_exit(125);
}

// die is for failures of the channel itself, which cannot be reported over it.
static void die(const char *what)
{
	dprintf(2, "mydocker init: %s: %s\n", what, strerror(errno));
	_exit(125);
}

static void recv_msg(struct msg *m)
{
	ssize_t n;
	do
		n = recv(syncfd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(125); // the parent gave up on us; nothing to report
	if (n != sizeof(*m))
		die("read sync message");
}

// read_config receives the step list: a MSG_CONFIG header with the total
// length, then the bytes in packets of at most CHUNK_MAX.
static char *read_config(uint32_t *len)
{
	struct msg m;
	recv_msg(&m);
	if (m.type != MSG_CONFIG || m.arg > CONFIG_MAX) {
		errno = EPROTO;
		die("read config header");
	}
	char *buf = malloc(m.arg + 1);
	if (!buf)
		die("allocate config");
	for (uint32_t off = 0; off < m.arg;) {
		ssize_t n = recv(syncfd, buf + off, CHUNK_MAX, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read config");
		off += (uint32_t)n;
	}
	*len = m.arg;
	return buf;
}

// parse_steps splits the buffer into steps. Strings are stored with their
// NUL, so they are used in place.
static struct step *parse_steps(char *buf, uint32_t len, uint32_t *nsteps)
{
	uint32_t cap = 16, n = 0, off = 0;
	struct step *steps = malloc(cap * sizeof(*steps));
	errno = EPROTO;
	while (steps && off + 16 <= len) {
		if (n == cap && !(steps = realloc(steps, (cap *= 2) * sizeof(*steps))))
			break;
		struct step *s = &steps[n++];
		memcpy(&s->op, buf + off, 4);
		memcpy(&s->nstr, buf + off + 4, 4);
		memcpy(&s->flags, buf + off + 8, 8);
		off += 16;
		if (s->nstr > len / 4 || !(s->str = calloc(s->nstr + 1, sizeof(char *))))
			die("parse config");
		for (uint32_t i = 0; i < s->nstr; i++) {
			uint32_t l;
			if (off + 4 > len)
				die("parse config");
			memcpy(&l, buf + off, 4);
			off += 4;
			if (l == 0 || l > len - off || buf[off + l - 1] != '\0')
				die("parse config");
			s->str[i] = buf + off;
			off += l;
		}
	}
	if (!steps || off != len)
		die("parse config");
	*nsteps = n;
	return steps;
}

static const char *nullable(const char *s)
{
	return *s ? s : NULL;
}

static void do_mount(uint32_t i, struct step *s)
{
	if (s->nstr != 4)
		bail(i, EPROTO);
	if (mount(nullable(s->str[0]), s->str[1], nullable(s->str[2]),
		  (unsigned long)s->flags, nullable(s->str[3])) < 0) {
		if ((s->op & OP_OPTIONAL) && errno == ENOENT)
			return;
		bail(i, errno);
	}
}

// do_pivot makes the current directory the root, runc's way: pivot_root
// with new and old root both ".", then detach the old root stacked below,
// so that no host path stays reachable.
static void do_pivot(uint32_t i)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		bail(i, errno);
	if (umount2(".", MNT_DETACH) < 0)
		bail(i, errno);
	if (chdir("/") < 0)
		bail(i, errno);
}

// do_console makes the container's terminal in its own devpts: it opens
// the ptmx at str[0], hands the master to the parent (which relays it to
// the user's terminal), and makes the slave the controlling terminal and
// stdio of a new session.
static void do_console(uint32_t i, struct step *s)
{
	int unlock = 0, master, slave;
	if (s->nstr != 1)
		bail(i, EPROTO);
	if ((master = open(s->str[0], O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		bail(i, errno);
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		bail(i, errno);
	if ((slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0)
		bail(i, errno);

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
		die("send console");
	close(master);

	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		bail(i, errno);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			bail(i, errno);
	if (slave > 2)
		close(slave);
}

// do_writefile writes str[1] to a new file str[0] with mode flags; it
// never follows a symlink there.
static void do_writefile(uint32_t i, struct step *s)
{
	if (s->nstr != 2)
		bail(i, EPROTO);
	int fd = open(s->str[0], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (mode_t)s->flags);
	if (fd < 0)
		bail(i, errno);
	size_t len = strlen(s->str[1]);
	if (write(fd, s->str[1], len) != (ssize_t)len)
		bail(i, errno ? errno : EIO);
	close(fd);
}

static void do_sync(uint32_t i)
{
	struct msg m = { MSG_READY, i, 0 };
	if (send(syncfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		die("send ready");
	recv_msg(&m);
	if (m.type != MSG_CONTINUE)
		bail(i, EPROTO);
}

// reset_process gives the command a clean start: default signal dispositions,
// an empty signal mask, and every descriptor above 2 closed on exec (the sync
// socket too, so the parent reads EOF exactly when execve succeeds).
static void reset_process(uint32_t i)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	umask(022); // the init ran with 0, so that modes were exact
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); // fails harmlessly for KILL, STOP, RT internals
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
		bail(i, errno);
}

// do_exec behaves like execvpe with the container's PATH: strings are
// file, PATH, argv[flags], env... . The errno reported is the most telling
// one: EACCES if any candidate existed but was not executable, as execvp.
static void do_exec(uint32_t i, struct step *s)
{
	uint32_t argc = (uint32_t)s->flags;
	if (s->nstr < 2 + argc || argc == 0)
		bail(i, EPROTO);
	char *file = s->str[0], *path = s->str[1];
	char **envp = s->str + 2 + argc; // ends at the NULL calloc'd after the last string
	char **argv = calloc(argc + 1, sizeof(char *));
	if (!argv)
		bail(i, errno);
	memcpy(argv, s->str + 2, argc * sizeof(char *));
	reset_process(i);
	if (strchr(file, '/') || !*path) {
		execve(file, argv, envp);
		bail(i, errno);
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
	bail(i, best);
}

__attribute__((constructor)) static void mydocker_init(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *fd = getenv("_MYDOCKER_INITFD");
	if (!fd || argc < 2 || strcmp(argv[1], "init") != 0)
		return; // not a container init: let the Go program start
	syncfd = atoi(fd);
	umask(0); // device nodes and directories get exactly the modes planned

	uint32_t len, n;
	char *buf = read_config(&len);
	struct step *steps = parse_steps(buf, len, &n);
	for (uint32_t i = 0; i < n; i++) {
		struct step *s = &steps[i];
		int optional = s->op & OP_OPTIONAL, rc = 0;
		errno = 0;
		switch (s->op & 0xff) {
		case OP_MOUNT: do_mount(i, s); break;
		case OP_HOSTNAME:
			rc = s->nstr == 1 ? sethostname(s->str[0], strlen(s->str[0])) : (errno = EPROTO, -1);
			break;
		case OP_SYNC: do_sync(i); break;
		case OP_EXEC: do_exec(i, s); break;
		case OP_CHDIR: rc = s->nstr == 1 ? chdir(s->str[0]) : (errno = EPROTO, -1); break;
		case OP_PIVOT: do_pivot(i); break;
		case OP_CONSOLE: do_console(i, s); break;
		case OP_WRITEFILE: do_writefile(i, s); break;
		case OP_MKNOD: // flags: mode << 32 | device number
			rc = s->nstr == 1 ? mknod(s->str[0], (mode_t)(s->flags >> 32), (dev_t)(uint32_t)s->flags) : (errno = EPROTO, -1);
			break;
		case OP_SYMLINK: rc = s->nstr == 2 ? symlink(s->str[0], s->str[1]) : (errno = EPROTO, -1); break;
		case OP_MKDIR:
			rc = s->nstr == 1 ? mkdir(s->str[0], (mode_t)s->flags) : (errno = EPROTO, -1);
			if (rc < 0 && errno == EEXIST)
				rc = 0;
			break;
		default: rc = -1, errno = EPROTO;
		}
		if (rc < 0 && !(optional && errno == ENOENT))
			bail(i, errno);
	}
	bail(n, ENOEXEC); // the list must end in an exec
}
