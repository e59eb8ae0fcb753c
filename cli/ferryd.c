/* ferryd's command line and start-up, as sshd(8): read the configuration and host keys, then
 * listen and serve each connection in its own process (transfer/listener, transfer/conn,
 * transfer/server-session, transfer/server-policy). */
#include "cli/ferryd.h"
#include "cli/commands.h"
#include "common/log.h"
#include "common/text.h"
#include "crypto/key.h"
#include "transfer/conn.h"
#include "transfer/hostkeys.h"
#include "transfer/listener.h"
#include "transfer/server-policy.h"
#include "transfer/server-session.h"
#include "transfer/serverconfig.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ferryd {
	struct server_options opts;
	struct ferry_key **host_keys;
	size_t n_host_keys;
};

static void usage(void)
{
	fprintf(stderr, "usage: ferryd [-DdetV] [-f config_file] [-h host_key_file] [-o option] [-p port]\n");
}

/* One connection, in its own process (or in the listener's with -d). */
static void serve(void *arg, int fd, const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct ferryd *d = arg;
	const struct server_options *o = &d->opts;
	struct server_policy pol;
	struct ferry_conn *conn = NULL;
	char *err = NULL;

	if (server_policy_init(&pol, o, fd, peer, peerlen) != 0) {
		close(fd);
		return;
	}
	pol.internal_sftp = cmd_sftp_server;
	log_info("Connection from %s port %d on %s port %d", pol.peer_ip, pol.peer_port, pol.local_ip,
		 pol.local_port);
	struct ferry_accept_params p = {
		.fd = fd,
		.login_grace_ms = o->login_grace_time > 0 ? (uint32_t)o->login_grace_time * 1000u : 0,
		.client_alive_interval = o->client_alive_interval > 0 ? (uint32_t)o->client_alive_interval : 0,
		.client_alive_count_max = o->client_alive_count_max > 0 ? (uint32_t)o->client_alive_count_max : 0,
	};
	p.server.transport.kex_algs = o->kex_algorithms;
	p.server.transport.hostkey_algs = o->host_key_algorithms;
	p.server.transport.ciphers = o->ciphers;
	p.server.transport.macs = o->macs;
	p.server.transport.rekey_bytes = o->rekey_limit_bytes > 0 ? (uint64_t)o->rekey_limit_bytes : 0;
	p.server.transport.rekey_seconds = o->rekey_limit_seconds > 0 ? (uint32_t)o->rekey_limit_seconds : 0;
	p.server.transport.host_keys = d->host_keys;
	p.server.transport.n_host_keys = d->n_host_keys;
	p.server.auth = server_policy_auth(&pol);
	p.server.pubkey_auth = o->pubkey_authentication != 0;
	p.server.password_auth = o->password_authentication != 0;
	p.server.pubkey_algs = o->pubkey_accepted_algorithms;
	p.server.max_auth_tries = o->max_auth_tries > 0 ? (uint32_t)o->max_auth_tries : 6;
	p.server.max_sessions = o->max_sessions > 0 ? (uint32_t)o->max_sessions : 10;
	if (ferry_conn_accept(&p, &conn, &err) != 0) {
		log_error("%s", err ? err : "cannot serve the connection");
		free(err);
		server_policy_free(&pol);
		return;
	}
	int r = server_session_serve(conn, server_policy_session(&pol), &err);
	if (r == FERRY_EDISCONNECT || r == FERRY_ECLOSED || r == 0) {
		if (r == FERRY_EDISCONNECT)
			log_info("%s (from %s port %d)", err ? err : "Received disconnect", pol.peer_ip, pol.peer_port);
		if (pol.logged_in)
			log_info("Disconnected from user %s %s port %d", pol.user, pol.peer_ip, pol.peer_port);
		else
			log_info("Connection closed by %s port %d%s", pol.peer_ip, pol.peer_port,
				 pol.user ? " [preauth]" : "");
	} else {
		log_info("Connection from %s port %d ended: %s", pol.peer_ip, pol.peer_port,
			 err ? err : ferry_strerror(r));
	}
	free(err);
	server_policy_free(&pol);
}

static void print_warning(void *arg, enum flog_level level, const char *msg)
{
	flog(level, "%s", msg);
}

