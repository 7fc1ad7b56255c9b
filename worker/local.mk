# prepay-worker, the outbox executor (docs/worker.md): claims due outbox
# rows, runs the handler its kind names (worker/jobs.c), records each
# attempt, retries with backoff and gives up after [worker] max_attempts.
sbin_PROGRAMS += prepay-worker
prepay_worker_SOURCES = \
	worker/main.c worker/worker.c worker/worker.h worker/run.h worker/jobs.c
prepay_worker_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
prepay_worker_LDADD = $(ALERTS_LIBS)
# payment jobs (refunds, sweep, reconciliation: payments/refund_jobs.c)
prepay_worker_LDADD += $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)

unit_tests += tests/unit/test-alerts-worker
check_PROGRAMS += tests/unit/test-alerts-worker
tests_unit_test_alerts_worker_SOURCES = tests/unit/test-alerts-worker.c tests/unit/unit.h \
	worker/worker.c worker/jobs.c
tests_unit_test_alerts_worker_LDADD = $(ALERTS_LIBS) $(PAYMENTS_LIBS) $(POLICY_LIBS) $(CURL_LIBS)
EXTRA_DIST += docs/worker.md
# billing jobs: fixed charges, month-end statements (worker/job_billing.c)
prepay_worker_SOURCES += worker/job_billing.c worker/job_billing.h
prepay_worker_LDADD += $(STATEMENTS_LIBS)
tests_unit_test_alerts_worker_SOURCES += worker/job_billing.c worker/job_billing.h
tests_unit_test_alerts_worker_LDADD += $(STATEMENTS_LIBS)
