/* The legacy scp protocol's sink and source as state machines (no RFC; the format OpenSSH's
 * scp speaks with -t and -f, described in docs/internals/scp.md). No I/O here. */
#include "proto/scp.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"

/* Output rarely holds more than a reply or a control line, but a source's output holds the
 * file data the caller hands it until the caller sends it. */
#define SCP_OUT_MAX (BUF_DEFAULT_MAX)
/* Unasked answers a source keeps before refusing more input. */
#define SCP_SOURCE_IN_MAX (4 * SCP_LINE_MAX)

bool scp_name_is_safe(const char *name, size_t n)
{
	if (n == 0 || memchr(name, '\0', n) != NULL || memchr(name, '/', n) != NULL)
		return false;
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	return true;
}

/* Appends "<r>scp: <msg>\n" with any newline in msg made a space, so the line stays one. */
static int scp_put_error(struct buf *out, enum scp_reply r, const char *msg)
{
	static const char prefix[] = "scp: ";
	int rc = buf_put_u8(out, (uint8_t)r);
	if (rc == 0)
		rc = buf_put(out, prefix, sizeof(prefix) - 1);
	for (const char *p = msg ? msg : ""; rc == 0 && *p != '\0'; p++)
		rc = buf_put_u8(out, *p == '\n' ? ' ' : (uint8_t)*p);
	if (rc == 0)
		rc = buf_put_u8(out, '\n');
	return rc;
}

int scp_encode_error(enum scp_reply r, const char *msg, uint8_t **out, size_t *outlen)
{
	struct buf b;
	uint8_t *copy = NULL;
	int rc;

	buf_init(&b, SCP_LINE_MAX * 4);
	rc = scp_put_error(&b, r == SCP_OK ? SCP_WARN : r, msg);
	if (rc != 0)
		goto out;
	copy = malloc(buf_len(&b));
	if (copy == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	memcpy(copy, buf_rptr(&b), buf_len(&b));
	*out = copy;
	*outlen = buf_len(&b);
out:
	buf_free(&b);
	return rc;
}

/* Parses a decimal number of at least one digit, no sign, at most max, at *pp; advances *pp.
 * FERRY_EINVAL when no digit is there, FERRY_EFULL when it is larger than max. */
static int scp_parse_decimal(const char **pp, uint64_t max, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return FERRY_EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return FERRY_EFULL;
		v = v * 10 + d;
	}
	*pp = p;
	*out = v;
	return 0;
}

/* --- sink ------------------------------------------------------------------------------- */

enum sink_state {
	SK_LINE,          /* reading a control line */
	SK_DATA,          /* reading a file's data */
	SK_STATUS,        /* reading the source's status byte (or message) after the data */
	SK_WAIT,          /* a request waits for scp_sink_reply */
	SK_FAIL_FILE,     /* ending: a file is open, hand out FILE_END (incomplete) first */
	SK_UNWIND,        /* clean EOF inside directories: hand out DIR_END for each */
	SK_DONE,
};

struct scp_level {
	char *name;
	uint32_t mode;
	bool has_times;
	struct scp_times times;
};

struct scp_sink {
	bool recursive;
	char **patterns;
	size_t npatterns;

	const uint8_t *in;          /* the caller's input, borrowed */
	size_t in_len, in_pos;
	bool eof;

	char line[SCP_LINE_MAX + 1];
	size_t line_len;
	bool first_line;

	enum sink_state state;
	enum scp_sink_req_type waiting;   /* in SK_WAIT: what the reply answers */
	bool ending;                /* on the way to SK_DONE: replies are no longer sent */

	/* T line waiting for its C or D */
	bool has_times;
	struct scp_times times;

	/* the file being received (file_open from its FILE request until its FILE_END) */
	bool file_open;
	char *fname;
	uint32_t fmode;
	uint64_t fsize, fdone;
	bool f_has_times;
	struct scp_times ftimes;
	bool write_failed;
	char *write_msg;
	bool source_ok;

	/* a directory announced by D, waiting for its reply */
	struct scp_level pending_dir;

	struct scp_level *levels;
	size_t depth, cap;

	struct buf out;
	unsigned errors;

	char *text;                 /* lent out with the last MESSAGE or DONE */
	int end_error;
	char *end_text;
};

static void scp_level_clear(struct scp_level *l)
{
	free(l->name);
	memset(l, 0, sizeof(*l));
}

