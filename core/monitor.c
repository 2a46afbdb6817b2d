// The monitor of a detached container (`run -d`): a small process that is
// the container init's parent for the container's whole life, so that its
// exit status is never lost, whoever started it and whenever they exit.
//
// It is what conmon is to podman, and like the init and the guard it runs
// as an ELF constructor before the Go runtime starts, so it costs an exec
// and about half a megabyte, not a Go runtime (see monitor.go). It:
//   - detaches: clones itself, the first process exits (its caller reaps
//     it), the second starts a session of its own, so no terminal reaches it;
//   - clones the container's init in new namespaces (the init then talks to
//     mydocker over the sync socket it inherits, exactly as for `run`);
//   - writes the container's stdout and stderr (or its pty) to
//     container.log in the CRI log format, "TIME STREAM P|F TEXT", rotating
//     it to container.log.1 at the size cap: at most twice the cap is kept;
//   - reaps the init, writes exit.json once (atomically), reads whether the
//     memory limit killed it, removes its cgroup directories;
//   - if mydocker said the command started (MON_STARTED), executes the
//     finish arguments (mydocker's post-stop hooks and --rm) as its last act.
// The container's PID 1 has the monitor as parent and a parent-death
// SIGKILL: a monitor killed with SIGKILL takes its container with it.
// SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to the monitor (a shutdown, a
// kill of the wrong pid) are passed on to the container's PID 1, and the
// monitor goes on: when the container ends, its exit is recorded and its
// cgroup removed as for any end.
// Messages and file names are in protocol.h.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "role.h"

extern char **environ;

struct mon_config {
	unsigned long flags;
	const char *dir, *oomfile;
	long logmax;
	int keepstdin;
	char **cgroups, **finish; // NULL-ended
};

struct stream {
	int fd; // -1 once closed
	const char *name;
};

static int logfd = -1;
static volatile int initpidfd = -1; // the container's init, once cloned

// forward passes a signal the monitor got on to the container's PID 1,
// through its pidfd: once it is reaped, its pid may be another process's.
static void forward(int sig)
{
	int saved = errno;
	if (initpidfd >= 0)
		syscall(SYS_pidfd_send_signal, initpidfd, sig, NULL, 0);
	errno = saved;
}
static long logsize;
static char logpath[4096], oldpath[4096];

static void reply(int ctl, uint32_t kind, int32_t arg, int32_t err)
{
	uint32_t m[3] = { kind, (uint32_t)arg, (uint32_t)err };
	send(ctl, m, sizeof(m), MSG_NOSIGNAL);
}

// strlist reads a count and that many strings from p; NULL on malformed.
static char **strlist(char **p, char *end)
{
	if (*p >= end)
		return NULL;
	long n = strtol(*p, NULL, 10);
	*p += strlen(*p) + 1;
	if (n < 0 || n > 4096)
		return NULL;
	char **v = calloc((size_t)n + 1, sizeof(char *));
	for (long i = 0; v && i < n; i++) {
		if (*p >= end)
			return NULL;
		v[i] = *p;
		*p += strlen(*p) + 1;
	}
	return v;
}

// read_config parses the MON_CONFIG packet; the buffer ends in two NULs, so
// every string is terminated even in a truncated packet.
static int read_config(int ctl, struct mon_config *c)
{
	char *buf = calloc(1, MON_MSG_MAX + 2);
	if (!buf)
		return -1;
	ssize_t n = recv(ctl, buf, MON_MSG_MAX, MSG_TRUNC);
	if (n < 2 || n > MON_MSG_MAX || buf[0] != MON_CONFIG)
		return -1;
	char *p = buf + 1, *end = buf + n, *f[5];
	for (int i = 0; i < 5; i++) {
		if (p >= end)
			return -1;
		f[i] = p;
		p += strlen(p) + 1;
	}
	c->flags = strtoul(f[0], NULL, 10);
	c->dir = f[1];
	c->logmax = strtol(f[2], NULL, 10);
	c->oomfile = f[3];
	c->keepstdin = f[4][0] == '1';
	c->cgroups = strlist(&p, end);
	c->finish = c->cgroups ? strlist(&p, end) : NULL;
	return c->finish && c->logmax > 0 ? 0 : -1;
}

static void open_log(void)
{
	struct stat st;
	logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	logsize = logfd >= 0 && fstat(logfd, &st) == 0 ? st.st_size : 0;
}

