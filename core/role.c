// started_as (role.h). The constructors cannot take argv from their own
// arguments: glibc passes (argc, argv, envp) to ELF constructors, musl
// (which build.sh links, see README.md) passes nothing. So the word is read
// from /proc/self/cmdline, and only when the variable is set: a plain
// mydocker command pays one getenv.

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "role.h"

int started_as(const char *env, const char *word)
{
	const char *val = getenv(env);
	if (!val)
		return -1;
	char buf[256];
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *arg1 = buf + strlen(buf) + 1; // past argv[0] and its NUL
	if (arg1 >= buf + n || strcmp(arg1, word) != 0)
		return -1;
	return atoi(val);
}
