/* The SFTP server's request parser and reply encoder (draft-ietf-secsh-filexfer-02 version 3,
 * OpenSSH PROTOCOL §4, draft-ietf-secsh-filexfer-extensions §3 check-file); no I/O here. */
#include "proto/sftp-server.h"

#include <stdlib.h>
#include <string.h>

/* The request table: OpenSSH's request names, in the order `sftp-server -Q requests` lists
 * them, then ferry's check-file pair. Extension versions are those PROTOCOL §4 gives. */
static const struct sftp_op_info op_table[] = {
	{ SFTP_OP_OPEN, "open", NULL, NULL, SSH_FXP_OPEN, false },
	{ SFTP_OP_CLOSE, "close", NULL, NULL, SSH_FXP_CLOSE, false },
	{ SFTP_OP_READ, "read", NULL, NULL, SSH_FXP_READ, false },
	{ SFTP_OP_WRITE, "write", NULL, NULL, SSH_FXP_WRITE, true },
	{ SFTP_OP_LSTAT, "lstat", NULL, NULL, SSH_FXP_LSTAT, false },
	{ SFTP_OP_FSTAT, "fstat", NULL, NULL, SSH_FXP_FSTAT, false },
	{ SFTP_OP_SETSTAT, "setstat", NULL, NULL, SSH_FXP_SETSTAT, true },
	{ SFTP_OP_FSETSTAT, "fsetstat", NULL, NULL, SSH_FXP_FSETSTAT, true },
	{ SFTP_OP_OPENDIR, "opendir", NULL, NULL, SSH_FXP_OPENDIR, false },
	{ SFTP_OP_READDIR, "readdir", NULL, NULL, SSH_FXP_READDIR, false },
	{ SFTP_OP_REMOVE, "remove", NULL, NULL, SSH_FXP_REMOVE, true },
	{ SFTP_OP_MKDIR, "mkdir", NULL, NULL, SSH_FXP_MKDIR, true },
	{ SFTP_OP_RMDIR, "rmdir", NULL, NULL, SSH_FXP_RMDIR, true },
	{ SFTP_OP_REALPATH, "realpath", NULL, NULL, SSH_FXP_REALPATH, false },
	{ SFTP_OP_STAT, "stat", NULL, NULL, SSH_FXP_STAT, false },
	{ SFTP_OP_RENAME, "rename", NULL, NULL, SSH_FXP_RENAME, true },
	{ SFTP_OP_READLINK, "readlink", NULL, NULL, SSH_FXP_READLINK, false },
	{ SFTP_OP_SYMLINK, "symlink", NULL, NULL, SSH_FXP_SYMLINK, true },
	{ SFTP_OP_POSIX_RENAME, "posix-rename", SFTP_EXT_POSIX_RENAME, "1", SSH_FXP_EXTENDED, true },
	{ SFTP_OP_STATVFS, "statvfs", SFTP_EXT_STATVFS, "2", SSH_FXP_EXTENDED, false },
	{ SFTP_OP_FSTATVFS, "fstatvfs", SFTP_EXT_FSTATVFS, "2", SSH_FXP_EXTENDED, false },
	{ SFTP_OP_HARDLINK, "hardlink", SFTP_EXT_HARDLINK, "1", SSH_FXP_EXTENDED, true },
	{ SFTP_OP_FSYNC, "fsync", SFTP_EXT_FSYNC, "1", SSH_FXP_EXTENDED, true },
	{ SFTP_OP_LSETSTAT, "lsetstat", SFTP_EXT_LSETSTAT, "1", SSH_FXP_EXTENDED, true },
	{ SFTP_OP_LIMITS, "limits", SFTP_EXT_LIMITS, "1", SSH_FXP_EXTENDED, false },
	{ SFTP_OP_EXPAND_PATH, "expand-path", SFTP_EXT_EXPAND_PATH, "1", SSH_FXP_EXTENDED, false },
	{ SFTP_OP_COPY_DATA, "copy-data", SFTP_EXT_COPY_DATA, "1", SSH_FXP_EXTENDED, true },
	{ SFTP_OP_HOME_DIRECTORY, "home-directory", SFTP_EXT_HOME_DIRECTORY, "1", SSH_FXP_EXTENDED, false },
	{ SFTP_OP_USERS_GROUPS_BY_ID, "users-groups-by-id", SFTP_EXT_USERS_GROUPS_BY_ID, "1",
	  SSH_FXP_EXTENDED, false },
	{ SFTP_OP_CHECK_FILE_HANDLE, "check-file-handle", SFTP_EXT_CHECK_FILE_HANDLE, "1",
	  SSH_FXP_EXTENDED, false },
	{ SFTP_OP_CHECK_FILE_NAME, "check-file-name", SFTP_EXT_CHECK_FILE_NAME, "1", SSH_FXP_EXTENDED,
	  false },
};

