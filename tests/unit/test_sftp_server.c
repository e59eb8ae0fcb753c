/* Unit tests for the SFTP server: the request parser and reply encoder (proto/sftp-server.c,
 * proto/sftp-common.c) and the executor (transfer/sftp-fs.c) in a temporary directory, with
 * read-only mode, request lists, the handle cap, the jail and the extensions. */
#include "common/log.h"
#include "common/text.h"
#include "crypto/hash.h"
#include "proto/sftp-server.h"
#include "transfer/sftp-fs.h"
#include "transfer/sftp-serve.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- building requests ------------------------------------------------------------------- */

/* A packet under construction: uint32 length (patched by pkt_end), then the body. */
static void pkt_begin(struct buf *b, uint8_t type, uint32_t id, bool with_id)
{
	buf_init(b, 0);
	CHECK_OK(buf_put_u32(b, 0));
	CHECK_OK(buf_put_u8(b, type));
	if (with_id)
		CHECK_OK(buf_put_u32(b, id));
}

static void pkt_end(struct buf *b)
{
	poke_u32(b->data, (uint32_t)(buf_len(b) - 4));
}

static void put_str(struct buf *b, const char *s)
{
	CHECK_OK(buf_put_cstring(b, s));
}

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	CHECK_OK(buf_put_string(b, p, n));
}

static void ext_begin(struct buf *b, uint32_t id, const char *name)
{
	pkt_begin(b, SSH_FXP_EXTENDED, id, true);
	put_str(b, name);
}

static const uint8_t init_pkt[] = { 0, 0, 0, 5, SSH_FXP_INIT, 0, 0, 0, 3 };

static struct sftp_server *new_server(bool check_file)
{
	struct sftp_server_config cfg = { .check_file = check_file };
	struct sftp_server *s = NULL;
	CHECK_OK(sftp_server_new(&cfg, &s));
	return s;
}

