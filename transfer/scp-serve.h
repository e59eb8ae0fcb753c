/* The remote end of the legacy scp protocol: `scp -t` / `scp -f` command lines as OpenSSH's
 * scp takes them when ssh runs it on the far side, and spotting such a command in an exec
 * request so a server can serve it without /usr/bin/scp (docs/internals/scp.md). */
#ifndef FERRY_TRANSFER_SCP_SERVE_H
#define FERRY_TRANSFER_SCP_SERVE_H

#include <stdbool.h>

/* Runs `scp [-dfpqrtv] [--] args...` (argv[0] is the program name and is not looked at) over
 * in_fd/out_fd with blocking I/O: -t target is the sink, -f source... the source (-f wins
 * when both are given, as in OpenSSH). -v writes "Sink: ..." / "Sending file modes: ..."
 * lines to fd 2. Returns the exit status OpenSSH's scp would have: 0 when everything was
 * copied, 1 otherwise. On a command line error (an unknown flag, neither -t nor -f) nothing
 * is sent on out_fd, and *errmsg (if errmsg is not NULL; caller frees) gets the text that
 * belongs on stderr (OpenSSH's "unknown option" and usage lines). Otherwise *errmsg is set
 * to NULL: problems during the transfer were reported to the peer through the protocol. */
int scp_serve_fds(int in_fd, int out_fd, int argc, char **argv, char **errmsg);

/* Splits command as a POSIX shell would split simple words (blanks separate words; single
 * quotes, double quotes and backslashes quote; quotes are removed) and says whether it runs
 * scp's remote end: the first word "scp" (or an absolute path ending in "/scp") and a -t or
 * -f among the options. As the shell would, an unquoted ~ or ~user at the start of a word
 * becomes that home directory (~ alone: the effective user's, from the passwd database), and a word with unquoted * ? [ is replaced by the names it
 * matches (sorted; left as it is when nothing matches): so call this as the user, in the
 * directory the shell would have started in. A command with anything else a shell would act
 * on outside quotes ($, backticks, ;, |, &, <, >, (, ), {, }, a newline, a word starting with
 * #) is not taken (false): the caller hands it to the shell as before. On true, *argc and
 * *argv (NULL-terminated; free with scp_command_free) are set. */
bool scp_is_scp_command(const char *command, int *argc, char ***argv);
void scp_command_free(char **argv);

#endif
