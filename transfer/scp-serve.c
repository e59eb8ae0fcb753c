/* The remote end of the legacy scp protocol: OpenSSH's `scp -t` / `scp -f` command line, run
 * over two fds, and spotting such a command in an exec request (no RFC; docs/internals/scp.md). */
#include "transfer/scp-serve.h"

#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/text.h"
#include "proto/scp.h"
#include "transfer/scp-fs.h"

#define SCP_USAGE \
	"usage: scp -t [-dpqrv] [--] target\n" \
	"       scp -f [-dpqrv] [--] source ...\n"

int scp_serve_fds(int in_fd, int out_fd, int argc, char **argv, char **errmsg)
{
	bool tflag = false, fflag = false, recursive = false, preserve = false;
	bool dflag = false, verbose = false;
	int i;
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	/* Options first, as the remote side is always given them (POSIX getopt: the first
	 * operand or "--" ends them). Only the flags a client passes to its remote end. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		for (const char *p = a + 1; *p != '\0'; p++) {
			switch (*p) {
			case 't': tflag = true; break;
			case 'f': fflag = true; break;
			case 'r': recursive = true; break;
			case 'p': preserve = true; break;
			case 'd': dflag = true; break;
			case 'v': verbose = true; break;
			case 'q': break;
			default:
				if (errmsg != NULL) {
					char *esc = str_escape_untrusted((const uint8_t *)p, 1);
					*errmsg = str_printf("scp: unknown option -- %s\n" SCP_USAGE,
							     esc ? esc : "?");
					free(esc);
				}
				return 1;
			}
		}
	}
	if (!tflag && !fflag) {
		if (errmsg != NULL)
			*errmsg = str_printf("scp: this scp serves only -t and -f\n" SCP_USAGE);
		return 1;
	}
	if (fflag) {
		/* As OpenSSH's: -f wins over -t. */
		struct scp_fs_source_opts o = {
			.recursive = recursive, .preserve = preserve,
			.verbose_fd = verbose ? STDERR_FILENO : -1,
		};
		rc = scp_fs_source_run(in_fd, out_fd, argv + i, (size_t)(argc - i), &o);
		return rc == 0 ? 0 : 1;
	}
	if (argc - i != 1) {
		/* Told through the protocol, before the ready byte, as OpenSSH's sink does. */
		uint8_t *line = NULL;
		size_t len = 0;
		if (scp_encode_error(SCP_WARN, "ambiguous target", &line, &len) == 0) {
			ssize_t w;
			do {
				w = write(out_fd, line, len);
			} while (w < 0 && errno == EINTR);
		}
		free(line);
		return 1;
	}
	struct scp_fs_sink_opts o = {
		.target = argv[i], .recursive = recursive, .preserve = preserve,
		.target_must_be_dir = dflag, .verbose_fd = verbose ? STDERR_FILENO : -1,
	};
	rc = scp_fs_sink_run(in_fd, out_fd, &o);
	return rc == 0 ? 0 : 1;
}

/* --- splitting an exec command ------------------------------------------------------------ */

/* One word being built: its bytes after quote removal, and which of them were quoted. */
struct word {
	char *s;
	bool *quoted;
	size_t len, cap;
	bool glob;          /* has an unquoted * ? or [ */
};

struct words {
	struct word *w;
	size_t n, cap;
};

static bool word_put(struct word *w, char c, bool quoted)
{
	if (w->len + 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		char *s = realloc(w->s, cap);
		if (s == NULL)
			return false;
		w->s = s;
		bool *q = realloc(w->quoted, cap * sizeof(*q));
		if (q == NULL)
			return false;
		w->quoted = q;
		w->cap = cap;
	}
	w->s[w->len] = c;
	w->quoted[w->len] = quoted;
	w->len++;
	w->s[w->len] = '\0';
	if (!quoted && (c == '*' || c == '?' || c == '['))
		w->glob = true;
	return true;
}

static void words_free(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++) {
		free(ws->w[i].s);
		free(ws->w[i].quoted);
	}
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}