#define OP_TABLE_LEN (sizeof(op_table) / sizeof(op_table[0]))

/* The input buffer holds a few whole packets, so one read can bring in several requests. */
#define INPUT_PACKETS 4
/* Replies queue here until written; the caller stops taking requests long before this. */
#define OUTPUT_MAX (64u * 1024 * 1024)
/* uint32 length, byte type, uint32 id, then for DATA the uint32 data length. */
#define DATA_HEADER 13

struct sftp_server {
	struct buf in;
	struct buf out;
	uint32_t max_packet;
	bool check_file;
	uint64_t hidden_ops;
	bool initialized;
	bool data_open;
	uint32_t client_version;
	const char *error;
};

const struct sftp_op_info *sftp_op_info(enum sftp_op op)
{
	for (size_t i = 0; i < OP_TABLE_LEN; i++)
		if (op_table[i].op == op)
			return &op_table[i];
	return NULL;
}

enum sftp_op sftp_op_by_name(const char *name)
{
	for (size_t i = 0; i < OP_TABLE_LEN; i++)
		if (strcmp(op_table[i].name, name) == 0)
			return op_table[i].op;
	return SFTP_OP_NONE;
}

int sftp_server_new(const struct sftp_server_config *cfg, struct sftp_server **out)
{
	struct sftp_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FERRY_ENOMEM;
	s->max_packet = cfg && cfg->max_packet ? cfg->max_packet : SFTP_MAX_PACKET;
	/* A packet needs at least type and id; below that no request fits. */
	if (s->max_packet < 64)
		s->max_packet = 64;
	s->check_file = cfg ? cfg->check_file : false;
	s->hidden_ops = cfg ? cfg->hidden_ops : 0;
	buf_init(&s->in, INPUT_PACKETS * ((size_t)s->max_packet + 4));
	buf_init(&s->out, OUTPUT_MAX);
	*out = s;
	return 0;
}

