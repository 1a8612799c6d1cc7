/*
 * lkmfuzz oracle /init: runs the module-loading cases listed in /cases/manifest
 * on the real kernel and reports each on the console, one line per fact:
 *
 *   READY <uptime-us>
 *   CASE <n> START
 *   PRE <n> RESULT <errno> NAME <name|->            (a dependency loaded first)
 *   CASE <n> RESULT <errno> TAINT <tainted> MODTAINT <letters|-> NAME <name|->
 *   UNLOAD <n> <name> <errno>
 *   FORCED <n> <name> <errno>                      (delete_module with O_TRUNC after a refusal)
 *   KLOG <n> <kernel log line>
 *   CASE <n> OOPS <function>   then the batch stops (power off)
 *   CASE <n> HANG              then the batch stops (power off)
 *   CASE <n> END <elapsed-us>
 *   STOP <why>                                     (oops, stuck module, a new WARN: power off early)
 *   DONE <uptime-us>
 *
 * Manifest lines: "<n> <P|M> <f|i> <flags> <module file> <args file|->": P is a
 * dependency of case n, M one attempt of it (twice = two M lines).  Every
 * syscall runs in a forked child so that an oops kills only the child.
 * Kernel command line: lkmfuzz_start=<first case n> lkmfuzz_watchdog=<seconds>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 4096
#define MAX_NAME 64
#define MAX_ARGS 65536
#define MAX_LOADED 16
#define MAX_MODULES 256
#define EXIT_SIGNALLED 255
#define DEFAULT_WATCHDOG 15
#define MODULE_O_NONBLOCK 04000   /* O_NONBLOCK, O_TRUNC as delete_module(2) takes them */
#define MODULE_O_TRUNC 01000
#define TAINT_WARN_MASK (1L << 9)

static int kmsg_fd = -1;
static int watchdog_s = DEFAULT_WATCHDOG;
static volatile sig_atomic_t alarmed;

static const char *const OOPS_MARKERS[] = {
	"BUG:", "Oops", "general protection fault", "kernel BUG at", "unable to handle page fault",
	"Kernel panic", NULL,
};

struct op {
	long n;
	char role;          /* P or M */
	char syscall;       /* f or i */
	unsigned long flags;
	char module[256];
	char args[256];
};

/* One write per line, so kernel messages cannot split it. */
static void out(const char *fmt, ...)
{
	char buf[MAX_LINE + 128];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	for (int done = 0; done < len;) {
		ssize_t w = write(1, buf + done, len - done);
		if (w <= 0)
			return;
		done += w;
	}
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t got = 0, r;
	while (got < (ssize_t)size - 1 && (r = read(fd, buf + got, size - 1 - got)) > 0)
		got += r;
	close(fd);
	buf[got] = 0;
	return (int)got;
}

static long cmdline_value(const char *key, long fallback)
{
	char line[MAX_LINE];
	if (read_file("/proc/cmdline", line, sizeof(line)) < 0)
		return fallback;
	char *at = strstr(line, key);
	return at ? strtol(at + strlen(key), NULL, 10) : fallback;
}

/* The names in /proc/modules, one per slot. */
static int module_names(char names[][MAX_NAME], int max)
{
	static char buf[MAX_MODULES * 128];
	int count = 0;
	if (read_file("/proc/modules", buf, sizeof(buf)) < 0)
		return 0;
	for (char *line = strtok(buf, "\n"); line && count < max; line = strtok(NULL, "\n")) {
		char *space = strchr(line, ' ');
		if (space)
			*space = 0;
		snprintf(names[count++], MAX_NAME, "%s", line);
	}
	return count;
}

/* The module that appeared since `before` (the newest is listed first). */
static void new_module(char before[][MAX_NAME], int nbefore, char *name)
{
	static char after[MAX_MODULES][MAX_NAME];
	int nafter = module_names(after, MAX_MODULES);
	strcpy(name, "-");
	for (int i = 0; i < nafter; i++) {
		int seen = 0;
		for (int j = 0; j < nbefore && !seen; j++)
			seen = !strcmp(after[i], before[j]);
		if (!seen) {
			memcpy(name, after[i], MAX_NAME);
			name[MAX_NAME - 1] = 0;
			return;
		}
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/*
 * Wait for the child with the watchdog armed.  Returns its exit code (the
 * errno of its syscall), EXIT_SIGNALLED if it died by a signal, or -1 on a hang.
 */
static int wait_child(pid_t pid)
{
	int status;
	alarmed = 0;
	alarm(watchdog_s);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR && alarmed) {
			kill(pid, SIGKILL);
			return -1;
		}
	}
	alarm(0);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EXIT_SIGNALLED;
}

