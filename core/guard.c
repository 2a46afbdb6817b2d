// The guard: a tiny process that kills a mydocker's containers, and removes
// their cgroups, when that mydocker dies, however it dies.
//
// A container's PID 1 gets a parent-death signal (SIGKILL), but PID 1 is the
// user's program and may clear it (prctl(PR_SET_PDEATHSIG, 0)). The guard is
// out of the container's reach: a child of mydocker, outside every
// container's pid namespace, in a session of its own (so the terminal's ^C
// never reaches it). mydocker tells it of each container over a socket that
// mydocker alone holds; when mydocker exits or is killed, the kernel closes
// that socket, the guard reads EOF, sends SIGKILL to each container's PID 1
// through a pidfd (which never names a recycled pid), waits for it, and
// removes the container's cgroup directories, which the dead mydocker
// cannot. Killing PID 1 ends its whole pid namespace.
//
// Messages, in order per container (GUARD_* in protocol.h):
//   REGISTER id parent...   before its cgroups exist: where they will be
//   ATTACH id + SCM_RIGHTS  its PID 1's pidfd, before it runs user code
//   FORGET id               it ended and mydocker cleaned up
// Like the init, it runs as an ELF constructor before the Go runtime, so it
// costs a fork and an exec, not a Go start-up (see guard.go).

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "role.h"

struct entry {
	char *msg; // the REGISTER message: kind, id, NUL, parents, each NUL-ended
	int pidfd; // -1 until ATTACH, and once PID 1 has exited
};

static struct entry *ents;
static int nents, cap;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static const char *entry_id(struct entry *e)
{
	return e->msg + 1;
}

static struct entry *find(const char *id)
{
	for (int i = 0; i < nents; i++)
		if (!strcmp(entry_id(&ents[i]), id))
			return &ents[i];
	return NULL;
}

// cleanup removes each parent/id cgroup (rmdir says EBUSY while the kernel
// finishes with the dead processes: retry for a few seconds), then the
// parent if no other container uses it.
static void cleanup(struct entry *e)
{
	const char *id = entry_id(e);
	char path[4096];
	for (char *p = e->msg + 1 + strlen(id) + 1; *p; p += strlen(p) + 1) {
		if (snprintf(path, sizeof(path), "%s/%s", p, id) >= (int)sizeof(path))
			continue;
		for (int try = 0; try < 500 && rmdir(path) < 0 && errno == EBUSY; try++)
			sleep_ms(10);
		rmdir(p);
	}
}

// kill_all kills every guarded container, waits for each to exit, and
// removes the cgroups of all registered ones.
static void kill_all(void)
{
	for (int i = 0; i < nents; i++)
		if (ents[i].pidfd >= 0)
			syscall(SYS_pidfd_send_signal, ents[i].pidfd, SIGKILL, NULL, 0);
	for (int i = 0; i < nents; i++) {
		if (ents[i].pidfd >= 0) {
			struct pollfd p = { .fd = ents[i].pidfd, .events = POLLIN };
			poll(&p, 1, 5000);
		}
		cleanup(&ents[i]);
	}
}

// handle applies one message; it returns -1 at EOF (mydocker is gone).
static int handle(int sock)
{
	char *buf = calloc(1, GUARD_MSG_MAX + 2); // every string list ends in two NULs
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = GUARD_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	if (!buf)
		return 0;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		free(buf);
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
	}
	int fd = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	struct entry *e = find(buf + 1);
	switch (buf[0]) {
	case GUARD_REGISTER:
		if (nents == cap) {
			struct entry *more = realloc(ents, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*ents));
			if (!more)
				_exit(1); // mydocker sees EPIPE and fails the run
			ents = more;
		}
		ents[nents++] = (struct entry){ .msg = buf, .pidfd = -1 };
		return 0;
	case GUARD_ATTACH:
		if (!e && fd >= 0) // not registered: fail closed
			syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		if (e && fd >= 0) {
			e->pidfd = fd;
			fd = -1;
		}
		break;
	case GUARD_FORGET:
		if (e) {
			if (e->pidfd >= 0)
				close(e->pidfd);
			free(e->msg);
			*e = ents[--nents];
		}
		break;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return 0;
}

__attribute__((constructor)) static void mydocker_guard(void)
{
	int sock = started_as(GUARDFD_ENV, "guard");
	if (sock < 0)
		return;
	setsid();
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		// The socket, and the pidfds of containers still running: one
		// whose PID 1 exited is closed, so an idle poll stays idle.
		struct pollfd *fds = calloc((size_t)nents + 1, sizeof(*fds));
		int *which = calloc((size_t)nents + 1, sizeof(int));
		if (!fds || !which)
			break;
		int n = 1;
		fds[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
		for (int i = 0; i < nents; i++)
			if (ents[i].pidfd >= 0) {
				which[n] = i;
				fds[n++] = (struct pollfd){ .fd = ents[i].pidfd, .events = POLLIN };
			}
		int rc = poll(fds, (nfds_t)n, -1);
		for (int i = 1; rc > 0 && i < n; i++)
			if (fds[i].revents) {
				close(ents[which[i]].pidfd);
				ents[which[i]].pidfd = -1;
			}
		short sockev = rc > 0 ? fds[0].revents : 0;
		free(fds);
		free(which);
		if (rc < 0 && errno != EINTR)
			break;
		if (sockev & (POLLERR | POLLNVAL))
			break;
		if ((sockev & (POLLIN | POLLHUP)) && handle(sock) < 0)
			break;
	}
	kill_all();
	_exit(0);
}