void sftp_server_free(struct sftp_server *s)
{
	if (s == NULL)
		return;
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

int sftp_server_input(struct sftp_server *s, const void *p, size_t n)
{
	return buf_put(&s->in, p, n);
}

int sftp_server_input_space(struct sftp_server *s, size_t min, uint8_t **p, size_t *room)
{
	uint8_t *space;
	int r;

	if (min == 0)
		min = 1;
	if ((r = buf_reserve(&s->in, min, &space)) != 0)
		return r;
	/* Offer the whole free tail, growing it to the maximum when that is cheap: the caller
	 * reads as much as the kernel has in one call. */
	size_t free_tail = s->in.size - s->in.wpos;
	size_t cap = s->in.max - buf_len(&s->in);
	if (free_tail < cap && free_tail < 64 * 1024) {
		size_t want = cap < 64 * 1024 ? cap : 64 * 1024;
		if (buf_reserve(&s->in, want, &space) == 0)
			free_tail = s->in.size - s->in.wpos;
	}
	*p = space;
	*room = free_tail;
	return 0;
}

void sftp_server_input_commit(struct sftp_server *s, size_t n)
{
	buf_commit(&s->in, n);
}

size_t sftp_server_input_len(const struct sftp_server *s)
{
	return buf_len(&s->in);
}

const char *sftp_server_error(const struct sftp_server *s)
{
	return s->error;
}

uint32_t sftp_server_client_version(const struct sftp_server *s)
{
	return s->client_version;
}

/* --- replies ---------------------------------------------------------------------------- */

size_t sftp_server_output_len(const struct sftp_server *s)
{
	return buf_len(&s->out);
}

const uint8_t *sftp_server_output_ptr(const struct sftp_server *s)
{
	return buf_rptr(&s->out);
}

void sftp_server_output_consume(struct sftp_server *s, size_t n)
{
	(void)buf_consume(&s->out, n);
}

/* Starts a packet: a placeholder length, the type and (unless VERSION) the id. Returns the
 * offset of the length field for reply_end. */
static int reply_begin(struct sftp_server *s, uint8_t type, uint32_t id, bool with_id, size_t *mark)
{
	int r;
	*mark = s->out.wpos;
	if (s->data_open)
		return FERRY_EINVAL;
	if ((r = buf_put_u32(&s->out, 0)) != 0 || (r = buf_put_u8(&s->out, type)) != 0 ||
	    (with_id && (r = buf_put_u32(&s->out, id)) != 0))
		return r;
	return 0;
}

/* Finishes a packet begun at mark, or on error takes its partial bytes back out. */
static int reply_end(struct sftp_server *s, size_t mark, int r)
{
	if (r != 0) {
		s->out.wpos = mark;
		return r;
	}
	size_t len = s->out.wpos - mark - 4;
	if (len > UINT32_MAX) {
		s->out.wpos = mark;
		return FERRY_EFULL;
	}
	poke_u32(s->out.data + mark, (uint32_t)len);
	return 0;
}

int sftp_server_send_status(struct sftp_server *s, uint32_t id, uint32_t code, const char *msg)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_STATUS, id, true, &mark);
	/* filexfer-02 §7: code, error message (ISO-10646 UTF-8), language tag. */
	if (r == 0 && (r = buf_put_u32(&s->out, code)) == 0 &&
	    (r = buf_put_cstring(&s->out, msg ? msg : sftp_status_message(code))) == 0)
		r = buf_put_cstring(&s->out, "");
	return reply_end(s, mark, r);
}

int sftp_server_send_handle(struct sftp_server *s, uint32_t id, const void *h, size_t n)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_HANDLE, id, true, &mark);
	if (r == 0)
		r = buf_put_string(&s->out, h, n);
	return reply_end(s, mark, r);
}

int sftp_server_send_data(struct sftp_server *s, uint32_t id, const void *p, size_t n)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_DATA, id, true, &mark);
	if (r == 0)
		r = buf_put_string(&s->out, p, n);
	return reply_end(s, mark, r);
}

int sftp_server_data_begin(struct sftp_server *s, uint32_t id, size_t max, uint8_t **p)
{
	uint8_t *space;
	int r;
	if (s->data_open)
		return FERRY_EINVAL;
	if (max > UINT32_MAX - DATA_HEADER)
		return FERRY_EINVAL;
	if ((r = buf_reserve(&s->out, DATA_HEADER + max, &space)) != 0)
		return r;
	space[4] = SSH_FXP_DATA;
	poke_u32(space + 5, id);
	s->data_open = true;
	*p = space + DATA_HEADER;
	return 0;
}

void sftp_server_data_end(struct sftp_server *s, size_t n)
{
	if (!s->data_open)
		return;
	uint8_t *hdr = s->out.data + s->out.wpos;
	poke_u32(hdr, (uint32_t)(DATA_HEADER - 4 + n));
	poke_u32(hdr + 9, (uint32_t)n);
	buf_commit(&s->out, DATA_HEADER + n);
	s->data_open = false;
}

void sftp_server_data_cancel(struct sftp_server *s)
{
	s->data_open = false;
}

int sftp_server_send_attrs(struct sftp_server *s, uint32_t id, const struct sftp_attrs *a)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_ATTRS, id, true, &mark);
	if (r == 0)
		r = sftp_attrs_encode(&s->out, a);
	return reply_end(s, mark, r);
}