int scp_sink_new(const struct scp_sink_config *cfg, struct scp_sink **out)
{
	struct scp_sink *s = calloc(1, sizeof(*s));
	int rc = FERRY_ENOMEM;

	if (s == NULL)
		return FERRY_ENOMEM;
	buf_init(&s->out, SCP_OUT_MAX);
	s->recursive = cfg->recursive;
	s->first_line = true;
	s->state = SK_LINE;
	if (cfg->npatterns > 0) {
		s->patterns = calloc(cfg->npatterns, sizeof(*s->patterns));
		if (s->patterns == NULL)
			goto out;
		for (size_t i = 0; i < cfg->npatterns; i++) {
			s->patterns[i] = strdup(cfg->patterns[i]);
			if (s->patterns[i] == NULL)
				goto out;
			s->npatterns = i + 1;
		}
	}
	/* The sink speaks first: one 0 byte says it is ready for the first line. */
	rc = buf_put_u8(&s->out, SCP_OK);
	if (rc != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	scp_sink_free(s);
	return rc;
}

void scp_sink_free(struct scp_sink *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->npatterns; i++)
		free(s->patterns[i]);
	free(s->patterns);
	for (size_t i = 0; i < s->depth; i++)
		scp_level_clear(&s->levels[i]);
	free(s->levels);
	scp_level_clear(&s->pending_dir);
	free(s->fname);
	free(s->write_msg);
	free(s->text);
	free(s->end_text);
	buf_free(&s->out);
	free(s);
}

int scp_sink_input(struct scp_sink *s, const uint8_t *p, size_t n)
{
	if (s->in_pos < s->in_len)
		return FERRY_EBUSY;
	s->in = p;
	s->in_len = n;
	s->in_pos = 0;
	return 0;
}

void scp_sink_input_eof(struct scp_sink *s)
{
	s->eof = true;
}

void scp_sink_output(const struct scp_sink *s, const uint8_t **p, size_t *n)
{
	*p = buf_rptr(&s->out);
	*n = buf_len(&s->out);
}

void scp_sink_output_consume(struct scp_sink *s, size_t n)
{
	if (n > buf_len(&s->out))
		n = buf_len(&s->out);
	(void)buf_consume(&s->out, n);
	if (buf_len(&s->out) == 0)
		buf_reset(&s->out);
}

unsigned scp_sink_errors(const struct scp_sink *s)
{
	return s->errors;
}

/* Keeps text (owned) as the string lent out with the next request. */
static void sink_lend(struct scp_sink *s, char *text)
{
	free(s->text);
	s->text = text;
}

/* Queues a reply line; a failure to queue (out of memory, or a peer that never reads) ends
 * the transfer. */
static void sink_queue_reply(struct scp_sink *s, enum scp_reply r, const char *msg);

/* Enters the end: err 0 for a clean one; otherwise text (printf-style, may be NULL) says why.
 * With send set the text also goes to the source as a fatal line, as "scp: <text>". */
static void sink_end(struct scp_sink *s, int err, bool send, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sink_end(struct scp_sink *s, int err, bool send, const char *fmt, ...)
{
	char *text = NULL;

	if (s->ending)
		return;
	s->ending = true;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&text, fmt, ap) < 0)
			text = NULL;
		va_end(ap);
	}
	if (err != 0)
		s->errors++;
	if (send && text != NULL) {
		(void)scp_put_error(&s->out, SCP_FATAL, text);
	}
	free(s->end_text);
	s->end_text = text;
	s->end_error = err;
	if (err != 0 && s->file_open)
		s->state = SK_FAIL_FILE;
	else if (err == 0 && s->depth > 0)
		s->state = SK_UNWIND;
	else
		s->state = SK_DONE;
}

static void sink_queue_reply(struct scp_sink *s, enum scp_reply r, const char *msg)
{
	int rc = r == SCP_OK ? buf_put_u8(&s->out, SCP_OK) : scp_put_error(&s->out, r, msg);
	if (rc != 0)
		sink_end(s, rc, false, "cannot queue a reply: %s", ferry_strerror(rc));
}

/* Refuses a line: a fatal "protocol error: ..." to the source and the end. */
#define sink_protocol_error(s, what) \
	sink_end((s), FERRY_EPROTO, true, "protocol error: %s", (what))

/* Reads input up to a newline into s->line. Returns 1 with a whole line (NUL-terminated, the
 * newline dropped), 0 when the input ran out first, FERRY_EFULL for a line longer than
 * SCP_LINE_MAX (it is refused, never buffered). */
