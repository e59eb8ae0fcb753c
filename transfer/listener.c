/* ferryd's listener: bind, accept, MaxStartups and LoginGraceTime as sshd(8) and
 * sshd_config(5) describe them, one forked process per connection; see transfer/listener.h. */
#include "transfer/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "crypto/hash.h"
#include "io/loop.h"

#define LISTEN_BACKLOG 128
/* Accepts per wake-up, so a flood cannot starve child and signal handling. */
#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 1000
#define HOST_TEXT 64

/* sshd's default MaxStartups 10:30:100. */
#define STARTUPS_BEGIN_DEFAULT 10
#define STARTUPS_RATE_DEFAULT 30
#define STARTUPS_FULL_DEFAULT 100

/* In a connection process: our end of the socket pair the listener watches; -1 elsewhere. */
static int listener_notify_fd = -1;

struct listener;

struct lsock {
	struct listener *l;
	int fd;
	struct sockaddr_storage addr;
	char host[HOST_TEXT];
	int port;
};

/* A child that has not authenticated yet: it counts against MaxStartups until a byte or end
 * of file arrives on fd. */
struct startup {
	struct startup *prev, *next;
	struct listener *l;
	int fd;                    /* our end of the socket pair; -1 once closed */
	pid_t pid;                 /* -1 once reaped */
	bool counted;              /* still a startup */
	bool polling;              /* an io_poll_readable on fd is outstanding */
	struct io_timer *grace;
	char host[HOST_TEXT];
	int port;
};

struct listener {
	const struct listener_config *cfg;
	listener_serve_fn serve;
	void *serve_arg;
	unsigned begin, rate, full;
	struct io_loop *loop;
	struct lsock *socks;
	size_t nsocks;
	int sigfd;
	bool sigpolling;
	sigset_t old_mask;
	struct startup *startups;  /* every record with an fd still open */
	unsigned nstartups;        /* records with counted set */
	unsigned nchildren;        /* forked and not yet reaped */
	unsigned long nconn;       /* connections accepted, for the logs */
	bool stop;
	/* single mode: the one connection, served once the loop is gone */
	int single_fd;
	struct sockaddr_storage single_peer;
	socklen_t single_len;
};

static void lsock_arm(struct lsock *s);