/* A server past INIT with its VERSION thrown away. */
static struct sftp_server *ready_server(void)
{
	struct sftp_server *s = new_server(true);
	struct sftp_request req;
	CHECK_OK(sftp_server_input(s, init_pkt, sizeof(init_pkt)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EAGAIN);
	sftp_server_output_consume(s, sftp_server_output_len(s));
	return s;
}

/* Feeds one packet and takes the request off; returns next_request's code. */
static int feed(struct sftp_server *s, struct buf *pkt, struct sftp_request *req)
{
	pkt_end(pkt);
	CHECK_OK(sftp_server_input(s, buf_rptr(pkt), buf_len(pkt)));
	int r = sftp_server_next_request(s, req);
	buf_free(pkt);
	return r;
}

static bool bytes_eq(const struct sftp_bytes *b, const char *s)
{
	return b->n == strlen(s) && memcmp(b->p, s, b->n) == 0;
}

/* --- parser ------------------------------------------------------------------------------ */

static void test_init_version(void)
{
	struct sftp_server *s = new_server(true);
	struct sftp_request req;
	struct buf out;
	uint8_t type;
	uint32_t len, ver;
	bool saw_posix = false, saw_check = false, saw_users = false;

	CHECK_OK(sftp_server_input(s, init_pkt, sizeof(init_pkt)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EAGAIN);
	CHECK(sftp_server_client_version(s) == 3);
	buf_view(&out, sftp_server_output_ptr(s), sftp_server_output_len(s));
	CHECK_OK(buf_get_u32(&out, &len));
	CHECK(len == buf_len(&out));
	CHECK_OK(buf_get_u8(&out, &type));
	CHECK(type == SSH_FXP_VERSION);
	CHECK_OK(buf_get_u32(&out, &ver));
	CHECK(ver == 3);
	while (buf_len(&out) > 0) {
		char *name = NULL, *v = NULL;
		CHECK_OK(buf_get_cstring(&out, &name, NULL));
		CHECK_OK(buf_get_cstring(&out, &v, NULL));
		if (name && strcmp(name, "posix-rename@openssh.com") == 0)
			saw_posix = v && strcmp(v, "1") == 0;
		if (name && strcmp(name, "check-file-handle") == 0)
			saw_check = true;
		if (name && strcmp(name, "users-groups-by-id@openssh.com") == 0)
			saw_users = true;
		if (name && strcmp(name, "statvfs@openssh.com") == 0)
			CHECK_STR(v, "2");
		free(name);
		free(v);
		if (name == NULL)
			break;
	}
	CHECK(saw_posix && saw_check && saw_users);
	sftp_server_free(s);

	/* Hidden extensions are left out; check-file only when asked for. */
	struct sftp_server_config cfg = { .hidden_ops = UINT64_C(1) << SFTP_OP_HARDLINK };
	CHECK_OK(sftp_server_new(&cfg, &s));
	CHECK_OK(sftp_server_input(s, init_pkt, sizeof(init_pkt)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EAGAIN);
	const uint8_t *p = sftp_server_output_ptr(s);
	size_t n = sftp_server_output_len(s);
	CHECK(memmem(p, n, "hardlink@openssh.com", 20) == NULL);
	CHECK(memmem(p, n, "check-file", 10) == NULL);
	CHECK(memmem(p, n, "fsync@openssh.com", 17) != NULL);
	sftp_server_free(s);
}

static void test_session_errors(void)
{
	struct sftp_server *s;
	struct sftp_request req;
	struct buf b;

	/* A request before INIT ends the session. */
	s = new_server(false);
	pkt_begin(&b, SSH_FXP_REALPATH, 1, true);
	put_str(&b, ".");
	CHECK_RC(feed(s, &b, &req), FERRY_EPROTO);
	CHECK(sftp_server_error(s) != NULL);
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	sftp_server_free(s);

	/* A second INIT. */
	s = ready_server();
	CHECK_OK(sftp_server_input(s, init_pkt, sizeof(init_pkt)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	sftp_server_free(s);

	/* INIT without a version, an empty packet, a packet without an id. */
	static const uint8_t short_init[] = { 0, 0, 0, 1, SSH_FXP_INIT };
	s = new_server(false);
	CHECK_OK(sftp_server_input(s, short_init, sizeof(short_init)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	sftp_server_free(s);
	static const uint8_t empty[] = { 0, 0, 0, 0 };
	s = ready_server();
	CHECK_OK(sftp_server_input(s, empty, sizeof(empty)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	sftp_server_free(s);
	static const uint8_t no_id[] = { 0, 0, 0, 3, SSH_FXP_READ, 0, 1 };
	s = ready_server();
	CHECK_OK(sftp_server_input(s, no_id, sizeof(no_id)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	sftp_server_free(s);

	/* A length over the maximum: the session ends before any of the body is wanted. */
	uint8_t big[8];
	poke_u32(big, SFTP_MAX_PACKET + 1);
	big[4] = SSH_FXP_WRITE;
	s = ready_server();
	CHECK_OK(sftp_server_input(s, big, sizeof(big)));
	CHECK_RC(sftp_server_next_request(s, &req), FERRY_EPROTO);
	CHECK(sftp_server_error(s) != NULL && strstr(sftp_server_error(s), "maximum") != NULL);
	sftp_server_free(s);
	/* Exactly the maximum is fine (here: a WRITE of a big data string). */
	s = ready_server();
	pkt_begin(&b, SSH_FXP_WRITE, 9, true);
	put_str(&b, "h");
	CHECK_OK(buf_put_u64(&b, 0));
	size_t room = SFTP_MAX_PACKET - (buf_len(&b) - 4) - 4;
	uint8_t *data = calloc(1, room);
	put_bytes(&b, data, room);
	free(data);
	CHECK(buf_len(&b) - 4 == SFTP_MAX_PACKET);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_WRITE && req.data.n == room && req.id == 9);
	sftp_server_free(s);
}

static void test_split_input(void)
{
	struct sftp_server *s = new_server(false);
	struct sftp_request req;
	struct buf b;

	CHECK_OK(sftp_server_input(s, init_pkt, sizeof(init_pkt)));
	pkt_begin(&b, SSH_FXP_OPEN, 77, true);
	put_str(&b, "some/file");
	CHECK_OK(buf_put_u32(&b, SSH_FXF_READ | SSH_FXF_WRITE | SSH_FXF_CREAT));
	struct sftp_attrs a = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0640 };
	CHECK_OK(sftp_attrs_encode(&b, &a));
	pkt_end(&b);
	/* One byte at a time, through the zero-copy path: nothing until the last byte. */
	for (size_t i = 0; i < buf_len(&b); i++) {
		uint8_t *p;
		size_t n;
		CHECK_OK(sftp_server_input_space(s, 1, &p, &n));
		CHECK(n >= 1);
		*p = buf_rptr(&b)[i];
		sftp_server_input_commit(s, 1);
		int r = sftp_server_next_request(s, &req);
		if (i + 1 < buf_len(&b))
			CHECK_RC(r, FERRY_EAGAIN);
		else
			CHECK_OK(r);
	}
	CHECK(req.op == SFTP_OP_OPEN && req.id == 77 && bytes_eq(&req.path, "some/file"));
	CHECK(req.pflags == (SSH_FXF_READ | SSH_FXF_WRITE | SSH_FXF_CREAT));
	CHECK(req.attrs.flags == SSH_FILEXFER_ATTR_PERMISSIONS && req.attrs.perm == 0640);
	CHECK(sftp_server_output_len(s) > 0);   /* VERSION */
	buf_free(&b);
	sftp_server_free(s);
}

static void test_every_request_parses(void)
{
	struct sftp_server *s = ready_server();
	struct sftp_request req;
	struct buf b;
	static const uint8_t ids[] = { 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3 };

	struct { uint8_t type; enum sftp_op op; } path_only[] = {
		{ SSH_FXP_LSTAT, SFTP_OP_LSTAT }, { SSH_FXP_STAT, SFTP_OP_STAT },
		{ SSH_FXP_OPENDIR, SFTP_OP_OPENDIR }, { SSH_FXP_REMOVE, SFTP_OP_REMOVE },
		{ SSH_FXP_RMDIR, SFTP_OP_RMDIR }, { SSH_FXP_REALPATH, SFTP_OP_REALPATH },
		{ SSH_FXP_READLINK, SFTP_OP_READLINK },
	};
	for (size_t i = 0; i < sizeof(path_only) / sizeof(path_only[0]); i++) {
		pkt_begin(&b, path_only[i].type, (uint32_t)(100 + i), true);
		put_str(&b, "/a/b");
		CHECK_OK(feed(s, &b, &req));
		CHECK(req.op == path_only[i].op && req.id == 100 + i && bytes_eq(&req.path, "/a/b"));
	}
	struct { uint8_t type; enum sftp_op op; } handle_only[] = {
		{ SSH_FXP_CLOSE, SFTP_OP_CLOSE }, { SSH_FXP_FSTAT, SFTP_OP_FSTAT },
		{ SSH_FXP_READDIR, SFTP_OP_READDIR },
	};
	for (size_t i = 0; i < sizeof(handle_only) / sizeof(handle_only[0]); i++) {
		pkt_begin(&b, handle_only[i].type, 5, true);
		put_str(&b, "HANDLE01");
		CHECK_OK(feed(s, &b, &req));
		CHECK(req.op == handle_only[i].op && bytes_eq(&req.handle, "HANDLE01"));
	}
	pkt_begin(&b, SSH_FXP_READ, 6, true);
	put_str(&b, "H");
	CHECK_OK(buf_put_u64(&b, 0x123456789aull));
	CHECK_OK(buf_put_u32(&b, 32768));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_READ && req.offset == 0x123456789aull && req.length == 32768);

	pkt_begin(&b, SSH_FXP_WRITE, 7, true);
	put_str(&b, "H");
	CHECK_OK(buf_put_u64(&b, 5));
	put_str(&b, "payload");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_WRITE && req.offset == 5 && bytes_eq(&req.data, "payload"));

	struct sftp_attrs all = { .flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID |
					   SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME,
				  .size = 99, .uid = 1, .gid = 2, .perm = 0100644, .atime = 3, .mtime = 4 };
	struct { uint8_t type; enum sftp_op op; bool handle; } with_attrs[] = {
		{ SSH_FXP_SETSTAT, SFTP_OP_SETSTAT, false }, { SSH_FXP_FSETSTAT, SFTP_OP_FSETSTAT, true },
		{ SSH_FXP_MKDIR, SFTP_OP_MKDIR, false },
	};
	for (size_t i = 0; i < sizeof(with_attrs) / sizeof(with_attrs[0]); i++) {
		pkt_begin(&b, with_attrs[i].type, 8, true);
		put_str(&b, "x");
		CHECK_OK(sftp_attrs_encode(&b, &all));
		CHECK_OK(feed(s, &b, &req));
		CHECK(req.op == with_attrs[i].op);
		CHECK(bytes_eq(with_attrs[i].handle ? &req.handle : &req.path, "x"));
		CHECK(memcmp(&req.attrs, &all, sizeof(all)) == 0);
	}
	pkt_begin(&b, SSH_FXP_RENAME, 9, true);
	put_str(&b, "old");
	put_str(&b, "new");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_RENAME && bytes_eq(&req.path, "old") && bytes_eq(&req.path2, "new"));
	/* PROTOCOL §4.1: target first, then the link. */
	pkt_begin(&b, SSH_FXP_SYMLINK, 10, true);
	put_str(&b, "target");
	put_str(&b, "linkpath");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_SYMLINK && bytes_eq(&req.path, "target") && bytes_eq(&req.path2, "linkpath"));

	/* Extensions. */
	const char *two_paths[] = { "posix-rename@openssh.com", "hardlink@openssh.com" };
	for (size_t i = 0; i < 2; i++) {
		ext_begin(&b, 11, two_paths[i]);
		put_str(&b, "a");
		put_str(&b, "b");
		CHECK_OK(feed(s, &b, &req));
		CHECK(req.op == (i ? SFTP_OP_HARDLINK : SFTP_OP_POSIX_RENAME));
		CHECK(bytes_eq(&req.path, "a") && bytes_eq(&req.path2, "b"));
	}
	struct { const char *name; enum sftp_op op; bool handle; } one_arg[] = {
		{ "statvfs@openssh.com", SFTP_OP_STATVFS, false },
		{ "fstatvfs@openssh.com", SFTP_OP_FSTATVFS, true },
		{ "fsync@openssh.com", SFTP_OP_FSYNC, true },
		{ "expand-path@openssh.com", SFTP_OP_EXPAND_PATH, false },
		{ "home-directory", SFTP_OP_HOME_DIRECTORY, false },
	};
	for (size_t i = 0; i < sizeof(one_arg) / sizeof(one_arg[0]); i++) {
		ext_begin(&b, 12, one_arg[i].name);
		put_str(&b, "arg");
		CHECK_OK(feed(s, &b, &req));
		CHECK(req.op == one_arg[i].op);
		CHECK(bytes_eq(one_arg[i].handle ? &req.handle : &req.path, "arg"));
	}
	ext_begin(&b, 13, "lsetstat@openssh.com");
	put_str(&b, "l");
	CHECK_OK(sftp_attrs_encode(&b, &all));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_LSETSTAT && req.attrs.mtime == 4);
	ext_begin(&b, 14, "limits@openssh.com");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_LIMITS && req.id == 14);
	ext_begin(&b, 15, "copy-data");
	put_str(&b, "R");
	CHECK_OK(buf_put_u64(&b, 1));
	CHECK_OK(buf_put_u64(&b, 2));
	put_str(&b, "W");
	CHECK_OK(buf_put_u64(&b, 3));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_COPY_DATA && bytes_eq(&req.handle, "R") && bytes_eq(&req.handle2, "W"));
	CHECK(req.offset == 1 && req.length == 2 && req.offset2 == 3);
	ext_begin(&b, 16, "users-groups-by-id@openssh.com");
	put_bytes(&b, ids, 8);
	put_bytes(&b, ids + 8, 4);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_USERS_GROUPS_BY_ID && req.data.n == 8 && req.data2.n == 4);
	CHECK(sftp_id_at(&req.data, 1) == 2 && sftp_id_at(&req.data2, 0) == 3);
	ext_begin(&b, 17, "check-file-name");
	put_str(&b, "f");
	put_str(&b, "sha256,xxh3");
	CHECK_OK(buf_put_u64(&b, 10));
	CHECK_OK(buf_put_u64(&b, 20));
	CHECK_OK(buf_put_u32(&b, 256));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_CHECK_FILE_NAME && bytes_eq(&req.path, "f"));
	CHECK(bytes_eq(&req.data, "sha256,xxh3") && req.offset == 10 && req.length == 20 &&
	      req.block_size == 256);
	ext_begin(&b, 18, "check-file-handle");
	put_str(&b, "h");
	put_str(&b, "xxh128");
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u32(&b, 0));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_CHECK_FILE_HANDLE && bytes_eq(&req.handle, "h"));

	/* Unknown types and extensions are requests to answer, not errors. */
	pkt_begin(&b, 99, 19, true);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_UNSUPPORTED && req.id == 19 && req.type == 99);
	ext_begin(&b, 20, "nope@example.com");
	put_str(&b, "whatever");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_UNSUPPORTED && bytes_eq(&req.ext_name, "nope@example.com"));
	sftp_server_free(s);
}

