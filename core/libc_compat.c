// What Debian's libseccomp.a, compiled against glibc, needs from a libc
// that musl does not provide: build.sh links mydocker with musl (whose
// start-up is ~1 ms cheaper than static glibc's on every exec, see
// README.md) and that archive. Nothing here is compiled against glibc.

#include <stdarg.h>
#include <stdio.h>

#ifndef __GLIBC__
// __fprintf_chk is glibc's _FORTIFY_SOURCE fprintf (libseccomp's
// seccomp_export_pfc uses it); the flag only asks for %n checks.
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	(void)flag;
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
#endif