// log_record appends one "TIME STREAM TAG TEXT\n" record, rotating first if
// it would pass the cap.
static void log_record(long logmax, const char *stream, char tag, const char *text, size_t len)
{
	struct timespec now;
	struct tm tm;
	char head[96];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t hl = strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
	hl += (size_t)snprintf(head + hl, sizeof(head) - hl, ".%09ldZ %s %c ", now.tv_nsec, stream, tag);
	long size = (long)(hl + len + 1);
	if (logfd >= 0 && logsize > 0 && logsize + size > logmax) {
		close(logfd);
		rename(logpath, oldpath);
		open_log();
	}
	if (logfd < 0)
		return;
	struct iovec iov[3] = { { head, hl }, { (void *)text, len }, { "\n", 1 } };
	if (writev(logfd, iov, 3) == size)
		logsize += size;
}

// pump reads what a stream has and logs it: each complete line as an F
// record, the rest at once as a P (partial) record, as conmon does. At EOF
// (or EIO: a pty whose every slave is closed) the stream is closed.
static void pump(struct stream *s, long logmax)
{
	char buf[16384];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	char *p = buf, *end = buf + n, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		log_record(logmax, s->name, 'F', p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (p < end)
		log_record(logmax, s->name, 'P', p, (size_t)(end - p));
}

// oom_killed reads the oom_kill counter of a memory.events (v2) or
// memory.oom_control (v1) file.
static int oom_killed(const char *path)
{
	char buf[4096];
	int fd = *path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, "oom_kill ", 9))
			return atol(line + 9) > 0;
	return 0;
}

// write_exit records the end once: exit.json, written whole then renamed.
static void write_exit(const char *dir, int code, int sig, int oom)
{
	char tmp[4096], path[4096], buf[256], ts[64];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t tl = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + tl, sizeof(ts) - tl, ".%09ldZ", now.tv_nsec);
	int len = snprintf(buf, sizeof(buf), "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n",
			   code, sig, oom ? "true" : "false", ts);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, MON_EXIT);
	snprintf(path, sizeof(path), "%s/%s", dir, MON_EXIT);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	int ok = write(fd, buf, (size_t)len) == len && fsync(fd) == 0;
	if (close(fd) == 0 && ok)
		rename(tmp, path);
}

// remove_cgroups removes the container's cgroup directories (rmdir says
// EBUSY while the kernel finishes with the dead processes: retry a while),
// then each parent if no other container uses it.
static void remove_cgroups(char **dirs)
{
	struct timespec ms10 = { 0, 10000000 };
	for (; *dirs; dirs++) {
		for (int try = 0; try < 500 && rmdir(*dirs) < 0 && errno == EBUSY; try++)
			nanosleep(&ms10, NULL);
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", *dirs);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			rmdir(parent);
		}
	}
}

// The monitor's two clones share this process's memory (CLONE_VM), each
// child on a stack of its own, so no page is copied: a fork, and the
// copy-on-write faults after it, cost about 1.5 ms on this kind of VM (each
// fault a TLB flush through the hypervisor). The detached monitor runs on
// monitor_stack for good (its first process exits at once); the init runs
// on init_stack until its execve, while the monitor waits (CLONE_VFORK).
static char monitor_stack[256 << 10] __attribute__((aligned(16)));
static char init_stack[16 << 10] __attribute__((aligned(16)));

struct init_fds {
	int in, out, err;
};

// exec_init is the init's first moments, on the monitor's memory: only
// system calls that leave the monitor's state as it is, then execve.
static int exec_init(void *arg)
{
	const struct init_fds *f = arg;
	char *argv[] = { "mydocker", "init", NULL };
	char *envp[] = { INITFD_ENV "=3", NULL };
	if (dup2(f->in, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->err, 2) < 0 || dup2(4, 3) < 0)
		_exit(125);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	execve("/proc/self/exe", argv, envp);
	_exit(125);
}

// clone_init starts the container's init in new namespaces with the sync
// socket (fd 4 here) as its fd 3, and stdio as given. It returns once the
// init has executed mydocker (or failed to).
static pid_t clone_init(unsigned long flags, int in, int out, int err)
{
	struct init_fds f = { in, out, err };
	return clone(exec_init, init_stack + sizeof(init_stack), (int)(flags | CLONE_VM | CLONE_VFORK | SIGCHLD), &f);
}

