/* ferry's subcommands; each returns the process exit status. */
#ifndef FERRY_CLI_COMMANDS_H
#define FERRY_CLI_COMMANDS_H

int cmd_ssh(int argc, char **argv);
/* `ferry sftp-server`: OpenSSH sftp-server's command line, SFTP on stdin/stdout. */
int cmd_sftp_server(int argc, char **argv);
/* hidden: the remote end of legacy scp (scp -t / scp -f) on stdin/stdout */
int cmd_scp_remote(int argc, char **argv);

#endif