static int sink_read_line(struct scp_sink *s)
{
	while (s->in_pos < s->in_len) {
		uint8_t c = s->in[s->in_pos++];
		if (c == '\n') {
			s->line[s->line_len] = '\0';
			return 1;
		}
		if (s->line_len >= SCP_LINE_MAX - 1)
			return FERRY_EFULL;
		s->line[s->line_len++] = (char)c;
	}
	return 0;
}

/* A T line: "T<mtime> <usec> <atime> <usec>", seconds not negative, microseconds < 10^6. */
static int sink_parse_times(const char *line, struct scp_times *t, const char **why)
{
	const char *p = line + 1;
	uint64_t v[4];
	static const char *const names[4][3] = {
		{ "mtime.sec not present", "mtime.sec out of range", "mtime.sec not delimited" },
		{ "mtime.usec not present", "mtime.usec out of range", "mtime.usec not delimited" },
		{ "atime.sec not present", "atime.sec out of range", "atime.sec not delimited" },
		{ "atime.usec not present", "atime.usec out of range", "atime.usec not delimited" },
	};

	for (int i = 0; i < 4; i++) {
		uint64_t max = (i & 1) ? 999999u : (uint64_t)INT64_MAX;
		int rc = scp_parse_decimal(&p, max, &v[i]);
		if (rc == FERRY_EINVAL) {
			*why = names[i][0];
			return FERRY_EPROTO;
		}
		if (rc != 0) {
			*why = names[i][1];
			return FERRY_EPROTO;
		}
		if (*p != (i == 3 ? '\0' : ' ')) {
			*why = names[i][2];
			return FERRY_EPROTO;
		}
		p++;
	}
	t->mtime = (int64_t)v[0];
	t->mtime_usec = (uint32_t)v[1];
	t->atime = (int64_t)v[2];
	t->atime_usec = (uint32_t)v[3];
	return 0;
}

static bool sink_name_requested(const struct scp_sink *s, const char *name)
{
	if (s->npatterns == 0)
		return true;
	for (size_t i = 0; i < s->npatterns; i++) {
		if (strcmp(s->patterns[i], name) == 0 || fnmatch(s->patterns[i], name, 0) == 0)
			return true;
	}
	return false;
}

/* A C or D line: "C<4 octal digits> <decimal size> <name>". On success fills the request. */
static void sink_control_line(struct scp_sink *s, struct scp_sink_req *req, bool *yield)
{
	const char *p = s->line + 1;
	uint32_t mode = 0;
	uint64_t size = 0;
	bool dir = s->line[0] == 'D';
	char *name = NULL;
	int rc;

	/* Exactly four octal digits, then one space. */
	for (int i = 0; i < 4; i++, p++) {
		if (*p < '0' || *p > '7') {
			sink_protocol_error(s, "bad mode");
			return;
		}
		mode = (mode << 3) | (uint32_t)(*p - '0');
	}
	if (*p++ != ' ') {
		sink_protocol_error(s, "mode not delimited");
		return;
	}
	/* The size must fit in an off_t, as the sink's file offsets are. */
	rc = scp_parse_decimal(&p, (uint64_t)INT64_MAX, &size);
	if (rc == FERRY_EINVAL) {
		sink_protocol_error(s, "size not present");
		return;
	}
	if (rc != 0) {
		sink_protocol_error(s, "size out of range");
		return;
	}
	if (*p++ != ' ') {
		sink_protocol_error(s, "size not delimited");
		return;
	}
	/* The name is the rest of the line: one component of the target, never a path, never
	 * "." (which would name the target directory itself) or "..". */
	size_t n = s->line_len - (size_t)(p - s->line);
	if (!scp_name_is_safe(p, n)) {
		char *esc = str_escape_untrusted((const uint8_t *)p, n);
		sink_end(s, FERRY_EPROTO, true, "error: unexpected filename: %s", esc ? esc : "?");
		free(esc);
		return;
	}
	if (s->depth == 0 && !sink_name_requested(s, p)) {
		sink_protocol_error(s, "filename does not match request");
		return;
	}
	if (dir && !s->recursive) {
		sink_protocol_error(s, "received directory without -r");
		return;
	}
	if (dir && s->depth >= SCP_MAX_DEPTH) {
		sink_protocol_error(s, "directories nested too deep");
		return;
	}
	name = strdup(p);
	if (name == NULL) {
		sink_end(s, FERRY_ENOMEM, true, "out of memory");
		return;
	}

	memset(req, 0, sizeof(*req));
	req->type = dir ? SCP_SINK_DIR : SCP_SINK_FILE;
	req->name = name;
	req->depth = (unsigned)s->depth;
	req->mode = mode;
	req->size = dir ? 0 : size;
	req->has_times = s->has_times;
	req->times = s->times;
	if (dir) {
		scp_level_clear(&s->pending_dir);
		s->pending_dir.name = name;
		s->pending_dir.mode = mode;
		s->pending_dir.has_times = s->has_times;
		s->pending_dir.times = s->times;
	} else {
		free(s->fname);
		s->fname = name;
		s->fmode = mode;
		s->fsize = size;
		s->f_has_times = s->has_times;
		s->ftimes = s->times;
	}
	s->has_times = false;
	s->state = SK_WAIT;
	s->waiting = req->type;
	*yield = true;
}

