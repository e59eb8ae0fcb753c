/* Sockets: resolving host names, connecting TCP with a time limit, listening (RFC 4253 §4.1
 * runs SSH over TCP). */
#include "io/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "io/loop.h"

int net_set_nonblock(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return ferry_from_errno(errno);
	int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
	if (want != flags && fcntl(fd, F_SETFL, want) < 0)
		return ferry_from_errno(errno);
	return 0;
}

static int gai_to_ferry(int gai)
{
	switch (gai) {
	case EAI_MEMORY:
		return FERRY_ENOMEM;
	case EAI_SYSTEM:
		return ferry_from_errno(errno) == FERRY_ENOMEM ? FERRY_ENOMEM : FERRY_ERESOLVE;
	default:
		return FERRY_ERESOLVE;
	}
}

static const char *gai_reason(int gai)
{
	return gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
}

/* Connects s to ai within the time left before deadline_ms (0 = no deadline). Returns 0 or a
 * positive errno. */
static int connect_one(int s, const struct addrinfo *ai, uint64_t deadline_ms)
{
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	for (;;) {
		int wait_ms = -1;
		if (deadline_ms != 0) {
			uint64_t now = io_now_ms();
			if (now >= deadline_ms)
				return ETIMEDOUT;
			uint64_t left = deadline_ms - now;
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		struct pollfd pfd = { .fd = s, .events = POLLOUT };
		int n = poll(&pfd, 1, wait_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			continue; /* the deadline check above decides */
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			return errno;
		return soerr;
	}
}

int net_connect_tcp(const char *host, const char *port, int family, int timeout_ms, int *fd_out,
		    char **errmsg)
{
	int rc = 0, s = -1, last_err = 0;
	struct addrinfo *res = NULL;
	char *msg = NULL;

	if (host == NULL || port == NULL || fd_out == NULL ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)) {
		rc = FERRY_EINVAL;
		goto out;
	}
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
	};
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		rc = gai_to_ferry(gai);
		msg = str_printf("Could not resolve hostname %s: %s", host, gai_reason(gai));
		goto out;
	}

	/* One time limit for the whole attempt, however many addresses it takes. */
	uint64_t deadline_ms = timeout_ms > 0 ? io_now_ms() + (uint64_t)timeout_ms : 0;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   ai->ai_protocol);
		if (s < 0) {
			last_err = errno;
			continue;
		}
		int err = connect_one(s, ai, deadline_ms);
		if (err == 0)
			break;
		char addr[NI_MAXHOST];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0,
				NI_NUMERICHOST) == 0)
			log_debug1("connect to address %s port %s: %s", addr, port, strerror(err));
		last_err = err;
		close(s);
		s = -1;
		if (err == ETIMEDOUT && deadline_ms != 0 && io_now_ms() >= deadline_ms)
			break;
	}
	if (s < 0) {
		if (last_err == 0)
			last_err = EADDRNOTAVAIL; /* no usable address at all */
		switch (last_err) {
		case ECONNREFUSED:
			rc = FERRY_ECONNREFUSED;
			break;
		case ETIMEDOUT:
			rc = FERRY_ETIMEDOUT;
			break;
		default:
			rc = FERRY_EIO;
			break;
		}
		msg = str_printf("connect to host %s port %s: %s", host, port, strerror(last_err));
		goto out;
	}

	/* SSH's packets are small and interactive as often as bulk: send them at once. */
	int one = 1;
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug1("setsockopt TCP_NODELAY: %s", strerror(errno));
	rc = net_set_nonblock(s, 0);
	if (rc < 0) {
		msg = str_printf("connect to host %s port %s: %s", host, port, strerror(errno));
		goto out;
	}
	*fd_out = s;
	s = -1;
out:
	if (s >= 0)
		close(s);
	if (res != NULL)
		freeaddrinfo(res);
	if (rc < 0 && errmsg != NULL && msg != NULL) {
		*errmsg = msg;
		msg = NULL;
	}
	free(msg);
	return rc;
}

int net_listen_tcp(const char *host, const char *port, int family, int backlog, int *fd_out,
		   int *port_out)
{
	int rc = 0, s = -1, last_err = 0;
	struct addrinfo *res = NULL;

	if (port == NULL || fd_out == NULL ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)) {
		rc = FERRY_EINVAL;
		goto out;
	}
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_PASSIVE,
	};
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		log_debug1("listen on %s port %s: %s", host ? host : "*", port, gai_reason(gai));
		rc = gai_to_ferry(gai);
		goto out;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			last_err = errno;
			continue;
		}
		int one = 1;
		/* A restarted server must be able to bind while old connections sit in TIME_WAIT. */
		(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(s, backlog > 0 ? backlog : SOMAXCONN) == 0)
			break;
		last_err = errno;
		close(s);
		s = -1;
	}
	if (s < 0) {
		log_debug1("listen on %s port %s: %s", host ? host : "*", port,
			   strerror(last_err ? last_err : EADDRNOTAVAIL));
		rc = last_err ? ferry_from_errno(last_err) : FERRY_EIO;
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	if (getsockname(s, (struct sockaddr *)&ss, &sslen) < 0) {
		rc = ferry_from_errno(errno);
		goto out;
	}
	int bound = 0;
	if (ss.ss_family == AF_INET)
		bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	*fd_out = s;
	s = -1;
	if (port_out != NULL)
		*port_out = bound;
out:
	if (s >= 0)
		close(s);
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}