static void test_bad_bodies(void)
{
	struct sftp_server *s = ready_server();
	struct sftp_request req;
	struct buf b;

	/* A string longer than what is left: BAD for that id, and the next request is fine. */
	pkt_begin(&b, SSH_FXP_STAT, 21, true);
	CHECK_OK(buf_put_u32(&b, 1000));
	CHECK_OK(buf_put(&b, "abc", 3));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD && req.id == 21 && req.error != NULL);
	pkt_begin(&b, SSH_FXP_STAT, 22, true);
	put_str(&b, "ok");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_STAT && req.id == 22);
	/* A READ missing its length. */
	pkt_begin(&b, SSH_FXP_READ, 23, true);
	put_str(&b, "H");
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD && req.id == 23);
	/* Attributes cut short. */
	pkt_begin(&b, SSH_FXP_SETSTAT, 24, true);
	put_str(&b, "p");
	CHECK_OK(buf_put_u32(&b, SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_ACMODTIME));
	CHECK_OK(buf_put_u64(&b, 1));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD);
	/* Extended attributes claiming more pairs than there are bytes. */
	pkt_begin(&b, SSH_FXP_SETSTAT, 25, true);
	put_str(&b, "p");
	CHECK_OK(buf_put_u32(&b, SSH_FILEXFER_ATTR_EXTENDED));
	CHECK_OK(buf_put_u32(&b, 0xffffffffu));
	put_str(&b, "t");
	put_str(&b, "d");
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD);
	/* A path with a NUL byte. */
	pkt_begin(&b, SSH_FXP_OPENDIR, 26, true);
	put_bytes(&b, "a\0b", 3);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD && strstr(req.error, "NUL") != NULL);
	/* Id lists that are not whole uint32s; a check-file block below 256. */
	ext_begin(&b, 27, "users-groups-by-id@openssh.com");
	put_bytes(&b, "abc", 3);
	put_bytes(&b, "", 0);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD);
	ext_begin(&b, 28, "check-file-name");
	put_str(&b, "f");
	put_str(&b, "sha256");
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u32(&b, 255));
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD);
	/* EXTENDED without a name. */
	pkt_begin(&b, SSH_FXP_EXTENDED, 29, true);
	CHECK_OK(feed(s, &b, &req));
	CHECK(req.op == SFTP_OP_BAD && req.id == 29);
	sftp_server_free(s);
}

/* --- encoder ----------------------------------------------------------------------------- */

/* Takes one reply off the server's output: its type, id and the rest as a view in *body
 * (valid until the output is next written). */
static bool take_reply(struct sftp_server *s, uint8_t *type, uint32_t *id, struct buf *body,
		       uint8_t *copy, size_t copy_max)
{
	struct buf out;
	uint32_t len;
	size_t have = sftp_server_output_len(s);
	if (have < 9)
		return false;
	buf_view(&out, sftp_server_output_ptr(s), have);
	if (buf_get_u32(&out, &len) != 0 || len > buf_len(&out) || len < 5 || len > copy_max)
		return false;
	memcpy(copy, buf_rptr(&out), len);
	sftp_server_output_consume(s, 4 + (size_t)len);
	*type = copy[0];
	*id = peek_u32(copy + 1);
	buf_view(body, copy + 5, len - 5);
	return true;
}

static uint8_t reply_copy[SFTP_MAX_PACKET + 64];

static void test_replies(void)
{
	struct sftp_server *s = ready_server();
	struct buf body;
	uint8_t type;
	uint32_t id, u;
	uint64_t q;

	CHECK_OK(sftp_server_send_status(s, 1, SSH_FX_NO_SUCH_FILE, NULL));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_STATUS && id == 1);
	char *msg = NULL, *lang = NULL;
	CHECK_OK(buf_get_u32(&body, &u));
	CHECK(u == SSH_FX_NO_SUCH_FILE);
	CHECK_OK(buf_get_cstring(&body, &msg, NULL));
	CHECK_OK(buf_get_cstring(&body, &lang, NULL));
	CHECK_STR(msg, "No such file");
	CHECK_STR(lang, "");
	free(msg);
	free(lang);

	CHECK_OK(sftp_server_send_handle(s, 2, "HH", 2));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	const uint8_t *p;
	size_t n;
	CHECK(type == SSH_FXP_HANDLE && id == 2);
	CHECK_OK(buf_get_string_ref(&body, &p, &n));
	CHECK(n == 2 && memcmp(p, "HH", 2) == 0);

	/* Zero-copy DATA: begin, fill less than reserved, end; and a cancelled one leaves
	 * nothing behind. */
	uint8_t *space;
	CHECK_OK(sftp_server_data_begin(s, 3, 100, &space));
	CHECK_RC(sftp_server_send_status(s, 9, 0, NULL), FERRY_EINVAL);  /* nothing in between */
	memcpy(space, "hello", 5);
	sftp_server_data_end(s, 5);
	CHECK_OK(sftp_server_data_begin(s, 4, 100, &space));
	sftp_server_data_cancel(s);
	CHECK_OK(sftp_server_send_data(s, 5, "xy", 2));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_DATA && id == 3);
	CHECK_OK(buf_get_string_ref(&body, &p, &n));
	CHECK(n == 5 && memcmp(p, "hello", 5) == 0 && buf_len(&body) == 0);
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_DATA && id == 5);

	struct sftp_attrs a = { .flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_ACMODTIME |
					 SSH_FILEXFER_ATTR_EXTENDED,
				.size = 1ull << 40, .atime = 7, .mtime = 8 }, back;
	CHECK_OK(sftp_server_send_attrs(s, 6, &a));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_ATTRS && id == 6);
	CHECK_OK(sftp_attrs_decode(&body, &back));
	CHECK(back.flags == (SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_ACMODTIME)); /* no EXTENDED */
	CHECK(back.size == 1ull << 40 && back.atime == 7 && back.mtime == 8);
	CHECK(buf_len(&body) == 0);

	struct sftp_name_entry e[2];
	memset(e, 0, sizeof(e));
	e[0].name = (struct sftp_bytes){ (const uint8_t *)"a", 1 };
	e[0].longname = (struct sftp_bytes){ (const uint8_t *)"long a", 6 };
	e[1].name = (struct sftp_bytes){ (const uint8_t *)"bb", 2 };
	e[1].attrs.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	e[1].attrs.perm = 040755;
	CHECK_OK(sftp_server_send_name(s, 7, e, 2));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_NAME && id == 7);
	CHECK_OK(buf_get_u32(&body, &u));
	CHECK(u == 2);
	struct sftp_name_entry got;
	CHECK_OK(sftp_name_entry_decode(&body, &got));
	CHECK(bytes_eq(&got.name, "a") && bytes_eq(&got.longname, "long a") && got.attrs.flags == 0);
	CHECK_OK(sftp_name_entry_decode(&body, &got));
	CHECK(bytes_eq(&got.name, "bb") && got.attrs.perm == 040755);

	struct sftp_limits l = { 1, 2, 3, 4 };
	CHECK_OK(sftp_server_send_limits(s, 8, &l));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(type == SSH_FXP_EXTENDED_REPLY && id == 8 && buf_len(&body) == 32);
	CHECK_OK(buf_get_u64(&body, &q));
	CHECK(q == 1);

	struct sftp_statvfs v = { .bsize = 4096, .namemax = 255 };
	CHECK_OK(sftp_server_send_statvfs(s, 9, &v));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK(buf_len(&body) == 88);

	const char *users[] = { "root", "" }, *groups[] = { "wheel" };
	CHECK_OK(sftp_server_send_names_by_id(s, 10, users, 2, groups, 1));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	struct buf inner;
	char *name = NULL;
	CHECK_OK(buf_get_string_view(&body, &inner));
	CHECK_OK(buf_get_cstring(&inner, &name, NULL));
	CHECK_STR(name, "root");
	free(name);
	CHECK_OK(buf_get_cstring(&inner, &name, NULL));
	CHECK_STR(name, "");
	free(name);
	CHECK(buf_len(&inner) == 0);
	CHECK_OK(buf_get_string_view(&body, &inner));
	CHECK(buf_len(&inner) == 9);

	CHECK_OK(sftp_server_send_check_file(s, 11, "xxh3", (const uint8_t *)"12345678", 8));
	CHECK(take_reply(s, &type, &id, &body, reply_copy, sizeof(reply_copy)));
	CHECK_OK(buf_get_cstring(&body, &name, NULL));
	CHECK_STR(name, "check-file");
	free(name);
	CHECK_OK(buf_get_cstring(&body, &name, NULL));
	CHECK_STR(name, "xxh3");
	free(name);
	CHECK(buf_len(&body) == 8);
	CHECK(sftp_server_output_len(s) == 0);
	sftp_server_free(s);
}

