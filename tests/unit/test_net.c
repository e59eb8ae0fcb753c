/* Unit tests for sockets (io/net.c): connecting and listening on loopback only, refused
 * connections, unresolvable names (under the reserved .invalid TLD), time limits. */
#include "io/net.h"
#include "io/loop.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connects to a listener on host and checks what the connected socket looks like. */
static void connect_and_check(const char *host, int family)
{
	int lfd = -1, port = 0, fd = -1;
	char *msg = NULL;
	CHECK_OK(net_listen_tcp(host, "0", family, 8, &lfd, &port));
	CHECK(port > 0 && port < 65536);
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	CHECK_OK(net_connect_tcp(host, portstr, AF_UNSPEC, 5000, &fd, &msg));
	CHECK(msg == NULL);
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	/* Blocking, close-on-exec, no Nagle. */
	CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	int nodelay = 0;
	socklen_t len = sizeof(nodelay);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len) == 0);
	CHECK(nodelay != 0);
	int afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	CHECK(write(fd, "SSH-", 4) == 4);
	char in[4];
	CHECK(read(afd, in, 4) == 4);
	CHECK_MEM(in, "SSH-", 4);
	close(afd);
	close(fd);
out:
	close(lfd);
	free(msg);
}

static void test_connect_ipv4_loopback(void)
{
	connect_and_check("127.0.0.1", AF_INET);
}

static void test_connect_ipv6_loopback(void)
{
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (s < 0 || bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		printf("skip: no IPv6 loopback here\n");
		if (s >= 0)
			close(s);
		return;
	}
	close(s);
	connect_and_check("::1", AF_INET6);
}

static void test_connection_refused(void)
{
	/* A port that was just listened on and closed: nothing answers there. */
	int lfd = -1, port = 0, fd = -1;
	char *msg = NULL;
	CHECK_OK(net_listen_tcp("127.0.0.1", "0", AF_INET, 1, &lfd, &port));
	close(lfd);
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	CHECK_RC(net_connect_tcp("127.0.0.1", portstr, AF_INET, 5000, &fd, &msg),
		 FERRY_ECONNREFUSED);
	CHECK(fd == -1);
	CHECK(msg != NULL);
	if (msg != NULL) {
		char want[128];
		snprintf(want, sizeof(want), "connect to host 127.0.0.1 port %d: Connection refused",
			 port);
		CHECK_STR(msg, want);
	}
	free(msg);
}

static void test_unresolvable_host(void)
{
	int fd = -1;
	char *msg = NULL;
	CHECK_RC(net_connect_tcp("no-such-host.invalid", "22", AF_UNSPEC, 5000, &fd, &msg),
		 FERRY_ERESOLVE);
	CHECK(fd == -1);
	CHECK(msg != NULL);
	if (msg != NULL) {
		const char *prefix = "Could not resolve hostname no-such-host.invalid: ";
		CHECK(strncmp(msg, prefix, strlen(prefix)) == 0);
		CHECK(strlen(msg) > strlen(prefix));
	}
	free(msg);
	/* errmsg may be NULL. */
	CHECK_RC(net_connect_tcp("no-such-host.invalid", "22", AF_UNSPEC, 5000, &fd, NULL),
		 FERRY_ERESOLVE);
	/* An IPv4 literal asked for as IPv6 cannot be resolved either. */
	msg = NULL;
	CHECK_RC(net_connect_tcp("127.0.0.1", "22", AF_INET6, 5000, &fd, &msg), FERRY_ERESOLVE);
	free(msg);
}

/* A listener whose accept queue is full drops new SYNs, so a connect to it on loopback waits
 * until the time limit. */
static void test_connect_time_limit(void)
{
	int lfd = -1, port = 0, fd = -1;
	int fill[4] = { -1, -1, -1, -1 };
	char *msg = NULL;
	CHECK_OK(net_listen_tcp("127.0.0.1", "0", AF_INET, 1, &lfd, &port));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(50000);
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	uint64_t start = io_now_ms();
	int rc = net_connect_tcp("127.0.0.1", portstr, AF_INET, 300, &fd, &msg);
	uint64_t took = io_now_ms() - start;
	if (rc == 0) {
		printf("skip: this kernel accepted past a full backlog\n");
		close(fd);
	} else {
		CHECK_RC(rc, FERRY_ETIMEDOUT);
		CHECK(took >= 290 && took < 3000);
		CHECK(msg != NULL && strstr(msg, "Connection timed out") != NULL);
	}
	free(msg);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void test_listen_reports_port_and_conflicts(void)
{
	int a = -1, b = -1, port = 0, port2 = 0;
	CHECK_OK(net_listen_tcp("127.0.0.1", "0", AF_INET, 0, &a, &port));
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	/* The same address and port again, while the first one listens. */
	CHECK(net_listen_tcp("127.0.0.1", portstr, AF_INET, 0, &b, &port2) < 0);
	CHECK(b == -1 && port2 == 0);
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	close(a);
	CHECK_RC(net_listen_tcp("127.0.0.1", "0", 12345, 0, &a, &port), FERRY_EINVAL);
}

static void test_set_nonblock(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK_OK(net_set_nonblock(p[0], 1));
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK_OK(net_set_nonblock(p[0], 1));
	CHECK_OK(net_set_nonblock(p[0], 0));
	CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	close(p[0]);
	close(p[1]);
	CHECK(net_set_nonblock(p[0], 1) < 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN_TEST(test_connect_ipv4_loopback);
	RUN_TEST(test_connect_ipv6_loopback);
	RUN_TEST(test_connection_refused);
	RUN_TEST(test_unresolvable_host);
	RUN_TEST(test_connect_time_limit);
	RUN_TEST(test_listen_reports_port_and_conflicts);
	RUN_TEST(test_set_nonblock);
	return check_report();
}
