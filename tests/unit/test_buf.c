/* Unit tests for the wire buffer (common/buf.c): bounds, cursors, SSH encodings. */
#include "common/buf.h"
#include "common/text.h"
#include "check.h"

#include <stdlib.h>

static void test_put_get_roundtrip(void)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK_OK(buf_put_u8(&b, 7));
	CHECK_OK(buf_put_u32(&b, 0xdeadbeef));
	CHECK_OK(buf_put_u64(&b, 0x0102030405060708ull));
	CHECK_OK(buf_put_cstring(&b, "hello"));
	CHECK_OK(buf_put_bool(&b, true));
	uint8_t u8; uint32_t u32; uint64_t u64; bool bo; char *s = NULL;
	CHECK_OK(buf_get_u8(&b, &u8));
	CHECK(u8 == 7);
	CHECK_OK(buf_get_u32(&b, &u32));
	CHECK(u32 == 0xdeadbeef);
	CHECK_OK(buf_get_u64(&b, &u64));
	CHECK(u64 == 0x0102030405060708ull);
	CHECK_OK(buf_get_cstring(&b, &s, NULL));
	CHECK_STR(s, "hello");
	free(s);
	CHECK_OK(buf_get_bool(&b, &bo));
	CHECK(bo);
	CHECK(buf_len(&b) == 0);
	buf_free(&b);
}

static void test_failed_read_keeps_cursor(void)
{
	const uint8_t data[] = { 0, 0, 0, 9, 'a', 'b', 'c' }; /* string claims 9 bytes, has 3 */
	struct buf b;
	buf_view(&b, data, sizeof(data));
	const uint8_t *p = NULL; size_t n = 0;
	CHECK_RC(buf_get_string_ref(&b, &p, &n), FERRY_ESHORT);
	CHECK(b.rpos == 0);
	CHECK(p == NULL);
	uint64_t u64 = 42;
	CHECK_RC(buf_get_u64(&b, &u64), FERRY_ESHORT);
	CHECK(u64 == 42);
	uint32_t u32;
	CHECK_OK(buf_get_u32(&b, &u32));
	CHECK(u32 == 9);
	CHECK(b.rpos == 4);
	char *s = NULL;
	CHECK_RC(buf_get_cstring(&b, &s, NULL), FERRY_ESHORT);
	CHECK(b.rpos == 4);
}

static void test_cstring_refuses_nul(void)
{
	const uint8_t data[] = { 0, 0, 0, 3, 'a', 0, 'c' };
	struct buf b;
	buf_view(&b, data, sizeof(data));
	char *s = NULL;
	CHECK_RC(buf_get_cstring(&b, &s, NULL), FERRY_EPROTO);
	CHECK(b.rpos == 0);
	CHECK(s == NULL);
}

static void test_max_size_enforced(void)
{
	struct buf b;
	buf_init(&b, 16);
	uint8_t zeros[16] = { 0 };
	CHECK_OK(buf_put(&b, zeros, 10));
	CHECK_RC(buf_put(&b, zeros, 7), FERRY_EFULL);
	CHECK(buf_len(&b) == 10);
	CHECK_OK(buf_consume(&b, 8));
	CHECK_OK(buf_put(&b, zeros, 14)); /* compaction makes room */
	CHECK(buf_len(&b) == 16);
	CHECK_RC(buf_consume(&b, 17), FERRY_ESHORT);
	buf_free(&b);
}

static void test_view_is_readonly(void)
{
	const uint8_t data[] = { 1, 2, 3 };
	struct buf b;
	buf_view(&b, data, sizeof(data));
	CHECK_RC(buf_put_u8(&b, 1), FERRY_EINVAL);
}

static void test_mpint_encoding(void)
{
	/* RFC 4251 §5 examples */
	struct buf b;
	buf_init(&b, 0);
	const uint8_t zero[] = { 0 };
	CHECK_OK(buf_put_mpint_bytes(&b, zero, 1));
	const uint8_t want0[] = { 0, 0, 0, 0 };
	CHECK(buf_len(&b) == 4);
	CHECK_MEM(buf_rptr(&b), want0, 4);
	buf_reset(&b);
	const uint8_t v80[] = { 0x00, 0x80 };
	CHECK_OK(buf_put_mpint_bytes(&b, v80, 2));
	const uint8_t want80[] = { 0, 0, 0, 2, 0x00, 0x80 };
	CHECK(buf_len(&b) == 6);
	CHECK_MEM(buf_rptr(&b), want80, 6);
	const uint8_t *p; size_t n;
	CHECK_OK(buf_get_mpint_ref(&b, &p, &n));
	CHECK(n == 1 && p[0] == 0x80);
	buf_reset(&b);
	const uint8_t neg[] = { 0, 0, 0, 1, 0x80 };
	CHECK_OK(buf_put(&b, neg, sizeof(neg)));
	CHECK_RC(buf_get_mpint_ref(&b, &p, &n), FERRY_EPROTO);
	CHECK(buf_len(&b) == 5);
	buf_free(&b);
}