static void test_attrs_and_longname(void)
{
	struct buf b;
	struct sftp_attrs a, back;
	/* Every combination of the four field flags survives a round trip. */
	for (uint32_t f = 0; f < 16; f++) {
		memset(&a, 0, sizeof(a));
		a.flags = f;
		a.size = 0xfedcba9876543210ull;
		a.uid = 11;
		a.gid = 12;
		a.perm = 0100600;
		a.atime = 13;
		a.mtime = 14;
		buf_init(&b, 0);
		CHECK_OK(sftp_attrs_encode(&b, &a));
		CHECK(buf_len(&b) == sftp_attrs_encoded_len(&a));
		CHECK_OK(sftp_attrs_decode(&b, &back));
		CHECK(back.flags == f);
		CHECK(!(f & SSH_FILEXFER_ATTR_SIZE) || back.size == a.size);
		CHECK(!(f & SSH_FILEXFER_ATTR_UIDGID) || (back.uid == 11 && back.gid == 12));
		CHECK(!(f & SSH_FILEXFER_ATTR_PERMISSIONS) || back.perm == 0100600);
		CHECK(!(f & SSH_FILEXFER_ATTR_ACMODTIME) || (back.atime == 13 && back.mtime == 14));
		buf_free(&b);
	}
	/* Extended pairs are skipped; a truncated one leaves the cursor where it was. */
	buf_init(&b, 0);
	CHECK_OK(buf_put_u32(&b, SSH_FILEXFER_ATTR_EXTENDED | SSH_FILEXFER_ATTR_SIZE));
	CHECK_OK(buf_put_u64(&b, 5));
	CHECK_OK(buf_put_u32(&b, 2));
	CHECK_OK(buf_put_cstring(&b, "t1"));
	CHECK_OK(buf_put_cstring(&b, "d1"));
	CHECK_OK(buf_put_cstring(&b, "t2"));
	CHECK_OK(buf_put_cstring(&b, "d2"));
	CHECK_OK(buf_put_u8(&b, 0x42));
	CHECK_OK(sftp_attrs_decode(&b, &back));
	CHECK(back.ext_count == 2 && back.size == 5 && buf_len(&b) == 1);
	buf_free(&b);
	buf_init(&b, 0);
	CHECK_OK(buf_put_u32(&b, SSH_FILEXFER_ATTR_EXTENDED));
	CHECK_OK(buf_put_u32(&b, 1));
	CHECK_OK(buf_put_cstring(&b, "t1"));
	CHECK_RC(sftp_attrs_decode(&b, &back), FERRY_ESHORT);
	CHECK(b.rpos == 0);
	buf_free(&b);

	char mode[11];
	sftp_mode_string(0104755, mode);
	CHECK_STR(mode, "-rwsr-xr-x");
	sftp_mode_string(041777, mode);
	CHECK_STR(mode, "drwxrwxrwt");
	sftp_mode_string(0120777, mode);
	CHECK_STR(mode, "lrwxrwxrwx");
	sftp_mode_string(0102644, mode);
	CHECK_STR(mode, "-rw-r-Sr--");

	struct tm tm = { .tm_year = 124, .tm_mon = 0, .tm_mday = 2, .tm_hour = 12, .tm_min = 34 };
	char *ln = NULL;
	memset(&a, 0, sizeof(a));
	a.perm = 0100644;
	a.size = 1234;
	CHECK_OK(sftp_longname_format(&a, 1, "alice", "staff", &tm, true,
				      (const uint8_t *)"notes.txt", 9, &ln));
	CHECK_STR(ln, "-rw-r--r--    1 alice    staff        1234 Jan  2 12:34 notes.txt");
	free(ln);
	CHECK_OK(sftp_longname_format(&a, 3, "a-very-long-user", "g", &tm, false,
				      (const uint8_t *)"x", 1, &ln));
	CHECK_STR(ln, "-rw-r--r--    3 a-very-long-user g            1234 Jan  2  2024 x");
	free(ln);

	CHECK(sftp_op_by_name("posix-rename") == SFTP_OP_POSIX_RENAME);
	CHECK(sftp_op_by_name("bogus") == SFTP_OP_NONE);
	CHECK(sftp_op_info(SFTP_OP_WRITE)->writes && !sftp_op_info(SFTP_OP_READ)->writes);
	CHECK(sftp_op_info(SFTP_OP_BAD) == NULL);
	CHECK_STR(sftp_status_message(SSH_FX_OP_UNSUPPORTED), "Operation unsupported");
	CHECK_STR(sftp_status_message(1234), "Unknown error");
}

static void test_xxh3_streaming(void)
{
	static uint8_t data[300000];
	uint8_t one[16], streamed[16];
	struct xxh3_ctx *c = NULL;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	for (int bits = 0; bits < 2; bits++) {
		CHECK_OK(xxh3_new(bits == 1, &c));
		for (size_t off = 0; off < sizeof(data); off += 777)
			xxh3_update(c, data + off, off + 777 <= sizeof(data) ? 777 : sizeof(data) - off);
		xxh3_digest(c, streamed);
		if (bits) {
			xxh3_128(data, sizeof(data), one);
			CHECK_MEM(one, streamed, 16);
		} else {
			uint64_t h = xxh3_64(data, sizeof(data));
			for (int i = 0; i < 8; i++)
				one[i] = (uint8_t)(h >> (56 - 8 * i));
			CHECK_MEM(one, streamed, 8);
		}
		xxh3_reset(c);
		xxh3_digest(c, streamed);
		if (!bits) {
			uint64_t h = xxh3_64("", 0);
			for (int i = 0; i < 8; i++)
				one[i] = (uint8_t)(h >> (56 - 8 * i));
			CHECK_MEM(one, streamed, 8);
		}
		xxh3_free(c);
	}
}

/* --- the executor ------------------------------------------------------------------------ */

struct sess {
	struct sftp_server *srv;
	struct sftp_fs *fs;
	uint8_t type;
	uint32_t id;
	struct buf body;         /* the last reply's body (a view into reply_copy) */
	uint32_t status;         /* the last STATUS code, or ~0 */
};

static char tmpdir[] = "/tmp/ferry-test-sftp.XXXXXX";

static char *tpath(const char *rel)
{
	return str_printf("%s/%s", tmpdir, rel);
}

static bool sess_open(struct sess *t, struct sftp_fs_options *o)
{
	memset(t, 0, sizeof(*t));
	t->srv = ready_server();
	if (sftp_fs_new(o, &t->fs) != 0) {
		sftp_server_free(t->srv);
		return false;
	}
	return true;
}

static void sess_close(struct sess *t)
{
	sftp_fs_free(t->fs);
	sftp_server_free(t->srv);
}

