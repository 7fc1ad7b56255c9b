# Tariffs in the database, real-time consumption posting, monthly
# statements and rerate (docs/statements.md): billing/libstatements.a, the
# prepayctl commands on top, their integration tests and a benchmark.
noinst_LIBRARIES += billing/libstatements.a
billing_libstatements_a_SOURCES = \
	billing/tariff_store.c billing/tariff_store.h \
	billing/consume.c billing/consume.h \
	billing/statement.c billing/statement.h \
	billing/statement_run.c
# after the libraries it uses, so a static link resolves in one pass
STATEMENTS_LIBS = billing/libstatements.a billing/libpolicy.a billing/libledger.a billing/librating.a $(PREPAY_LIBS)

prepayctl_SOURCES += tools/ctl_tariff_db.c
prepayctl_LDADD += $(STATEMENTS_LIBS)
