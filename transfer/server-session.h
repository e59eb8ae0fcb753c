/* ferryd's sessions: runs the commands that session channels ask for (RFC 4254 §6.5) and
 * moves their stdin, stdout, stderr and exit status over the channel. */
#ifndef FERRY_TRANSFER_SERVER_SESSION_H
#define FERRY_TRANSFER_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "transfer/conn.h"
#include "transfer/exec.h"

/* The server's policy, supplied by ferryd. */
struct server_session_policy {
	/* Called once, on SSH_EV_AUTHENTICATED, before anything runs for the user (privilege
	 * drop, MaxStartups bookkeeping). Non-zero ends the connection. */
	int (*authenticated)(void *arg, const char *user);
	/* Whether an "env" request for this variable is taken (AcceptEnv). */
	bool (*accept_env)(void *arg, const char *name);
	/* Fills req for running command (NULL: a shell) or subsystem (NULL unless asked for) with
	 * env (the channel's accepted NAME=VALUE pairs, nenv of them). Strings in req stay owned
	 * by the policy until the next call. Returns 0, or non-zero to refuse the request (an
	 * unknown subsystem, a forced command that cannot run). */
	int (*prepare)(void *arg, const char *command, const char *subsystem, char *const *env, size_t nenv,
		       struct exec_request *req);
	void *arg;
};

/* Serves the connection until it ends, then frees it (the connection is taken over). Returns 0
 * or the code that ended it (FERRY_EDISCONNECT: the client said goodbye), with the sentence in
 * *errmsg (caller frees; may be NULL). */
int server_session_serve(struct ferry_conn *conn, const struct server_session_policy *policy,
			 char **errmsg) FERRY_MUST_USE;

#endif
