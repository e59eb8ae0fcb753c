/* Unit tests for transfer/listener.c on 127.0.0.1: serving connections in forked children,
 * MaxStartups (drops, authenticated children, recovery), LoginGraceTime, pausing on EMFILE,
 * single mode, the PID file, SIGTERM, and no fd leaks; the whole set once per io/ backend.
 * Each listener runs in a forked process of its own with a hard time limit. */
#include "transfer/listener.h"
#include "check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "io/loop.h"

static const char *backend_name;

/* ---- helpers ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int count_fds_of(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int count_own_fds(void)
{
	return count_fds_of("/proc/self/fd") - 1; /* the directory's own fd */
}

static int count_fds_of_pid(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	return count_fds_of(path);
}

/* The lowest fd number pid does not use: the next one it would get. */
static int lowest_free_fd_of_pid(pid_t pid)
{
	char path[64];
	bool used[1024] = { false };
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd >= 0 && fd < 1024)
			used[fd] = true;
	}
	closedir(d);
	int fd = 0;
	while (fd < 1024 && used[fd])
		fd++;
	return fd;
}

/* The number of children (zombies included) of pid, or -1 if the kernel does not say. */
static int count_children_of(pid_t pid)
{
	char path[96], buf[4096];
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	int count = 0;
	for (char *p = strtok(buf, " \n"); p != NULL; p = strtok(NULL, " \n"))
		count++;
	return count;
}

/* Waits until cond(pid) == want, up to ms; returns the last value seen. */
static int wait_for(int (*fn)(pid_t), pid_t pid, int want, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int v;
	while ((v = fn(pid)) != want && now_ms() < end)
		sleep_ms(20);
	return v;
}

static int connect_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One byte from fd within ms: the byte, 0 if the connection was closed, -1 if nothing came. */
static int read_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return -1;
	unsigned char c;
	ssize_t n = read(fd, &c, 1);
	if (n == 1)
		return c;
	if (n == 0 || errno == ECONNRESET)
		return 0;
	return -1;
}

