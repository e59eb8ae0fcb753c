/* ferryd's per-connection policy, as OpenSSH's sshd applies it (sshd(8), sshd_config(5)). */
#include "transfer/server-policy.h"
#include "transfer/exec.h"
#include "transfer/listener.h"
#include "transfer/password.h"
#include "transfer/scp-serve.h"
#include "crypto/key.h"
#include "common/log.h"
#include "common/text.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int server_policy_init(struct server_policy *p, const struct server_options *opts, int fd,
		       const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	memset(p, 0, sizeof(*p));
	p->opts = opts;
	p->as_root = geteuid() == 0;
	p->self_uid = getuid();
	server_options_init(&p->uopts);
	if (listener_addr_text((const struct sockaddr *)peer, peerlen, p->peer_ip, sizeof(p->peer_ip),
			       &p->peer_port) != 0)
		snprintf(p->peer_ip, sizeof(p->peer_ip), "UNKNOWN");
	if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0 ||
	    listener_addr_text((const struct sockaddr *)&local, llen, p->local_ip, sizeof(p->local_ip),
			       &p->local_port) != 0)
		snprintf(p->local_ip, sizeof(p->local_ip), "UNKNOWN");
	return 0;
}

void server_policy_free(struct server_policy *p)
{
	free(p->user);
	free(p->home);
	free(p->shell);
	if (p->have_uopts)
		server_options_free(&p->uopts);
	authkeys_opts_free(&p->key_opts);
	exec_env_free(p->env);
	free(p->command);
	free(p->sftp_words);
	memset(p, 0, sizeof(*p));
}

/* The options in force for this user: Match applied once the user is known. */
static const struct server_options *uopts(const struct server_policy *p)
{
	return p->have_uopts ? &p->uopts : p->opts;
}

/* Fixes the account on the first request: looks it up and applies Match and Allow/Deny.
 * Unknown or refused accounts are remembered as such and then simply never authenticate, with
 * the same replies as a wrong key or password. */