// serve logs the container's output until it has exited and its streams
// are drained, following MON_CONSOLE and MON_STARTED on the way; it
// returns whether the command started.
static int serve(int ctl, int pidfd, struct stream *st, long logmax)
{
	int started = 0, exited = 0;
	for (;;) {
		struct pollfd fds[5] = { { .fd = ctl, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		for (int i = 0; i < 3; i++)
			fds[2 + i] = (struct pollfd){ .fd = st[i].fd, .events = POLLIN };
		if (exited)
			fds[1].fd = -1;
		// Once the init has exited, its whole pid namespace is dead: what
		// is left in the pipes comes at once, so wait at most a second.
		int rc = poll(fds, 5, exited ? 1000 : -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return started;
		if (fds[0].revents) {
			char kind = 0, cbuf[CMSG_SPACE(sizeof(int))];
			struct iovec iov = { &kind, 1 };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
			ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
			struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
			if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
				int fd;
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
				if (kind == MON_CONSOLE && st[2].fd < 0)
					st[2].fd = fd;
				else
					close(fd);
			}
			if (n > 0 && kind == MON_STARTED)
				started = 1;
			if (n == 0 || (n < 0 && errno != EINTR)) {
				close(ctl); // mydocker is done (or gone): nothing more to hear
				ctl = -1;
			}
		}
		if (fds[1].revents)
			exited = 1;
		for (int i = 0; i < 3; i++)
			if (fds[2 + i].revents)
				pump(&st[i], logmax);
		if (exited && st[0].fd < 0 && st[1].fd < 0 && st[2].fd < 0)
			return started;
	}
}

static int ctl = -1; // the socket to mydocker
static int monitor(void *unused);

__attribute__((constructor)) static void mydocker_monitor(void)
{
	ctl = started_as(MONITORFD_ENV, "monitor");
	if (ctl < 0)
		return;
	// Detach: the caller reaps the first process at once; the second is
	// nobody's child but the host's init (or a subreaper's). The first
	// exits without touching memory the second uses.
	pid_t pid = clone(monitor, monitor_stack + sizeof(monitor_stack), CLONE_VM | SIGCHLD, NULL);
	_exit(pid < 0 ? 1 : 0);
}

// monitor is the detached monitor's life; it never returns.
static int monitor(void *unused)
{
	(void)unused;
	pid_t pid;
	setsid();
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0)
		_exit(1);

	struct mon_config cfg;
	if (read_config(ctl, &cfg) < 0) {
		reply(ctl, MON_ERROR, 0, EPROTO);
		_exit(1);
	}
	snprintf(logpath, sizeof(logpath), "%s/%s", cfg.dir, MON_LOG);
	snprintf(oldpath, sizeof(oldpath), "%s/%s", cfg.dir, MON_LOG_OLD);
	open_log();

	int out[2], err[2], in[2] = { -1, -1 };
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		reply(ctl, MON_ERROR, 0, errno);
		_exit(1);
	}
	// -i: stdin stays open, with nothing to read (no one is attached).
	if (cfg.keepstdin ? pipe2(in, O_CLOEXEC) : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		reply(ctl, MON_ERROR, 0, errno);
		_exit(1);
	}
	pid = clone_init(cfg.flags, in[0], out[1], err[1]);
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	initpidfd = pidfd;
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (int i = 0, sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT }; i < 4; i++)
		sigaction(sigs[i], &sa, NULL);
	if (pidfd < 0) {
		reply(ctl, MON_ERROR, 0, errno);
		_exit(1);
	}
	close(4); // the init's end of the sync socket: the init holds it now
	close(in[0]), close(out[1]), close(err[1]);
	reply(ctl, MON_PID, pid, getpid());

	struct stream st[3] = { { out[0], "stdout" }, { err[0], "stderr" }, { -1, "stdout" } };
	int started = serve(ctl, pidfd, st, cfg.logmax);

	siginfo_t si = { 0 };
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	int code = si.si_status, sig = 0;
	if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		sig = si.si_status, code = 128 + si.si_status;
	write_exit(cfg.dir, code, sig, oom_killed(cfg.oomfile));
	remove_cgroups(cfg.cgroups);
	if (logfd >= 0)
		close(logfd);
	if (started && cfg.finish[0]) {
		// The finish command gets the environment of the mydocker that
		// started the container (plugins may read theirs from it).
		unsetenv(MONITORFD_ENV);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0)
			dup2(null, 0), dup2(null, 1), dup2(null, 2);
		execve("/proc/self/exe", cfg.finish, environ);
	}
	_exit(0);
}
