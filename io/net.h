/* Sockets: resolving and connecting TCP with a time limit. */
#ifndef FERRY_IO_NET_H
#define FERRY_IO_NET_H

#include "common/error.h"

/* Resolves host and port and connects to the first address that answers, trying each in turn;
 * family is AF_UNSPEC, AF_INET or AF_INET6; timeout_ms <= 0 means the system's limit. Sets
 * TCP_NODELAY. The socket is returned blocking and close-on-exec in *fd_out. On failure an
 * explanation such as "connect to host h port p: Connection refused" is put in *errmsg (caller
 * frees) and FERRY_ERESOLVE, FERRY_ECONNREFUSED, FERRY_ETIMEDOUT or FERRY_EIO returned. */
int net_connect_tcp(const char *host, const char *port, int family, int timeout_ms, int *fd_out,
		    char **errmsg) FERRY_MUST_USE;
/* Listens on a TCP address ("127.0.0.1", "::1", NULL = any) and port ("0" = pick one);
 * the socket in *fd_out, the bound port in *port_out. */
int net_listen_tcp(const char *host, const char *port, int family, int backlog, int *fd_out,
		   int *port_out) FERRY_MUST_USE;
/* Sets or clears O_NONBLOCK. */
int net_set_nonblock(int fd, int on) FERRY_MUST_USE;

#endif
