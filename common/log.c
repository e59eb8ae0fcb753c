/* Logging: stderr lines shaped like OpenSSH's ("debug1: ..."), or syslog. */
#include "common/log.h"
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

static enum flog_level current_level = FLOG_INFO;
static bool to_syslog;
static const char *stderr_prefix;

void flog_set_level(enum flog_level level) { current_level = level; }
enum flog_level flog_get_level(void) { return current_level; }
bool flog_enabled(enum flog_level level) { return level != FLOG_QUIET && level <= current_level; }
void flog_set_prefix(const char *prefix) { stderr_prefix = prefix; }

void flog_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_AUTH);
	to_syslog = true;
}

int flog_level_parse(const char *name, enum flog_level *out)
{
	static const struct { const char *name; enum flog_level level; } names[] = {
		{ "QUIET", FLOG_QUIET }, { "FATAL", FLOG_FATAL }, { "ERROR", FLOG_ERROR },
		{ "INFO", FLOG_INFO }, { "VERBOSE", FLOG_VERBOSE }, { "DEBUG", FLOG_DEBUG1 },
		{ "DEBUG1", FLOG_DEBUG1 }, { "DEBUG2", FLOG_DEBUG2 }, { "DEBUG3", FLOG_DEBUG3 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return FERRY_EINVAL;
}

void flog(enum flog_level level, const char *fmt, ...)
{
	static const char *const tags[] = {
		[FLOG_DEBUG1] = "debug1: ", [FLOG_DEBUG2] = "debug2: ", [FLOG_DEBUG3] = "debug3: ",
	};
	static const int prio[] = {
		[FLOG_FATAL] = LOG_CRIT, [FLOG_ERROR] = LOG_ERR, [FLOG_INFO] = LOG_INFO,
		[FLOG_VERBOSE] = LOG_INFO, [FLOG_DEBUG1] = LOG_DEBUG, [FLOG_DEBUG2] = LOG_DEBUG,
		[FLOG_DEBUG3] = LOG_DEBUG,
	};
	char msg[2048];
	va_list ap;

	if (!flog_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	const char *tag = level >= FLOG_DEBUG1 ? tags[level] : "";
	const char *pre = (level <= FLOG_ERROR && stderr_prefix) ? stderr_prefix : NULL;
	fprintf(stderr, "%s%s%s%s\n", pre ? pre : "", pre ? ": " : "", tag, msg);
}
