/* ferryd's per-connection policy: who may log in and how (authorized_keys with their options,
 * passwords, PermitRootLogin, AllowUsers/DenyUsers, Match), what a session runs (forced
 * commands, subsystems, the clean environment), and the privilege drop after authentication. */
#ifndef FERRY_TRANSFER_SERVER_POLICY_H
#define FERRY_TRANSFER_SERVER_POLICY_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/error.h"
#include "proto/server.h"
#include "transfer/authkeys.h"
#include "transfer/server-session.h"
#include "transfer/serverconfig.h"

struct server_policy {
	const struct server_options *opts;  /* finalized global options (borrowed) */
	bool as_root;                       /* ferryd runs as root: any account, drop after auth */
	uid_t self_uid;                     /* otherwise: the only account served */
	char peer_ip[64], local_ip[64];
	int peer_port, local_port;
	/* The account being authenticated (fixed by the first request). */
	char *user;
	bool user_known;                    /* an account of that name exists and may log in */
	uid_t uid;
	gid_t gid;
	char *home, *shell;
	struct server_options uopts;        /* the options with Match applied for this user */
	bool have_uopts;
	struct authkeys_opts key_opts;      /* the authorized_keys line that let the user in */
	bool via_pubkey;
	bool logged_in;                     /* authentication succeeded */
	char **env;                         /* the last session environment built */
	char *command;                      /* the last command prepared */
	struct server_session_policy session;
	/* The built-in SFTP server for "Subsystem sftp internal-sftp [options]": run in the
	 * session's child with argv = {"internal-sftp", options...}; returns the exit status.
	 * Supplied by ferryd (NULL: internal-sftp is refused). */
	int (*internal_sftp)(int argc, char **argv);
	char *sftp_words;                   /* the split subsystem line, for internal_sftp */
	char *sftp_argv[32];
	int sftp_argc;
};

/* Sets up the policy for one accepted connection. */
int server_policy_init(struct server_policy *p, const struct server_options *opts, int fd,
		       const struct sockaddr_storage *peer, socklen_t peerlen) FERRY_MUST_USE;
void server_policy_free(struct server_policy *p);
/* The authentication callbacks for proto/server.h, bound to p. */
struct ssh_server_auth server_policy_auth(struct server_policy *p);
/* The session callbacks (privilege drop, AcceptEnv, forced commands, subsystems), bound to p. */
const struct server_session_policy *server_policy_session(struct server_policy *p);

#endif