/* Starts a new word; false when out of memory. */
static bool words_start(struct words *ws)
{
	if (ws->n == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 8;
		struct word *w = realloc(ws->w, cap * sizeof(*w));
		if (w == NULL)
			return false;
		ws->w = w;
		ws->cap = cap;
	}
	struct word *w = &ws->w[ws->n];
	memset(w, 0, sizeof(*w));
	ws->n++;
	/* An empty word ('' or "") is a word too: give it its terminating NUL now. */
	w->s = calloc(1, 32);
	w->quoted = calloc(32, sizeof(*w->quoted));
	w->cap = 32;
	return w->s != NULL && w->quoted != NULL;
}

/* POSIX sh (XCU §2.2, §2.3): blanks split words, quotes and backslash quote. Returns false for
 * anything else the shell would act on (§2.2: | & ; < > ( ) $ ` and newline; { } for shells
 * with brace expansion; # starting a comment). */
static bool split_command(const char *cmd, struct words *ws)
{
	const char *p = cmd;
	bool in_word = false;

	while (*p != '\0') {
		char c = *p;
		if (c == ' ' || c == '\t') {
			in_word = false;
			p++;
			continue;
		}
		if (strchr("\n$`;|&<>(){}", c) != NULL)
			return false;
		if (!in_word) {
			if (c == '#')
				return false;
			if (!words_start(ws))
				return false;
			in_word = true;
		}
		struct word *w = &ws->w[ws->n - 1];
		if (c == '\\') {
			/* §2.2.1: the next character is literal; backslash-newline joins lines */
			if (p[1] == '\0' || p[1] == '\n')
				return false;
			if (!word_put(w, p[1], true))
				return false;
			p += 2;
		} else if (c == '\'') {
			/* §2.2.2: everything up to the next single quote is literal */
			const char *end = strchr(p + 1, '\'');
			if (end == NULL)
				return false;
			for (const char *q = p + 1; q < end; q++) {
				if (!word_put(w, *q, true))
					return false;
			}
			p = end + 1;
		} else if (c == '"') {
			/* §2.2.3: literal except $ ` and backslash before $ ` " \ newline */
			const char *q = p + 1;
			for (;; q++) {
				if (*q == '\0' || *q == '$' || *q == '`')
					return false;
				if (*q == '"')
					break;
				if (*q == '\\' && q[1] != '\0' && strchr("$`\"\\\n", q[1]) != NULL) {
					if (q[1] == '\n')
						return false;
					q++;
				}
				if (!word_put(w, *q, true))
					return false;
			}
			p = q + 1;
		} else {
			if (!word_put(w, c, false))
				return false;
			p++;
		}
	}
	return true;
}

/* XCU §2.6.1: an unquoted ~ or ~login up to the first '/' becomes the home directory (for ~
 * alone the effective user's, as $HOME is in a login session). An unknown login is left as it
 * is. Returns the new word or NULL. */
static char *expand_tilde(const struct word *w, bool *changed)
{
	size_t end = 0;

	*changed = false;
	if (w->len == 0 || w->s[0] != '~' || w->quoted[0])
		return strdup(w->s);
	while (end < w->len && w->s[end] != '/') {
		if (w->quoted[end])
			return strdup(w->s);    /* a quoted character in the prefix: no expansion */
		end++;
	}
	const char *home = NULL;
	if (end == 1) {
		/* The shell would use $HOME, which a login sets from the user's passwd entry; a
		 * server calling this may still carry its own HOME, so the entry comes first. */
		struct passwd *pw = getpwuid(geteuid());
		home = pw && pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : getenv("HOME");
	} else {
		char *login = strndup(w->s + 1, end - 1);
		if (login == NULL)
			return NULL;
		struct passwd *pw = getpwnam(login);
		free(login);
		home = pw ? pw->pw_dir : NULL;
	}
	if (home == NULL)
		return strdup(w->s);
	*changed = true;
	return str_printf("%s%s", home, w->s + end);
}