static void settle_user(struct server_policy *p, const char *user)
{
	if (p->user)
		return;
	p->user = strdup(user);
	struct passwd *pw = getpwnam(user);
	struct server_conn_info ci = { .user = user, .address = p->peer_ip, .local_address = p->local_ip,
				       .local_port = p->local_port };
	char *why = NULL;
	if (server_options_for_user(p->opts, &ci, &p->uopts, &why) == 0) {
		p->have_uopts = true;
	} else {
		log_error("Match for %s: %s", user, why ? why : "failed");
		free(why);
		why = NULL;
	}
	if (pw == NULL) {
		log_info("Invalid user %s from %s port %d", user, p->peer_ip, p->peer_port);
		return;
	}
	if (!p->as_root && pw->pw_uid != p->self_uid) {
		/* Run as an ordinary user, ferryd serves that user only. */
		log_info("User %s not allowed: ferryd runs as uid %u and serves only that user", user,
			 (unsigned)p->self_uid);
		return;
	}
	if (server_user_allowed(uopts(p), &ci, &why) != 0) {
		log_info("%s", why ? why : "User not allowed");
		free(why);
		return;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	p->home = strdup(pw->pw_dir ? pw->pw_dir : "/");
	p->shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	p->user_known = p->user && p->home && p->shell;
}

static int check_pubkey(void *arg, const char *user, const struct ferry_key *key, bool final)
{
	struct server_policy *p = arg;
	struct authkeys_result res = { 0 };
	int r = FERRY_EAUTH;
	settle_user(p, user);
	const struct server_options *o = uopts(p);
	if (!p->user_known || !o->pubkey_authentication)
		goto out;
	if (p->uid == 0 && o->permit_root_login == PERMIT_ROOT_NO) {
		log_info("ROOT LOGIN REFUSED FROM %s port %d", p->peer_ip, p->peer_port);
		goto out;
	}
	struct authkeys_user au = { .name = p->user, .uid = p->uid, .gid = p->gid, .home = p->home };
	struct authkeys_query q = { .key = key, .address = p->peer_ip };
	if (authkeys_authorize(&o->authorized_keys_files, o->strict_modes != 0, &au, &q, &res) != 0 ||
	    !res.authorized)
		goto out;
	if (p->uid == 0 && o->permit_root_login == PERMIT_ROOT_FORCED_COMMANDS_ONLY && res.opts.command == NULL) {
		log_info("Root login refused for a key without a forced command");
		goto out;
	}
	r = 0;
	if (final) {
		char *fp = NULL;
		if (key_fingerprint(key, &fp) == 0)
			log_info("Accepted publickey for %s from %s port %d ssh2: %s %s", p->user, p->peer_ip,
				 p->peer_port, key_type_name(key), fp);
		free(fp);
		authkeys_opts_free(&p->key_opts);
		p->key_opts = res.opts;
		memset(&res.opts, 0, sizeof(res.opts));
		p->via_pubkey = true;
	}
out:
	if (r) {
		char *fp = NULL;
		if (key_fingerprint(key, &fp) != 0)
			fp = NULL;
		log_info("Failed publickey for %s%s from %s port %d ssh2: %s %s", p->user_known ? "" : "invalid user ",
			 user, p->peer_ip, p->peer_port, key_type_name(key), fp ? fp : "");
		free(fp);
	}
	authkeys_result_free(&res);
	return r;
}

static int check_password(void *arg, const char *user, const char *password)
{
	struct server_policy *p = arg;
	bool ok = false;
	settle_user(p, user);
	const struct server_options *o = uopts(p);
	/* The password is checked even when the answer is already no, so that the time taken
	 * does not tell a valid account from an invalid one. */
	int r = password_check(p->user_known ? user : NULL, password, o->permit_empty_passwords != 0, &ok);
	if (r)
		ok = false;
	if (!p->user_known || !o->password_authentication)
		ok = false;
	if (ok && p->uid == 0 && o->permit_root_login != PERMIT_ROOT_YES) {
		log_info("ROOT LOGIN REFUSED FROM %s port %d", p->peer_ip, p->peer_port);
		ok = false;
	}
	log_info("%s password for %s%s from %s port %d ssh2", ok ? "Accepted" : "Failed",
		 p->user_known ? "" : "invalid user ", user, p->peer_ip, p->peer_port);
	return ok ? 0 : FERRY_EAUTH;
}

struct ssh_server_auth server_policy_auth(struct server_policy *p)
{
	struct ssh_server_auth a = { check_pubkey, check_password, p };
	return a;
}

/* Before anything runs for the user: leave MaxStartups' count and become the user. */
static int authenticated(void *arg, const char *user)
{
	struct server_policy *p = arg;
	listener_child_authenticated();
	if (!p->user_known || strcmp(user, p->user) != 0)
		return FERRY_EPERM;
	p->logged_in = true;
	if (p->as_root && p->uid != 0)
		return exec_drop_privileges(p->uid, p->gid, p->user);
	return 0;
}

static bool accept_env(void *arg, const char *name)
{
	struct server_policy *p = arg;
	const struct ssh_strlist *pats = &uopts(p)->accept_env;
	for (size_t i = 0; i < pats->n; i++)
		if (wildcard_match(pats->v[i], name))
			return true;
	return false;
}

/* ferryd's own scp sink and source: `scp -t` / `scp -f` run without /usr/bin/scp. The words
 * are split again here, in the session's process and working directory, so ~ and wildcards
 * expand as the user's shell would have expanded them. */
static int builtin_scp(void *arg)
{
	const char *command = arg;
	int argc = 0;
	char **argv = NULL;
	char *err = NULL;
	/* A client that goes away shows up as a write error, reported as scp would. */
	signal(SIGPIPE, SIG_IGN);
	if (!scp_is_scp_command(command, &argc, &argv))
		return 1;
	int status = scp_serve_fds(0, 1, argc, argv, &err);
	if (err) {
		ssize_t w = write(2, err, strlen(err));
		(void)w;
		free(err);
	}
	scp_command_free(argv);
	return status;
}

/* "internal-sftp -R -d /x": split at blanks into p->sftp_argv (no quoting, as sshd's
 * internal-sftp options have none). */
static int split_sftp_words(struct server_policy *p, const char *line)
{
	free(p->sftp_words);
	p->sftp_words = strdup(line);
	p->sftp_argc = 0;
	if (p->sftp_words == NULL)
		return FERRY_ENOMEM;
	char *save = NULL;
	for (char *w = strtok_r(p->sftp_words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (p->sftp_argc >= 31)
			return FERRY_EINVAL;
		p->sftp_argv[p->sftp_argc++] = w;
	}
	p->sftp_argv[p->sftp_argc] = NULL;
	return p->sftp_argc > 0 ? 0 : FERRY_EINVAL;
}

/* ferryd's own SFTP server, in the session's child. */
static int builtin_sftp(void *arg)
{
	struct server_policy *p = arg;
	signal(SIGPIPE, SIG_IGN);
	return p->internal_sftp(p->sftp_argc, p->sftp_argv);
}

static int prepare(void *arg, const char *command, const char *subsystem, char *const *env, size_t nenv,
		   struct exec_request *req)
{
	struct server_policy *p = arg;
	const char *run = command;
	const char *original = NULL;
	char *sub_cmd = NULL;
	bool sftp_builtin = false;
	if (subsystem) {
		const struct server_subsystem *ss = server_options_subsystem(uopts(p), subsystem);
		/* With no Subsystem line for sftp, ferryd serves it itself ("Subsystem sftp internal"). */
		static const struct server_subsystem builtin_default = { (char *)"sftp", (char *)"internal-sftp", false };
		if (ss == NULL && strcmp(subsystem, "sftp") == 0)
			ss = &builtin_default;
		if (ss == NULL) {
			log_info("subsystem request for %s by user %s failed, subsystem not found", subsystem, p->user);
			return FERRY_ENOENT;
		}
		if (strncmp(ss->command, "internal-sftp", 13) == 0 || strcmp(ss->command, "internal") == 0) {
			if (p->internal_sftp == NULL || split_sftp_words(p, ss->command) != 0) {
				log_info("subsystem %s: the built-in SFTP server cannot run", subsystem);
				return FERRY_ENOTSUP;
			}
			sftp_builtin = true;
		} else {
			run = ss->command;
		}
	}
	/* authorized_keys command="...": runs instead of whatever was asked (sshd(8)). */
	if (p->via_pubkey && p->key_opts.command) {
		sftp_builtin = false;
		original = subsystem ? subsystem : command;
		run = p->key_opts.command;
		log_info("forced command for %s: %s", p->user, run);
	}
	free(p->command);
	p->command = run ? strdup(run) : NULL;
	if (run && p->command == NULL) {
		free(sub_cmd);
		return FERRY_ENOMEM;
	}
	exec_env_free(p->env);
	p->env = NULL;
	struct exec_env_info info = { .user = p->user, .uid = p->uid, .home = p->home, .shell = p->shell,
				      .peer_ip = p->peer_ip, .peer_port = p->peer_port,
				      .local_ip = p->local_ip, .local_port = p->local_port,
				      .original_command = original };
	int r = exec_build_env(&info, env, nenv, &p->env);
	if (r)
		return r;
	memset(req, 0, sizeof(*req));
	req->user = p->user;
	req->uid = p->uid;
	req->gid = p->gid;
	req->home = p->home;
	req->shell = p->shell;
	req->command = p->command;
	req->env = p->env;
	req->change_user = false;   /* the whole connection process became the user already */
	int scp_argc = 0;
	char **scp_argv = NULL;
	if (sftp_builtin) {
		req->builtin = builtin_sftp;
		req->builtin_arg = p;
		log_verbose("sftp for %s served by ferryd itself", p->user);
	} else if (run && scp_is_scp_command(run, &scp_argc, &scp_argv)) {
		scp_command_free(scp_argv);
		req->builtin = builtin_scp;
		req->builtin_arg = p->command;
		log_verbose("scp for %s served by ferryd itself: %s", p->user, run);
	}
	log_verbose("Starting session: %s for %s from %s port %d", run ? "command" : "shell", p->user,
		    p->peer_ip, p->peer_port);
	return 0;
}

const struct server_session_policy *server_policy_session(struct server_policy *p)
{
	p->session.authenticated = authenticated;
	p->session.accept_env = accept_env;
	p->session.prepare = prepare;
	p->session.arg = p;
	return &p->session;
}
