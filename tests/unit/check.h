/* A tiny test harness for ferry's unit tests: CHECK macros that report file:line and count
 * failures, and a runner. Exit status: 0 all passed, 1 some failed, 77 skipped. */
#ifndef FERRY_TESTS_CHECK_H
#define FERRY_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* Checks that an int-returning ferry call gives the expected code. */
#define CHECK_RC(expr, want) do { \
	int check_rc_ = (expr); \
	check_count++; \
	if (check_rc_ != (want)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: %s returned %d (%s), wanted %d (%s)\n", __FILE__, __LINE__, \
			#expr, check_rc_, ferry_strerror(check_rc_), (int)(want), ferry_strerror(want)); \
	} \
} while (0)

#define CHECK_OK(expr) CHECK_RC(expr, 0)

#define CHECK_MEM(a, b, n) do { \
	check_count++; \
	if (memcmp((a), (b), (n)) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK_MEM failed: %s != %s (%zu bytes)\n", __FILE__, __LINE__, \
			#a, #b, (size_t)(n)); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	check_count++; \
	if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
			check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
	} \
} while (0)

/* Runs one test function and prints its name. */
#define RUN_TEST(fn) do { \
	int before_ = check_failures; \
	fn(); \
	printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #fn); \
} while (0)

/* Hex string to bytes; returns the byte count. Aborts on bad hex (test data is ours). */
static inline size_t unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	while (hex[0] && hex[1]) {
		if (hex[0] == ' ' || hex[0] == '\n') { hex++; continue; }
		if (n >= max) abort();
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1) abort();
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

static inline int check_report(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