/* Sends one request and takes its reply. */
static void call(struct sess *t, struct buf *pkt)
{
	struct sftp_request req;
	pkt_end(pkt);
	CHECK_OK(sftp_server_input(t->srv, buf_rptr(pkt), buf_len(pkt)));
	CHECK_OK(sftp_server_next_request(t->srv, &req));
	CHECK_OK(sftp_fs_execute(t->fs, t->srv, &req));
	buf_free(pkt);
	t->status = ~0u;
	CHECK(take_reply(t->srv, &t->type, &t->id, &t->body, reply_copy, sizeof(reply_copy)));
	CHECK(sftp_server_output_len(t->srv) == 0);
	if (t->type == SSH_FXP_STATUS) {
		uint32_t code;
		struct buf tmp = t->body;
		if (buf_get_u32(&tmp, &code) == 0)
			t->status = code;
	}
}

static void req_path(struct sess *t, uint8_t type, const char *path)
{
	struct buf b;
	pkt_begin(&b, type, 1, true);
	put_str(&b, path);
	call(t, &b);
}

static void req_ext_path(struct sess *t, const char *ext, const char *p1, const char *p2)
{
	struct buf b;
	ext_begin(&b, 2, ext);
	put_str(&b, p1);
	if (p2)
		put_str(&b, p2);
	call(t, &b);
}

/* OPEN; the handle goes to h (8 bytes) on success. */
static bool req_open(struct sess *t, const char *path, uint32_t pflags, uint8_t h[8])
{
	struct buf b;
	pkt_begin(&b, SSH_FXP_OPEN, 3, true);
	put_str(&b, path);
	CHECK_OK(buf_put_u32(&b, pflags));
	struct sftp_attrs a = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0640 };
	CHECK_OK(sftp_attrs_encode(&b, &a));
	call(t, &b);
	if (t->type != SSH_FXP_HANDLE)
		return false;
	const uint8_t *p;
	size_t n;
	if (buf_get_string_ref(&t->body, &p, &n) != 0 || n != 8)
		return false;
	memcpy(h, p, 8);
	return true;
}

static void req_handle(struct sess *t, uint8_t type, const uint8_t h[8])
{
	struct buf b;
	pkt_begin(&b, type, 4, true);
	put_bytes(&b, h, 8);
	call(t, &b);
}

static void req_write(struct sess *t, const uint8_t h[8], uint64_t off, const void *p, size_t n)
{
	struct buf b;
	pkt_begin(&b, SSH_FXP_WRITE, 5, true);
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, off));
	put_bytes(&b, p, n);
	call(t, &b);
}

static void req_read(struct sess *t, const uint8_t h[8], uint64_t off, uint32_t len)
{
	struct buf b;
	pkt_begin(&b, SSH_FXP_READ, 6, true);
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, off));
	CHECK_OK(buf_put_u32(&b, len));
	call(t, &b);
}

/* The one name of a NAME reply, as a new string. */
static char *one_name(struct sess *t)
{
	uint32_t count;
	struct sftp_name_entry e;
	if (t->type != SSH_FXP_NAME || buf_get_u32(&t->body, &count) != 0 || count != 1 ||
	    sftp_name_entry_decode(&t->body, &e) != 0)
		return NULL;
	return strndup((const char *)e.name.p, e.name.n);
}

static void write_file(const char *rel, const void *p, size_t n)
{
	char *path = tpath(rel);
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(p, 1, n, f) == n);
		fclose(f);
	}
	free(path);
}

static void test_fs_files(void)
{
	struct sftp_fs_options o = { .start_dir = tmpdir };
	struct sess t;
	uint8_t h[8], h2[8];
	char *s;

	CHECK(sess_open(&t, &o));
	/* REALPATH "." is the start directory; a missing last component is fine. */
	req_path(&t, SSH_FXP_REALPATH, ".");
	s = one_name(&t);
	CHECK_STR(s, tmpdir);
	free(s);
	req_path(&t, SSH_FXP_REALPATH, "not-yet/../new");
	CHECK(t.status == SSH_FX_NO_SUCH_FILE);
	req_path(&t, SSH_FXP_REALPATH, "sub/../new");
	CHECK(t.status == SSH_FX_NO_SUCH_FILE);   /* sub does not exist */
	req_path(&t, SSH_FXP_REALPATH, "new-file");
	s = one_name(&t);
	char *want = tpath("new-file");
	CHECK_STR(s, want);
	free(want);
	free(s);

	/* Write, read back, read past the end, close. */
	CHECK(req_open(&t, "f1", SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, h));
	req_write(&t, h, 0, "hello ", 6);
	CHECK(t.status == SSH_FX_OK);
	req_write(&t, h, 6, "world", 5);
	CHECK(t.status == SSH_FX_OK);
	req_handle(&t, SSH_FXP_CLOSE, h);
	CHECK(t.status == SSH_FX_OK);
	req_handle(&t, SSH_FXP_CLOSE, h);   /* closed: a stale handle */
	CHECK(t.status == SSH_FX_NO_SUCH_FILE);
	CHECK(req_open(&t, "f1", SSH_FXF_READ, h));
	req_read(&t, h, 0, 1000);
	const uint8_t *p;
	size_t n;
	CHECK(t.type == SSH_FXP_DATA);
	CHECK_OK(buf_get_string_ref(&t.body, &p, &n));
	CHECK(n == 11 && memcmp(p, "hello world", 11) == 0);
	req_read(&t, h, 6, 3);
	CHECK_OK(buf_get_string_ref(&t.body, &p, &n));
	CHECK(n == 3 && memcmp(p, "wor", 3) == 0);
	req_read(&t, h, 11, 10);
	CHECK(t.status == SSH_FX_EOF);
	req_read(&t, h, UINT64_MAX, 10);
	CHECK(t.status == SSH_FX_EOF);
	req_write(&t, h, 0, "x", 1);   /* opened for reading only */
	CHECK(t.type == SSH_FXP_STATUS && t.status != SSH_FX_OK);
	req_handle(&t, SSH_FXP_FSTAT, h);
	struct sftp_attrs a;
	CHECK(t.type == SSH_FXP_ATTRS);
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(a.size == 11 && (a.perm & 07777) == 0640);
	/* A read larger than the maximum is cut to it. */
	uint8_t *big = calloc(1, SFTP_MAX_RW + 100);
	write_file("big", big, SFTP_MAX_RW + 100);
	CHECK(req_open(&t, "big", SSH_FXF_READ, h2));
	req_read(&t, h2, 0, SFTP_MAX_RW + 100);
	CHECK_OK(buf_get_string_ref(&t.body, &p, &n));
	CHECK(n == SFTP_MAX_RW);
	free(big);

	/* copy-data: same handle refused; a range; to the end. */
	uint8_t hw[8];
	CHECK(req_open(&t, "copy", SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, hw));
	struct buf b;
	ext_begin(&b, 9, "copy-data");
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 0));
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, 0));
	call(&t, &b);
	CHECK(t.status == SSH_FX_FAILURE);
	ext_begin(&b, 9, "copy-data");
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, 6));
	CHECK_OK(buf_put_u64(&b, 0));
	put_bytes(&b, hw, 8);
	CHECK_OK(buf_put_u64(&b, 2));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	ext_begin(&b, 9, "copy-data");
	put_bytes(&b, h, 8);
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 2));
	put_bytes(&b, hw, 8);
	CHECK_OK(buf_put_u64(&b, 0));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	req_handle(&t, SSH_FXP_CLOSE, hw);
	char buf[64] = { 0 };
	char *cp = tpath("copy");
	FILE *f = fopen(cp, "rb");
	CHECK(f != NULL && fread(buf, 1, sizeof(buf), f) == 7);
	if (f)
		fclose(f);
	free(cp);
	CHECK(memcmp(buf, "heworld", 7) == 0);

	/* check-file on a handle and by name, against the hash functions. */
	static const char *const algs[] = { "sha256", "xxh128", "xxh3" };
	for (int i = 0; i < 3; i++) {
		ext_begin(&b, 10, i == 1 ? "check-file-name" : "check-file-handle");
		if (i == 1)
			put_str(&b, "f1");
		else
			put_bytes(&b, h, 8);
		put_str(&b, i == 0 ? "md5,sha256" : algs[i]);
		CHECK_OK(buf_put_u64(&b, 0));
		CHECK_OK(buf_put_u64(&b, 0));
		CHECK_OK(buf_put_u32(&b, 0));
		call(&t, &b);
		CHECK(t.type == SSH_FXP_EXTENDED_REPLY);
		char *name = NULL, *alg = NULL;
		CHECK_OK(buf_get_cstring(&t.body, &name, NULL));
		CHECK_OK(buf_get_cstring(&t.body, &alg, NULL));
		CHECK_STR(name, "check-file");
		CHECK_STR(alg, algs[i]);
		uint8_t want_h[32];
		size_t wl = 0;
		if (i == 0) {
			CHECK_OK(hash_oneshot(HASH_SHA256, "hello world", 11, want_h));
			wl = 32;
		} else if (i == 1) {
			xxh3_128("hello world", 11, want_h);
			wl = 16;
		} else {
			uint64_t v = xxh3_64("hello world", 11);
			for (int k = 0; k < 8; k++)
				want_h[k] = (uint8_t)(v >> (56 - 8 * k));
			wl = 8;
		}
		CHECK(buf_len(&t.body) == wl);
		CHECK_MEM(buf_rptr(&t.body), want_h, wl);
		free(name);
		free(alg);
	}
	/* Per block: a 600-byte file in 256-byte blocks is three hashes, the last of 88 bytes. */
	uint8_t six[600];
	for (int i = 0; i < 600; i++)
		six[i] = (uint8_t)i;
	write_file("six", six, sizeof(six));
	ext_begin(&b, 11, "check-file-name");
	put_str(&b, "six");
	put_str(&b, "sha256");
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u32(&b, 256));
	call(&t, &b);
	CHECK(t.type == SSH_FXP_EXTENDED_REPLY);
	CHECK_OK(buf_get_string_ref(&t.body, &p, &n));
	CHECK_OK(buf_get_string_ref(&t.body, &p, &n));
	CHECK(buf_len(&t.body) == 96);
	uint8_t hb[32];
	CHECK_OK(hash_oneshot(HASH_SHA256, six + 512, 88, hb));
	CHECK(buf_len(&t.body) == 96 && memcmp(buf_rptr(&t.body) + 64, hb, 32) == 0);
	ext_begin(&b, 12, "check-file-name");
	put_str(&b, "six");
	put_str(&b, "md5,crc32");
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u64(&b, 0));
	CHECK_OK(buf_put_u32(&b, 0));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OP_UNSUPPORTED);

	req_handle(&t, SSH_FXP_CLOSE, h);
	req_handle(&t, SSH_FXP_CLOSE, h2);
	CHECK(sftp_fs_open_handles(t.fs) == 0);
	/* Bad handles: wrong length, a directory handle where a file one is wanted. */
	uint8_t junk[8] = { 0, 0, 0, 50, 0, 0, 0, 1 };
	req_read(&t, junk, 0, 1);
	CHECK(t.status == SSH_FX_FAILURE);
	sess_close(&t);
}