int sftp_server_send_name(struct sftp_server *s, uint32_t id, const struct sftp_name_entry *e,
			  size_t count)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_NAME, id, true, &mark);
	if (r == 0 && count > UINT32_MAX)
		r = FERRY_EINVAL;
	if (r == 0)
		r = buf_put_u32(&s->out, (uint32_t)count);
	for (size_t i = 0; r == 0 && i < count; i++)
		r = sftp_name_entry_encode(&s->out, &e[i]);
	return reply_end(s, mark, r);
}

int sftp_server_send_extended(struct sftp_server *s, uint32_t id, const void *p, size_t n)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, true, &mark);
	if (r == 0)
		r = buf_put(&s->out, p, n);
	return reply_end(s, mark, r);
}

int sftp_server_send_statvfs(struct sftp_server *s, uint32_t id, const struct sftp_statvfs *v)
{
	const uint64_t f[] = { v->bsize, v->frsize, v->blocks, v->bfree, v->bavail, v->files,
			       v->ffree, v->favail, v->fsid, v->flag, v->namemax };
	size_t mark;
	int r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, true, &mark);
	for (size_t i = 0; r == 0 && i < sizeof(f) / sizeof(f[0]); i++)
		r = buf_put_u64(&s->out, f[i]);
	return reply_end(s, mark, r);
}

int sftp_server_send_limits(struct sftp_server *s, uint32_t id, const struct sftp_limits *l)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, true, &mark);
	if (r == 0 && (r = buf_put_u64(&s->out, l->max_packet)) == 0 &&
	    (r = buf_put_u64(&s->out, l->max_read)) == 0 &&
	    (r = buf_put_u64(&s->out, l->max_write)) == 0)
		r = buf_put_u64(&s->out, l->max_handles);
	return reply_end(s, mark, r);
}

/* A string whose contents are a sequence of strings (PROTOCOL §4.12's name lists). */
static int put_name_list(struct buf *b, const char *const *names, size_t n)
{
	size_t len_at = b->wpos;
	int r = buf_put_u32(b, 0);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = buf_put_cstring(b, names[i] ? names[i] : "");
	if (r == 0) {
		size_t len = b->wpos - len_at - 4;
		if (len > UINT32_MAX)
			return FERRY_EFULL;
		poke_u32(b->data + len_at, (uint32_t)len);
	}
	return r;
}

int sftp_server_send_names_by_id(struct sftp_server *s, uint32_t id, const char *const *users,
				 size_t n_users, const char *const *groups, size_t n_groups)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, true, &mark);
	if (r == 0 && (r = put_name_list(&s->out, users, n_users)) == 0)
		r = put_name_list(&s->out, groups, n_groups);
	return reply_end(s, mark, r);
}

int sftp_server_send_check_file(struct sftp_server *s, uint32_t id, const char *alg,
				const uint8_t *hashes, size_t n)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, true, &mark);
	/* extensions draft §3: "check-file", the algorithm used, then the hash values to the end
	 * of the packet. */
	if (r == 0 && (r = buf_put_cstring(&s->out, SFTP_EXT_CHECK_FILE_REPLY)) == 0 &&
	    (r = buf_put_cstring(&s->out, alg)) == 0)
		r = buf_put(&s->out, hashes, n);
	return reply_end(s, mark, r);
}

static int send_version(struct sftp_server *s)
{
	size_t mark;
	int r = reply_begin(s, SSH_FXP_VERSION, 0, false, &mark);
	/* filexfer-02 §4: our version, then extension (name, data) pairs; PROTOCOL §4.2: the
	 * data is the extension's version as ASCII. */
	if (r == 0)
		r = buf_put_u32(&s->out, SFTP_VERSION);
	for (size_t i = 0; r == 0 && i < OP_TABLE_LEN; i++) {
		const struct sftp_op_info *op = &op_table[i];
		if (op->ext == NULL || (s->hidden_ops & (UINT64_C(1) << op->op)))
			continue;
		if (!s->check_file &&
		    (op->op == SFTP_OP_CHECK_FILE_HANDLE || op->op == SFTP_OP_CHECK_FILE_NAME))
			continue;
		if ((r = buf_put_cstring(&s->out, op->ext)) == 0)
			r = buf_put_cstring(&s->out, op->ext_version);
	}
	return reply_end(s, mark, r);
}

