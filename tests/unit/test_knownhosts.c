/* Unit tests for known_hosts handling (transfer/knownhosts.c): matching by name, port,
 * pattern and hash; changed and revoked keys with file:line; tolerance of bad lines; appending;
 * algorithm ordering; and the OpenSSH-worded texts. */
#include "transfer/knownhosts.h"
#include "common/text.h"
#include "crypto/key.h"
#include "check.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];
static struct ferry_key *ed1, *ed2, *ecdsa1, *rsa1;

static char *path_in_tmp(const char *name)
{
	return str_printf("%s/%s", tmpdir, name);
}

static char *write_file(const char *name, const char *text)
{
	char *path = path_in_tmp(name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "type base64" of a key, for building lines. */
static char *pub(const struct ferry_key *k)
{
	char *s = NULL;
	if (key_format_public(k, &s) != 0)
		abort();
	return s;
}

/* Checks one file; returns the status and fills *res (caller frees). */
static enum knownhosts_status check1(const char *file, const char *host, int port,
				     const struct ferry_key *key, struct knownhosts_result *res)
{
	const char *files[] = { file };
	memset(res, 0, sizeof(*res));
	int r = knownhosts_check(files, 1, host, port, key, res);
	CHECK_OK(r);
	return r == 0 ? res->status : (enum knownhosts_status)-1;
}

static void test_plain_match_and_not_found(void)
{
	char *k1 = pub(ed1);
	char *text = str_printf("# comment\n\nexample.com %s\nother.org %s a comment\n", k1, k1);
	char *f = write_file("plain", text);
	struct knownhosts_result res;
	CHECK(check1(f, "example.com", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	CHECK_STR(res.file, f);
	CHECK(res.line == 3);
	knownhosts_result_free(&res);
	CHECK(check1(f, "Example.COM", 22, ed1, &res) == KNOWNHOSTS_MATCH);  /* case folded */
	knownhosts_result_free(&res);
	CHECK(check1(f, "other.org", 0, ed1, &res) == KNOWNHOSTS_MATCH);     /* 0 = default */
	CHECK(res.line == 4);
	knownhosts_result_free(&res);
	CHECK(check1(f, "nowhere.net", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	CHECK(res.file == NULL);
	knownhosts_result_free(&res);
	/* A missing file is no error; it simply lists nothing. */
	char *missing = path_in_tmp("missing");
	CHECK(check1(missing, "example.com", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	free(missing);
	free(k1);
	free(text);
	free(f);
}

static void test_port_forms(void)
{
	char *k1 = pub(ed1);
	char *text = str_printf("[example.com]:2222 %s\nplain.net %s\n[explicit.net]:22 %s\n", k1,
				k1, k1);
	char *f = write_file("ports", text);
	struct knownhosts_result res;
	CHECK(check1(f, "example.com", 2222, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "example.com", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "example.com", 2223, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "plain.net", 2222, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	/* As in OpenSSH, port 22 is looked up by the plain name only. */
	CHECK(check1(f, "explicit.net", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	char *name = NULL;
	CHECK_OK(knownhosts_host_name("Host.Example", 2222, &name));
	CHECK_STR(name, "[host.example]:2222");
	free(name);
	CHECK_OK(knownhosts_host_name("::1", 22, &name));
	CHECK_STR(name, "::1");
	free(name);
	free(k1);
	free(text);
	free(f);
}

static void test_wildcards_and_negation(void)
{
	char *k1 = pub(ed1);
	char *text = str_printf("*.example.com,!bad.example.com,alias %s\n"
				"h?st.net %s\n"
				"[*.ports.org]:* %s\n", k1, k1, k1);
	char *f = write_file("wild", text);
	struct knownhosts_result res;
	CHECK(check1(f, "a.example.com", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "bad.example.com", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "alias", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "host.net", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "hoost.net", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "x.ports.org", 8022, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	free(k1);
	free(text);
	free(f);
}

/* A hashed name built here with OpenSSL directly: HMAC-SHA1 keyed with the salt. */
static char *hashed_field(const char *name)
{
	unsigned char salt[20], mac[20];
	unsigned int maclen = 0;
	for (int i = 0; i < 20; i++)
		salt[i] = (unsigned char)(0xa0 + i);
	HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)name, strlen(name), mac, &maclen);
	unsigned char s64[64], m64[64];
	EVP_EncodeBlock(s64, salt, sizeof(salt));
	EVP_EncodeBlock(m64, mac, (int)maclen);
	return str_printf("|1|%s|%s", s64, m64);
}

static void test_hashed_entries_fixed_salt(void)
{
	char *k1 = pub(ed1);
	char *h1 = hashed_field("hashed.example");
	char *h2 = hashed_field("[hashed.example]:2200");
	char *text = str_printf("%s %s\n%s %s\n|1|bad|salt %s\n|1|nobar %s\n", h1, k1, h2, k1, k1,
				k1);
	char *f = write_file("hashed-fixed", text);
	struct knownhosts_result res;
	CHECK(check1(f, "hashed.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	CHECK(res.line == 1);
	knownhosts_result_free(&res);
	CHECK(check1(f, "HASHED.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "hashed.example", 2200, ed1, &res) == KNOWNHOSTS_MATCH);
	CHECK(res.line == 2);
	knownhosts_result_free(&res);
	CHECK(check1(f, "hashed.exampl", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "hashed.example", 22, ed2, &res) == KNOWNHOSTS_CHANGED);
	knownhosts_result_free(&res);
	free(k1);
	free(h1);
	free(h2);
	free(text);
	free(f);
}

static bool have_ssh_keygen(void)
{
	return system("command -v ssh-keygen >/dev/null 2>&1") == 0;
}

static void test_hashed_entries_from_ssh_keygen(void)
{
	if (!have_ssh_keygen()) {
		printf("skip: ssh-keygen not found\n");
		return;
	}
	char *k1 = pub(ed1);
	char *text = str_printf("keygen.example %s\n[keygen.example]:2022 %s\n", k1, k1);
	char *f = write_file("hashed-keygen", text);
	char *cmd = str_printf("ssh-keygen -q -H -f '%s' >/dev/null 2>&1", f);
	CHECK(system(cmd) == 0);
	char *now = read_all(f);
	CHECK(now && strncmp(now, "|1|", 3) == 0 && strstr(now, "keygen.example") == NULL);
	struct knownhosts_result res;
	CHECK(check1(f, "keygen.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "keygen.example", 2022, ed1, &res) == KNOWNHOSTS_MATCH);
	CHECK(res.line == 2);
	knownhosts_result_free(&res);
	CHECK(check1(f, "keygen.example", 2023, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	free(now);
	free(cmd);
	free(k1);
	free(text);
	free(f);
}

static void test_changed_reports_file_and_line(void)
{
	char *k1 = pub(ed1), *k2 = pub(ed2), *kr = pub(rsa1), *ke = pub(ecdsa1);
	char *t1 = str_printf("# user file\nunrelated.org %s\n", k1);
	char *t2 = str_printf("# global file\n\n# more\nmoved.example %s\nmoved.example %s\n", kr, k2);
	char *f1 = write_file("changed-user", t1);
	char *f2 = write_file("changed-global", t2);
	const char *files[] = { f1, f2 };
	struct knownhosts_result res;
	CHECK_OK(knownhosts_check(files, 2, "moved.example", 22, ed1, &res));
	CHECK(res.status == KNOWNHOSTS_CHANGED);
	CHECK_STR(res.file, f2);
	CHECK(res.line == 5);                   /* the same-type entry, not the RSA one */
	CHECK(res.entry_type == KEY_ED25519);
	CHECK(!res.other_type_only);
	knownhosts_result_free(&res);

	/* Only a key of another type is listed: still CHANGED (as OpenSSH), flagged as such. */
	CHECK_OK(knownhosts_check(files, 2, "moved.example", 22, ecdsa1, &res));
	CHECK(res.status == KNOWNHOSTS_CHANGED);
	CHECK(res.line == 4);
	CHECK(res.entry_type == KEY_RSA);       /* no ECDSA entry: the host's first entry */
	CHECK(res.other_type_only);
	knownhosts_result_free(&res);

	/* Old and new keys both listed: the new one matches. */
	CHECK_OK(knownhosts_check(files, 2, "moved.example", 22, ed2, &res));
	CHECK(res.status == KNOWNHOSTS_MATCH);
	CHECK(res.line == 5);
	knownhosts_result_free(&res);
	free(k1); free(k2); free(kr); free(ke); free(t1); free(t2); free(f1); free(f2);
}

static void test_revoked_and_cert_authority(void)
{
	char *k1 = pub(ed1), *k2 = pub(ed2);
	char *text = str_printf("rev.example %s\n@revoked * %s\n@cert-authority *.ca.example %s\n"
				"@unknown-marker x.example %s\n", k1, k1, k2, k2);
	char *f = write_file("revoked", text);
	struct knownhosts_result res;
	CHECK(check1(f, "rev.example", 22, ed1, &res) == KNOWNHOSTS_REVOKED);
	CHECK(res.line == 2);
	knownhosts_result_free(&res);
	CHECK(check1(f, "any.other", 22, ed1, &res) == KNOWNHOSTS_REVOKED);
	knownhosts_result_free(&res);
	CHECK(check1(f, "host.ca.example", 22, ed2, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK(check1(f, "x.example", 22, ed2, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	/* A revoked line does not count as a listed key for CHANGED. */
	CHECK(check1(f, "any.other", 22, ed2, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	free(k1); free(k2); free(text); free(f);
}

static void test_garbage_lines_tolerated(void)
{
	char *k1 = pub(ed1);
	char longline[20000];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	char *text = str_printf(
		"garbage\n"
		"onlyhost\n"
		"   \t  \n"
		"good.example ssh-ed25519\n"
		"good.example ssh-ed25519 !!!notbase64!!!\n"
		"good.example ssh-ed25519 AAAA\n"
		"good.example ssh-dss AAAAB3NzaC1kc3MAAACBAP1\n"
		"good.example ssh-rsa %s\n"            /* type says rsa, blob is ed25519 */
		"good.example 1024 35 12345678901234567890\n"
		"@revoked\n"
		"@revoked good.example\n"
		"|1|\x01\x02|\xff %s\n"
		"%s\n"
		"\x1b[31m %s\n"
		"good.example %s", k1 + strlen("ssh-ed25519 "), k1, longline, k1, k1);
	char *f = write_file("garbage", text);
	struct knownhosts_result res;
	CHECK(check1(f, "good.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	CHECK(res.line == 15);                  /* the last line, without a newline */
	knownhosts_result_free(&res);
	/* Malformed lines are never reported: a different key is CHANGED at the one good line. */
	CHECK(check1(f, "good.example", 22, ed2, &res) == KNOWNHOSTS_CHANGED);
	CHECK(res.line == 15);
	knownhosts_result_free(&res);
	free(k1); free(text); free(f);

	/* Binary junk. */
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)((i * 131 + 7) & 0xff);
	char *jp = path_in_tmp("junk");
	FILE *jf = fopen(jp, "wb");
	fwrite(junk, 1, sizeof(junk), jf);
	fclose(jf);
	CHECK(check1(jp, "good.example", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	free(jp);
}

static void test_append_then_match(void)
{
	char *f = path_in_tmp("newdir/known_hosts");
	char *dir = path_in_tmp("newdir");
	struct knownhosts_result res;
	CHECK(check1(f, "new.example", 22, ed1, &res) == KNOWNHOSTS_NOT_FOUND);
	knownhosts_result_free(&res);
	CHECK_OK(knownhosts_add(f, "New.Example", 22, ed1, false));
	CHECK_OK(knownhosts_add(f, "new.example", 2222, ecdsa1, false));
	struct stat st;
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(f, &st) == 0 && (st.st_mode & 0777) == 0600);
	char *k1 = pub(ed1), *ke = pub(ecdsa1);
	char *want = str_printf("new.example %s\n[new.example]:2222 %s\n", k1, ke);
	char *got = read_all(f);
	CHECK_STR(got, want);
	CHECK(check1(f, "new.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "new.example", 2222, ecdsa1, &res) == KNOWNHOSTS_MATCH);
	CHECK(res.line == 2);
	knownhosts_result_free(&res);
	free(want);
	free(got);

	/* A last line without a newline gets one before our entry. */
	char *g = write_file("nonl", "# no newline at the end");
	CHECK_OK(knownhosts_add(g, "x.example", 22, ed1, false));
	got = read_all(g);
	want = str_printf("# no newline at the end\nx.example %s\n", k1);
	CHECK_STR(got, want);
	free(got);
	free(want);

	/* Names that would not read back as one literal host are refused. */
	CHECK_RC(knownhosts_add(g, "a b", 22, ed1, false), FERRY_EINVAL);
	CHECK_RC(knownhosts_add(g, "*", 22, ed1, false), FERRY_EINVAL);
	CHECK_RC(knownhosts_add(g, "x,y", 22, ed1, false), FERRY_EINVAL);
	CHECK_RC(knownhosts_add(g, "|1|x", 22, ed1, false), FERRY_EINVAL);
	CHECK_RC(knownhosts_add(g, "", 22, ed1, false), FERRY_EINVAL);
	CHECK_RC(knownhosts_add(g, "x\ny", 22, ed1, false), FERRY_EINVAL);
	free(k1); free(ke); free(f); free(dir); free(g);
}

static void test_hashed_append_then_match(void)
{
	char *f = path_in_tmp("hashed-append");
	CHECK_OK(knownhosts_add(f, "secret.example", 22, ed1, true));
	CHECK_OK(knownhosts_add(f, "secret.example", 2200, rsa1, true));
	char *got = read_all(f);
	CHECK(got && strncmp(got, "|1|", 3) == 0 && strstr(got, "secret") == NULL);
	CHECK(got && strstr(got, "\n|1|") != NULL);
	free(got);
	struct knownhosts_result res;
	CHECK(check1(f, "secret.example", 22, ed1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "secret.example", 2200, rsa1, &res) == KNOWNHOSTS_MATCH);
	knownhosts_result_free(&res);
	CHECK(check1(f, "secret.example", 22, ed2, &res) == KNOWNHOSTS_CHANGED);
	CHECK(res.line == 1);
	knownhosts_result_free(&res);
	/* OpenSSH reads what we wrote. */
	if (have_ssh_keygen()) {
		char *cmd = str_printf("ssh-keygen -F secret.example -f '%s' >/dev/null 2>&1", f);
		CHECK(system(cmd) == 0);
		free(cmd);
		cmd = str_printf("ssh-keygen -F '[secret.example]:2200' -f '%s' >/dev/null 2>&1", f);
		CHECK(system(cmd) == 0);
		free(cmd);
		cmd = str_printf("ssh-keygen -F other.example -f '%s' >/dev/null 2>&1", f);
		CHECK(system(cmd) != 0);
		free(cmd);
	}
	free(f);
}

static void test_order_hostkey_algs(void)
{
	char *kr = pub(rsa1), *ke = pub(ecdsa1);
	char *text = str_printf("rsa.example %s\n@revoked rsa.example %s\n", kr, ke);
	char *f = write_file("order", text);
	const char *files[] = { f };
	const char *algs = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
	char *out = NULL;
	CHECK_OK(knownhosts_order_hostkey_algs(files, 1, "rsa.example", 22, algs, &out));
	CHECK_STR(out, "rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256");
	free(out);
	CHECK_OK(knownhosts_order_hostkey_algs(files, 1, "unknown.example", 22, algs, &out));
	CHECK_STR(out, algs);
	free(out);
	free(kr); free(ke); free(text); free(f);
}

static void test_texts(void)
{
	char *fp = NULL, *out = NULL;
	CHECK_OK(key_fingerprint(ed1, &fp));

	CHECK_OK(knownhosts_text_added("Host.Example", 2222, ed1, &out));
	CHECK_STR(out, "Warning: Permanently added '[host.example]:2222' (ED25519) to the list of "
		       "known hosts.\n");
	free(out);
	CHECK_OK(knownhosts_text_added("h", 22, rsa1, &out));
	CHECK_STR(out, "Warning: Permanently added 'h' (RSA) to the list of known hosts.\n");
	free(out);

	struct knownhosts_result res = { KNOWNHOSTS_CHANGED, strdup("/kh/global"), 7, KEY_ECDSA_P256,
					 true };
	CHECK_OK(knownhosts_text_changed("srv", 22, ed1, "/home/u/.ssh/known_hosts", &res, true, &out));
	char *want = str_printf(
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		"IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
		"Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n"
		"It is also possible that a host key has just been changed.\n"
		"The fingerprint for the ED25519 key sent by the remote host is\n"
		"%s.\n"
		"Please contact your system administrator.\n"
		"Add correct host key in /home/u/.ssh/known_hosts to get rid of this message.\n"
		"Offending ECDSA key in /kh/global:7\n"
		"  remove with:\n"
		"  ssh-keygen -f \"/kh/global\" -R \"srv\"\n"
		"Host key for srv has changed and you have requested strict checking.\n"
		"Host key verification failed.\n", fp);
	CHECK_STR(out, want);
	free(want);
	free(out);
	CHECK_OK(knownhosts_text_changed("srv", 2200, ed1, NULL, &res, false, &out));
	CHECK(strstr(out, "Add correct host key in /kh/global to get rid") != NULL);
	CHECK(strstr(out, "-R \"[srv]:2200\"\n") != NULL);
	CHECK(strstr(out, "strict checking") == NULL);
	free(out);
	knownhosts_result_free(&res);
	CHECK_RC(knownhosts_text_changed("srv", 22, ed1, NULL, &res, true, &out), FERRY_EINVAL);

	CHECK_OK(knownhosts_text_revoked("srv", 22, ed1, true, &out));
	CHECK_STR(out,
		  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		  "@       WARNING: REVOKED HOST KEY DETECTED!               @\n"
		  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		  "The ED25519 host key for srv is marked as revoked.\n"
		  "This could mean that a stolen key is being used to\n"
		  "impersonate this host.\n"
		  "ED25519 host key for srv was revoked and you have requested strict checking.\n"
		  "Host key verification failed.\n");
	free(out);

	CHECK_OK(knownhosts_text_not_found("srv", 2200, ecdsa1, &out));
	CHECK_STR(out, "No ECDSA host key is known for [srv]:2200 and you have requested strict "
		       "checking.\nHost key verification failed.\n");
	free(out);

	/* The question, with and without other names for the same key. */
	char *k1 = pub(ed1);
	char *text = str_printf("alias.example %s\n%s %s\n", k1, "|1|AAAA|BBBB", k1);
	char *f = write_file("ask", text);
	const char *files[] = { f };
	CHECK_OK(knownhosts_text_ask(files, 1, "srv", 22, "192.0.2.1", ed1, &out));
	want = str_printf("The authenticity of host 'srv (192.0.2.1)' can't be established.\n"
			  "ED25519 key fingerprint is %s.\n"
			  "This host key is known by the following other names/addresses:\n"
			  "    %s:1: alias.example\n"
			  "    %s:2: [hashed name]\n"
			  "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
			  fp, f, f);
	CHECK_STR(out, want);
	free(want);
	free(out);
	CHECK_OK(knownhosts_text_ask(files, 1, "srv", 2200, NULL, ed2, &out));
	char *fp2 = NULL;
	CHECK_OK(key_fingerprint(ed2, &fp2));
	want = str_printf("The authenticity of host '[srv]:2200' can't be established.\n"
			  "ED25519 key fingerprint is %s.\n"
			  "This key is not known by any other names.\n"
			  "Are you sure you want to continue connecting (yes/no/[fingerprint])? ", fp2);
	CHECK_STR(out, want);
	free(want);
	free(out);
	free(fp2);
	free(k1); free(text); free(f);
	free(fp);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-knownhosts.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	if (key_generate(KEY_ED25519, 0, &ed1) != 0 || key_generate(KEY_ED25519, 0, &ed2) != 0 ||
	    key_generate(KEY_ECDSA_P256, 0, &ecdsa1) != 0 || key_generate(KEY_RSA, 2048, &rsa1) != 0) {
		fprintf(stderr, "key generation failed\n");
		return 1;
	}
	RUN_TEST(test_plain_match_and_not_found);
	RUN_TEST(test_port_forms);
	RUN_TEST(test_wildcards_and_negation);
	RUN_TEST(test_hashed_entries_fixed_salt);
	RUN_TEST(test_hashed_entries_from_ssh_keygen);
	RUN_TEST(test_changed_reports_file_and_line);
	RUN_TEST(test_revoked_and_cert_authority);
	RUN_TEST(test_garbage_lines_tolerated);
	RUN_TEST(test_append_then_match);
	RUN_TEST(test_hashed_append_then_match);
	RUN_TEST(test_order_hostkey_algs);
	RUN_TEST(test_texts);
	key_free(ed1);
	key_free(ed2);
	key_free(ecdsa1);
	key_free(rsa1);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return check_report();
}
