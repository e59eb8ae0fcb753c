/* Asking the user things: passwords from the terminal (echo off) or SSH_ASKPASS, yes/no. */
#ifndef FERRY_CLI_PROMPT_H
#define FERRY_CLI_PROMPT_H

#include <stdbool.h>

/* Reads a secret after showing prompt: from /dev/tty with echo off, or, when there is no
 * terminal (or SSH_ASKPASS_REQUIRE=force), from the program named by SSH_ASKPASS. Returns a
 * malloc'd string (caller wipes and frees), or NULL if there is no way to ask or on EOF. */
char *prompt_secret(const char *prompt);
/* Shows prompt on the terminal and reads one line (echo on); malloc'd, or NULL without a tty. */
char *prompt_line(const char *prompt);
/* True if a terminal is available for questions. */
bool prompt_have_tty(void);

#endif