int listener_addr_text(const struct sockaddr *sa, socklen_t len, char *host, size_t hostlen,
		       int *port)
{
	int rc = 0;
	const void *a;
	int family, p;
	struct in_addr v4;

	if (sa == NULL || host == NULL || port == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		family = AF_INET;
		a = &sin->sin_addr;
		p = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		p = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			family = AF_INET;
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
			a = &v4;
		} else {
			family = AF_INET6;
			a = &sin6->sin6_addr;
		}
	} else {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (inet_ntop(family, a, host, (socklen_t)hostlen) == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	*port = p;
out:
	return rc;
}

static void addr_text(const struct sockaddr_storage *ss, socklen_t len, char host[HOST_TEXT],
		      int *port)
{
	if (listener_addr_text((const struct sockaddr *)ss, len, host, HOST_TEXT, port) != 0) {
		snprintf(host, HOST_TEXT, "UNKNOWN");
		*port = 0;
	}
}

/* ---- the child's side ---- */

void listener_child_authenticated(void)
{
	if (listener_notify_fd < 0)
		return;
	const char one = 'a';
	ssize_t w;
	/* A listener that is gone already is no reason to fail: no SIGPIPE, no wait. */
	do
		w = send(listener_notify_fd, &one, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	close(listener_notify_fd);
	listener_notify_fd = -1;
}

/* Frees the listener's records and closes its fds in this process. */
static void startups_release(struct listener *l)
{
	struct startup *st = l->startups;
	while (st != NULL) {
		struct startup *next = st->next;
		if (st->fd >= 0)
			close(st->fd);
		free(st);
		st = next;
	}
	l->startups = NULL;
	l->nstartups = 0;
}

static void socks_close(struct listener *l)
{
	for (size_t i = 0; i < l->nsocks; i++)
		if (l->socks[i].fd >= 0) {
			close(l->socks[i].fd);
			l->socks[i].fd = -1;
		}
}

/* In the forked child: drop everything of the listener's, then serve. Never returns. */
static void __attribute__((noreturn))
child_serve(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t peerlen,
	    int notify_fd)
{
	/* The loop's kernel objects are shared with the parent: release only our copy. */
	io_loop_free_after_fork(l->loop);
	l->loop = NULL;
	socks_close(l);
	free(l->socks);
	l->socks = NULL;
	l->nsocks = 0;
	close(l->sigfd);
	l->sigfd = -1;
	startups_release(l);
	listener_notify_fd = notify_fd;
	/* The connection handles its own signals; the pending set was not inherited. */
	sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
	l->serve(l->serve_arg, fd, peer, peerlen);
	_exit(0);
}

/* ---- startups ---- */

static void startup_unlink(struct listener *l, struct startup *st)
{
	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		l->startups = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	st->prev = st->next = NULL;
}

/* The child authenticated or went away: it no longer counts. */
static void startup_uncount(struct startup *st)
{
	struct listener *l = st->l;
	if (!st->counted)
		return;
	st->counted = false;
	l->nstartups--;
	io_timer_cancel(l->loop, st->grace);
	st->grace = NULL;
}

static void startup_free(struct startup *st)
{
	struct listener *l = st->l;
	startup_uncount(st);
	startup_unlink(l, st);
	if (st->fd >= 0)
		close(st->fd);
	free(st);
}

/* Reads what the child said, without waiting: true once it no longer counts (a byte, end of
 * file, or an error on the pair). */
static bool startup_check(struct startup *st)
{
	char b;
	ssize_t n;
	do
		n = recv(st->fd, &b, 1, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	startup_uncount(st);
	return true;
}

static void on_startup_ready(void *arg, ssize_t res, int sys_errno)
{
	struct startup *st = arg;
	struct listener *l = st->l;
	st->polling = false;
	/* Settled already (by the check before a drop, or at the end): just let go. */
	if (!st->counted || res == FERRY_ECANCELED || l->stop) {
		startup_free(st);
		return;
	}
	if (res < 0 || startup_check(st)) {
		log_debug2("child %ld: no longer a startup (%u left)", (long)st->pid,
			   l->nstartups);
		startup_free(st);
		return;
	}
	/* Nothing after all: wait again. */
	if (io_poll_readable(l->loop, st->fd, on_startup_ready, st) == 0) {
		st->polling = true;
	} else {
		log_error("cannot watch child %ld; it no longer counts for MaxStartups",
			  (long)st->pid);
		startup_free(st);
	}
}

/* Before dropping anyone, take in the notes that are already there: a child that has just
 * authenticated must not count because the loop has not looked at it yet. */
static void startups_refresh(struct listener *l)
{
	for (struct startup *st = l->startups; st != NULL; st = st->next) {
		if (!st->counted || !startup_check(st))
			continue;
		/* Its poll's callback frees it. */
		if (st->polling)
			io_cancel_fd(l->loop, st->fd);
	}
}

static void on_grace_timeout(void *arg)
{
	struct startup *st = arg;
	st->grace = NULL;
	if (!st->counted || st->pid <= 0)
		return;
	/* sshd_config(5) LoginGraceTime: the server disconnects after this time if the user has
	 * not successfully logged in. Only our unreaped child can have this pid. */
	log_info("Timeout before authentication for %s port %d", st->host, st->port);
	(void)kill(st->pid, SIGKILL);
}

/* A number in [0, n) from the system's random source, without modulo bias. */
static unsigned random_below(unsigned n)
{
	uint32_t limit = UINT32_MAX - UINT32_MAX % n, v;
	do {
		if (crypto_random(&v, sizeof(v)) != 0)
			return 0; /* no randomness: the caller errs on the side of dropping */
	} while (v >= limit);
	return v % n;
}

/* sshd_config(5) MaxStartups start:rate:full: refuse with probability rate/100 once start
 * connections are unauthenticated, rising linearly to 100% at full. */
static bool startups_should_drop(struct listener *l)
{
	if (l->nstartups < l->begin)
		return false;
	startups_refresh(l);
	unsigned n = l->nstartups;
	if (n < l->begin)
		return false;
	if (n >= l->full || l->rate >= 100)
		return true;
	/* begin <= n < full here, so full > begin. */
	unsigned p = l->rate + (100 - l->rate) * (n - l->begin) / (l->full - l->begin);
	unsigned r = random_below(100);
	log_debug1("MaxStartups: %u unauthenticated, drop probability %u%%, drew %u", n, p, r);
	return r < p;
}

/* ---- children ---- */

static void children_reap(struct listener *l)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (l->nchildren > 0)
			l->nchildren--;
		for (struct startup *st = l->startups; st != NULL; st = st->next)
			if (st->pid == pid)
				st->pid = -1;
		if (WIFSIGNALED(status))
			log_debug1("child %ld killed by signal %d", (long)pid, WTERMSIG(status));
		else
			log_debug2("child %ld exited with status %d", (long)pid,
				   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/* Forks the connection's process; the connection is the child's from here on. */
static void conn_fork(struct listener *l, struct lsock *s, int fd,
		      const struct sockaddr_storage *peer, socklen_t peerlen)
{
	int pair[2] = { -1, -1 };
	struct startup *st = NULL;
	char host[HOST_TEXT];
	int port;

	addr_text(peer, peerlen, host, &port);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		log_error("socketpair: %s; dropping connection from %s port %d", strerror(errno),
			  host, port);
		goto fail;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		log_error("out of memory; dropping connection from %s port %d", host, port);
		goto fail;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s; dropping connection from %s port %d", strerror(errno), host,
			  port);
		goto fail;
	}
	if (pid == 0) {
		free(st);
		close(pair[0]);
		child_serve(l, fd, peer, peerlen, pair[1]);
	}
	close(pair[1]);
	close(fd);
	l->nchildren++;
	st->l = l;
	st->fd = pair[0];
	st->pid = pid;
	st->counted = true;
	snprintf(st->host, sizeof(st->host), "%s", host);
	st->port = port;
	l->nstartups++;
	st->next = l->startups;
	if (st->next != NULL)
		st->next->prev = st;
	l->startups = st;
	log_debug1("Connection from %s port %d on %s port %d: child %ld (%u unauthenticated)",
		   host, port, s->host, s->port, (long)pid, l->nstartups);
	if (l->cfg->login_grace_time > 0 &&
	    io_timer_start(l->loop, (uint64_t)l->cfg->login_grace_time * 1000, on_grace_timeout,
			   st, &st->grace) != 0)
		log_error("cannot time child %ld for LoginGraceTime", (long)pid);
	if (io_poll_readable(l->loop, st->fd, on_startup_ready, st) == 0) {
		st->polling = true;
	} else {
		log_error("cannot watch child %ld; it does not count for MaxStartups", (long)pid);
		startup_free(st);
	}
	return;
fail:
	if (pair[0] >= 0) {
		close(pair[0]);
		close(pair[1]);
	}
	free(st);
	close(fd);
}

static void conn_accepted(struct listener *l, struct lsock *s, int fd,
			  const struct sockaddr_storage *peer, socklen_t peerlen)
{
	l->nconn++;
	if (l->cfg->single) {
		/* -d: this one connection, served once the loop is gone. */
		l->single_fd = fd;
		memcpy(&l->single_peer, peer, sizeof(*peer));
		l->single_len = peerlen;
		l->stop = true;
		io_loop_stop(l->loop);
		return;
	}
	if (startups_should_drop(l)) {
		char host[HOST_TEXT];
		int port;
		addr_text(peer, peerlen, host, &port);
		log_info("drop connection #%lu from [%s]:%d on [%s]:%d past MaxStartups", l->nconn,
			 host, port, s->host, s->port);
		close(fd);
		return;
	}
	conn_fork(l, s, fd, peer, peerlen);
}

/* ---- listening sockets ---- */

static void on_pause_over(void *arg)
{
	struct lsock *s = arg;
	if (!s->l->stop)
		lsock_arm(s);
}

static void lsock_pause(struct lsock *s)
{
	if (io_timer_start(s->l->loop, ACCEPT_PAUSE_MS, on_pause_over, s, NULL) != 0) {
		/* Without a timer (out of memory), try again at once rather than never. */
		lsock_arm(s);
	}
}

static void on_listen_ready(void *arg, ssize_t res, int sys_errno)
{
	struct lsock *s = arg;
	struct listener *l = s->l;

	if (res == FERRY_ECANCELED || l->stop)
		return;
	if (res < 0) {
		log_error("waiting for connections on %s port %d: %s", s->host, s->port,
			  sys_errno ? strerror(sys_errno) : ferry_strerror((int)res));
		lsock_pause(s);
		return;
	}
	for (int i = 0; i < ACCEPT_BATCH && !l->stop; i++) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		memset(&peer, 0, sizeof(peer));
		int fd = accept4(s->fd, (struct sockaddr *)&peer, &peerlen, SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_accepted(l, s, fd, &peer, peerlen);
			continue;
		}
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			lsock_arm(s);
			return;
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			/* accept(2): the connection went away or the network reported an error for
			 * it before we took it; the next one is unaffected. */
			log_debug1("accept on %s port %d: %s", s->host, s->port, strerror(errno));
			continue;
		default:
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM and the unexpected: the connection waits
			 * in the backlog while we give the system a second. */
			log_error("accept on %s port %d: %s; pausing for a second", s->host, s->port,
				  strerror(errno));
			lsock_pause(s);
			return;
		}
	}
	if (!l->stop)
		lsock_arm(s); /* more may be waiting: the poll says so at once */
}

