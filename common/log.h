/* Logging with OpenSSH's levels: QUIET FATAL ERROR INFO VERBOSE DEBUG1..3; to stderr or syslog. */
#ifndef FERRY_COMMON_LOG_H
#define FERRY_COMMON_LOG_H

#include <stdbool.h>

enum flog_level {
	FLOG_QUIET = 0,
	FLOG_FATAL,
	FLOG_ERROR,
	FLOG_INFO,
	FLOG_VERBOSE,
	FLOG_DEBUG1,
	FLOG_DEBUG2,
	FLOG_DEBUG3,
};

/* The process's log level; default FLOG_INFO. */
void flog_set_level(enum flog_level level);
enum flog_level flog_get_level(void);
/* Parses an OpenSSH LogLevel name (case-insensitive; DEBUG = DEBUG1). Returns 0 or FERRY_EINVAL. */
int flog_level_parse(const char *name, enum flog_level *out);
/* Sends messages to syslog (ident, facility LOG_AUTH) instead of stderr. */
void flog_use_syslog(const char *ident);
/* A prefix such as "ferry" put before ERROR/FATAL lines on stderr; NULL for none. */
void flog_set_prefix(const char *prefix);

void flog(enum flog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool flog_enabled(enum flog_level level);

#define log_error(...) flog(FLOG_ERROR, __VA_ARGS__)
#define log_info(...) flog(FLOG_INFO, __VA_ARGS__)
#define log_verbose(...) flog(FLOG_VERBOSE, __VA_ARGS__)
#define log_debug1(...) flog(FLOG_DEBUG1, __VA_ARGS__)
#define log_debug2(...) flog(FLOG_DEBUG2, __VA_ARGS__)
#define log_debug3(...) flog(FLOG_DEBUG3, __VA_ARGS__)

#endif
