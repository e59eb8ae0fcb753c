/* Host key verification for ferry's client commands: known_hosts lookups with OpenSSH's
 * StrictHostKeyChecking policy (yes, ask, accept-new, no) and its notices and warnings. */
#include "cli/hostcheck.h"
#include "cli/prompt.h"
#include "crypto/key.h"
#include "common/log.h"
#include "transfer/knownhosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The user's files first, then the system's, as OpenSSH searches them. */
static const char **all_files(const struct ssh_options *o, size_t *n)
{
	size_t total = o->user_known_hosts_files.n + o->global_known_hosts_files.n;
	const char **files = calloc(total ? total : 1, sizeof(*files));
	if (files == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < o->user_known_hosts_files.n; i++)
		files[k++] = o->user_known_hosts_files.v[i];
	for (size_t i = 0; i < o->global_known_hosts_files.n; i++)
		files[k++] = o->global_known_hosts_files.v[i];
	*n = k;
	return files;
}

static void say(enum flog_level level, char *text)
{
	if (text && flog_enabled(level))
		fputs(text, stderr);
	free(text);
}

static bool add_key(const struct ssh_options *o, const char *host, int port, const struct ferry_key *key)
{
	if (o->user_known_hosts_files.n == 0)
		return false;
	const char *path = o->user_known_hosts_files.v[0];
	int r = knownhosts_add(path, host, port, key, o->hash_known_hosts != 0);
	if (r) {
		log_error("Failed to add the host to the list of known hosts (%s): %s", path, ferry_strerror(r));
		return false;
	}
	char *text = NULL;
	if (knownhosts_text_added(host, port, key, &text) == 0)
		say(FLOG_INFO, text);
	return true;
}

/* StrictHostKeyChecking=ask: the first-contact question, answered yes, no or the fingerprint. */
static bool ask_user(const char *const *files, size_t n, const char *host, int port,
		     const struct ferry_key *key)
{
	char *question = NULL, *fp = NULL;
	bool yes = false;
	if (knownhosts_text_ask(files, n, host, port, NULL, key, &question) != 0 ||
	    key_fingerprint(key, &fp) != 0)
		goto out;
	const char *prompt = question;
	for (int tries = 0; tries < 5; tries++) {
		char *answer = prompt_line(prompt);
		if (answer == NULL)
			break;
		if (strcasecmp(answer, "yes") == 0 || strcmp(answer, fp) == 0) {
			yes = true;
		} else if (strcasecmp(answer, "no") != 0) {
			free(answer);
			prompt = "Please type 'yes', 'no' or the fingerprint: ";
			continue;
		}
		free(answer);
		break;
	}
out:
	free(question);
	free(fp);
	return yes;
}

int hostcheck_verify(const struct ssh_options *o, const char *host, int port, const struct ferry_key *key)
{
	struct knownhosts_result res = { 0 };
	size_t n = 0;
	const char **files = all_files(o, &n);
	char *text = NULL;
	int r = FERRY_EHOSTKEY;

	if (files == NULL || knownhosts_check(files, n, host, port, key, &res) != 0) {
		log_error("cannot read the known hosts files");
		goto out;
	}
	if (res.status == KNOWNHOSTS_NOT_FOUND && port != 22) {
		/* As OpenSSH: with no entry for [host]:port, a bare host entry with this very key
		 * is good enough (and only then: a different bare key is not "changed"). */
		struct knownhosts_result bare = { 0 };
		if (knownhosts_check(files, n, host, 22, key, &bare) == 0 && bare.status == KNOWNHOSTS_MATCH) {
			log_debug1("Found matching key w/out port in %s:%lu", bare.file, bare.line);
			knownhosts_result_free(&bare);
			r = 0;
			goto out;
		}
		knownhosts_result_free(&bare);
	}
	switch (res.status) {
	case KNOWNHOSTS_MATCH:
		log_debug1("Host '%s' is known and matches the %s host key.", host, key_type_name(key));
		log_debug1("Found key in %s:%lu", res.file, res.line);
		r = 0;
		break;
	case KNOWNHOSTS_REVOKED:
		if (knownhosts_text_revoked(host, port, key, true, &text) == 0)
			say(FLOG_ERROR, text);
		break;
	case KNOWNHOSTS_CHANGED: {
		bool strict = o->strict_host_key_checking != SSH_STRICT_NO;
		const char *add_file = o->user_known_hosts_files.n ? o->user_known_hosts_files.v[0] : NULL;
		if (knownhosts_text_changed(host, port, key, add_file, &res, strict, &text) == 0)
			say(FLOG_ERROR, text);
		/* StrictHostKeyChecking=no goes on after the warning, as OpenSSH does. */
		if (!strict)
			r = 0;
		break;
	}
	case KNOWNHOSTS_NOT_FOUND:
		switch (o->strict_host_key_checking) {
		case SSH_STRICT_ACCEPT_NEW:
		case SSH_STRICT_NO:
			add_key(o, host, port, key);
			r = 0;
			break;
		case SSH_STRICT_ASK:
			if (!o->batch_mode && prompt_have_tty()) {
				if (ask_user(files, n, host, port, key)) {
					add_key(o, host, port, key);
					r = 0;
				} else {
					fputs("Host key verification failed.\n", stderr);
				}
				break;
			}
			/* with no one to ask, ask means yes */
			__attribute__((fallthrough));
		default:
			if (knownhosts_text_not_found(host, port, key, &text) == 0)
				say(FLOG_ERROR, text);
			break;
		}
		break;
	}
out:
	knownhosts_result_free(&res);
	free(files);
	return r;
}