static int child_load(const struct op *op, const char *args)
{
	int fd = open(op->module, O_RDONLY);
	if (fd < 0)
		return errno;
	long rc;
	if (op->syscall == 'i') {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return errno;
		void *image = malloc(st.st_size ? st.st_size : 1);
		ssize_t got = 0, r;
		while (got < st.st_size && (r = read(fd, (char *)image + got, st.st_size - got)) > 0)
			got += r;
		rc = syscall(SYS_init_module, image, (unsigned long)got, args);
	} else {
		rc = syscall(SYS_finit_module, fd, args, op->flags);
	}
	return rc < 0 ? errno : 0;
}

static int run_in_child(int (*fn)(const void *, const void *), const void *a, const void *b)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(a, b));
	if (pid < 0)
		return errno;
	return wait_child(pid);
}

static int load_thunk(const void *op, const void *args)
{
	return child_load(op, args);
}

static void read_args(const struct op *op, char *args)
{
	args[0] = 0;
	if (strcmp(op->args, "-") != 0 && read_file(op->args, args, MAX_ARGS) < 0)
		out("WARN cannot read %s", op->args);
}

static int has_oops_marker(const char *msg)
{
	for (int i = 0; OOPS_MARKERS[i]; i++)
		if (strstr(msg, OOPS_MARKERS[i]))
			return 1;
	return 0;
}

/* "RIP: 0010:apply_relocate_add+0x1a2/0x2d0 [...]" -> "apply_relocate_add" */
static void rip_function(const char *msg, char *func, size_t size)
{
	const char *at = strstr(msg, "RIP: 0010:");
	if (!at || func[0])
		return;
	at += strlen("RIP: 0010:");
	size_t len = strcspn(at, "+ ");
	if (len >= size)
		len = size - 1;
	memcpy(func, at, len);
	func[len] = 0;
}

/*
 * Print the kernel log records since the last call as KLOG lines; returns 1
 * if one of them reports an oops, with the faulting function in `func`.
 */
static int drain_kmsg(long n, char *func, size_t size)
{
	static char rec[8192];
	int oops = 0;
	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		ssize_t r = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;       /* records overwritten: carry on with the next */
		if (r <= 0)
			break;
		rec[r] = 0;
		char *msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		out("KLOG %ld %s", n, msg);
		oops |= has_oops_marker(msg);
		rip_function(msg, func, size);
	}
	return oops;
}

static long tainted(void)
{
	char buf[64];
	return read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0 ? -1 : strtol(buf, NULL, 10);
}

static void module_taint(const char *name, char *letters, size_t size)
{
	char path[128], kobj[MAX_NAME];
	/* /proc/modules says "a/b", sysfs "a!b": kobject_set_name() turns '/' into '!' */
	snprintf(kobj, sizeof(kobj), "%s", name);
	for (char *c = kobj; *c; c++)
		if (*c == '/')
			*c = '!';
	snprintf(path, sizeof(path), "/sys/module/%s/taint", kobj);
	if (read_file(path, letters, size) <= 0) {
		snprintf(letters, size, "-");
		return;
	}
	letters[strcspn(letters, "\n")] = 0;
	if (!letters[0])
		snprintf(letters, size, "-");
}

struct case_state {
	long n;
	char loaded[MAX_LOADED][MAX_NAME];
	int nloaded;
	int unnamed;        /* loaded, but no new name in /proc/modules */
	long taint_before;  /* /proc/sys/kernel/tainted when the case started */
};

/* Stop the batch: the kernel's state after an oops or a hang is not to be trusted. */
static void stop(struct case_state *cs, const char *what, int rc)
{
	char func[128] = "";
	int oops = drain_kmsg(cs->n, func, sizeof(func));
	if (rc == -1 && !oops)
		out("CASE %ld HANG", cs->n);
	else
		out("CASE %ld OOPS %s", cs->n, func[0] ? func : "unknown");
	out("STOP %s", what);
	power_off();
}

/* A child killed by a signal or a hang stops the batch. */
static void check_alive(struct case_state *cs, const char *what, int rc)
{
	if (rc == -1 || rc == EXIT_SIGNALLED)
		stop(cs, what, rc);
}