/* Reads exactly len bytes within ms; true if they equal want. */
static bool read_text(int fd, const char *want, int ms)
{
	size_t len = strlen(want), got = 0;
	char buf[64];
	uint64_t end = now_ms() + (uint64_t)ms;
	while (got < len && len < sizeof(buf)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(end - now_ms());
		if (left <= 0 || poll(&p, 1, left) != 1)
			return false;
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return got == len && memcmp(buf, want, len) == 0;
}

/* Whether two signal sets hold the same signals (the bytes past the kernel's part of a
 * sigset_t are not defined). */
static bool same_sigset(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			return false;
	return true;
}

/* ---- the listener process ---- */

/* What the listener's process reports when it is ready. */
struct ready_msg {
	int n;
	int ports[4];
	int families[4];
	int fds_before;   /* the listener's process's fds before listener_run */
};

/* Shared by the listener's process and its children (copied at fork). */
static int ready_fd = -1;
static int fds_before_run;
static pid_t listener_pid;
static int served_in_process;

static void on_ready(void *arg, const struct sockaddr_storage *bound, size_t n)
{
	struct ready_msg m;
	memset(&m, 0, sizeof(m));
	m.n = (int)n;
	m.fds_before = fds_before_run;
	for (size_t i = 0; i < n && i < 4; i++) {
		m.families[i] = bound[i].ss_family;
		if (bound[i].ss_family == AF_INET)
			m.ports[i] = ntohs(((const struct sockaddr_in *)&bound[i])->sin_port);
		else
			m.ports[i] = ntohs(((const struct sockaddr_in6 *)&bound[i])->sin6_port);
	}
	if (write(ready_fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(90);
}

/* The connection's side: greets with "R", then obeys one command byte:
 *   h  say "hi" and end
 *   s  stall (unauthenticated) until the client closes
 *   a  authenticate, say "A", then stall until the client closes
 *   p  say our pid ("%ld\n") and end
 *   f  say how many fds we have ("%d\n"), then end */
static void serve(void *arg, int fd, const struct sockaddr_storage *peer, socklen_t peerlen)
{
	char buf[32];
	char c = 0;
	alarm(60);
	if (getpid() == listener_pid)
		served_in_process++;
	CHECK(peer->ss_family == AF_INET || peer->ss_family == AF_INET6);
	CHECK(peerlen > 0);
	if (write(fd, "R", 1) != 1 || read(fd, &c, 1) != 1)
		goto out;
	switch (c) {
	case 'h':
		(void)!write(fd, "hi", 2);
		break;
	case 'a':
		listener_child_authenticated();
		listener_child_authenticated(); /* twice is harmless */
		(void)!write(fd, "A", 1);
		/* fall through */
	case 's':
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		break;
	case 'p':
		snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		(void)!write(fd, buf, strlen(buf));
		break;
	case 'f':
		snprintf(buf, sizeof(buf), "%d\n", count_own_fds());
		(void)!write(fd, buf, strlen(buf));
		break;
	default:
		break;
	}
out:
	close(fd);
}

struct lopts {
	const char *addrs[2];
	size_t naddrs;
	unsigned begin, rate, full;
	unsigned grace;
	bool single;
	const char *pid_file;
};

struct lproc {
	pid_t pid;
	struct ready_msg ready;
	bool ok;
};

/* Exit codes of the listener's process. */
enum {
	LEXIT_OK = 0,
	LEXIT_RUN_FAILED = 10,
	LEXIT_FD_LEAK = 11,
	LEXIT_NOT_SERVED = 12,
	LEXIT_MASK = 13,
};

static int listener_main(const struct lopts *o)
{
	static const int port0 = 0;
	struct listener_config cfg = {
		.addrs = o->addrs,
		.naddrs = o->naddrs,
		.ports = &port0,
		.nports = 1,
		.startups_begin = o->begin,
		.startups_rate = o->rate,
		.startups_full = o->full,
		.login_grace_time = o->grace,
		.single = o->single,
		.pid_file = o->pid_file,
		.ready = on_ready,
	};
	sigset_t before, after;
	sigemptyset(&before);
	sigemptyset(&after);
	alarm(60);
	check_failures = 0; /* the test runner's count is not ours */
	listener_pid = getpid();
	fds_before_run = count_own_fds();
	sigprocmask(SIG_SETMASK, NULL, &before);
	char *msg = NULL;
	int rc = listener_run(&cfg, serve, NULL, &msg);
	if (rc != 0) {
		fprintf(stderr, "listener_run: %s: %s\n", ferry_strerror(rc), msg ? msg : "");
		free(msg);
		return LEXIT_RUN_FAILED;
	}
	sigprocmask(SIG_SETMASK, NULL, &after);
	if (!same_sigset(&before, &after))
		return LEXIT_MASK;
	if (count_own_fds() != fds_before_run) {
		fprintf(stderr, "listener: %d fds before, %d after\n", fds_before_run,
			count_own_fds());
		return LEXIT_FD_LEAK;
	}
	if (o->single && served_in_process != 1)
		return LEXIT_NOT_SERVED;
	return LEXIT_OK;
}

static struct lproc listener_start(const struct lopts *o)
{
	struct lproc lp;
	memset(&lp, 0, sizeof(lp));
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(NULL);
	lp.pid = fork();
	CHECK(lp.pid >= 0);
	if (lp.pid == 0) {
		close(p[0]);
		ready_fd = p[1];
		int code = listener_main(o);
		/* exit, not _exit: under ASan the leak checker looks at the listener's process. */
		exit(check_failures ? 20 : code);
	}
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	if (poll(&pfd, 1, 10000) == 1 && read(p[0], &lp.ready, sizeof(lp.ready)) ==
						     (ssize_t)sizeof(lp.ready))
		lp.ok = lp.ready.n > 0;
	close(p[0]);
	CHECK(lp.ok);
	return lp;
}

/* Ends the listener with SIGTERM (or finds it ended); returns its exit code, -1 on timeout. */
static int listener_end(struct lproc *lp, bool term)
{
	if (term)
		CHECK(kill(lp->pid, SIGTERM) == 0);
	uint64_t end = now_ms() + 10000;
	int status = 0;
	pid_t got;
	while ((got = waitpid(lp->pid, &status, WNOHANG)) == 0 && now_ms() < end)
		sleep_ms(10);
	if (got != lp->pid) {
		kill(lp->pid, SIGKILL);
		(void)waitpid(lp->pid, &status, 0);
		return -1;
	}
	if (WEXITSTATUS(status) != 0)
		fprintf(stderr, "listener exit %d\n", WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "listener killed by signal %d\n", WTERMSIG(status));
		return -2;
	}
	return WEXITSTATUS(status);
}

static const struct lopts loopback = { .addrs = { "127.0.0.1" }, .naddrs = 1 };

/* ---- tests ---- */

static void test_serves_connections(void)
{
	struct lproc lp = listener_start(&loopback);
	if (!lp.ok)
		goto out;
	int port = lp.ready.ports[0];
	CHECK(lp.ready.n == 1 && lp.ready.families[0] == AF_INET && port > 0);
	int baseline = count_fds_of_pid(lp.pid);
	for (int i = 0; i < 5; i++) {
		int c = connect_port(port);
		CHECK(c >= 0);
		CHECK(read_byte(c, 10000) == 'R');
		CHECK(write(c, "h", 1) == 1);
		CHECK(read_text(c, "hi", 10000));
		CHECK(read_byte(c, 10000) == 0);
		close(c);
	}
	/* A child has the caller's fds, its connection and its note to the listener, nothing
	 * of the listener's own (sockets, signalfd, the loop's). */
	int c = connect_port(port);
	CHECK(read_byte(c, 10000) == 'R');
	CHECK(write(c, "f", 1) == 1);
	char want[16];
	snprintf(want, sizeof(want), "%d\n", lp.ready.fds_before + 2);
	CHECK(read_text(c, want, 10000));
	close(c);
	/* Reaped, and nothing left open in the listener. */
	CHECK(wait_for(count_children_of, lp.pid, 0, 10000) <= 0);
	CHECK(wait_for(count_fds_of_pid, lp.pid, baseline, 10000) == baseline);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

static int stalled_connect(int port, char cmd)
{
	int c = connect_port(port);
	CHECK(c >= 0);
	int g = read_byte(c, 10000);
	if (g == 'R') {
		CHECK(write(c, &cmd, 1) == 1);
		if (cmd == 'a')
			CHECK(read_byte(c, 10000) == 'A');
		return c;
	}
	CHECK(g == 0); /* dropped: closed at once, not left hanging */
	close(c);
	return -1;
}

static void test_max_startups(void)
{
	struct lopts o = loopback;
	o.begin = 3;
	o.rate = 100;
	o.full = 3;
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	int port = lp.ready.ports[0];
	int baseline = count_fds_of_pid(lp.pid);

	/* Ten at once, none of them authenticating: three are served, seven dropped. */
	int c[10], served = 0;
	for (int i = 0; i < 10; i++)
		c[i] = connect_port(port);
	for (int i = 0; i < 10; i++) {
		int g = read_byte(c[i], 10000);
		CHECK(g == 'R' || g == 0);
		if (g == 'R') {
			served++;
			CHECK(write(c[i], "s", 1) == 1);
		} else {
			close(c[i]);
			c[i] = -1;
		}
	}
	CHECK(served == 3);
	int kids = count_children_of(lp.pid);
	CHECK(kids == 3 || kids == -1);
	/* Still full. */
	CHECK(stalled_connect(port, 's') == -1);

	/* The stalled ones end: new connections are served again. */
	for (int i = 0; i < 10; i++)
		if (c[i] >= 0)
			close(c[i]);
	bool again = false;
	for (uint64_t end = now_ms() + 10000; !again && now_ms() < end;) {
		int x = connect_port(port);
		if (read_byte(x, 10000) == 'R') {
			CHECK(write(x, "h", 1) == 1);
			CHECK(read_text(x, "hi", 10000));
			again = true;
		} else {
			sleep_ms(20);
		}
		close(x);
	}
	CHECK(again);
	CHECK(wait_for(count_children_of, lp.pid, 0, 10000) <= 0);

	/* Authenticated children do not count: three of them, then three stalled ones are all
	 * served, and only the next is dropped. */
	int a[3], s[3];
	for (int i = 0; i < 3; i++) {
		a[i] = stalled_connect(port, 'a');
		CHECK(a[i] >= 0);
	}
	for (int i = 0; i < 3; i++) {
		s[i] = stalled_connect(port, 's');
		CHECK(s[i] >= 0);
	}
	CHECK(stalled_connect(port, 's') == -1);
	kids = count_children_of(lp.pid);
	CHECK(kids == 6 || kids == -1);
	for (int i = 0; i < 3; i++) {
		if (a[i] >= 0)
			close(a[i]);
		if (s[i] >= 0)
			close(s[i]);
	}

	/* All reaped, and the listener is back to the fds it started with. */
	CHECK(wait_for(count_children_of, lp.pid, 0, 10000) <= 0);
	CHECK(wait_for(count_fds_of_pid, lp.pid, baseline, 10000) == baseline);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

/* begin:rate:full with rate < 100: below begin nothing is dropped, at full everything is. */
static void test_max_startups_random_band(void)
{
	struct lopts o = loopback;
	o.begin = 2;
	o.rate = 50;
	o.full = 4;
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	int port = lp.ready.ports[0];
	int held[8], n = 0;
	/* Keep connecting until four stall; the first two can never be dropped. */
	for (int tries = 0; tries < 200 && n < 4; tries++) {
		int x = stalled_connect(port, 's');
		if (x >= 0)
			held[n++] = x;
		else
			CHECK(n >= 2);
	}
	CHECK(n == 4);
	/* At full: every further one is dropped. */
	for (int i = 0; i < 5; i++)
		CHECK(stalled_connect(port, 's') == -1);
	for (int i = 0; i < n; i++)
		close(held[i]);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

static void test_login_grace_time(void)
{
	struct lopts o = loopback;
	o.begin = 1;
	o.rate = 100;
	o.full = 1;
	o.grace = 1;
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	int port = lp.ready.ports[0];
	uint64_t start = now_ms();
	int slow = stalled_connect(port, 's');
	CHECK(slow >= 0);
	CHECK(stalled_connect(port, 's') == -1); /* full */
	/* The stalled child is killed after a second: its connection closes. */
	CHECK(read_byte(slow, 10000) == 0);
	uint64_t took = now_ms() - start;
	CHECK(took >= 900 && took < 5000);
	close(slow);
	int ok = -1;
	for (uint64_t end = now_ms() + 10000; ok < 0 && now_ms() < end;) {
		ok = stalled_connect(port, 'a');
		if (ok < 0)
			sleep_ms(20);
	}
	CHECK(ok >= 0);
	/* Authenticated: outlives the grace time. */
	CHECK(read_byte(ok, 1500) == -1);
	close(ok);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

/* With no fd numbers left the listener pauses accepting, and serves the waiting connection
 * once fds are available again. */
static void test_emfile_pauses(void)
{
	struct lproc lp = listener_start(&loopback);
	if (!lp.ok)
		goto out;
	int port = lp.ready.ports[0];
	struct rlimit old, tight;
	CHECK(prlimit(lp.pid, RLIMIT_NOFILE, NULL, &old) == 0);
	tight = old;
	tight.rlim_cur = (rlim_t)lowest_free_fd_of_pid(lp.pid);
	CHECK(prlimit(lp.pid, RLIMIT_NOFILE, &tight, NULL) == 0);
	int c = connect_port(port);
	CHECK(c >= 0);
	CHECK(read_byte(c, 500) == -1); /* waiting in the backlog, not closed */
	CHECK(prlimit(lp.pid, RLIMIT_NOFILE, &old, NULL) == 0);
	CHECK(read_byte(c, 10000) == 'R');
	CHECK(write(c, "h", 1) == 1);
	CHECK(read_text(c, "hi", 10000));
	close(c);
	/* And it goes on as before. */
	c = connect_port(port);
	CHECK(read_byte(c, 10000) == 'R');
	close(c);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

static void test_single_mode(void)
{
	struct lopts o = loopback;
	o.single = true;
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	int c = connect_port(lp.ready.ports[0]);
	CHECK(read_byte(c, 10000) == 'R');
	CHECK(write(c, "p", 1) == 1);
	char want[32];
	snprintf(want, sizeof(want), "%ld\n", (long)lp.pid);
	CHECK(read_text(c, want, 10000)); /* served by the listener's own process */
	close(c);
out:
	/* listener_run returns by itself after the one connection. */
	CHECK(listener_end(&lp, false) == LEXIT_OK);
}

static void test_single_mode_fds(void)
{
	struct lopts o = loopback;
	o.single = true;
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	int c = connect_port(lp.ready.ports[0]);
	CHECK(read_byte(c, 10000) == 'R');
	CHECK(write(c, "f", 1) == 1);
	/* The listener's fds are gone before serving: only the connection is added. */
	char want[16];
	snprintf(want, sizeof(want), "%d\n", lp.ready.fds_before + 1);
	CHECK(read_text(c, want, 10000));
	close(c);
out:
	CHECK(listener_end(&lp, false) == LEXIT_OK);
}

static void test_pid_file_and_sigint(void)
{
	char dir[] = "/tmp/ferry-listener-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/ferryd.pid", dir);
	struct lopts o = loopback;
	o.pid_file = path;
	struct lproc lp = listener_start(&o);
	if (lp.ok) {
		FILE *f = fopen(path, "r");
		long pid = 0;
		CHECK(f != NULL && fscanf(f, "%ld", &pid) == 1);
		if (f != NULL)
			fclose(f);
		CHECK(pid == (long)lp.pid);
		/* SIGHUP is only logged. */
		CHECK(kill(lp.pid, SIGHUP) == 0);
		int c = connect_port(lp.ready.ports[0]);
		CHECK(read_byte(c, 10000) == 'R');
		close(c);
		CHECK(kill(lp.pid, SIGINT) == 0);
	}
	CHECK(listener_end(&lp, false) == LEXIT_OK);
	CHECK(access(path, F_OK) != 0); /* removed on the way out */
	rmdir(dir);
}

static void test_two_addresses(void)
{
	struct lopts o = { .addrs = { "127.0.0.1", "::1" }, .naddrs = 2 };
	struct lproc lp = listener_start(&o);
	if (!lp.ok)
		goto out;
	CHECK(lp.ready.families[0] == AF_INET);
	if (lp.ready.n < 2) {
		printf("skip: no IPv6 loopback here\n");
		goto out;
	}
	CHECK(lp.ready.n == 2 && lp.ready.families[1] == AF_INET6);
	int c6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons((uint16_t)lp.ready.ports[1]),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	CHECK(connect(c6, (struct sockaddr *)&sin6, sizeof(sin6)) == 0);
	CHECK(read_byte(c6, 10000) == 'R');
	close(c6);
	int c4 = connect_port(lp.ready.ports[0]);
	CHECK(read_byte(c4, 10000) == 'R');
	close(c4);
out:
	CHECK(listener_end(&lp, true) == LEXIT_OK);
}

/* Failures before anything runs come back as errors, in this process, leaking nothing. */
static void test_config_errors(void)
{
	int fds = count_own_fds();
	/* A port somebody else holds. */
	int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	CHECK(bind(busy, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(busy, 1) == 0);
	CHECK(getsockname(busy, (struct sockaddr *)&sin, &len) == 0);
	int port = ntohs(sin.sin_port);
	const char *addr = "127.0.0.1";
	struct listener_config cfg = { .addrs = &addr, .naddrs = 1, .ports = &port, .nports = 1 };
	char *msg = NULL;
	sigset_t before, after;
	sigemptyset(&before);
	sigemptyset(&after);
	sigprocmask(SIG_SETMASK, NULL, &before);
	CHECK_RC(listener_run(&cfg, serve, NULL, &msg), FERRY_EIO);
	CHECK_STR(msg, "Cannot bind any address.");
	free(msg);
	msg = NULL;
	close(busy);

	int zero = 0;
	cfg.ports = &zero;
	cfg.startups_begin = 5;
	cfg.startups_rate = 30;
	cfg.startups_full = 3;
	CHECK_RC(listener_run(&cfg, serve, NULL, &msg), FERRY_EINVAL);
	CHECK_STR(msg, "Invalid MaxStartups spec 5:30:3");
	free(msg);
	msg = NULL;
	cfg.startups_begin = 1;
	cfg.startups_rate = 101;
	CHECK_RC(listener_run(&cfg, serve, NULL, &msg), FERRY_EINVAL);
	free(msg);
	msg = NULL;
	cfg.startups_rate = 30;
	int bad = 70000;
	cfg.ports = &bad;
	CHECK_RC(listener_run(&cfg, serve, NULL, &msg), FERRY_EINVAL);
	CHECK_STR(msg, "Bad port number 70000");
	free(msg);
	CHECK_RC(listener_run(NULL, serve, NULL, NULL), FERRY_EINVAL);
	CHECK_RC(listener_run(&cfg, NULL, NULL, NULL), FERRY_EINVAL);
	sigprocmask(SIG_SETMASK, NULL, &after);
	CHECK(same_sigset(&before, &after));
	CHECK(count_own_fds() == fds);
}

static void test_addr_text(void)
{
	char host[64];
	int port = 0;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(2222) };
	inet_pton(AF_INET, "192.0.2.9", &sin.sin_addr);
	CHECK_OK(listener_addr_text((struct sockaddr *)&sin, sizeof(sin), host, sizeof(host),
				    &port));
	CHECK_STR(host, "192.0.2.9");
	CHECK(port == 2222);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(22) };
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	CHECK_OK(listener_addr_text((struct sockaddr *)&sin6, sizeof(sin6), host, sizeof(host),
				    &port));
	CHECK_STR(host, "2001:db8::7");
	CHECK(port == 22);
	/* IPv4-mapped: written as IPv4. */
	inet_pton(AF_INET6, "::ffff:198.51.100.4", &sin6.sin6_addr);
	CHECK_OK(listener_addr_text((struct sockaddr *)&sin6, sizeof(sin6), host, sizeof(host),
				    &port));
	CHECK_STR(host, "198.51.100.4");
	struct sockaddr sa = { .sa_family = AF_UNIX };
	CHECK_RC(listener_addr_text(&sa, sizeof(sa), host, sizeof(host), &port), FERRY_EINVAL);
	CHECK_RC(listener_addr_text((struct sockaddr *)&sin, 4, host, sizeof(host), &port),
		 FERRY_EINVAL);
	CHECK_RC(listener_addr_text((struct sockaddr *)&sin6, sizeof(sin6), host, 4, &port),
		 FERRY_EINVAL);
	/* Outside a listener's child, authenticating is a no-op. */
	listener_child_authenticated();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (getenv("FERRY_TEST_VERBOSE") != NULL)
		flog_set_level(FLOG_DEBUG2);
	else
		flog_set_level(FLOG_ERROR);
	RUN_TEST(test_addr_text);
	RUN_TEST(test_config_errors);
	const char *env = getenv("FERRY_IO");
	const char *backends[2] = { "uring", "epoll" };
	size_t nb = 2;
	if (env != NULL && env[0] != '\0') {
		/* Asked for one: test that one only. */
		backends[0] = env;
		nb = 1;
	}
	for (size_t i = 0; i < nb; i++) {
		backend_name = backends[i];
		if (strcmp(backend_name, "uring") == 0) {
			struct io_loop *probe = NULL;
			if (io_loop_new(IO_BACKEND_URING, &probe) != 0) {
				printf("skip: io_uring unavailable here\n");
				continue;
			}
			io_loop_free(probe);
		}
		setenv("FERRY_IO", backend_name, 1);
		printf("-- backend %s\n", backend_name);
		RUN_TEST(test_serves_connections);
		RUN_TEST(test_max_startups);
		RUN_TEST(test_max_startups_random_band);
		RUN_TEST(test_login_grace_time);
		RUN_TEST(test_emfile_pauses);
		RUN_TEST(test_single_mode);
		RUN_TEST(test_single_mode_fds);
		RUN_TEST(test_pid_file_and_sigint);
		RUN_TEST(test_two_addresses);
	}
	return check_report();
}
