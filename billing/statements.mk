# Tariffs in the database, real-time consumption posting, monthly
# statements and rerate (docs/statements.md): billing/libstatements.a, the
# prepayctl commands on top, their integration tests and a benchmark.
noinst_LIBRARIES += billing/libstatements.a
billing_libstatements_a_SOURCES = \
	billing/tariff_store.c billing/tariff_store.h \
	billing/consume.c billing/consume.h \
	billing/statement.c billing/statement.h \
	billing/statement_run.c \
	billing/share.c billing/share.h billing/statement_share.c \
	billing/statement_jobs.c
# after the libraries it uses, so a static link resolves in one pass
STATEMENTS_LIBS = billing/libstatements.a billing/libpolicy.a billing/libledger.a billing/librating.a $(PREPAY_LIBS)

prepayctl_SOURCES += tools/ctl_tariff_db.c tools/ctl_share.c
prepayctl_LDADD += $(STATEMENTS_LIBS)

STATEMENT_FIXTURE = tests/integration/statement-fixture.c tests/integration/statement-fixture.h $(LEDGER_FIXTURE)
statement_tests = tests/integration/statement-month tests/integration/statement-random
integration_tests += $(statement_tests) tests/integration/statement-ctl.sh
EXTRA_DIST += tests/integration/statement-ctl.sh
# shared meters, line loss, the fixed-charge and month-end jobs
integration_tests += tests/integration/statement-share.sh tests/integration/statement-jobs.sh
EXTRA_DIST += tests/integration/statement-share.sh tests/integration/statement-jobs.sh
check_PROGRAMS += $(statement_tests)
tests_integration_statement_month_SOURCES = tests/integration/statement-month.c $(STATEMENT_FIXTURE)
tests_integration_statement_month_LDADD = $(STATEMENTS_LIBS)
tests_integration_statement_random_SOURCES = tests/integration/statement-random.c $(STATEMENT_FIXTURE)
tests_integration_statement_random_LDADD = $(STATEMENTS_LIBS)

# run by hand: tests/bench/statement.sh (docs/statements.md, "Speed")
noinst_PROGRAMS += tests/bench/statement-bench
tests_bench_statement_bench_SOURCES = tests/bench/statement-bench.c
tests_bench_statement_bench_LDADD = $(STATEMENTS_LIBS)
EXTRA_DIST += tests/bench/statement.sh tests/bench/statement-tariff.json docs/statements.md

unit_tests += tests/unit/test-statement
check_PROGRAMS += tests/unit/test-statement
tests_unit_test_statement_SOURCES = tests/unit/test-statement.c tests/unit/unit.h
tests_unit_test_statement_LDADD = $(STATEMENTS_LIBS)

unit_tests += tests/unit/test-share
check_PROGRAMS += tests/unit/test-share
tests_unit_test_share_SOURCES = tests/unit/test-share.c tests/unit/unit.h
tests_unit_test_share_LDADD = $(STATEMENTS_LIBS)

# the hourly usage rollup (docs/tenant.md "Usage"): its pure arithmetic,
# written by consume.c, rebuilt by `prepayctl usage rebuild`
billing_libstatements_a_SOURCES += billing/usage_rollup.c billing/usage_rollup.h
prepayctl_SOURCES += tools/ctl_usage.c
unit_tests += tests/unit/test-usage-rollup
check_PROGRAMS += tests/unit/test-usage-rollup
tests_unit_test_usage_rollup_SOURCES = tests/unit/test-usage-rollup.c tests/unit/unit.h
tests_unit_test_usage_rollup_LDADD = $(STATEMENTS_LIBS)
integration_tests += tests/integration/tenant-usage-rollup.sh
EXTRA_DIST += tests/integration/tenant-usage-rollup.sh
