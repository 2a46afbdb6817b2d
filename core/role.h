// role.h: how the C constructors (init.c, guard.c, monitor.c) tell that
// mydocker re-executed itself to be one of them.
#ifndef MYDOCKER_ROLE_H
#define MYDOCKER_ROLE_H

// started_as returns the descriptor named by the environment variable env
// if this process is `mydocker WORD ...` with env set (as mydocker starts
// its init, guard and monitor), or -1: then the constructor returns and
// the Go program starts.
int started_as(const char *env, const char *word);

#endif