/* --- requests --------------------------------------------------------------------------- */

static int get_bytes(struct buf *b, struct sftp_bytes *out)
{
	return buf_get_string_ref(b, &out->p, &out->n);
}

/* A path (or user name): a string with no NUL byte, since it becomes a C string. */
static int get_path(struct buf *b, struct sftp_request *r, struct sftp_bytes *out)
{
	struct sftp_bytes v;
	int rc = get_bytes(b, &v);
	if (rc != 0)
		return rc;
	if (v.n > 0 && memchr(v.p, '\0', v.n) != NULL) {
		r->error = "a path contains a NUL byte";
		return FERRY_EPROTO;
	}
	*out = v;
	return 0;
}

typedef int (*parse_fn)(struct buf *b, struct sftp_request *r);

static int parse_path(struct buf *b, struct sftp_request *r)
{
	return get_path(b, r, &r->path);
}

static int parse_two_paths(struct buf *b, struct sftp_request *r)
{
	int rc = get_path(b, r, &r->path);
	return rc ? rc : get_path(b, r, &r->path2);
}

static int parse_handle(struct buf *b, struct sftp_request *r)
{
	return get_bytes(b, &r->handle);
}

static int parse_path_attrs(struct buf *b, struct sftp_request *r)
{
	int rc = get_path(b, r, &r->path);
	return rc ? rc : sftp_attrs_decode(b, &r->attrs);
}

static int parse_handle_attrs(struct buf *b, struct sftp_request *r)
{
	int rc = get_bytes(b, &r->handle);
	return rc ? rc : sftp_attrs_decode(b, &r->attrs);
}

/* filexfer-02 §6.3: filename, pflags, attrs. */
static int parse_open(struct buf *b, struct sftp_request *r)
{
	int rc;
	if ((rc = get_path(b, r, &r->path)) != 0 || (rc = buf_get_u32(b, &r->pflags)) != 0)
		return rc;
	return sftp_attrs_decode(b, &r->attrs);
}

/* filexfer-02 §6.4: handle, offset, len. */
static int parse_read(struct buf *b, struct sftp_request *r)
{
	uint32_t len;
	int rc;
	if ((rc = get_bytes(b, &r->handle)) != 0 || (rc = buf_get_u64(b, &r->offset)) != 0 ||
	    (rc = buf_get_u32(b, &len)) != 0)
		return rc;
	r->length = len;
	return 0;
}

/* filexfer-02 §6.4: handle, offset, data. */
static int parse_write(struct buf *b, struct sftp_request *r)
{
	int rc;
	if ((rc = get_bytes(b, &r->handle)) != 0 || (rc = buf_get_u64(b, &r->offset)) != 0)
		return rc;
	return get_bytes(b, &r->data);
}

static int parse_none(struct buf *b, struct sftp_request *r)
{
	return 0;
}

/* PROTOCOL §4.10: read handle, offset, length, write handle, offset. */
static int parse_copy_data(struct buf *b, struct sftp_request *r)
{
	int rc;
	if ((rc = get_bytes(b, &r->handle)) != 0 || (rc = buf_get_u64(b, &r->offset)) != 0 ||
	    (rc = buf_get_u64(b, &r->length)) != 0 || (rc = get_bytes(b, &r->handle2)) != 0)
		return rc;
	return buf_get_u64(b, &r->offset2);
}

/* PROTOCOL §4.12: two strings, each a run of uint32 ids. */
static int parse_users_groups(struct buf *b, struct sftp_request *r)
{
	int rc;
	if ((rc = get_bytes(b, &r->data)) != 0 || (rc = get_bytes(b, &r->data2)) != 0)
		return rc;
	if (r->data.n % 4 != 0 || r->data2.n % 4 != 0) {
		r->error = "an id list is not a whole number of uint32s";
		return FERRY_EPROTO;
	}
	return 0;
}

/* extensions draft §3: handle or name, hash-algorithm-list, start-offset, length,
 * block-size. */