static void lsock_arm(struct lsock *s)
{
	if (io_poll_readable(s->l->loop, s->fd, on_listen_ready, s) == 0)
		return;
	log_error("cannot wait for connections on %s port %d; trying again in a second", s->host,
		  s->port);
	if (io_timer_start(s->l->loop, ACCEPT_PAUSE_MS, on_pause_over, s, NULL) != 0)
		log_error("no longer accepting on %s port %d", s->host, s->port);
}

/* Binds one address and port; returns 0 if a socket was added, FERRY_ERESOLVE for an
 * address that does not resolve (with *errmsg), or a negative code for a failure that is
 * only logged. */
static int bind_one(struct listener *l, const char *addr, int port, char **errmsg)
{
	int rc = 0;
	struct addrinfo hints, *res = NULL;
	char portstr[16];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	int g = getaddrinfo(addr, portstr, &hints, &res);
	if (g != 0) {
		*errmsg = str_printf("bad addr or host: %s (%s)", addr,
				     g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		rc = FERRY_ERESOLVE;
		goto out;
	}
	rc = FERRY_ENOENT;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char host[HOST_TEXT];
		int p;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		addr_text((const struct sockaddr_storage *)(void *)ai->ai_addr, ai->ai_addrlen,
			  host, &p);
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			if (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)
				log_verbose("Skipping %s port %d: %s", host, port, strerror(errno));
			else
				log_error("socket for %s port %d: %s", host, port, strerror(errno));
			continue;
		}
		int on = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0)
			log_error("setsockopt SO_REUSEADDR: %s", strerror(errno));
		/* Only IPv6 on an IPv6 socket, so "::" and "0.0.0.0" can both be bound. */
		if (ai->ai_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0)
			log_error("setsockopt IPV6_V6ONLY: %s", strerror(errno));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			log_error("Bind to port %d on %s failed: %s.", port, host, strerror(errno));
			close(fd);
			continue;
		}
		if (listen(fd, LISTEN_BACKLOG) != 0) {
			log_error("listen on [%s]:%d: %s.", host, port, strerror(errno));
			close(fd);
			continue;
		}
		struct lsock *socks = realloc(l->socks, (l->nsocks + 1) * sizeof(*socks));
		if (socks == NULL) {
			close(fd);
			rc = FERRY_ENOMEM;
			goto out;
		}
		l->socks = socks;
		struct lsock *s = &socks[l->nsocks++];
		memset(s, 0, sizeof(*s));
		s->l = l;
		s->fd = fd;
		socklen_t alen = sizeof(s->addr);
		if (getsockname(fd, (struct sockaddr *)&s->addr, &alen) != 0)
			memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
		addr_text(&s->addr, sizeof(s->addr), s->host, &s->port);
		log_info("Server listening on %s port %d.", s->host, s->port);
		rc = 0;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