/* Appends s (owned) to the argv being built. */
static bool argv_push(char ***argv, size_t *argc, size_t *cap, char *s)
{
	if (s == NULL)
		return false;
	if (*argc + 2 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **v = realloc(*argv, ncap * sizeof(*v));
		if (v == NULL) {
			free(s);
			return false;
		}
		*argv = v;
		*cap = ncap;
	}
	(*argv)[(*argc)++] = s;
	(*argv)[*argc] = NULL;
	return true;
}

/* XCU §2.13: a word with unquoted pattern characters becomes the sorted names it matches, or
 * stays as it is when none match. Quoted characters are matched literally. */
static bool expand_word(const struct word *w, char ***argv, size_t *argc, size_t *cap)
{
	bool tilde = false;
	char *word = expand_tilde(w, &tilde);
	if (word == NULL)
		return false;
	if (!w->glob)
		return argv_push(argv, argc, cap, word);

	/* The pattern: quoted characters escaped; after a tilde expansion the home directory
	 * is taken literally. */
	size_t skip = 0;
	char *pat = NULL;
	size_t plen = 0;
	const char *home_part = "";
	if (tilde) {
		size_t end = 0;
		while (end < w->len && w->s[end] != '/')
			end++;
		skip = end;
		home_part = word;
		plen = strlen(word) - (w->len - end);
	}
	pat = malloc(plen * 2 + (w->len - skip) * 2 + 1);
	if (pat == NULL) {
		free(word);
		return false;
	}
	size_t j = 0;
	for (size_t k = 0; k < plen; k++) {
		if (strchr("*?[]\\", home_part[k]) != NULL)
			pat[j++] = '\\';
		pat[j++] = home_part[k];
	}
	for (size_t k = skip; k < w->len; k++) {
		if (w->quoted[k] && strchr("*?[]\\", w->s[k]) != NULL)
			pat[j++] = '\\';
		pat[j++] = w->s[k];
	}
	pat[j] = '\0';

	glob_t g;
	memset(&g, 0, sizeof(g));
	int gr = glob(pat, 0, NULL, &g);
	free(pat);
	if (gr != 0 || g.gl_pathc == 0) {
		globfree(&g);
		return argv_push(argv, argc, cap, word);
	}
	free(word);
	bool ok = true;
	for (size_t k = 0; ok && k < g.gl_pathc; k++)
		ok = argv_push(argv, argc, cap, strdup(g.gl_pathv[k]));
	globfree(&g);
	return ok;
}

static bool word_is_plain(const struct word *w, const char *s)
{
	return strcmp(w->s, s) == 0;
}

bool scp_is_scp_command(const char *command, int *argc_out, char ***argv_out)
{
	struct words ws = { 0 };
	char **argv = NULL;
	size_t argc = 0, cap = 0;
	bool found = false, ok = false;

	if (command == NULL || !split_command(command, &ws) || ws.n == 0)
		goto out;
	/* "scp", or an absolute path to a program called scp, taken literally */
	const struct word *w0 = &ws.w[0];
	size_t n0 = w0->len;
	bool is_scp = word_is_plain(w0, "scp") ||
		(w0->s[0] == '/' && n0 >= 4 && strcmp(w0->s + n0 - 4, "/scp") == 0);
	if (!is_scp || w0->glob)
		goto out;
	for (size_t i = 1; i < ws.n; i++) {
		const struct word *w = &ws.w[i];
		if (w->s[0] != '-' || w->len == 1 || word_is_plain(w, "--"))
			break;
		if (strchr(w->s, 't') != NULL || strchr(w->s, 'f') != NULL)
			found = true;
	}
	if (!found)
		goto out;
	for (size_t i = 0; i < ws.n; i++) {
		if (i == 0 ? !argv_push(&argv, &argc, &cap, strdup(ws.w[0].s))
			   : !expand_word(&ws.w[i], &argv, &argc, &cap))
			goto out;
	}
	if (argc > INT32_MAX)
		goto out;
	ok = true;
	*argc_out = (int)argc;
	*argv_out = argv;
	argv = NULL;
out:
	scp_command_free(argv);
	words_free(&ws);
	return ok;
}

void scp_command_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}
