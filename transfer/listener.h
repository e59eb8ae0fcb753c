/* ferryd's listener: binds the ListenAddress x Port sockets, accepts, enforces MaxStartups
 * (and, as a backstop, LoginGraceTime) the way OpenSSH's sshd does, and forks one process per
 * connection; signals arrive through a signalfd in an io/ loop. See docs/internals/listener.md. */
#ifndef FERRY_TRANSFER_LISTENER_H
#define FERRY_TRANSFER_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h> /* sockaddr_in, sockaddr_in6: what bound and peer addresses hold */
#include <sys/socket.h>
#include <sys/types.h>

#include "common/error.h"

/* Called once, after every socket is bound and the PID file written and before the first
 * accept, with the bound addresses (ports chosen by the system for port 0 filled in). */
typedef void (*listener_ready_fn)(void *arg, const struct sockaddr_storage *bound, size_t n);

struct listener_config {
	const char *const *addrs;  /* ListenAddress values (numeric or names); none = "0.0.0.0"
				    * and "::" */
	size_t naddrs;
	const int *ports;          /* Port values; none = 22; 0 = a free port (tests) */
	size_t nports;
	/* MaxStartups begin:rate:full. With n unauthenticated children, a new connection is
	 * dropped if n >= full, else with probability rate% at n == begin rising linearly to
	 * 100% at full, and kept if n < begin. "MaxStartups N" is N:100:N. All three 0 means
	 * sshd's default 10:30:100. Otherwise 1 <= begin <= full and rate <= 100. */
	unsigned startups_begin, startups_rate, startups_full;
	/* LoginGraceTime in seconds, as a backstop: a child still unauthenticated that long
	 * after its accept is killed (SIGKILL). 0 = no limit from the listener. The connection
	 * process should enforce it itself first, so that it can say goodbye. */
	unsigned login_grace_time;
	bool single;               /* -d: accept one connection, serve it in this process (no
				    * fork), then return */
	const char *pid_file;      /* written once bound ("PID\n"), removed on a clean end; NULL =
				    * none (pass NULL for -d, as sshd writes none then) */
	listener_ready_fn ready;   /* may be NULL */
	void *ready_arg;
};

/* Serves one connection in the forked child (or, with single, in the listener's process).
 * fd is the connected socket, blocking and close-on-exec, owned by the callee; peer its
 * address. In a child, every listening socket and every other fd of the listener's own has
 * been closed and the caller's signal mask restored before this runs, and the child _exits(0)
 * when it returns. */
typedef void (*listener_serve_fn)(void *arg, int fd, const struct sockaddr_storage *peer,
				  socklen_t peerlen);

/* Binds every address x port (IPv6 sockets IPV6_V6ONLY so that 0.0.0.0 and :: coexist,
 * SO_REUSEADDR; a failed bind is logged as "Bind to port P on A failed: REASON." and skipped;
 * an address family the host lacks is skipped with a log line), writes the PID file, calls
 * cfg->ready, then accepts until SIGTERM or SIGINT (or, with cfg->single, until one
 * connection was served). SIGHUP is logged and otherwise ignored. SIGCHLD, SIGTERM, SIGINT
 * and SIGHUP are blocked while it runs and read from a signalfd; the caller's mask is restored
 * on return. Every exited child of the calling process is reaped (waitpid(-1)). Connections
 * past MaxStartups are closed at once with a log line; accept failures (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) pause accepting on that socket for a second; a failed fork or pipe loses
 * that one connection only.
 * Returns 0 after a signal ended it (children go on serving their connections) or after the
 * single connection was served; an error with a message in *errmsg (caller frees; may be
 * NULL) when nothing could be bound ("Cannot bind any address."), an address cannot be
 * resolved, the configuration is invalid, or the loop or signalfd cannot be set up. */
int listener_run(const struct listener_config *cfg, listener_serve_fn serve, void *arg,
		 char **errmsg) FERRY_MUST_USE;

/* In a connection process: tells the listener that this connection is authenticated, so it no
 * longer counts against MaxStartups (and LoginGraceTime). Idempotent; does nothing in a
 * process the listener did not fork (e.g. in single mode). Never blocks, never raises
 * SIGPIPE. */
void listener_child_authenticated(void);

/* The numeric host and port of sa, an IPv4-mapped IPv6 address written as IPv4 (as sshd
 * does for its logs and SSH_CONNECTION). host gets at least INET6_ADDRSTRLEN bytes to be
 * safe. 0, or FERRY_EINVAL for an address family other than IPv4/IPv6 or a short buffer. */
int listener_addr_text(const struct sockaddr *sa, socklen_t len, char *host, size_t hostlen,
		       int *port) FERRY_MUST_USE;

#endif