/* Handles one whole line in s->line. *yield is set when req was filled. */
static void sink_line(struct scp_sink *s, struct scp_sink_req *req, bool *yield)
{
	bool first = s->first_line;
	char c = s->line[0];

	s->first_line = false;
	if (s->line_len == 0) {
		sink_protocol_error(s, "unexpected <newline>");
		return;
	}
	if (c == SCP_WARN || c == SCP_FATAL) {
		/* A message from the source about an item it could not send, or its last word. */
		char *text = strndup(s->line + 1, s->line_len - 1);
		s->errors++;
		sink_lend(s, text);
		memset(req, 0, sizeof(*req));
		req->type = SCP_SINK_MESSAGE;
		req->fatal = c == SCP_FATAL;
		req->text = text ? text : "";
		req->depth = (unsigned)s->depth;
		*yield = true;
		if (c == SCP_FATAL)
			sink_end(s, FERRY_ECANCELED, false, NULL);
		return;
	}
	if (memchr(s->line, '\0', s->line_len) != NULL) {
		sink_protocol_error(s, "NUL byte in a control line");
		return;
	}
	switch (c) {
	case 'E':
		if (s->line_len != 1) {
			sink_protocol_error(s, "bad end of directory");
			return;
		}
		if (s->depth == 0) {
			/* As OpenSSH's sink: an E outside any directory ends the transfer. */
			sink_queue_reply(s, SCP_OK, NULL);
			sink_end(s, 0, false, NULL);
			return;
		}
		{
			/* Times not used by a C or D inside the directory end with it, as in
			 * OpenSSH's sink. */
			s->has_times = false;
			struct scp_level *l = &s->levels[s->depth - 1];
			memset(req, 0, sizeof(*req));
			req->type = SCP_SINK_DIR_END;
			req->name = l->name;
			req->depth = (unsigned)s->depth - 1;
			req->mode = l->mode;
			req->has_times = l->has_times;
			req->times = l->times;
			s->state = SK_WAIT;
			s->waiting = SCP_SINK_DIR_END;
			*yield = true;
		}
		return;
	case 'T': {
		const char *why = NULL;
		struct scp_times t;
		if (sink_parse_times(s->line, &t, &why) != 0) {
			sink_protocol_error(s, why);
			return;
		}
		s->has_times = true;
		s->times = t;
		sink_queue_reply(s, SCP_OK, NULL);
		return;
	}
	case 'C':
	case 'D':
		sink_control_line(s, req, yield);
		return;
	default:
		if (first) {
			/* The far end's first words were not scp: most likely its shell saying why it
			 * could not run scp. Pass them on as the reason. */
			char *esc = str_escape_untrusted((const uint8_t *)s->line, s->line_len);
			sink_end(s, FERRY_EPROTO, true, "%s", esc ? esc : "protocol error");
			free(esc);
			return;
		}
		sink_protocol_error(s, "expected control record");
		return;
	}
}

static void sink_file_end_req(struct scp_sink *s, struct scp_sink_req *req, bool complete)
{
	memset(req, 0, sizeof(*req));
	req->type = SCP_SINK_FILE_END;
	req->name = s->fname;
	req->depth = (unsigned)s->depth;
	req->mode = s->fmode;
	req->size = s->fsize;
	req->has_times = s->f_has_times;
	req->times = s->ftimes;
	req->offset = s->fdone;
	req->complete = complete;
}