static int parse_check_file_tail(struct buf *b, struct sftp_request *r)
{
	int rc;
	if ((rc = get_bytes(b, &r->data)) != 0 || (rc = buf_get_u64(b, &r->offset)) != 0 ||
	    (rc = buf_get_u64(b, &r->length)) != 0 || (rc = buf_get_u32(b, &r->block_size)) != 0)
		return rc;
	/* §3.1: block-size MUST NOT be smaller than 256 (0 means one hash for the range). */
	if (r->block_size != 0 && r->block_size < SFTP_CHECK_FILE_MIN_BLOCK) {
		r->error = "check-file block size below 256";
		return FERRY_EPROTO;
	}
	return 0;
}

static int parse_check_file_handle(struct buf *b, struct sftp_request *r)
{
	int rc = get_bytes(b, &r->handle);
	return rc ? rc : parse_check_file_tail(b, r);
}

static int parse_check_file_name(struct buf *b, struct sftp_request *r)
{
	int rc = get_path(b, r, &r->path);
	return rc ? rc : parse_check_file_tail(b, r);
}

/* Body parsers, by op (dispatch is data). */
static const parse_fn parsers[SFTP_OP_COUNT] = {
	[SFTP_OP_OPEN] = parse_open,
	[SFTP_OP_CLOSE] = parse_handle,
	[SFTP_OP_READ] = parse_read,
	[SFTP_OP_WRITE] = parse_write,
	[SFTP_OP_LSTAT] = parse_path,
	[SFTP_OP_FSTAT] = parse_handle,
	[SFTP_OP_SETSTAT] = parse_path_attrs,
	[SFTP_OP_FSETSTAT] = parse_handle_attrs,
	[SFTP_OP_OPENDIR] = parse_path,
	[SFTP_OP_READDIR] = parse_handle,
	[SFTP_OP_REMOVE] = parse_path,
	[SFTP_OP_MKDIR] = parse_path_attrs,
	[SFTP_OP_RMDIR] = parse_path,
	/* filexfer-02 §6.11: REALPATH carries only the path (later versions add fields after
	 * it, which are ignored as any trailing bytes are). */
	[SFTP_OP_REALPATH] = parse_path,
	[SFTP_OP_STAT] = parse_path,
	[SFTP_OP_RENAME] = parse_two_paths,
	[SFTP_OP_READLINK] = parse_path,
	/* PROTOCOL §4.1: targetpath first, then linkpath (the draft's order swapped). */
	[SFTP_OP_SYMLINK] = parse_two_paths,
	[SFTP_OP_POSIX_RENAME] = parse_two_paths,
	[SFTP_OP_STATVFS] = parse_path,
	[SFTP_OP_FSTATVFS] = parse_handle,
	[SFTP_OP_HARDLINK] = parse_two_paths,
	[SFTP_OP_FSYNC] = parse_handle,
	[SFTP_OP_LSETSTAT] = parse_path_attrs,
	[SFTP_OP_LIMITS] = parse_none,
	[SFTP_OP_EXPAND_PATH] = parse_path,
	[SFTP_OP_COPY_DATA] = parse_copy_data,
	[SFTP_OP_HOME_DIRECTORY] = parse_path,
	[SFTP_OP_USERS_GROUPS_BY_ID] = parse_users_groups,
	[SFTP_OP_CHECK_FILE_HANDLE] = parse_check_file_handle,
	[SFTP_OP_CHECK_FILE_NAME] = parse_check_file_name,
};

static enum sftp_op op_by_type(uint8_t type)
{
	for (size_t i = 0; i < OP_TABLE_LEN; i++)
		if (op_table[i].ext == NULL && op_table[i].type == type)
			return op_table[i].op;
	return SFTP_OP_UNSUPPORTED;
}

static enum sftp_op op_by_ext(const struct sftp_bytes *name, bool check_file)
{
	for (size_t i = 0; i < OP_TABLE_LEN; i++) {
		const char *ext = op_table[i].ext;
		if (ext == NULL || strlen(ext) != name->n || memcmp(ext, name->p, name->n) != 0)
			continue;
		if (!check_file && (op_table[i].op == SFTP_OP_CHECK_FILE_HANDLE ||
				    op_table[i].op == SFTP_OP_CHECK_FILE_NAME))
			return SFTP_OP_UNSUPPORTED;
		return op_table[i].op;
	}
	return SFTP_OP_UNSUPPORTED;
}

