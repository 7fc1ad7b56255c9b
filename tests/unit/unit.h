/*
 * A tiny TAP producer for unit tests: each TEST is one "ok"/"not ok" line,
 * failed checks are printed as "# file:line: expression" diagnostics.
 *
 *   TEST(money_parses_two_decimals) { CHECK(...); CHECK_EQ_INT(a, b); }
 *   int main(void) { RUN(money_parses_two_decimals); return unit_done(); }
 */
#ifndef PREPAY_UNIT_H
#define PREPAY_UNIT_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_count, unit_failed_tests, unit_current_failed;

#define TEST(name) static void name(void)
#define CHECK(cond) unit_check(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); \
	unit_check(a_ == b_, NULL, NULL, 0); } while (0)
#define CHECK_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); int eq_ = a_ && b_ && strcmp(a_, b_) == 0; \
	if (!eq_) printf("# %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	unit_check(eq_, NULL, NULL, 0); } while (0)
#define RUN(name) unit_run(#name, name)

static inline void
unit_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		unit_current_failed = 1;
		if (expr != NULL)
			printf("# %s:%d: check failed: %s\n", file, line, expr);
	}
}

static inline void
unit_run(const char *name, void (*fn)(void))
{
	unit_current_failed = 0;
	fn();
	unit_count++;
	if (unit_current_failed)
		unit_failed_tests++;
	printf("%s %d - %s\n", unit_current_failed ? "not ok" : "ok", unit_count, name);
	fflush(stdout);
}

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed_tests ? 1 : 0;
}

#endif
