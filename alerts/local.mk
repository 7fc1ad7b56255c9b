# Alerts (docs/alerts.md): alerts/libalerts.a — the pure message core
# (kinds, zh/en texts, quiet hours, contact checks), the provider
# signatures, the fan-out and the channels prepay-worker runs — the
# loopback stand-in for the providers, prepay-msg-sandbox, and the tests.
noinst_LIBRARIES += alerts/libalerts.a
alerts_libalerts_a_SOURCES = \
	alerts/alerts.h \
	alerts/message.c alerts/message.h \
	alerts/sign.c alerts/sign.h \
	alerts/fanout.c alerts/deliver.c \
	worker/http.c worker/http.h
# after the libraries it uses, so a static link resolves in one pass
ALERTS_LIBS = alerts/libalerts.a billing/librating.a $(PREPAY_LIBS) $(CURL_LIBS)

bin_PROGRAMS += prepay-msg-sandbox
prepay_msg_sandbox_SOURCES = alerts/sandbox/msg_sandbox.c
prepay_msg_sandbox_LDADD = $(ALERTS_LIBS)

prepayctl_SOURCES += tools/ctl_alerts.c
prepayctl_LDADD += $(ALERTS_LIBS)

alerts_unit = tests/unit/test-sign tests/unit/test-alerts
unit_tests += $(alerts_unit)
check_PROGRAMS += $(alerts_unit)
tests_unit_test_sign_SOURCES = tests/unit/test-sign.c tests/unit/unit.h
tests_unit_test_sign_LDADD = $(ALERTS_LIBS)
tests_unit_test_alerts_SOURCES = tests/unit/test-alerts.c tests/unit/unit.h
tests_unit_test_alerts_LDADD = $(ALERTS_LIBS)

alerts_integration = tests/integration/alerts-flow.sh tests/integration/alerts-faults.sh
integration_tests += $(alerts_integration)
EXTRA_DIST += $(alerts_integration) tests/integration/alerts-lib.sh docs/alerts.md \
	tests/bench/alerts.sh
