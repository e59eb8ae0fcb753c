/* What ferry's client commands share: turning ssh_config options into a connection (keys,
 * host key checks against known_hosts, password prompts) and printing errors as OpenSSH does. */
#ifndef FERRY_CLI_CLIENT_H
#define FERRY_CLI_CLIENT_H

#include "transfer/conn.h"
#include "transfer/sshconfig.h"

struct ferry_key;

/* Everything a connection needs that outlives ferry_conn_open. */
struct cli_client {
	struct ssh_options *opts;
	const char *host_arg;          /* the host as typed */
	struct ferry_key **keys;
	char **key_names;
	size_t n_keys;
	char port_str[16];
	bool hostkey_failed;           /* the host key check already told the user */
};

/* Loads identities, checks host keys and connects; on failure prints the reason and returns
 * non-zero. opts must be finalized. */
int cli_client_connect(struct cli_client *cc, struct ssh_options *opts, const char *host_arg,
		       struct ferry_conn **out) FERRY_MUST_USE;
void cli_client_free(struct cli_client *cc);

/* Applies the options every client command takes from ssh's command line (-4 -6 -c -F -i -l -m
 * -o -p -q -v): returns 0, or prints the error and returns FERRY_ECONFIG. */
int cli_apply_option(struct ssh_options *opts, const char *keyword, const char *value) FERRY_MUST_USE;
/* Reads the config (-F or the default files) and finalizes; prints errors. verbosity is the
 * number of -v flags, quiet the -q flag. */
int cli_finish_options(struct ssh_options *opts, const char *config_file, const char *host,
		       int verbosity, bool quiet) FERRY_MUST_USE;

#endif
