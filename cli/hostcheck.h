/* Host key verification against known_hosts with OpenSSH's StrictHostKeyChecking policy,
 * printing OpenSSH's notices and warnings. */
#ifndef FERRY_CLI_HOSTCHECK_H
#define FERRY_CLI_HOSTCHECK_H

#include "common/error.h"
#include "transfer/sshconfig.h"

struct ferry_key;

/* Returns 0 if the key may be used for host:port (adding it to the first UserKnownHostsFile
 * where the policy says so), FERRY_EHOSTKEY otherwise (after telling the user why). */
int hostcheck_verify(const struct ssh_options *o, const char *host, int port,
		     const struct ferry_key *key) FERRY_MUST_USE;

#endif
