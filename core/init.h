// init.h is what the init's C files share: the step as parsed, and the
// steps that live in init_security.c, init_fs.c and init_net.c. Not part
// of the protocol (that is protocol.h).
#ifndef MYDOCKER_INIT_H
#define MYDOCKER_INIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct step {
	uint32_t op;
	uint32_t nstr;
	uint64_t flags;
	char **str;     // nstr operands, NUL-terminated, then a NULL
	uint32_t *len;  // each operand's length without its NUL
};

// init_die writes one line to stderr and exits 125 (init.c): a broken
// channel or step list, which cannot be reported over the channel.
void init_die(const char *what, int err) __attribute__((noreturn));

// init_parse_steps splits a received step list into steps (init_parse.c);
// operands point into buf.
struct step *init_parse_steps(char *buf, uint32_t len, uint32_t *nsteps);

// The security steps (init_security.c): each returns 0, or -1 with errno.
int init_bounding(uint64_t keep);
int init_user(struct step *s);
int init_capset(uint64_t mask);
int init_capsets(struct step *s);
int init_seccomp(struct step *s);
int init_setattr(struct step *s);

// The filesystem steps (init_fs.c).
int init_mount(struct step *s);
int init_pivot(void);
int init_write_file(const char *path, int oflags, mode_t mode, const char *data, size_t len);
int init_touch(const char *path, mode_t mode);
int init_move_mount(int fd, const char *target);

// The network steps (init_net.c).
int init_linkup(struct step *s);

#endif