/* After the data: the source's 0, or a message saying its data is bad. */
static void sink_status(struct scp_sink *s, struct scp_sink_req *req, bool *yield)
{
	if (s->line_len == 0 && s->in_pos < s->in_len && s->in[s->in_pos] == SCP_OK) {
		s->in_pos++;
		s->source_ok = true;
		sink_file_end_req(s, req, !s->write_failed);
		s->state = SK_WAIT;
		s->waiting = SCP_SINK_FILE_END;
		*yield = true;
		return;
	}
	int rc = sink_read_line(s);
	if (rc < 0) {
		sink_protocol_error(s, "line too long");
		return;
	}
	if (rc == 0)
		return;     /* the rest of the message is still to come */
	/* 1 or 2 and a message; any other byte starts a message too (the source is confused). */
	char c = s->line[0];
	size_t skip = (c == SCP_WARN || c == SCP_FATAL) ? 1 : 0;
	char *text = strndup(s->line + skip, s->line_len - skip);
	s->line_len = 0;
	s->errors++;
	sink_lend(s, text);
	memset(req, 0, sizeof(*req));
	req->type = SCP_SINK_MESSAGE;
	req->fatal = c != SCP_WARN;
	req->text = text ? text : "";
	req->depth = (unsigned)s->depth;
	*yield = true;
	if (c == SCP_WARN) {
		/* The source had trouble reading the file: the data is not the file. The next call
		 * hands out FILE_END, incomplete. */
		s->source_ok = false;
		s->state = SK_FAIL_FILE;
	} else {
		sink_end(s, FERRY_ECANCELED, false, NULL);
	}
}

int scp_sink_next(struct scp_sink *s, struct scp_sink_req *req)
{
	bool yield = false;

	for (;;) {
		switch (s->state) {
		case SK_WAIT:
			return FERRY_EBUSY;
		case SK_DONE:
			memset(req, 0, sizeof(*req));
			req->type = SCP_SINK_DONE;
			req->error = s->end_error;
			req->text = s->end_text;
			return 0;
		case SK_FAIL_FILE:
			/* A file is open and will not complete: the executor discards it. After a
			 * source's warning the transfer goes on (end_error 0 and not ended). */
			sink_file_end_req(s, req, false);
			s->waiting = SCP_SINK_FILE_END;
			s->state = SK_WAIT;
			return 0;
		case SK_UNWIND: {
			struct scp_level *l = &s->levels[s->depth - 1];
			memset(req, 0, sizeof(*req));
			req->type = SCP_SINK_DIR_END;
			req->name = l->name;
			req->depth = (unsigned)s->depth - 1;
			req->mode = l->mode;
			req->has_times = l->has_times;
			req->times = l->times;
			s->waiting = SCP_SINK_DIR_END;
			s->state = SK_WAIT;
			return 0;
		}
		case SK_LINE: {
			int rc = sink_read_line(s);
			if (rc < 0) {
				sink_protocol_error(s, "line too long");
				break;
			}
			if (rc == 0) {
				if (!s->eof)
					return FERRY_EAGAIN;
				if (s->line_len == 0)
					sink_end(s, 0, false, NULL);   /* the source is done */
				else
					sink_end(s, FERRY_ECLOSED, true, "protocol error: lost connection");
				break;
			}
			sink_line(s, req, &yield);
			s->line_len = 0;
			if (yield)
				return 0;
			break;
		}
		case SK_DATA: {
			if (s->fdone == s->fsize) {
				s->state = SK_STATUS;
				break;
			}
			size_t avail = s->in_len - s->in_pos;
			if (avail == 0) {
				if (!s->eof)
					return FERRY_EAGAIN;
				sink_end(s, FERRY_ECLOSED, true, "lost connection");
				break;
			}
			uint64_t want = s->fsize - s->fdone;
			size_t take = want < avail ? (size_t)want : avail;
			const uint8_t *data = s->in + s->in_pos;
			uint64_t offset = s->fdone;
			s->in_pos += take;
			s->fdone += take;
			if (s->write_failed)
				break;      /* read and dropped: the write error is reported at the end */
			memset(req, 0, sizeof(*req));
			req->type = SCP_SINK_DATA;
			req->name = s->fname;
			req->depth = (unsigned)s->depth;
			req->data = data;
			req->len = take;
			req->offset = offset;
			req->size = s->fsize;
			s->waiting = SCP_SINK_DATA;
			s->state = SK_WAIT;
			return 0;
		}
		case SK_STATUS:
			if (s->in_pos == s->in_len) {
				if (!s->eof)
					return FERRY_EAGAIN;
				sink_end(s, FERRY_ECLOSED, true, "lost connection");
				break;
			}
			sink_status(s, req, &yield);
			if (yield)
				return 0;
			break;
		}
	}
}