int ferryd_main(int argc, char **argv)
{
	struct ferryd d;
	const char *config_file = NULL;
	bool foreground = false, debug = false, to_stderr = false, test_only = false;
	char *err = NULL;
	int status = 1;
	int c;

	memset(&d, 0, sizeof(d));
	signal(SIGPIPE, SIG_IGN);
	server_options_init(&d.opts);
	server_options_set_warn(&d.opts, print_warning, NULL);
	flog_set_prefix("ferryd");
	while ((c = getopt(argc, argv, "Ddef:h:o:p:tV")) != -1) {
		int r = 0;
		switch (c) {
		case 'D': foreground = true; to_stderr = true; break;
		case 'd': debug = true; foreground = true; to_stderr = true; break;
		case 'e': to_stderr = true; break;
		case 'f': config_file = optarg; break;
		case 'h': r = server_options_add_host_key(&d.opts, optarg, &err); break;
		case 'o': r = server_options_apply(&d.opts, optarg, &err); break;
		case 'p': r = server_options_add_port(&d.opts, optarg, &err); break;
		case 't': test_only = true; to_stderr = true; break;
		case 'V': fprintf(stderr, "ferryd " FERRY_VERSION "\n"); status = 0; goto out;
		default: usage(); goto out;
		}
		if (r) {
			fprintf(stderr, "%s\n", err ? err : ferry_strerror(r));
			goto out;
		}
	}
	if (optind < argc) {
		usage();
		goto out;
	}
	bool as_root = geteuid() == 0;
	char *path = NULL;
	if (config_file == NULL && server_config_default_path(as_root, &path) != 0) {
		fprintf(stderr, "ferryd: out of memory\n");
		goto out;
	}
	int r = server_options_read_file(&d.opts, config_file ? config_file : path,
					 config_file ? SERVER_CONFIG_MUST_EXIST : 0, &err);
	free(path);
	if (r == 0)
		r = server_options_finalize(&d.opts, &err);
	if (r) {
		log_error("%s", err ? err : ferry_strerror(r));
		goto out;
	}
	flog_set_level(debug && d.opts.log_level < FLOG_DEBUG1 ? FLOG_DEBUG1 : (enum flog_level)d.opts.log_level);
	char *keymsg = NULL;
	/* -t checks, as sshd -t, and creates nothing. */
	char *state_dir = NULL;
	r = hostkeys_state_dir(as_root, &state_dir);
	if (r == 0)
		r = hostkeys_load_opts(&d.opts.host_keys, state_dir, test_only ? HOSTKEYS_NO_CREATE : 0,
				       &d.host_keys, &d.n_host_keys, &keymsg, &err);
	free(state_dir);
	if (keymsg) {
		log_info("%s", keymsg);
		free(keymsg);
	}
	if (r) {
		log_error("%s", err ? err : ferry_strerror(r));
		goto out;
	}
	/* The listener binds every address x port: split the (address, port) list into the two. */
	size_t n = d.opts.n_listen, naddrs = 0, nports = 0;
	const char **addrs = calloc(n + 1, sizeof(*addrs));
	int *ports = calloc(n + 1, sizeof(*ports));
	if (addrs == NULL || ports == NULL)
		goto out_listen;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < naddrs && strcmp(addrs[j], d.opts.listen[i].host) != 0; j++)
			;
		if (j == naddrs)
			addrs[naddrs++] = d.opts.listen[i].host;
		for (j = 0; j < nports && ports[j] != d.opts.listen[i].port; j++)
			;
		if (j == nports)
			ports[nports++] = d.opts.listen[i].port;
	}
	if (naddrs * nports != n) {
		log_error("ListenAddress lines with their own ports are not supported yet: give ports with Port");
		goto out_listen;
	}
	if (test_only) {
		status = 0;
		goto out_listen;
	}
	/* Problems found so far went to the terminal; from here on, syslog unless told otherwise. */
	if (!to_stderr)
		flog_use_syslog("ferryd");
	if (!foreground && daemon(0, 0) != 0) {
		log_error("cannot go into the background");
		goto out_listen;
	}
	struct listener_config lc = {
		.addrs = addrs, .naddrs = naddrs, .ports = ports, .nports = nports,
		.startups_begin = (unsigned)d.opts.max_startups_begin,
		.startups_rate = (unsigned)d.opts.max_startups_rate,
		.startups_full = (unsigned)d.opts.max_startups_full,
		.login_grace_time = d.opts.login_grace_time > 0 ? (unsigned)d.opts.login_grace_time + 5 : 0,
		.single = debug,
		.pid_file = debug ? NULL : d.opts.pid_file,
	};
	r = listener_run(&lc, serve, &d, &err);
	if (r) {
		log_error("%s", err ? err : ferry_strerror(r));
		goto out_listen;
	}
	status = 0;
out_listen:
	free(addrs);
	free(ports);
out:
	free(err);
	for (size_t i = 0; i < d.n_host_keys; i++)
		key_free(d.host_keys[i]);
	free(d.host_keys);
	server_options_free(&d.opts);
	return status;
}
