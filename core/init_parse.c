// The step list's wire format, read into steps (the format is drawn in
// protocol.h): what the init trusts least, so every length is checked
// against what is left of the buffer before it is used, and the fuzz test
// (init_fuzz_test.go) feeds it malformed lists.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "protocol.h"

static uint32_t get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

// init_parse_steps splits the buffer into steps. Operands are stored with their
// NUL, so they are used in place. Every length is checked against what is
// left of the buffer before it is used.
struct step *init_parse_steps(char *buf, uint32_t len, uint32_t *nsteps)
{
	uint32_t cap = 16, n = 0, off = 0;
	struct step *steps = malloc(cap * sizeof(*steps));
	if (!steps)
		init_die("allocate steps", ENOMEM);
	while (off < len) {
		if (len - off < 16)
			init_die("parse config: truncated step header", EPROTO);
		if (n == cap) {
			struct step *more = realloc(steps, (cap *= 2) * sizeof(*steps));
			if (!more)
				init_die("allocate steps", ENOMEM);
			steps = more;
		}
		struct step *s = &steps[n++];
		s->op = get32(buf + off);
		s->nstr = get32(buf + off + 4);
		memcpy(&s->flags, buf + off + 8, 8);
		off += 16;
		// Each operand takes at least 5 bytes: more cannot fit in what is left.
		if (s->nstr > NSTR_MAX || s->nstr > (len - off) / 5)
			init_die("parse config: operand count", EPROTO);
		s->str = calloc(s->nstr + 1, sizeof(char *));
		s->len = calloc(s->nstr + 1, sizeof(uint32_t));
		if (!s->str || !s->len)
			init_die("allocate steps", ENOMEM);
		for (uint32_t i = 0; i < s->nstr; i++) {
			if (len - off < 4)
				init_die("parse config: truncated operand", EPROTO);
			uint32_t l = get32(buf + off);
			off += 4;
			if (l == 0 || l > len - off || buf[off + l - 1] != '\0')
				init_die("parse config: operand length", EPROTO);
			s->str[i] = buf + off;
			s->len[i] = l - 1;
			off += l;
		}
	}
	*nsteps = n;
	return steps;
}
