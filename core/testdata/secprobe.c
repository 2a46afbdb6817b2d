// secprobe tries one attack on the host from inside a container and says
// whether it worked: "allowed" (exit 0) or "denied: <errno name>" (exit 1).
// It is built static by the security tests (security_test.go) and run in a
// busybox container. Every attack is harmless when it works: it reads, or
// changes nothing (a clock frequency set to its own value), or changes only
// the container's own namespaces.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <unistd.h>

static int result(int rc)
{
	if (rc >= 0) {
		puts("allowed");
		return 0;
	}
	printf("denied: %s\n", strerrorname_np(errno));
	return 1;
}

// open_by_handle MOUNTDIR TYPE HEX: opens the file a handle names, through
// any mount of its filesystem (the "shocker" attack), and reads it.
static int open_by_handle(char **a)
{
	int mfd = open(a[0], O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		return result(-1);
	size_t n = strlen(a[2]) / 2;
	struct file_handle *fh = malloc(sizeof(*fh) + n);
	fh->handle_bytes = (unsigned)n;
	fh->handle_type = atoi(a[1]);
	for (size_t i = 0; i < n; i++)
		sscanf(a[2] + 2 * i, "%2hhx", &fh->f_handle[i]);
	int fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd < 0)
		return result(-1);
	char buf[64];
	return result(read(fd, buf, sizeof(buf)) < 0 ? -1 : 0);
}

// mknod_open b|c MAJOR MINOR: makes a node for a host device (a disk, the
// kernel log) in the container's /dev and opens it.
static int mknod_open(char **a)
{
	unlink("/dev/probe");
	mode_t type = a[0][0] == 'b' ? S_IFBLK : S_IFCHR;
	if (mknod("/dev/probe", type | 0600, makedev(atoi(a[1]), atoi(a[2]))) < 0)
		return result(-1);
	return result(open("/dev/probe", O_RDONLY | O_NONBLOCK));
}

static int adjtime_same(void)
{
	struct timex tx = { 0 };
	if (adjtimex(&tx) < 0)
		return result(-1);
	tx.modes = ADJ_FREQUENCY; // set the frequency to what it is: no change
	return result(adjtimex(&tx));
}

static int bpf_map(void)
{
	union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1 };
	return result((int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static int perf_system_wide(void)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr), .config = PERF_COUNT_SW_CPU_CLOCK };
	return result((int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0));
}

static int tiocsti(void)
{
	char c = '#';
	return result(ioctl(0, TIOCSTI, &c));
}

static int write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return result(-1);
	return result(write(fd, "x", 1) == 1 ? 0 : -1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: secprobe ATTACK [ARG...]\n");
		return 2;
	}
	const char *t = argv[1];
	char **a = argv + 2;
	mkdir("/tmp/mnt", 0755);
	if (!strcmp(t, "open_by_handle") && argc == 5) return open_by_handle(a);
	if (!strcmp(t, "mknod_open") && argc == 5) return mknod_open(a);
	if (!strcmp(t, "fsopen")) return result((int)syscall(SYS_fsopen, "tmpfs", 0));
	if (!strcmp(t, "tiocsti")) return tiocsti();
	if (!strcmp(t, "remount_procsys")) return result(mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL));
	if (!strcmp(t, "remount_sys")) return result(mount(NULL, "/sys", NULL, MS_REMOUNT, NULL));
	if (!strcmp(t, "mount_proc")) return result(mount("proc", "/tmp/mnt", "proc", 0, NULL));
	if (!strcmp(t, "mount_sysfs")) return result(mount("sysfs", "/tmp/mnt", "sysfs", 0, NULL));
	if (!strcmp(t, "mount_cgroup")) return result(mount("cgroup", "/tmp/mnt", "cgroup", 0, "pids"));
	if (!strcmp(t, "umount_mask")) return result(umount2("/proc/keys", MNT_DETACH));
	if (!strcmp(t, "bpf")) return bpf_map();
	if (!strcmp(t, "perf_event_open")) return perf_system_wide();
	if (!strcmp(t, "userfaultfd")) return result((int)syscall(SYS_userfaultfd, O_CLOEXEC));
	if (!strcmp(t, "keyctl_user")) return result((int)syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
	if (!strcmp(t, "adjtimex")) return adjtime_same();
	if (!strcmp(t, "ioperm")) return result(ioperm(0x80, 1, 1));
	if (!strcmp(t, "syslog")) return result(klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0) < 0 ? -1 : klogctl(3, (char[64]){ 0 }, 64));
	if (!strcmp(t, "unshare_user")) return result(unshare(CLONE_NEWUSER));
	if (!strcmp(t, "write") && argc == 3) return write_file(a[0]);
	if (!strcmp(t, "clear_pdeathsig")) { // then wait to be killed
		if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
			return result(-1);
		puts("ready");
		fflush(stdout);
		for (;;)
			pause();
	}
	fprintf(stderr, "secprobe: unknown attack %s\n", t);
	return 2;
}
