# The account policy (docs/policy.md): billing/libpolicy.a — the pure
# policy and friendly hours, and the shell that applies them inside a
# ledger transaction — the prepayctl commands on top, and their tests.
noinst_LIBRARIES += billing/libpolicy.a
billing_libpolicy_a_SOURCES = \
	billing/policy.c billing/policy.h \
	billing/friendly.c billing/friendly.h \
	billing/policy_apply.c billing/policy_apply.h
# after the libraries it uses, so a static link resolves in one pass
POLICY_LIBS = billing/libpolicy.a billing/libledger.a billing/librating.a $(PREPAY_LIBS)

prepayctl_SOURCES += tools/ctl_policy.c
prepayctl_LDADD += $(POLICY_LIBS)

policy_unit = tests/unit/test-policy tests/unit/test-friendly
unit_tests += $(policy_unit)
check_PROGRAMS += $(policy_unit)
tests_unit_test_policy_SOURCES = tests/unit/test-policy.c tests/unit/unit.h
tests_unit_test_policy_LDADD = $(POLICY_LIBS)
tests_unit_test_friendly_SOURCES = tests/unit/test-friendly.c tests/unit/unit.h
tests_unit_test_friendly_LDADD = $(POLICY_LIBS)

# drives the consumption path (ledger debit + policy in one transaction)
# for the integration tests, as the poller will
check_PROGRAMS += tests/integration/policy-debit
tests_integration_policy_debit_SOURCES = tests/integration/policy-debit.c
tests_integration_policy_debit_LDADD = $(POLICY_LIBS)
policy_tests = tests/integration/policy-flow.sh
integration_tests += $(policy_tests)
EXTRA_DIST += $(policy_tests) docs/policy.md