static void run_op(struct case_state *cs, const struct op *op)
{
	static char args[MAX_ARGS];
	static char before[MAX_MODULES][MAX_NAME];
	char name[MAX_NAME] = "-", letters[32] = "-";
	int nbefore = module_names(before, MAX_MODULES);
	read_args(op, args);
	int rc = run_in_child(load_thunk, op, args);
	check_alive(cs, "load", rc);
	if (rc == 0) {
		new_module(before, nbefore, name);
		module_taint(name, letters, sizeof(letters));
		if (strcmp(name, "-") != 0 && cs->nloaded < MAX_LOADED)
			memcpy(cs->loaded[cs->nloaded++], name, MAX_NAME);
		else
			cs->unnamed = 1;
	}
	if (op->role == 'P')
		out("PRE %ld RESULT %d NAME %s", op->n, rc, name);
	else
		out("CASE %ld RESULT %d TAINT %ld MODTAINT %s NAME %s", op->n, rc, tainted(), letters, name);
}

static int unload(const char *name, int flags)
{
	return syscall(SYS_delete_module, name, flags) < 0 ? errno : 0;
}

static int unload_thunk(const void *name, const void *flags)
{
	return unload(name, *(const int *)flags);
}

/*
 * Unload what the case loaded, newest first (forced if it refuses), print its
 * log and check it for an oops.  A module that stays loaded, or a load whose
 * module could not be named, would change what later cases see: stop the batch.
 */
static void finish_case(struct case_state *cs, long long started)
{
	static const int plain = MODULE_O_NONBLOCK, forced = MODULE_O_NONBLOCK | MODULE_O_TRUNC;
	int stuck = cs->unnamed;
	for (int i = cs->nloaded - 1; i >= 0; i--) {
		int rc = run_in_child(unload_thunk, cs->loaded[i], &plain);
		check_alive(cs, "unload", rc);
		out("UNLOAD %ld %s %d", cs->n, cs->loaded[i], rc);
		if (rc != 0) {
			int again = run_in_child(unload_thunk, cs->loaded[i], &forced);
			check_alive(cs, "unload", again);
			out("FORCED %ld %s %d", cs->n, cs->loaded[i], again);
			stuck |= again != 0;
		}
	}
	char func[128] = "";
	if (drain_kmsg(cs->n, func, sizeof(func))) {
		out("CASE %ld OOPS %s", cs->n, func[0] ? func : "unknown");
		out("STOP oops");
		power_off();
	}
	out("CASE %ld END %lld", cs->n, now_us() - started);
	if (stuck) {
		out("STOP stuck");
		power_off();
	}
	/* A WARN can switch kernel features off for the rest of the boot (ftrace_bug()
	 * sets ftrace_disabled): later cases must not run on that kernel. */
	if ((tainted() & TAINT_WARN_MASK) && !(cs->taint_before & TAINT_WARN_MASK)) {
		out("STOP warned");
		power_off();
	}
}

static int parse_op(char *line, struct op *op)
{
	return sscanf(line, "%ld %c %c %lu %255s %255s", &op->n, &op->role, &op->syscall, &op->flags,
		      op->module, op->args) == 6;
}

static void setup_system(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART: waitpid sees EINTR */
	sigaction(SIGALRM, &sa, NULL);
}

int main(void)
{
	static char line[MAX_LINE];
	setup_system();
	long start = cmdline_value("lkmfuzz_start=", 0);
	watchdog_s = (int)cmdline_value("lkmfuzz_watchdog=", DEFAULT_WATCHDOG);
	FILE *manifest = fopen("/cases/manifest", "r");
	out("\nREADY %lld", now_us());   /* own line, whatever the firmware printed */
	if (!manifest) {
		out("ERROR no /cases/manifest");
		power_off();
	}
	struct case_state cs = { .n = -1 };
	long long started = 0;
	struct op op;
	while (fgets(line, sizeof(line), manifest)) {
		if (!parse_op(line, &op) || op.n < start)
			continue;
		if (op.n != cs.n) {
			if (cs.n >= 0)
				finish_case(&cs, started);
			cs = (struct case_state){ .n = op.n, .taint_before = tainted() };
			started = now_us();
			out("CASE %ld START", op.n);
		}
		run_op(&cs, &op);
	}
	if (cs.n >= 0)
		finish_case(&cs, started);
	out("DONE %lld", now_us());
	power_off();
	return 0;
}
