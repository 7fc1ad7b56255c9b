bin_PROGRAMS += prepayctl
prepayctl_SOURCES = \
	tools/prepayctl.c tools/ctl.c tools/ctl.h \
	tools/ctl_db.c
prepayctl_CPPFLAGS = $(AM_CPPFLAGS) -DPREPAY_SCHEMA_DIR='"$(schemadir)"'
prepayctl_LDADD = $(PREPAY_LIBS)
