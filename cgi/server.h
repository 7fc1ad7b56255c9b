/*
 * The FastCGI server: a listening unix socket, [api] threads workers each
 * accepting with FCGX_Accept_r and owning one database connection, and a
 * clean stop on SIGTERM/SIGINT (stop accepting, finish what is in flight,
 * close connections, remove the socket).
 */
#ifndef PREPAY_CGI_SERVER_H
#define PREPAY_CGI_SERVER_H
#include <stddef.h>
#include "lib/config.h"

struct server_opts {
	const struct config *cfg;
	const char *socket_path;
	int threads;
	size_t max_body_bytes;
};

/* Runs until SIGTERM or SIGINT; returns 0 after a clean stop, -1 if the
 * socket could not be opened (logged). */
int server_run(const struct server_opts *);

#endif
