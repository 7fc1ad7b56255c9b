# Tenant self-service (docs/tenant.md): sessions and the tenant routes in
# prepay-api, the pure usage/insight arithmetic and its unit test, the
# hostile-input and authorization tests, the request fuzzer, the browser
# page (web/tenant, built with web/build/build.mjs) and its Playwright suite.
prepay_api_SOURCES += cgi/auth.c cgi/auth_crypto.c cgi/auth.h cgi/tenant_session.c cgi/tenant_account.c \
	cgi/tenant_ledger.c cgi/tenant_usage.c cgi/tenant_calc.c cgi/tenant_topup.c cgi/tenant_alerts.c
prepay_api_SOURCES += cgi/summary_cache.c cgi/summary_cache.h
prepay_api_SOURCES += cgi/tenant_signin.c
prepay_api_LDADD += $(STATEMENTS_LIBS) $(ALERTS_LIBS)

unit_tests += tests/unit/test-tenant-calc tests/unit/test-auth
check_PROGRAMS += tests/unit/test-tenant-calc tests/unit/test-auth
tests_unit_test_tenant_calc_SOURCES = tests/unit/test-tenant-calc.c tests/unit/unit.h cgi/tenant_calc.c
tests_unit_test_tenant_calc_LDADD = $(RATING_LIBS)
tests_unit_test_auth_SOURCES = tests/unit/test-auth.c tests/unit/unit.h cgi/auth_crypto.c
tests_unit_test_auth_LDADD = cgi/libapi.a $(PREPAY_LIBS)
unit_tests += tests/unit/test-summary-cache
check_PROGRAMS += tests/unit/test-summary-cache
tests_unit_test_summary_cache_SOURCES = tests/unit/test-summary-cache.c tests/unit/unit.h cgi/summary_cache.c
tests_unit_test_summary_cache_LDADD = $(PREPAY_LIBS) $(PTHREAD_LIBS)

tenant_tests = tests/integration/tenant-api.sh tests/integration/tenant-attacks.sh tests/integration/tenant-openapi.sh
tenant_tests += tests/integration/tenant-signin.sh tests/integration/tenant-summary.sh
EXTRA_DIST += tests/e2e/tenant-signin.mjs
integration_tests += $(tenant_tests)
EXTRA_DIST += $(tenant_tests) tests/integration/tenant-lib.sh tests/integration/tenant-openapi.py docs/tenant.md

# prepayctl user add/list: tenant sign-ins
prepayctl_SOURCES += tools/ctl_user.c cgi/auth_crypto.c cgi/auth.h

# the browser suite: Debian's chromium + playwright-core (npm ci at the repo
# root); skips without them. The page is built by web/build/build.mjs and the
# bundle is committed (web/tenant/index.html, web/tenant/assets/).
integration_tests += tests/e2e/tenant-e2e.sh
EXTRA_DIST += tests/e2e/tenant-e2e.sh tests/e2e/tenant.mjs web/build/build.mjs package.json package-lock.json

# request parsing as the tenant routes use it (router, validators, cookies)
if FUZZING
fuzzers += tests/fuzz/fuzz-request
check_PROGRAMS += tests/fuzz/fuzz-request
tests_fuzz_fuzz_request_SOURCES = tests/fuzz/fuzz-request.c cgi/tenant_calc.c cgi/auth_crypto.c
tests_fuzz_fuzz_request_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_request_LDADD = cgi/libapi.a $(RATING_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-request.c

# the mini-program's logic under node --test (no database needed)
unit_tests += tests/integration/tenant-miniprogram.sh
EXTRA_DIST += tests/integration/tenant-miniprogram.sh
EXTRA_DIST += tests/bench/tenant.sh tests/bench/tenant-page.mjs