static void test_fs_names(void)
{
	struct sftp_fs_options o = { .start_dir = tmpdir };
	struct sess t;
	struct buf b;
	char *s;

	CHECK(sess_open(&t, &o));
	write_file("n1", "1", 1);
	write_file("n2", "22", 2);
	/* RENAME refuses to replace; posix-rename replaces. */
	req_ext_path(&t, "hardlink@openssh.com", "n1", "n1.hard");
	CHECK(t.status == SSH_FX_OK);
	pkt_begin(&b, SSH_FXP_RENAME, 20, true);
	put_str(&b, "n1");
	put_str(&b, "n2");
	call(&t, &b);
	CHECK(t.status == SSH_FX_FAILURE);
	req_ext_path(&t, "posix-rename@openssh.com", "n1", "n2");
	CHECK(t.status == SSH_FX_OK);
	pkt_begin(&b, SSH_FXP_RENAME, 21, true);
	put_str(&b, "n2");
	put_str(&b, "n3");
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	/* SYMLINK in OpenSSH's order, READLINK, LSTAT vs STAT, lsetstat on the link. */
	pkt_begin(&b, SSH_FXP_SYMLINK, 22, true);
	put_str(&b, "n3");
	put_str(&b, "n3.sym");
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	req_path(&t, SSH_FXP_READLINK, "n3.sym");
	s = one_name(&t);
	CHECK_STR(s, "n3");
	free(s);
	struct sftp_attrs a;
	req_path(&t, SSH_FXP_LSTAT, "n3.sym");
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(S_ISLNK(a.perm));
	req_path(&t, SSH_FXP_STAT, "n3.sym");
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(S_ISREG(a.perm) && a.size == 1);
	ext_begin(&b, 23, "lsetstat@openssh.com");
	put_str(&b, "n3.sym");
	struct sftp_attrs times = { .flags = SSH_FILEXFER_ATTR_ACMODTIME, .atime = 1000000, .mtime = 2000000 };
	CHECK_OK(sftp_attrs_encode(&b, &times));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	req_path(&t, SSH_FXP_LSTAT, "n3.sym");
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(a.mtime == 2000000);
	req_path(&t, SSH_FXP_STAT, "n3");
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(a.mtime != 2000000);
	/* SETSTAT: size, mode, times. */
	pkt_begin(&b, SSH_FXP_SETSTAT, 24, true);
	put_str(&b, "n3");
	struct sftp_attrs set = { .flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS |
					    SSH_FILEXFER_ATTR_ACMODTIME,
				  .size = 5, .perm = 0600, .atime = 3000000, .mtime = 4000000 };
	CHECK_OK(sftp_attrs_encode(&b, &set));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	req_path(&t, SSH_FXP_STAT, "n3");
	CHECK_OK(sftp_attrs_decode(&t.body, &a));
	CHECK(a.size == 5 && (a.perm & 07777) == 0600 && a.mtime == 4000000 && a.atime == 3000000);
	/* MKDIR, OPENDIR/READDIR to EOF, RMDIR, REMOVE. */
	pkt_begin(&b, SSH_FXP_MKDIR, 25, true);
	put_str(&b, "dir");
	CHECK_OK(sftp_attrs_encode(&b, &(struct sftp_attrs){ .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0700 }));
	call(&t, &b);
	CHECK(t.status == SSH_FX_OK);
	write_file("dir/a", "a", 1);
	write_file("dir/b", "b", 1);
	req_path(&t, SSH_FXP_OPENDIR, "dir");
	CHECK(t.type == SSH_FXP_HANDLE);
	const uint8_t *hp;
	size_t hn;
	uint8_t dh[8];
	CHECK_OK(buf_get_string_ref(&t.body, &hp, &hn));
	memcpy(dh, hp, 8);
	int seen = 0, calls = 0;
	for (;;) {
		req_handle(&t, SSH_FXP_READDIR, dh);
		if (t.type != SSH_FXP_NAME || ++calls > 10)
			break;
		uint32_t count;
		CHECK_OK(buf_get_u32(&t.body, &count));
		for (uint32_t i = 0; i < count; i++) {
			struct sftp_name_entry e;
			CHECK_OK(sftp_name_entry_decode(&t.body, &e));
			if (bytes_eq(&e.name, "a") || bytes_eq(&e.name, "b")) {
				seen++;
				CHECK(e.longname.n > 40 && e.longname.p[0] == '-');
				CHECK(e.attrs.size == 1);
			}
		}
	}
	CHECK(seen == 2 && t.status == SSH_FX_EOF);
	req_read(&t, dh, 0, 10);   /* a directory handle is no file handle */
	CHECK(t.status == SSH_FX_FAILURE);
	req_handle(&t, SSH_FXP_CLOSE, dh);
	CHECK(t.status == SSH_FX_OK);
	req_path(&t, SSH_FXP_RMDIR, "dir");
	CHECK(t.status == SSH_FX_FAILURE);   /* not empty */
	req_path(&t, SSH_FXP_REMOVE, "dir/a");
	req_path(&t, SSH_FXP_REMOVE, "dir/b");
	req_path(&t, SSH_FXP_RMDIR, "dir");
	CHECK(t.status == SSH_FX_OK);
	req_path(&t, SSH_FXP_REMOVE, "dir");
	CHECK(t.status == SSH_FX_NO_SUCH_FILE);

	/* The extensions that answer with values. */
	struct sftp_limits l;
	sftp_fs_limits(t.fs, &l);
	CHECK(l.max_read == SFTP_MAX_RW && l.max_handles == SFTP_FS_DEFAULT_HANDLES);
	req_ext_path(&t, "statvfs@openssh.com", ".", NULL);
	CHECK(t.type == SSH_FXP_EXTENDED_REPLY && buf_len(&t.body) == 88);
	req_ext_path(&t, "expand-path@openssh.com", "~", NULL);
	CHECK(t.type == SSH_FXP_NAME);
	req_ext_path(&t, "home-directory", "", NULL);
	CHECK(t.type == SSH_FXP_NAME);
	req_ext_path(&t, "home-directory", "no-such-user-here-at-all", NULL);
	CHECK(t.status == SSH_FX_FAILURE);
	ext_begin(&b, 26, "users-groups-by-id@openssh.com");
	put_bytes(&b, "\0\0\0\0", 4);
	put_bytes(&b, "\0\0\0\0\xff\xff\xff\xf0", 8);
	call(&t, &b);
	CHECK(t.type == SSH_FXP_EXTENDED_REPLY);
	struct buf users, groups;
	CHECK_OK(buf_get_string_view(&t.body, &users));
	CHECK_OK(buf_get_string_view(&t.body, &groups));
	char *name = NULL;
	CHECK_OK(buf_get_cstring(&users, &name, NULL));
	CHECK_STR(name, "root");
	free(name);
	CHECK_OK(buf_get_cstring(&groups, &name, NULL));
	free(name);
	CHECK_OK(buf_get_cstring(&groups, &name, NULL));
	CHECK_STR(name, "");
	free(name);
	/* Unsupported and malformed requests get their STATUS. */
	pkt_begin(&b, 77, 27, true);
	call(&t, &b);
	CHECK(t.status == SSH_FX_OP_UNSUPPORTED && t.id == 27);
	pkt_begin(&b, SSH_FXP_STAT, 28, true);
	call(&t, &b);
	CHECK(t.status == SSH_FX_BAD_MESSAGE && t.id == 28);
	sess_close(&t);
}

