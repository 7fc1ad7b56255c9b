# prepay-api: the pure parts (router, parameters, metrics, responses) are a
# library so unit tests link them without FastCGI.
noinst_LIBRARIES += cgi/libapi.a
cgi_libapi_a_SOURCES = \
	cgi/buf.c cgi/buf.h \
	cgi/metrics.c cgi/metrics.h \
	cgi/response.c cgi/request.h \
	cgi/router.c cgi/router.h

bin_PROGRAMS += prepay-api
prepay_api_SOURCES = \
	cgi/main.c cgi/server.c cgi/server.h \
	cgi/api.h cgi/routes.c cgi/health.c
prepay_api_CFLAGS = $(AM_CFLAGS) $(FCGI_CFLAGS)
prepay_api_LDADD = cgi/libapi.a $(PREPAY_LIBS) $(FCGI_LIBS)

unit_tests += tests/unit/test-router tests/unit/test-metrics
check_PROGRAMS += tests/unit/test-router tests/unit/test-metrics
tests_unit_test_router_SOURCES = tests/unit/test-router.c tests/unit/unit.h
tests_unit_test_router_LDADD = cgi/libapi.a $(PREPAY_LIBS)
tests_unit_test_metrics_SOURCES = tests/unit/test-metrics.c tests/unit/unit.h
tests_unit_test_metrics_LDADD = cgi/libapi.a $(PREPAY_LIBS)

# need the stack (nginx in front, $PREPAY_HTTP_URL) or the database ($PREPAY_CONF)
integration_tests += tests/integration/api-http.sh tests/integration/api-fcgi.sh
EXTRA_DIST += tests/integration/api-http.sh tests/integration/api-fcgi.sh \
	tests/integration/api-lib.sh tests/bench/http.sh docs/api/openapi.yaml

# the benchmark's baseline: a FastCGI program that answers without doing anything
check_PROGRAMS += tests/bench/fcgi-noop
tests_bench_fcgi_noop_SOURCES = tests/bench/fcgi-noop.c
tests_bench_fcgi_noop_CFLAGS = $(AM_CFLAGS) $(FCGI_CFLAGS)
tests_bench_fcgi_noop_LDADD = $(FCGI_LIBS) $(PTHREAD_LIBS)
