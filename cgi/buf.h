/*
 * A growable byte buffer created with its maximum size: growing past the
 * maximum is an error (-1), never a realloc to whatever a client sent.
 * The contents are always NUL-terminated for convenience.
 */
#ifndef PREPAY_CGI_BUF_H
#define PREPAY_CGI_BUF_H
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int overflow;	/* set once an append was refused */
};

void buf_init(struct buf *, size_t max);
void buf_free(struct buf *);
void buf_reset(struct buf *);
int buf_append(struct buf *, const void *p, size_t n);
int buf_puts(struct buf *, const char *s);
int buf_printf(struct buf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
