/* Shared client plumbing for ferry's commands: options, identities, host key checks, prompts. */
#include "cli/client.h"
#include "cli/hostcheck.h"
#include "cli/prompt.h"
#include "crypto/key.h"
#include "transfer/knownhosts.h"
#include "common/log.h"
#include "common/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int cli_apply_option(struct ssh_options *opts, const char *keyword, const char *value)
{
	char *err = NULL;
	/* The value is taken literally: a path with spaces or quotes stays one argument. */
	int r = ssh_options_apply_value(opts, keyword, value, &err);
	if (r) {
		fprintf(stderr, "%s\n", err ? err : ferry_strerror(r));
		r = FERRY_ECONFIG;
	}
	free(err);
	return r;
}

int cli_finish_options(struct ssh_options *opts, const char *config_file, const char *host,
		       int verbosity, bool quiet)
{
	char *err = NULL;
	int r;
	/* -v and -q act at once, so problems in the config files show at the asked-for level. */
	if (verbosity > 0)
		flog_set_level(verbosity >= 3 ? FLOG_DEBUG3 : (enum flog_level)(FLOG_DEBUG1 + verbosity - 1));
	if ((r = ssh_options_read_config(opts, config_file, host, &err)) != 0 ||
	    (r = ssh_options_finalize(opts, host, &err)) != 0) {
		fprintf(stderr, "%s\n", err ? err : ferry_strerror(r));
		free(err);
		return FERRY_ECONFIG;
	}
	if (quiet)
		flog_set_level(FLOG_QUIET);
	else if (verbosity == 0)
		flog_set_level((enum flog_level)opts->log_level);
	return 0;
}

/* Loads IdentityFile keys; a missing default key is skipped quietly, a missing named one with
 * OpenSSH's warning. */
static int load_identities(struct cli_client *cc)
{
	struct ssh_options *o = cc->opts;
	size_t n = o->identity_files.n;
	cc->keys = calloc(n ? n : 1, sizeof(*cc->keys));
	cc->key_names = calloc(n ? n : 1, sizeof(*cc->key_names));
	if (cc->keys == NULL || cc->key_names == NULL)
		return FERRY_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *path = o->identity_files.v[i];
		struct ferry_key *key = NULL;
		int r = key_load_private(path, &key);
		if (r == FERRY_ENOENT) {
			if (!o->identity_files_default)
				log_info("Warning: Identity file %s not accessible: No such file or directory.", path);
			continue;
		}
		if (r) {
			log_info("Load key \"%s\": %s", path,
				 r == FERRY_ENOTSUP ? "encrypted or unsupported key format" : ferry_strerror(r));
			continue;
		}
		log_debug1("identity file %s type %s", path, key_type_name(key));
		cc->key_names[cc->n_keys] = strdup(path);
		cc->keys[cc->n_keys++] = key;
	}
	return 0;
}

static char *ask_password(void *arg, const char *prompt)
{
	struct cli_client *cc = arg;
	if (cc->opts->batch_mode)
		return NULL;
	return prompt_secret(prompt);
}

static void show_banner(void *arg, const char *text)
{
	char *shown = str_escape_untrusted((const uint8_t *)text, strlen(text));
	if (shown && flog_enabled(FLOG_INFO))
		fputs(shown, stderr);
	free(shown);
}

static int verify_hostkey(void *arg, const struct ferry_key *key)
{
	struct cli_client *cc = arg;
	int r = hostcheck_verify(cc->opts, cc->opts->hostname, cc->opts->port, key);
	if (r)
		cc->hostkey_failed = true;
	return r;
}

int cli_client_connect(struct cli_client *cc, struct ssh_options *o, const char *host_arg,
		       struct ferry_conn **out)
{
	struct ferry_conn_params p;
	char *err = NULL;
	int r;