/* A checksum of the whole tree, to prove nothing changed. */
static uint64_t tree_sum(const char *dir)
{
	char *cmd = str_printf("cd '%s' && find . -printf '%%p %%y %%m %%s %%T@ %%l\\n' | LC_ALL=C sort "
			       "&& find . -type f -exec cat {} +", dir);
	FILE *p = popen(cmd, "r");
	uint64_t h = 1469598103934665603ull;
	int c;
	free(cmd);
	if (p == NULL)
		return 0;
	while ((c = fgetc(p)) != EOF)
		h = (h ^ (uint64_t)c) * 1099511628211ull;
	pclose(p);
	return h;
}

static void test_fs_read_only(void)
{
	struct sftp_fs_options o = { .start_dir = tmpdir, .read_only = true };
	struct sess t;
	struct buf b;
	uint8_t h[8];

	write_file("ro", "keep", 4);
	uint64_t before = tree_sum(tmpdir);
	CHECK(sess_open(&t, &o));
	CHECK(!req_open(&t, "ro", SSH_FXF_WRITE, h) && t.status == SSH_FX_PERMISSION_DENIED);
	CHECK(!req_open(&t, "ro", SSH_FXF_READ | SSH_FXF_TRUNC, h) && t.status == SSH_FX_PERMISSION_DENIED);
	CHECK(!req_open(&t, "new", SSH_FXF_READ | SSH_FXF_CREAT, h) && t.status == SSH_FX_PERMISSION_DENIED);
	CHECK(!req_open(&t, "ro", SSH_FXF_READ | SSH_FXF_APPEND, h) && t.status == SSH_FX_PERMISSION_DENIED);
	req_path(&t, SSH_FXP_REMOVE, "ro");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_path(&t, SSH_FXP_RMDIR, "x");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	pkt_begin(&b, SSH_FXP_MKDIR, 30, true);
	put_str(&b, "newdir");
	CHECK_OK(buf_put_u32(&b, 0));
	call(&t, &b);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	pkt_begin(&b, SSH_FXP_SETSTAT, 31, true);
	put_str(&b, "ro");
	CHECK_OK(sftp_attrs_encode(&b, &(struct sftp_attrs){ .flags = SSH_FILEXFER_ATTR_SIZE }));
	call(&t, &b);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	pkt_begin(&b, SSH_FXP_RENAME, 32, true);
	put_str(&b, "ro");
	put_str(&b, "ro2");
	call(&t, &b);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	pkt_begin(&b, SSH_FXP_SYMLINK, 33, true);
	put_str(&b, "ro");
	put_str(&b, "ro.sym");
	call(&t, &b);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	const char *exts[] = { "posix-rename@openssh.com", "hardlink@openssh.com" };
	for (int i = 0; i < 2; i++) {
		req_ext_path(&t, exts[i], "ro", "ro3");
		CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	}
	/* Reading is fine; a read handle cannot be written, fsynced or copied into. */
	CHECK(req_open(&t, "ro", SSH_FXF_READ, h));
	req_write(&t, h, 0, "x", 1);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	ext_begin(&b, 34, "fsync@openssh.com");
	put_bytes(&b, h, 8);
	call(&t, &b);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_read(&t, h, 0, 10);
	CHECK(t.type == SSH_FXP_DATA);
	CHECK(sftp_fs_hidden_ops(t.fs) & (UINT64_C(1) << SFTP_OP_POSIX_RENAME));
	CHECK(!(sftp_fs_hidden_ops(t.fs) & (UINT64_C(1) << SFTP_OP_STATVFS)));
	sess_close(&t);
	CHECK(tree_sum(tmpdir) == before);

	/* -p and -P. */
	struct sftp_fs_options lists = { .start_dir = tmpdir, .allowed = "realpath,stat",
					 .denied = "stat" };
	CHECK(sess_open(&t, &lists));
	req_path(&t, SSH_FXP_REALPATH, ".");
	CHECK(t.type == SSH_FXP_NAME);
	req_path(&t, SSH_FXP_STAT, "ro");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_path(&t, SSH_FXP_LSTAT, "ro");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	sess_close(&t);
}

static void test_fs_handle_cap(void)
{
	struct sftp_fs_options o = { .start_dir = tmpdir, .max_handles = 5 };
	struct sess t;
	uint8_t h[8][8];
	write_file("capped", "c", 1);
	CHECK(sess_open(&t, &o));
	for (int i = 0; i < 5; i++)
		CHECK(req_open(&t, "capped", SSH_FXF_READ, h[i]));
	CHECK(!req_open(&t, "capped", SSH_FXF_READ, h[5]));
	CHECK(t.status == SSH_FX_FAILURE);
	CHECK(t.body.data != NULL && memmem(buf_rptr(&t.body), buf_len(&t.body), "too many open files", 19) != NULL);
	req_path(&t, SSH_FXP_OPENDIR, ".");
	CHECK(t.status == SSH_FX_FAILURE);
	req_handle(&t, SSH_FXP_CLOSE, h[2]);
	CHECK(req_open(&t, "capped", SSH_FXF_READ, h[5]));
	/* The old handle of the reused slot stays dead. */
	req_read(&t, h[2], 0, 1);
	CHECK(t.status == SSH_FX_FAILURE);
	req_read(&t, h[5], 0, 1);
	CHECK(t.type == SSH_FXP_DATA);
	CHECK(sftp_fs_open_handles(t.fs) == 5);
	sess_close(&t);   /* closes all five */
}