/* Parses one whole packet body (type onwards) into *req; errors that end the session set
 * s->error and return FERRY_EPROTO; a bad body becomes SFTP_OP_BAD (answered, not fatal). */
static int parse_packet(struct sftp_server *s, struct buf *b, struct sftp_request *req)
{
	uint8_t type;
	uint32_t id;

	memset(req, 0, sizeof(*req));
	if (buf_get_u8(b, &type) != 0) {
		s->error = "empty packet";
		return FERRY_EPROTO;
	}
	req->type = type;
	if (type == SSH_FXP_INIT) {
		uint32_t version;
		/* filexfer-02 §4: INIT comes once, first, and carries the client's version. */
		if (s->initialized) {
			s->error = "a second SSH_FXP_INIT";
			return FERRY_EPROTO;
		}
		if (buf_get_u32(b, &version) != 0) {
			s->error = "SSH_FXP_INIT without a version";
			return FERRY_EPROTO;
		}
		s->client_version = version;
		s->initialized = true;
		req->op = SFTP_OP_NONE;
		return 0;
	}
	if (!s->initialized) {
		s->error = "a request before SSH_FXP_INIT";
		return FERRY_EPROTO;
	}
	/* filexfer-02 §3: every request after INIT starts with a uint32 request id. Without one
	 * there is nothing to answer. */
	if (buf_get_u32(b, &id) != 0) {
		s->error = "a packet too short to hold a request id";
		return FERRY_EPROTO;
	}
	req->id = id;
	if (type == SSH_FXP_EXTENDED) {
		/* filexfer-02 §8: extended-request name, then request-specific data. */
		if (get_bytes(b, &req->ext_name) != 0) {
			req->op = SFTP_OP_BAD;
			req->error = "SSH_FXP_EXTENDED without a request name";
			return 0;
		}
		req->op = op_by_ext(&req->ext_name, s->check_file);
	} else {
		req->op = op_by_type(type);
	}
	if (req->op == SFTP_OP_UNSUPPORTED)
		return 0;
	int rc = parsers[req->op](b, req);
	if (rc != 0) {
		/* A body that ends early or breaks a rule is answered with BAD_MESSAGE; the
		 * session goes on (the framing told us where the next packet starts). */
		struct sftp_bytes ext = req->ext_name;
		const char *why = req->error;
		memset(req, 0, sizeof(*req));
		req->type = type;
		req->id = id;
		req->ext_name = ext;
		req->op = SFTP_OP_BAD;
		req->error = why ? why : "the request ends early";
	}
	return 0;
}

int sftp_server_next_request(struct sftp_server *s, struct sftp_request *req)
{
	struct buf pkt;
	uint32_t len;
	int r;

	if (s->error != NULL)
		return FERRY_EPROTO;
	for (;;) {
		size_t have = buf_len(&s->in);
		if (have < 4)
			return FERRY_EAGAIN;
		len = peek_u32(buf_rptr(&s->in));
		/* PROTOCOL §4.8: the client stays within the packet length we advertise; one that
		 * does not gets the session closed rather than a buffer of its choosing. */
		if (len > s->max_packet) {
			s->error = "a packet longer than the advertised maximum";
			return FERRY_EPROTO;
		}
		if (have - 4 < len)
			return FERRY_EAGAIN;
		buf_view(&pkt, buf_rptr(&s->in) + 4, len);
		/* The request borrows from the input: the bytes stay put until the next input or
		 * next_request call (consume only moves the cursor). */
		(void)buf_consume(&s->in, 4 + (size_t)len);
		r = parse_packet(s, &pkt, req);
		if (r != 0)
			return r;
		if (req->type == SSH_FXP_INIT) {
			if ((r = send_version(s)) != 0) {
				s->error = "cannot queue SSH_FXP_VERSION";
				return r;
			}
			continue;
		}
		return 0;
	}
}