	cc->opts = o;
	cc->host_arg = host_arg;
	/* Connecting directly when the user asked for a proxy could reach the wrong network or
	 * host: refuse instead of ignoring it. */
	if (o->proxy_jump || o->proxy_command) {
		fprintf(stderr, "ferry: %s is not supported yet; not connecting directly to %s\n",
			o->proxy_jump ? "ProxyJump" : "ProxyCommand", host_arg);
		return FERRY_ENOTSUP;
	}
	if ((r = load_identities(cc)) != 0)
		return r;
	snprintf(cc->port_str, sizeof(cc->port_str), "%d", o->port);
	memset(&p, 0, sizeof(p));
	p.host = o->hostname;
	p.port = cc->port_str;
	p.family = o->address_family == SSH_AF_INET ? AF_INET :
		   o->address_family == SSH_AF_INET6 ? AF_INET6 : AF_UNSPEC;
	p.connect_timeout_ms = o->connect_timeout > 0 ? o->connect_timeout * 1000 : 0;
	p.server_alive_interval = o->server_alive_interval > 0 ? (uint32_t)o->server_alive_interval : 0;
	p.server_alive_count_max = o->server_alive_count_max > 0 ? (uint32_t)o->server_alive_count_max : 0;
	p.client.transport.kex_algs = o->kex_algorithms;
	/* Prefer the host key types already known for this host, to avoid a false "changed". */
	const char **files = calloc(o->user_known_hosts_files.n + o->global_known_hosts_files.n + 1, sizeof(*files));
	size_t nf = 0;
	for (size_t i = 0; files && i < o->user_known_hosts_files.n; i++)
		files[nf++] = o->user_known_hosts_files.v[i];
	for (size_t i = 0; files && i < o->global_known_hosts_files.n; i++)
		files[nf++] = o->global_known_hosts_files.v[i];
	char *hkalgs = NULL;
	if (files == NULL ||
	    knownhosts_order_hostkey_algs(files, nf, o->hostname, o->port, o->host_key_algorithms, &hkalgs) != 0)
		hkalgs = NULL;
	free(files);
	p.client.transport.hostkey_algs = hkalgs ? hkalgs : o->host_key_algorithms;
	p.client.transport.ciphers = o->ciphers;
	p.client.transport.macs = o->macs;
	p.client.transport.rekey_bytes = o->rekey_limit_bytes > 0 ? (uint64_t)o->rekey_limit_bytes : 0;
	p.client.transport.rekey_seconds = o->rekey_limit_seconds > 0 ? (uint32_t)o->rekey_limit_seconds : 0;
	p.client.transport.verify_hostkey = verify_hostkey;
	p.client.transport.verify_arg = cc;
	p.client.user = o->user;
	p.client.keys = cc->keys;
	p.client.key_names = (const char *const *)cc->key_names;
	p.client.n_keys = cc->n_keys;
	p.client.pubkey_auth = o->pubkey_authentication != 0;
	p.client.password_auth = o->password_authentication != 0 && !o->batch_mode;
	p.ask_password = ask_password;
	p.ask_arg = cc;
	p.show_banner = show_banner;
	p.banner_arg = cc;
	r = ferry_conn_open(&p, out, &err);
	free(hkalgs);
	if (r) {
		if (r == FERRY_EAUTH)
			fprintf(stderr, "%s@%s: %s\n", o->user, host_arg, err ? err : "Permission denied.");
		else if (!(cc->hostkey_failed && r == FERRY_EHOSTKEY))
			fprintf(stderr, "ferry: %s\n", err ? err : ferry_strerror(r));
	}
	free(err);
	return r;
}

void cli_client_free(struct cli_client *cc)
{
	for (size_t i = 0; i < cc->n_keys; i++) {
		key_free(cc->keys[i]);
		free(cc->key_names[i]);
	}
	free(cc->keys);
	free(cc->key_names);
	cc->keys = NULL;
	cc->key_names = NULL;
	cc->n_keys = 0;
}