int scp_sink_reply(struct scp_sink *s, enum scp_reply r, const char *msg)
{
	enum scp_sink_req_type what = s->waiting;

	if (s->state != SK_WAIT)
		return FERRY_EINVAL;
	s->waiting = SCP_SINK_NONE;
	s->state = SK_LINE;
	if (r != SCP_OK && r != SCP_WARN && r != SCP_FATAL)
		r = SCP_FATAL;
	if (r != SCP_OK)
		s->errors++;

	switch (what) {
	case SCP_SINK_FILE:
		if (r == SCP_OK) {
			s->file_open = true;
			s->fdone = 0;
			s->write_failed = false;
			s->source_ok = false;
			free(s->write_msg);
			s->write_msg = NULL;
			sink_queue_reply(s, SCP_OK, NULL);
			s->state = SK_DATA;
		} else if (r == SCP_WARN) {
			/* The source skips this file's data. */
			sink_queue_reply(s, SCP_WARN, msg);
		} else {
			sink_end(s, FERRY_ECANCELED, true, "%s", msg ? msg : "failed");
		}
		break;
	case SCP_SINK_DATA:
		s->state = SK_DATA;
		if (r == SCP_WARN && !s->write_failed) {
			s->write_failed = true;
			free(s->write_msg);
			s->write_msg = strdup(msg ? msg : "write failed");
		} else if (r == SCP_FATAL) {
			sink_end(s, FERRY_ECANCELED, true, "%s", msg ? msg : "failed");
		}
		break;
	case SCP_SINK_FILE_END:
		s->file_open = false;
		if (s->ending) {
			s->state = SK_DONE;
			break;
		}
		if (r == SCP_FATAL)
			sink_end(s, FERRY_ECANCELED, true, "%s", msg ? msg : "failed");
		else if (s->write_failed)
			sink_queue_reply(s, SCP_WARN, s->write_msg);
		else
			sink_queue_reply(s, r, msg);
		break;
	case SCP_SINK_DIR:
		if (r == SCP_OK) {
			if (s->depth == s->cap) {
				size_t cap = s->cap ? s->cap * 2 : 8;
				struct scp_level *l = realloc(s->levels, cap * sizeof(*l));
				if (l == NULL) {
					scp_level_clear(&s->pending_dir);
					sink_end(s, FERRY_ENOMEM, true, "out of memory");
					break;
				}
				s->levels = l;
				s->cap = cap;
			}
			s->levels[s->depth++] = s->pending_dir;
			memset(&s->pending_dir, 0, sizeof(s->pending_dir));
			sink_queue_reply(s, SCP_OK, NULL);
		} else if (r == SCP_WARN) {
			/* The source skips the directory's contents. */
			scp_level_clear(&s->pending_dir);
			sink_queue_reply(s, SCP_WARN, msg);
		} else {
			scp_level_clear(&s->pending_dir);
			sink_end(s, FERRY_ECANCELED, true, "%s", msg ? msg : "failed");
		}
		break;
	case SCP_SINK_DIR_END:
		scp_level_clear(&s->levels[--s->depth]);
		if (s->ending) {
			/* unwinding after a clean EOF inside directories */
			s->state = s->depth > 0 ? SK_UNWIND : SK_DONE;
			break;
		}
		if (r == SCP_FATAL)
			sink_end(s, FERRY_ECANCELED, true, "%s", msg ? msg : "failed");
		else
			sink_queue_reply(s, r, msg);
		break;
	default:
		return FERRY_EINVAL;
	}
	return 0;
}

/* --- source ----------------------------------------------------------------------------- */

enum source_state {
	SRC_WAIT,       /* a line (or the start) waits for the sink's answer */
	SRC_IDLE,       /* the caller may announce the next item */
	SRC_DATA,       /* a file's data is being sent */
	SRC_FAILED,
};

struct scp_source {
	bool preserve;
	enum source_state state;
	enum scp_source_step step;  /* what the awaited answer is about */
	struct buf pending;         /* the C or D line to send once its T line is accepted */
	uint64_t left;              /* data bytes still owed for the current file */
	unsigned depth;
	unsigned errors;
	struct buf in;
	bool eof;
	struct buf out;
	char text[SCP_LINE_MAX + 1];
};

