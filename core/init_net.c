// The init's network steps: what a container's own network namespace
// needs before its command runs. Everything else about networks (links,
// addresses, routes) is a plugin's, at post-mount, from the host side.

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

// init_linkup brings the interface named by the step's operand up, as
// `ip link set NAME up` does: a new network namespace's lo starts down.
int init_linkup(struct step *s)
{
	if (s->nstr != 1 || s->len[0] >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, s->str[0], s->len[0]);
	int ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return ret;
}
