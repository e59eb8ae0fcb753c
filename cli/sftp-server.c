/* `ferry sftp-server`: an SFTP server (draft-ietf-secsh-filexfer-02, version 3, with OpenSSH's
 * extensions) on stdin and stdout, taking the command line of OpenSSH's sftp-server plus -j. */
#include "cli/commands.h"
#include "common/log.h"
#include "proto/sftp-server.h"
#include "transfer/sftp-serve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

static void sftp_server_usage(void)
{
	fprintf(stderr,
		"usage: ferry sftp-server [-ehR] [-d start_directory] [-f log_facility] [-j jail_dir]\n"
		"\t[-l log_level] [-P denied_requests] [-p allowed_requests] [-u umask]\n"
		"       ferry sftp-server -Q protocol_feature\n");
}

/* syslog facilities by the names OpenSSH's SyslogFacility takes. */
static int facility_parse(const char *name, int *out)
{
	static const struct { const char *name; int fac; } facs[] = {
		{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER }, { "AUTH", LOG_AUTH },
		{ "AUTHPRIV", LOG_AUTHPRIV }, { "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
		{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 }, { "LOCAL4", LOG_LOCAL4 },
		{ "LOCAL5", LOG_LOCAL5 }, { "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 },
	};
	for (size_t i = 0; i < sizeof(facs) / sizeof(facs[0]); i++) {
		if (strcasecmp(name, facs[i].name) == 0) {
			*out = facs[i].fac;
			return 0;
		}
	}
	return -1;
}

/* -Q requests: every request name -p and -P take, one a line. */
static int list_requests(void)
{
	for (int op = SFTP_OP_NONE + 1; op < SFTP_OP_COUNT; op++) {
		const struct sftp_op_info *info = sftp_op_info((enum sftp_op)op);
		if (info != NULL)
			printf("%s\n", info->name);
	}
	return 0;
}

int cmd_sftp_server(int argc, char **argv)
{
	struct sftp_fs_options opts;
	enum flog_level level = FLOG_ERROR;
	int facility = LOG_AUTH, ch, r;
	bool to_stderr = false;
	char *peer = NULL;

	memset(&opts, 0, sizeof(opts));
	optind = 1;
	while ((ch = getopt(argc, argv, "d:ef:hj:l:P:p:Q:Ru:")) != -1) {
		switch (ch) {
		case 'd':
			opts.start_dir = optarg;
			break;
		case 'e':
			to_stderr = true;
			break;
		case 'f':
			if (facility_parse(optarg, &facility) != 0) {
				fprintf(stderr, "ferry sftp-server: unknown log facility \"%s\"\n", optarg);
				return 1;
			}
			break;
		case 'h':
			sftp_server_usage();
			return 0;
		case 'j':
			opts.jail_dir = optarg;
			break;
		case 'l':
			if (flog_level_parse(optarg, &level) != 0) {
				fprintf(stderr, "ferry sftp-server: unknown log level \"%s\"\n", optarg);
				return 1;
			}
			break;
		case 'P':
			opts.denied = optarg;
			break;
		case 'p':
			opts.allowed = optarg;
			break;
		case 'Q':
			if (strcasecmp(optarg, "requests") == 0)
				return list_requests();
			fprintf(stderr, "ferry sftp-server: invalid query type \"%s\"\n", optarg);
			return 1;
		case 'R':
			opts.read_only = true;
			break;
		case 'u': {
			char *end;
			long mask = strtol(optarg, &end, 8);
			if (optarg[0] == '\0' || *end != '\0' || mask < 0 || mask > 0777) {
				fprintf(stderr, "ferry sftp-server: invalid umask \"%s\"\n", optarg);
				return 1;
			}
			opts.set_umask = true;
			opts.umask = (mode_t)mask;
			break;
		}
		default:
			sftp_server_usage();
			return 1;
		}
	}
	if (optind < argc) {
		sftp_server_usage();
		return 1;
	}
	flog_set_level(level);
	flog_set_prefix("ferry sftp-server");
	if (!to_stderr) {
		flog_use_syslog("ferry-sftp-server");
		/* The facility -f chose (flog_use_syslog opens with LOG_AUTH). */
		openlog("ferry-sftp-server", LOG_PID, facility);
	}
	/* The client's address, for the session log line, as sshd passes it. */
	const char *conn = getenv("SSH_CONNECTION");
	if (conn != NULL && conn[0] != '\0') {
		peer = strndup(conn, strcspn(conn, " "));
		opts.peer = peer;
	}
	r = sftp_serve_fds(STDIN_FILENO, STDOUT_FILENO, &opts);
	/* A session that could not start (e.g. a jail without openat2) says so on stderr too
	 * when logging goes to syslog: whoever started the server should see why. */
	if (r != 0 && r != FERRY_EPROTO && r != FERRY_ECLOSED && !to_stderr)
		fprintf(stderr, "ferry sftp-server: cannot serve: %s\n", ferry_strerror(r));
	free(peer);
	return r == 0 ? 0 : 1;
}