int scp_source_new(const struct scp_source_config *cfg, struct scp_source **out)
{
	struct scp_source *src = calloc(1, sizeof(*src));

	if (src == NULL)
		return FERRY_ENOMEM;
	src->preserve = cfg->preserve;
	src->state = SRC_WAIT;      /* the sink speaks first */
	src->step = SCP_STEP_START;
	buf_init(&src->pending, SCP_LINE_MAX * 4);
	buf_init(&src->in, SCP_SOURCE_IN_MAX);
	buf_init(&src->out, SCP_OUT_MAX);
	*out = src;
	return 0;
}

void scp_source_free(struct scp_source *src)
{
	if (src == NULL)
		return;
	buf_free(&src->pending);
	buf_free(&src->in);
	buf_free(&src->out);
	free(src);
}

int scp_source_input(struct scp_source *src, const uint8_t *p, size_t n)
{
	buf_compact(&src->in);
	return buf_put(&src->in, p, n);
}

void scp_source_input_eof(struct scp_source *src)
{
	src->eof = true;
}

void scp_source_output(const struct scp_source *src, const uint8_t **p, size_t *n)
{
	*p = buf_rptr(&src->out);
	*n = buf_len(&src->out);
}

void scp_source_output_consume(struct scp_source *src, size_t n)
{
	if (n > buf_len(&src->out))
		n = buf_len(&src->out);
	(void)buf_consume(&src->out, n);
	if (buf_len(&src->out) == 0)
		buf_reset(&src->out);
}

unsigned scp_source_errors(const struct scp_source *src)
{
	return src->errors;
}

uint64_t scp_source_data_left(const struct scp_source *src)
{
	return src->state == SRC_DATA ? src->left : 0;
}

/* Reads one answer from the input: 0, or a byte and a message line. Returns 1 with *r (and
 * src->text for a message), 0 when it is not all there yet. */
static int source_read_answer(struct scp_source *src, enum scp_reply *r)
{
	const uint8_t *p = buf_rptr(&src->in);
	size_t n = buf_len(&src->in);

	if (n == 0)
		return 0;
	if (p[0] == SCP_OK) {
		(void)buf_consume(&src->in, 1);
		src->text[0] = '\0';
		*r = SCP_OK;
		return 1;
	}
	/* As OpenSSH's scp: 1 is a warning, 2 fatal, and any other byte is the first character of
	 * a fatal message (a confused or hostile sink). The line ends at a newline, at
	 * SCP_LINE_MAX bytes, or at EOF. */
	const uint8_t *nl = memchr(p, '\n', n < SCP_LINE_MAX ? n : SCP_LINE_MAX);
	size_t len;
	if (nl != NULL)
		len = (size_t)(nl - p) + 1;
	else if (n >= SCP_LINE_MAX)
		len = SCP_LINE_MAX;
	else if (src->eof)
		len = n;
	else
		return 0;
	size_t skip = (p[0] == SCP_WARN || p[0] == SCP_FATAL) ? 1 : 0;
	size_t tlen = len - skip - (nl != NULL ? 1 : 0);
	memcpy(src->text, p + skip, tlen);
	src->text[tlen] = '\0';
	*r = p[0] == SCP_WARN ? SCP_WARN : SCP_FATAL;
	(void)buf_consume(&src->in, len);
	return 1;
}

int scp_source_poll(struct scp_source *src, struct scp_source_event *ev)
{
	enum scp_reply r;

	for (;;) {
		if (src->state != SRC_WAIT)
			return src->state == SRC_FAILED ? FERRY_ECLOSED : FERRY_EINVAL;
		int got = source_read_answer(src, &r);
		if (got == 0) {
			if (!src->eof)
				return FERRY_EAGAIN;
			src->state = SRC_FAILED;
			return FERRY_ECLOSED;
		}
		if (r == SCP_OK && buf_len(&src->pending) > 0) {
			/* The T line was accepted: now its C or D line, and wait again. */
			int rc = buf_put(&src->out, buf_rptr(&src->pending), buf_len(&src->pending));
			buf_reset(&src->pending);
			if (rc != 0) {
				src->state = SRC_FAILED;
				return rc;
			}
			continue;
		}
		buf_reset(&src->pending);
		memset(ev, 0, sizeof(*ev));
		ev->step = src->step;
		ev->reply = r;
		ev->text = src->text;
		if (r == SCP_FATAL) {
			src->errors++;
			src->state = SRC_FAILED;
			return 0;
		}
		if (r == SCP_WARN) {
			/* This item is refused and skipped (a refused directory is not entered). */
			src->errors++;
			src->state = SRC_IDLE;
			return 0;
		}
		src->state = SRC_IDLE;
		if (src->step == SCP_STEP_FILE)
			src->state = SRC_DATA;
		else if (src->step == SCP_STEP_DIR)
			src->depth++;
		return 0;
	}
}

