/*
 * The benchmark's baseline: a multi-threaded FastCGI program that answers
 * every request with the same tiny JSON as GET /api/v1/ping and does
 * nothing else. Killed by the benchmark with SIGTERM.
 *   fcgi-noop SOCKET THREADS
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>

static int listen_fd;

static void *
noop_worker(void *arg)
{
	static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 13\r\nCache-Control: no-store\r\n\r\n{\"pong\":true}";
	FCGX_Request fr;

	FCGX_InitRequest(&fr, listen_fd, 0);
	while (FCGX_Accept_r(&fr) >= 0) {
		FCGX_PutStr(reply, (int)sizeof reply - 1, fr.out);
		FCGX_Finish_r(&fr);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t tids[256];
	char *end;
	long n;

	if (argc != 3 || (n = strtol(argv[2], &end, 10)) < 1 || n > 256 || *end != '\0') {
		fprintf(stderr, "usage: fcgi-noop SOCKET THREADS(1-256)\n");
		return 2;
	}
	FCGX_Init();
	/* libfcgi installs its own SIGTERM handler; the benchmark wants it to die */
	signal(SIGTERM, SIG_DFL);
	unlink(argv[1]);
	if ((listen_fd = FCGX_OpenSocket(argv[1], 256)) < 0) {
		perror(argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	for (long i = 0; i < n; i++)
		pthread_create(&tids[i], NULL, noop_worker, NULL);
	for (long i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