static void pid_file_write(const char *path)
{
	FILE *f = fopen(path, "we");
	if (f == NULL) {
		log_error("Couldn't create pid file \"%s\": %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		log_error("Couldn't write pid file \"%s\": %s", path, strerror(errno));
}

/* ---- signals ---- */

static void on_signal(void *arg, ssize_t res, int sys_errno)
{
	struct listener *l = arg;
	l->sigpolling = false;
	if (res == FERRY_ECANCELED)
		return;
	bool chld = false;
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(l->sigfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			break;
		switch (si.ssi_signo) {
		case SIGCHLD:
			chld = true;
			break;
		case SIGTERM:
		case SIGINT:
			log_info("Received signal %u; terminating.", si.ssi_signo);
			l->stop = true;
			break;
		case SIGHUP:
			log_info("Received SIGHUP; ferryd does not restart itself, carrying on "
				 "(restart it to apply a changed configuration)");
			break;
		default:
			break;
		}
	}
	/* Signals of one kind merge while pending: reap every child that has ended. */
	if (chld)
		children_reap(l);
	if (l->stop) {
		io_loop_stop(l->loop);
		return;
	}
	if (io_poll_readable(l->loop, l->sigfd, on_signal, l) == 0)
		l->sigpolling = true;
	else
		log_error("cannot wait for signals any more");
}

/* ---- running ---- */

int listener_run(const struct listener_config *cfg, listener_serve_fn serve, void *arg,
		 char **errmsg)
{
	int rc = 0;
	char *msg = NULL;
	bool masked = false, pid_written = false;
	struct listener l;
	sigset_t set;
	static const char *const default_addrs[] = { "0.0.0.0", "::" };
	static const int default_port = 22;

	memset(&l, 0, sizeof(l));
	l.sigfd = -1;
	l.single_fd = -1;
	if (cfg == NULL || serve == NULL || (cfg->naddrs > 0 && cfg->addrs == NULL) ||
	    (cfg->nports > 0 && cfg->ports == NULL)) {
		rc = FERRY_EINVAL;
		goto out;
	}
	l.cfg = cfg;
	l.serve = serve;
	l.serve_arg = arg;
	if (cfg->startups_begin == 0 && cfg->startups_rate == 0 && cfg->startups_full == 0) {
		l.begin = STARTUPS_BEGIN_DEFAULT;
		l.rate = STARTUPS_RATE_DEFAULT;
		l.full = STARTUPS_FULL_DEFAULT;
	} else {
		l.begin = cfg->startups_begin;
		l.rate = cfg->startups_rate;
		l.full = cfg->startups_full;
	}
	if (l.begin < 1 || l.full < l.begin || l.rate > 100) {
		msg = str_printf("Invalid MaxStartups spec %u:%u:%u", l.begin, l.rate, l.full);
		rc = FERRY_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] < 0 || cfg->ports[i] > 65535) {
			msg = str_printf("Bad port number %d", cfg->ports[i]);
			rc = FERRY_EINVAL;
			goto out;
		}

	const char *const *addrs = cfg->naddrs > 0 ? cfg->addrs : default_addrs;
	size_t naddrs = cfg->naddrs > 0 ? cfg->naddrs : 2;
	const int *ports = cfg->nports > 0 ? cfg->ports : &default_port;
	size_t nports = cfg->nports > 0 ? cfg->nports : 1;
	for (size_t a = 0; a < naddrs; a++) {
		for (size_t p = 0; p < nports; p++) {
			int r = bind_one(&l, addrs[a], ports[p], &msg);
			if (r == FERRY_ERESOLVE || r == FERRY_ENOMEM) {
				rc = r;
				goto out;
			}
		}
	}
	if (l.nsocks == 0) {
		msg = str_printf("Cannot bind any address.");
		rc = FERRY_EIO;
		goto out;
	}

	/* Signals are read from a signalfd in the loop; nothing runs in a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &l.old_mask) != 0) {
		msg = str_printf("sigprocmask: %s", strerror(errno));
		rc = FERRY_EIO;
		goto out;
	}
	masked = true;
	l.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l.sigfd < 0) {
		msg = str_printf("signalfd: %s", strerror(errno));
		rc = ferry_from_errno(errno);
		goto out;
	}
	rc = io_loop_new(IO_BACKEND_AUTO, &l.loop);
	if (rc < 0) {
		msg = str_printf("event loop: %s", ferry_strerror(rc));
		goto out;
	}
	rc = io_poll_readable(l.loop, l.sigfd, on_signal, &l);
	if (rc < 0) {
		msg = str_printf("waiting for signals: %s", ferry_strerror(rc));
		goto out;
	}
	l.sigpolling = true;
	for (size_t i = 0; i < l.nsocks; i++)
		lsock_arm(&l.socks[i]);

	if (cfg->pid_file != NULL) {
		pid_file_write(cfg->pid_file);
		pid_written = true;
	}
	if (cfg->ready != NULL) {
		struct sockaddr_storage *bound = calloc(l.nsocks, sizeof(*bound));
		if (bound == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < l.nsocks; i++)
			bound[i] = l.socks[i].addr;
		cfg->ready(cfg->ready_arg, bound, l.nsocks);
		free(bound);
	}

	/* Children that ended before the loop started were signalled already: their SIGCHLD
	 * is pending on the signalfd. */
	rc = io_loop_run(l.loop);
	if (rc < 0)
		msg = str_printf("event loop: %s", ferry_strerror(rc));
out:
	/* Teardown in an order that leaves no callback with freed memory: the loop first (no
	 * callbacks run while it cancels), then the fds its operations named. */
	io_loop_free(l.loop);
	l.loop = NULL;
	startups_release(&l);
	socks_close(&l);
	free(l.socks);
	if (l.sigfd >= 0) {
		/* Reap what ended meanwhile; the rest is reaped by whoever waits next. */
		children_reap(&l);
		close(l.sigfd);
	}
	if (masked)
		sigprocmask(SIG_SETMASK, &l.old_mask, NULL);
	if (rc == 0 && l.single_fd >= 0) {
		/* -d: serve in this process, as the last thing the listener does. */
		char host[HOST_TEXT];
		int port;
		addr_text(&l.single_peer, l.single_len, host, &port);
		log_debug1("Connection from %s port %d (served in the listener's process)", host,
			   port);
		serve(arg, l.single_fd, &l.single_peer, l.single_len);
	} else if (l.single_fd >= 0) {
		close(l.single_fd);
	}
	if (pid_written && unlink(cfg->pid_file) != 0 && errno != ENOENT)
		log_debug1("removing pid file %s: %s", cfg->pid_file, strerror(errno));
	if (rc < 0 && errmsg != NULL) {
		*errmsg = msg;
		msg = NULL;
	}
	free(msg);
	return rc;
}
