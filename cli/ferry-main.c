/* ferry: the command-line entry point; dispatches to the subcommands. */
#include "cli/commands.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: ferry <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  ssh       run a command on a remote host (OpenSSH's ssh command line)\n"
		"  sftp-server  serve SFTP on stdin/stdout (OpenSSH's sftp-server command line)\n"
		"  version   print ferry's version\n"
		"\n"
		"See ferry-ssh(1) in docs/ for the options.\n");
}

int main(int argc, char **argv)
{
	/* A peer or a reader that goes away shows up as EPIPE from write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage();
		return 255;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "ssh") == 0)
		return cmd_ssh(argc - 1, argv + 1);
	if (strcmp(cmd, "scp-remote") == 0)
		return cmd_scp_remote(argc - 1, argv + 1);
	if (strcmp(cmd, "sftp-server") == 0)
		return cmd_sftp_server(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ferry " FERRY_VERSION "\n");
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "ferry: unknown command '%s'\n", cmd);
	usage();
	return 255;
}