/* Appends name as a C/D line wants it: newlines written "\^J" as OpenSSH's scp writes them,
 * so a name stays on its line. */
static int source_put_name(struct buf *b, const char *name)
{
	int rc = 0;
	for (const char *p = name; rc == 0 && *p != '\0'; p++) {
		if (*p == '\n')
			rc = buf_put(b, "\\^J", 3);
		else
			rc = buf_put_u8(b, (uint8_t)*p);
	}
	return rc;
}

static int source_announce(struct scp_source *src, char kind, const char *name, uint32_t mode,
			   uint64_t size, const struct scp_times *times)
{
	char head[64];
	int rc;

	if (src->state != SRC_IDLE)
		return src->state == SRC_FAILED ? FERRY_ECLOSED : FERRY_EBUSY;
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL)
		return FERRY_EINVAL;
	buf_reset(&src->pending);
	if (src->preserve && times != NULL) {
		/* Times before the C or D they belong to; the sink answers each line. Times
		 * before 1970 are sent as 0: the sink refuses negative ones. */
		int64_t m = times->mtime < 0 ? 0 : times->mtime;
		int64_t a = times->atime < 0 ? 0 : times->atime;
		snprintf(head, sizeof(head), "T%" PRId64 " 0 %" PRId64 " 0\n", m, a);
		rc = buf_put(&src->out, head, strlen(head));
		if (rc != 0)
			return rc;
	}
	struct buf *line = (src->preserve && times != NULL) ? &src->pending : &src->out;
	snprintf(head, sizeof(head), "%c%04o %" PRIu64 " ", kind, (unsigned)(mode & SCP_MODE_MASK),
		 size);
	rc = buf_put(line, head, strlen(head));
	if (rc == 0)
		rc = source_put_name(line, name);
	if (rc == 0)
		rc = buf_put_u8(line, '\n');
	if (rc != 0) {
		buf_reset(&src->pending);
		return rc;
	}
	src->state = SRC_WAIT;
	src->step = kind == 'C' ? SCP_STEP_FILE : SCP_STEP_DIR;
	src->left = size;
	return 0;
}

int scp_source_file(struct scp_source *src, const char *name, uint32_t mode, uint64_t size,
		    const struct scp_times *times)
{
	return source_announce(src, 'C', name, mode, size, times);
}

int scp_source_dir(struct scp_source *src, const char *name, uint32_t mode,
		   const struct scp_times *times)
{
	return source_announce(src, 'D', name, mode, 0, times);
}

int scp_source_data(struct scp_source *src, const uint8_t *p, size_t n)
{
	if (src->state != SRC_DATA || n > src->left)
		return FERRY_EINVAL;
	int rc = buf_put(&src->out, p, n);
	if (rc == 0)
		src->left -= n;
	return rc;
}

int scp_source_file_end(struct scp_source *src, const char *errmsg)
{
	int rc;

	if (src->state != SRC_DATA || src->left != 0)
		return FERRY_EINVAL;
	if (errmsg == NULL) {
		rc = buf_put_u8(&src->out, SCP_OK);
	} else {
		src->errors++;
		rc = scp_put_error(&src->out, SCP_WARN, errmsg);
	}
	if (rc != 0)
		return rc;
	src->state = SRC_WAIT;
	src->step = SCP_STEP_FILE_END;
	return 0;
}

int scp_source_dir_end(struct scp_source *src)
{
	if (src->state != SRC_IDLE)
		return src->state == SRC_FAILED ? FERRY_ECLOSED : FERRY_EBUSY;
	if (src->depth == 0)
		return FERRY_EINVAL;
	int rc = buf_put(&src->out, "E\n", 2);
	if (rc != 0)
		return rc;
	src->depth--;
	src->state = SRC_WAIT;
	src->step = SCP_STEP_DIR_END;
	return 0;
}

int scp_source_warn(struct scp_source *src, const char *msg)
{
	if (src->state != SRC_IDLE)
		return src->state == SRC_FAILED ? FERRY_ECLOSED : FERRY_EBUSY;
	src->errors++;
	return scp_put_error(&src->out, SCP_WARN, msg);
}