static void test_namelists(void)
{
	char *m = NULL;
	CHECK_OK(namelist_first_match("a,b,c", "c,b", &m));
	CHECK_STR(m, "b");
	free(m);
	m = NULL;
	CHECK_RC(namelist_first_match("a,b", "c,d", &m), FERRY_ENOMATCH);
	CHECK(namelist_contains("x,yy,z", "yy"));
	CHECK(!namelist_contains("x,yy,z", "y"));
	const char *sup = "a,b,c,d";
	CHECK_OK(namelist_apply("a,b", "+c", sup, &m, NULL));
	CHECK_STR(m, "a,b,c");
	free(m);
	CHECK_OK(namelist_apply("a,b,c", "-b", sup, &m, NULL));
	CHECK_STR(m, "a,c");
	free(m);
	CHECK_OK(namelist_apply("a,b,c", "^c", sup, &m, NULL));
	CHECK_STR(m, "c,a,b");
	free(m);
	CHECK_OK(namelist_apply("a,b,c", "^c,c,,b", sup, &m, NULL));
	CHECK_STR(m, "c,b,a");
	free(m);
	CHECK_OK(namelist_apply("a,b,c", "d,a", sup, &m, NULL));
	CHECK_STR(m, "d,a");
	free(m);
	CHECK_OK(namelist_apply("a,bb,bc", "-b*", "a,bb,bc", &m, NULL));
	CHECK_STR(m, "a");
	free(m);
	char *bad = NULL;
	CHECK_RC(namelist_apply("a", "+zz", sup, &m, &bad), FERRY_ENOTSUP);
	CHECK_STR(bad, "zz");
	free(bad);
}

static void test_base64(void)
{
	char *s = b64_encode((const uint8_t *)"foobar", 6);
	CHECK_STR(s, "Zm9vYmFy");
	free(s);
	s = b64_encode((const uint8_t *)"fo", 2);
	CHECK_STR(s, "Zm8=");
	free(s);
	s = b64_encode_nopad((const uint8_t *)"f", 1);
	CHECK_STR(s, "Zg");
	free(s);
	uint8_t *out; size_t n;
	CHECK_OK(b64_decode("Zm9vYg==", 8, &out, &n));
	CHECK(n == 4 && memcmp(out, "foob", 4) == 0);
	free(out);
	CHECK_RC(b64_decode("Zm9v!mFy", 8, &out, &n), FERRY_EINVAL);
}

static void test_escape(void)
{
	char *s = str_escape_untrusted((const uint8_t *)"a\x1b[2Jb\n", 7);
	CHECK_STR(s, "a\\033[2Jb\n");
	free(s);
	/* UTF-8 text passes; the C1 control CSI (U+009B, C2 9B), a lone 9B byte, an overlong
	 * encoding and DEL do not. */
	s = str_escape_untrusted((const uint8_t *)"caf\xc3\xa9 \xe2\x82\xac", 9);
	CHECK_STR(s, "caf\xc3\xa9 \xe2\x82\xac");
	free(s);
	s = str_escape_untrusted((const uint8_t *)"x\xc2\x9by\x9bz\xc0\xafw\x7f", 10);
	CHECK_STR(s, "x\\302\\233y\\233z\\300\\257w\\177");
	free(s);
}

int main(void)
{
	RUN_TEST(test_put_get_roundtrip);
	RUN_TEST(test_failed_read_keeps_cursor);
	RUN_TEST(test_cstring_refuses_nul);
	RUN_TEST(test_max_size_enforced);
	RUN_TEST(test_view_is_readonly);
	RUN_TEST(test_mpint_encoding);
	RUN_TEST(test_namelists);
	RUN_TEST(test_base64);
	RUN_TEST(test_escape);
	return check_report();
}
