# Payments (docs/payments.md): payments/libpayments.a holds the pure WeChat
# Pay v3 and Alipay codecs; the I/O (libcurl client, the order and
# notification handlers in prepay-api, the sandbox) sits on top.
noinst_LIBRARIES += payments/libpayments.a
payments_libpayments_a_SOURCES = \
	payments/wechat.c payments/wechat.h \
	payments/alipay.c payments/alipay.h \
	payments/wechat_bill.c payments/wechat_bill.h
PAYMENTS_LIBS = payments/libpayments.a

pay_unit = tests/unit/test-wechat tests/unit/test-wechat-bill
unit_tests += $(pay_unit)
check_PROGRAMS += $(pay_unit)
tests_unit_test_wechat_SOURCES = tests/unit/test-wechat.c tests/unit/unit.h
tests_unit_test_wechat_LDADD = $(PAYMENTS_LIBS) $(PREPAY_LIBS)
tests_unit_test_wechat_bill_SOURCES = tests/unit/test-wechat-bill.c tests/unit/unit.h
tests_unit_test_wechat_bill_LDADD = $(PAYMENTS_LIBS) $(PREPAY_LIBS)

if FUZZING
fuzzers += tests/fuzz/fuzz-wechat-notify
check_PROGRAMS += tests/fuzz/fuzz-wechat-notify
tests_fuzz_fuzz_wechat_notify_SOURCES = tests/fuzz/fuzz-wechat-notify.c
tests_fuzz_fuzz_wechat_notify_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_wechat_notify_LDADD = $(PAYMENTS_LIBS) $(PREPAY_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-wechat-notify.c

# prepay-api's payment handlers and the libcurl client
payments_libpayments_a_SOURCES += \
	payments/pay_store.c payments/pay_store.h \
	payments/wechat_client.c payments/wechat_client.h \
	payments/pay_recon.c payments/pay_recon.h \
	payments/pay_sweep.c payments/pay_sweep.h \
	payments/alipay_client.c payments/alipay_client.h \
	payments/refund.c payments/refund.h \
	payments/refund_store.c payments/refund_store.h \
	payments/refund_run.c payments/refund_run.h \
	payments/refund_jobs.c payments/refund_jobs.h
payments_libpayments_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
prepay_api_SOURCES += cgi/pay.c cgi/topup.c cgi/refund_notify.c
prepay_api_LDADD += $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)

# prepay-sandbox: WeChat Pay on loopback, in Node (no npm packages); the
# stack runs var/build/prepay-sandbox -c CONF after payments/sandbox/keys.sh
bin_SCRIPTS = prepay-sandbox
prepay-sandbox: $(top_srcdir)/payments/sandbox/prepay-sandbox.js
	$(AM_V_GEN)printf '#!/bin/sh\n# made by make from payments/sandbox/prepay-sandbox.js (needs Debian nodejs)\nexec node "%s" "$$@"\n' \
	    '$(abs_top_srcdir)/payments/sandbox/prepay-sandbox.js' >$@ && chmod +x $@
CLEANFILES += prepay-sandbox
EXTRA_DIST += payments/sandbox/prepay-sandbox.js payments/sandbox/keys.sh

# a private payment stack per test (pay-lib.sh): sandbox keys, prepay-api,
# nginx, prepay-sandbox; WeChat Pay played by Node (pay-notify.js)
pay_integration = tests/integration/pay-attacks.sh tests/integration/pay-duplicates.sh \
	tests/integration/pay-restore.sh tests/integration/pay-crash.sh tests/integration/pay-recon.sh \
	tests/integration/pay-sweep.sh tests/integration/pay-alipay.sh
check_PROGRAMS += tests/integration/pay-recon tests/integration/pay-sweep
tests_integration_pay_sweep_SOURCES = tests/integration/pay-sweep.c
tests_integration_pay_sweep_LDADD = $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)
tests_integration_pay_recon_SOURCES = tests/integration/pay-recon.c
tests_integration_pay_recon_LDADD = $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)
integration_tests += $(pay_integration)
EXTRA_DIST += $(pay_integration) tests/integration/pay-lib.sh tests/integration/pay-notify.js docs/payments.md
# the credited-notifications/s benchmark (deploy/stack bench runs tests/bench/*.sh)
EXTRA_DIST += tests/bench/notify.sh tests/bench/notify-load.js

# refunds and move-out settlement, prepayctl recon (docs/payments.md)
prepayctl_SOURCES += tools/ctl_settle.c tools/ctl_recon.c
prepayctl_LDADD += $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)
unit_tests += tests/unit/test-refund
check_PROGRAMS += tests/unit/test-refund
tests_unit_test_refund_SOURCES = tests/unit/test-refund.c tests/unit/unit.h
tests_unit_test_refund_LDADD = $(PAYMENTS_LIBS) $(PREPAY_LIBS)
refund_integration = tests/integration/pay-refund.sh tests/integration/pay-settle.sh \
	tests/integration/pay-recon-ctl.sh tests/integration/pay-refund-periodic.sh
integration_tests += $(refund_integration)
EXTRA_DIST += $(refund_integration) tests/integration/pay-refund-lib.sh

# a MariaDB restart under load (the test's own private server) and a payment
# ending a cut end to end (simulator + poller): issue 5's last two tests
pay_e2e_integration = tests/integration/pay-dbrestart.sh tests/integration/pay-relay.sh
integration_tests += $(pay_e2e_integration)
EXTRA_DIST += $(pay_e2e_integration)