static void test_fs_jail(void)
{
	char *jail = tpath("jail"), *outside = tpath("outside");
	struct sftp_fs_options o = { .jail_dir = jail };
	struct sess t;
	struct buf b;
	uint8_t h[8];
	char *s;

	CHECK(mkdir(jail, 0755) == 0 && mkdir(outside, 0755) == 0);
	write_file("outside/secret", "s", 1);
	write_file("jail/inside", "i", 1);
	char *l1 = tpath("jail/out-rel"), *l2 = tpath("jail/out-abs"), *l3 = tpath("jail/in-link");
	CHECK(symlink("../outside", l1) == 0);
	CHECK(symlink(outside, l2) == 0);
	CHECK(symlink("inside", l3) == 0);
	free(l1);
	free(l2);
	free(l3);
	uint64_t before = tree_sum(outside);

	if (!sess_open(&t, &o)) {
		printf("skip test_fs_jail: no openat2\n");
		goto out;
	}
	req_path(&t, SSH_FXP_REALPATH, ".");
	s = one_name(&t);
	CHECK_STR(s, "/");
	free(s);
	req_path(&t, SSH_FXP_REALPATH, "..");
	s = one_name(&t);
	CHECK_STR(s, "/");
	free(s);
	req_path(&t, SSH_FXP_REALPATH, "/in-link");
	s = one_name(&t);
	CHECK_STR(s, "/inside");
	free(s);
	req_path(&t, SSH_FXP_REALPATH, "out-rel");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	/* Absolute paths are the jail's. */
	CHECK(req_open(&t, "/inside", SSH_FXF_READ, h));
	req_handle(&t, SSH_FXP_CLOSE, h);
	CHECK(req_open(&t, "/in-link", SSH_FXF_READ, h));
	req_handle(&t, SSH_FXP_CLOSE, h);
	/* Every way out is refused. */
	const char *escapes[] = { "../outside/secret", "/../outside/secret", "out-rel/secret",
				  "out-abs/secret", "/proc/self/root/etc/passwd", "../../../../etc/passwd" };
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		CHECK(!req_open(&t, escapes[i], SSH_FXF_READ, h));
		CHECK(!req_open(&t, escapes[i], SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, h));
		req_path(&t, SSH_FXP_STAT, escapes[i]);
		CHECK(t.type == SSH_FXP_STATUS);
		req_path(&t, SSH_FXP_REMOVE, escapes[i]);
		CHECK(t.status != SSH_FX_OK);
		pkt_begin(&b, SSH_FXP_SETSTAT, 40, true);
		put_str(&b, escapes[i]);
		CHECK_OK(sftp_attrs_encode(&b, &(struct sftp_attrs){ .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0777 }));
		call(&t, &b);
		CHECK(t.status != SSH_FX_OK);
	}
	req_path(&t, SSH_FXP_OPENDIR, "out-rel");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_path(&t, SSH_FXP_OPENDIR, "..");
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_ext_path(&t, "hardlink@openssh.com", "out-rel/secret", "stolen");
	CHECK(t.status != SSH_FX_OK);
	req_ext_path(&t, "posix-rename@openssh.com", "inside", "../moved");
	CHECK(t.status != SSH_FX_OK);
	req_ext_path(&t, "posix-rename@openssh.com", "inside", "out-rel/moved");
	CHECK(t.status != SSH_FX_OK);
	req_ext_path(&t, "statvfs@openssh.com", "out-rel", NULL);
	CHECK(t.status == SSH_FX_PERMISSION_DENIED);
	req_path(&t, SSH_FXP_RMDIR, "..");
	CHECK(t.status != SSH_FX_OK);
	req_path(&t, SSH_FXP_RMDIR, "/");
	CHECK(t.status != SSH_FX_OK);
	/* Another user's home means nothing in a jail. */
	req_ext_path(&t, "home-directory", getuid() == 0 ? "nobody" : "root", NULL);
	CHECK(t.status == SSH_FX_FAILURE);
	req_ext_path(&t, "expand-path@openssh.com", "~/x", NULL);
	s = one_name(&t);
	CHECK_STR(s, "/x");
	free(s);
	/* The jail root's ".." in a listing is the root itself. */
	req_path(&t, SSH_FXP_OPENDIR, "/");
	CHECK(t.type == SSH_FXP_HANDLE);
	uint8_t dh[8];
	const uint8_t *hp;
	size_t hn;
	CHECK_OK(buf_get_string_ref(&t.body, &hp, &hn));
	memcpy(dh, hp, 8);
	struct stat jst;
	CHECK(stat(jail, &jst) == 0);
	req_handle(&t, SSH_FXP_READDIR, dh);
	uint32_t count = 0;
	CHECK_OK(buf_get_u32(&t.body, &count));
	for (uint32_t i = 0; i < count; i++) {
		struct sftp_name_entry e;
		CHECK_OK(sftp_name_entry_decode(&t.body, &e));
		if (bytes_eq(&e.name, ".."))
			CHECK(e.attrs.mtime == (uint32_t)jst.st_mtime && e.attrs.perm == (uint32_t)jst.st_mode);
	}
	req_handle(&t, SSH_FXP_CLOSE, dh);
	sess_close(&t);
	CHECK(tree_sum(outside) == before);
	char *moved = tpath("moved");
	CHECK(access(moved, F_OK) != 0);
	free(moved);
out:
	free(jail);
	free(outside);
}

/* sftp_serve_fds in a child on a socketpair: 200 pipelined requests answered in order, then
 * EOF ends it with status 0; a second child gets an oversized packet and fails. */
static void test_serve_fds(void)
{
	int sv[2];
	for (int round = 0; round < 2; round++) {
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		pid_t pid = fork();
		if (pid == 0) {
			struct sftp_fs_options o = { .start_dir = tmpdir };
			close(sv[0]);
			_exit(sftp_serve_fds(sv[1], sv[1], &o) == 0 ? 0 : 3);
		}
		close(sv[1]);
		struct buf out;
		buf_init(&out, 0);
		CHECK_OK(buf_put(&out, init_pkt, sizeof(init_pkt)));
		for (uint32_t i = 0; i < 200; i++) {
			struct buf b;
			pkt_begin(&b, SSH_FXP_STAT, 1000 + i, true);
			put_str(&b, i % 2 ? "." : "no-such-name");
			pkt_end(&b);
			CHECK_OK(buf_put(&out, buf_rptr(&b), buf_len(&b)));
			buf_free(&b);
		}
		if (round == 1) {
			uint8_t huge[5] = { 0x10, 0, 0, 0, SSH_FXP_WRITE };
			CHECK_OK(buf_put(&out, huge, sizeof(huge)));
		}
		CHECK(write(sv[0], buf_rptr(&out), buf_len(&out)) == (ssize_t)buf_len(&out));
		buf_free(&out);
		shutdown(sv[0], SHUT_WR);
		/* Read every reply until the server closes its end. */
		struct buf in;
		buf_init(&in, 0);
		for (;;) {
			uint8_t *p;
			CHECK_OK(buf_reserve(&in, 65536, &p));
			ssize_t n = read(sv[0], p, 65536);
			if (n <= 0)
				break;
			buf_commit(&in, (size_t)n);
		}
		close(sv[0]);
		int st = 0;
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
		CHECK(WEXITSTATUS(st) == (round == 0 ? 0 : 3));
		uint32_t len;
		uint8_t type;
		CHECK_OK(buf_get_u32(&in, &len));
		CHECK(buf_consume(&in, len) == 0);   /* VERSION */
		for (uint32_t i = 0; i < 200; i++) {
			uint32_t id;
			if (buf_get_u32(&in, &len) != 0 || buf_len(&in) < len || len < 5) {
				CHECK(!"reply missing");
				break;
			}
			CHECK_OK(buf_get_u8(&in, &type));
			CHECK_OK(buf_get_u32(&in, &id));
			CHECK(id == 1000 + i);
			CHECK(type == (i % 2 ? SSH_FXP_ATTRS : SSH_FXP_STATUS));
			(void)buf_consume(&in, len - 5);
		}
		CHECK(buf_len(&in) == 0);
		buf_free(&in);
	}
}

int main(void)
{
	umask(022);
	flog_set_level(getenv("FERRY_TEST_LOG") ? FLOG_DEBUG3 : FLOG_QUIET);
	RUN_TEST(test_init_version);
	RUN_TEST(test_session_errors);
	RUN_TEST(test_split_input);
	RUN_TEST(test_every_request_parses);
	RUN_TEST(test_bad_bodies);
	RUN_TEST(test_replies);
	RUN_TEST(test_attrs_and_longname);
	RUN_TEST(test_xxh3_streaming);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_fs_files);
	RUN_TEST(test_fs_names);
	RUN_TEST(test_fs_read_only);
	RUN_TEST(test_fs_handle_cap);
	RUN_TEST(test_fs_jail);
	RUN_TEST(test_serve_fds);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (cmd && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return check_report();
}
