# The money ledger (docs/ledger.md): billing/libledger.a for every program
# that posts or audits, the prepayctl commands on top of it, and its tests.
noinst_LIBRARIES += billing/libledger.a
billing_libledger_a_SOURCES = \
	billing/ledger.c billing/ledger.h \
	billing/ledger_rules.c billing/ledger_rules.h \
	billing/receipt.c billing/receipt.h
LEDGER_LIBS = billing/libledger.a $(PREPAY_LIBS)

prepayctl_SOURCES += tools/ctl_ledger.c
prepayctl_LDADD += $(LEDGER_LIBS)

unit_tests += tests/unit/test-ledger-rules
check_PROGRAMS += tests/unit/test-ledger-rules
tests_unit_test_ledger_rules_SOURCES = tests/unit/test-ledger-rules.c tests/unit/unit.h
tests_unit_test_ledger_rules_LDADD = $(LEDGER_LIBS)

LEDGER_FIXTURE = tests/integration/ledger-fixture.c tests/integration/ledger-fixture.h
integration_tests += \
	tests/integration/ledger-model \
	tests/integration/ledger-concurrent \
	tests/integration/ledger-ctl.sh \
	tests/integration/ledger-audit.sh
check_PROGRAMS += tests/integration/ledger-model tests/integration/ledger-concurrent \
	tests/integration/ledger-sql
tests_integration_ledger_model_SOURCES = tests/integration/ledger-model.c $(LEDGER_FIXTURE)
tests_integration_ledger_model_LDADD = $(LEDGER_LIBS)
tests_integration_ledger_concurrent_SOURCES = tests/integration/ledger-concurrent.c $(LEDGER_FIXTURE)
tests_integration_ledger_concurrent_LDADD = $(LEDGER_LIBS)
# a helper the shell tests run SQL with
tests_integration_ledger_sql_SOURCES = tests/integration/ledger-sql.c
tests_integration_ledger_sql_LDADD = $(PREPAY_LIBS)
EXTRA_DIST += tests/integration/ledger-ctl.sh tests/integration/ledger-audit.sh

# the benchmark is run by hand: tests/bench/ledger.sh (docs/ledger.md)
noinst_PROGRAMS += tests/bench/ledger-bench
tests_bench_ledger_bench_SOURCES = tests/bench/ledger-bench.c $(LEDGER_FIXTURE)
tests_bench_ledger_bench_LDADD = $(LEDGER_LIBS)
EXTRA_DIST += tests/bench/ledger.sh docs/ledger.md docs/money.md
