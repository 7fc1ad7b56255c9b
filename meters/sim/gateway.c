/*
 * One thread per gateway: it owns the bus, so requests from all clients are
 * answered one at a time, each after the gateway's latency (and, for RTU,
 * the wire time at the bus's baud rate) -- a real RS-485 line's timing.
 * Unknown unit ids get no answer, like a meter missing from the bus.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "meters/sim/sim.h"

#define MAX_CLIENTS 16
#define RTU_SILENCE_MS 50

struct answer {
	int send;		/* 0: stay silent */
	int garbage;
	int delay_ms;		/* before sending */
	uint8_t pdu[260];
	int len;
};

static struct sim *the_sim;

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Decides what the bus answers to one request. */
static void
transact(struct sim_gateway *gw, int unit, const uint8_t *pdu, int len, struct answer *a)
{
	struct sim_meter *m = unit >= 1 && unit <= SIM_MAX_UNIT ? gw->by_unit[unit] : NULL;
	enum sim_fault f;
	int code, delay;

	memset(a, 0, sizeof *a);
	__atomic_add_fetch(&gw->transactions, 1, __ATOMIC_RELAXED);
	if (m == NULL || len < 1) {
		log_debug("gateway %s: no meter at unit %d, no answer", gw->id, unit);
		return;
	}
	pthread_mutex_lock(&m->lock);
	m->requests++;
	f = fault_take(m, 0);
	code = m->fault_code;
	delay = m->fault_delay_ms;
	pthread_mutex_unlock(&m->lock);
	switch (f) {
	case FAULT_NO_ANSWER:
		log_debug("meter %s: fault no_answer: request dropped", m->id);
		return;
	case FAULT_EXCEPTION:
		a->len = modbus_exception(pdu[0], (uint8_t)code, a->pdu);
		break;
	case FAULT_GARBAGE:
		a->garbage = 1;
		break;
	default:
		a->len = modbus_pdu_reply(m, pdu, len, a->pdu, sim_now(the_sim));
		if (f == FAULT_LATE)
			a->delay_ms = delay;
		break;
	}
	a->send = 1;
	pthread_mutex_lock(&m->lock);
	m->answered++;
	pthread_mutex_unlock(&m->lock);
}

static int
write_all(int fd, const uint8_t *p, int n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };
				if (poll(&pfd, 1, 1000) <= 0)
					return -1;
				continue;
			}
			return -1;
		}
		p += w;
		n -= (int)w;
	}
	return 0;
}

static uint8_t
noise_byte(void)
{
	static __thread uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (uint8_t)x;
}

/* ---- Modbus TCP ---- */

struct client {
	int fd;
	uint8_t buf[600];
	int n;
};

static void
tcp_answer(struct sim_gateway *gw, struct client *c, const uint8_t *frame)
{
	struct answer a;
	uint8_t out[7 + 260];
	int unit = frame[6], pdulen = (frame[4] << 8 | frame[5]) - 1;

	transact(gw, unit, frame + 7, pdulen, &a);
	if (!a.send)
		return;
	sleep_ms(__atomic_load_n(&gw->latency_ms, __ATOMIC_RELAXED));
	if (a.delay_ms > 0)
		sleep_ms(a.delay_ms);
	if (a.garbage) {
		/* a wrong transaction id and protocol: a client must reject it */
		out[0] = (uint8_t)~frame[0];
		out[1] = (uint8_t)~frame[1];
		out[2] = 0xDE;
		out[3] = 0xAD;
		out[4] = 0;
		out[5] = 6;
		for (int i = 6; i < 12; i++)
			out[i] = noise_byte();
		write_all(c->fd, out, 12);
		return;
	}
	memcpy(out, frame, 4);	/* transaction and protocol id */
	out[4] = (uint8_t)((a.len + 1) >> 8);
	out[5] = (uint8_t)(a.len + 1);
	out[6] = (uint8_t)unit;
	memcpy(out + 7, a.pdu, (size_t)a.len);
	write_all(c->fd, out, 7 + a.len);
}

static void
client_close(struct sim_gateway *gw, struct client *c, const char *why)
{
	log_debug("gateway %s: client closed (%s)", gw->id, why);
	close(c->fd);
	c->fd = -1;
	c->n = 0;
	__atomic_sub_fetch(&gw->clients, 1, __ATOMIC_RELAXED);
}

static void *
tcp_thread(void *arg)
{
	struct sim_gateway *gw = arg;
	struct client cl[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 1];

	for (int i = 0; i < MAX_CLIENTS; i++)
		cl[i].fd = -1;
	while (!sim_stop) {
		int np = 0, idx[MAX_CLIENTS + 1];

		pfd[np].fd = gw->listen_fd;
		pfd[np++].events = POLLIN;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (cl[i].fd >= 0) {
				idx[np] = i;
				pfd[np].fd = cl[i].fd;
				pfd[np++].events = POLLIN;
			}
		if (poll(pfd, (nfds_t)np, 200) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int fd = accept(gw->listen_fd, NULL, NULL), one = 1, slot = -1;
			if (fd >= 0) {
				for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
					if (cl[i].fd < 0)
						slot = i;
				if (slot < 0) {
					log_warn("gateway %s: more than %d clients, connection refused", gw->id,
					    MAX_CLIENTS);
					close(fd);
				} else {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					cl[slot].fd = fd;
					cl[slot].n = 0;
					__atomic_add_fetch(&gw->clients, 1, __ATOMIC_RELAXED);
					log_debug("gateway %s: client connected", gw->id);
				}
			}
		}
		for (int p = 1; p < np; p++) {
			struct client *c = &cl[idx[p]];
			ssize_t r;

			if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, c->buf + c->n, sizeof c->buf - (size_t)c->n);
			if (r <= 0) {
				client_close(gw, c, r == 0 ? "end of stream" : strerror(errno));
				continue;
			}
			c->n += (int)r;
			/* MBAP: tid(2) protocol(2) length(2) unit(1), then the PDU */
			while (c->fd >= 0 && c->n >= 7) {
				int flen = c->buf[4] << 8 | c->buf[5];
				if ((c->buf[2] | c->buf[3]) != 0 || flen < 2 || flen > 254) {
					client_close(gw, c, "not a Modbus TCP frame");
					break;
				}
				if (c->n < 6 + flen)
					break;
				tcp_answer(gw, c, c->buf);
				memmove(c->buf, c->buf + 6 + flen, (size_t)(c->n - 6 - flen));
				c->n -= 6 + flen;
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	return NULL;
}

static int
tcp_listen(struct sim_gateway *gw)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)gw->port);
	if (inet_pton(AF_INET, gw->host, &sa.sin_addr) != 1) {
		log_error("gateway %s: host \"%s\" is not an IPv4 address", gw->id, gw->host);
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
		log_error("gateway %s: cannot listen on %s:%d: %s (another simulator running? "
		    "use --port-offset)", gw->id, gw->host, gw->port, strerror(errno));
		close(fd);
		return -1;
	}
	gw->listen_fd = fd;
	return 0;
}

/* ---- Modbus RTU on a pty ---- */

static void
rtu_answer(struct sim_gateway *gw, const uint8_t *frame, int flen)
{
	struct answer a;
	uint8_t out[1 + 260 + 2];
	uint16_t crc;
	int n, wire_ms;

	transact(gw, frame[0], frame + 1, flen - 3, &a);
	if (!a.send)
		return;
	n = a.garbage ? 7 : 1 + a.len + 2;
	wire_ms = (flen + n) * gw->bits_per_char * 1000 / gw->baud;
	sleep_ms(__atomic_load_n(&gw->latency_ms, __ATOMIC_RELAXED) + wire_ms + a.delay_ms);
	out[0] = frame[0];
	if (a.garbage) {
		out[1] = frame[1];
		for (int i = 2; i < 5; i++)
			out[i] = noise_byte();
		crc = (uint16_t)~modbus_crc16(out, 5);	/* a CRC that cannot match */
		out[5] = (uint8_t)crc;
		out[6] = (uint8_t)(crc >> 8);
	} else {
		memcpy(out + 1, a.pdu, (size_t)a.len);
		crc = modbus_crc16(out, 1 + a.len);
		out[1 + a.len] = (uint8_t)crc;		/* CRC low byte first */
		out[2 + a.len] = (uint8_t)(crc >> 8);
	}
	if (write_all(gw->pty_fd, out, n) != 0)
		log_warn("gateway %s: write to %s.sim failed: %s", gw->id, gw->device, strerror(errno));
}

static void *
rtu_thread(void *arg)
{
	struct sim_gateway *gw = arg;
	uint8_t buf[600];
	int n = 0;
	int64_t last = 0;

	while (!sim_stop) {
		struct pollfd pfd = { gw->pty_fd, POLLIN, 0 };
		int rc = poll(&pfd, 1, n > 0 ? 10 : 200);

		if (rc > 0 && (pfd.revents & POLLIN)) {
			ssize_t r = read(gw->pty_fd, buf + n, sizeof buf - (size_t)n);
			if (r > 0) {
				n += (int)r;
				last = clock_mono_ms();
			}
		} else if (rc > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			sleep_ms(50);	/* the other end is closed: wait for a poller */
		while (n > 0) {
			int flen = modbus_rtu_frame_len(buf, n);
			int silent = clock_mono_ms() - last >= RTU_SILENCE_MS;

			if (flen == 0 && !silent && n < (int)sizeof buf)
				break;
			if (flen <= 0) {
				/* unknown function or a torn frame: a meter ignores the noise,
				   but a whole frame with a good CRC gets "illegal function" */
				if (flen < 0 && !silent)
					break;
				if (flen < 0 && n >= 4 && modbus_crc16(buf, n - 2) ==
				    (uint16_t)(buf[n - 2] | buf[n - 1] << 8))
					rtu_answer(gw, buf, n);
				else
					log_debug("gateway %s: %d stray bytes dropped", gw->id, n);
				n = 0;
				break;
			}
			if (modbus_crc16(buf, flen - 2) == (uint16_t)(buf[flen - 2] | buf[flen - 1] << 8))
				rtu_answer(gw, buf, flen);
			else {
				log_debug("gateway %s: CRC error, frame dropped", gw->id);
				n = 0;	/* resynchronise on the next frame */
				break;
			}
			memmove(buf, buf + flen, (size_t)(n - flen));
			n -= flen;
		}
	}
	return NULL;
}

static int
open_raw(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static void
unlink_stale_link(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(path);
}

/*
 * socat makes the pty pair: DEVICE for the poller, DEVICE.sim for us. We
 * also hold DEVICE open: when the last opener of a pty closes it, socat
 * reads EIO and quits, and every poller restart would kill the bus.
 */
static int
rtu_start(struct sim_gateway *gw)
{
	char simend[1100], a1[1200], a2[1200];
	struct stat st;
	pid_t pid;

	snprintf(simend, sizeof simend, "%s.sim", gw->device);
	if (lstat(gw->device, &st) == 0 && !S_ISLNK(st.st_mode)) {
		log_error("gateway %s: %s exists and is not a link from an old socat; remove it",
		    gw->id, gw->device);
		return -1;
	}
	unlink_stale_link(gw->device);
	unlink_stale_link(simend);
	snprintf(a1, sizeof a1, "pty,raw,echo=0,link=%s", simend);
	snprintf(a2, sizeof a2, "pty,raw,echo=0,link=%s", gw->device);
	if ((pid = fork()) < 0) {
		log_error("gateway %s: fork: %s", gw->id, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);	/* main blocks SIGTERM; socat must not */
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the simulator */
		if (null >= 0)
			dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
		execlp("socat", "socat", a1, a2, (char *)NULL);
		_exit(127);
	}
	gw->socat_pid = pid;
	for (int i = 0; i < 100; i++) {
		if (stat(simend, &st) == 0 && stat(gw->device, &st) == 0)
			break;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			gw->socat_pid = 0;
			log_error("gateway %s: socat exited at once (apt-get install socat; is the "
			    "folder of %s there?)", gw->id, gw->device);
			return -1;
		}
		sleep_ms(50);
	}
	if ((gw->pty_fd = open_raw(simend)) < 0 || (gw->hold_fd = open_raw(gw->device)) < 0) {
		log_error("gateway %s: cannot open the pty pair %s: %s", gw->id, gw->device, strerror(errno));
		return -1;
	}
	log_info("gateway %s: Modbus RTU on %s (%d baud, socat pid %ld), %d meters", gw->id,
	    gw->device, gw->baud, (long)pid, gw->nmeters);
	return 0;
}

int
gateway_start(struct sim *s, struct sim_gateway *gw)
{
	the_sim = s;
	gw->listen_fd = gw->pty_fd = gw->hold_fd = -1;
	if (gw->rtu) {
		if (rtu_start(gw) != 0)
			return -1;
		if (pthread_create(&gw->thread, NULL, rtu_thread, gw) != 0)
			return -1;
		gw->running = 1;
		return 0;
	}
	if (tcp_listen(gw) != 0)
		return -1;
	log_info("gateway %s: Modbus TCP on %s:%d, %d meters", gw->id, gw->host, gw->port, gw->nmeters);
	if (pthread_create(&gw->thread, NULL, tcp_thread, gw) != 0)
		return -1;
	gw->running = 1;
	return 0;
}

void
gateway_stop(struct sim_gateway *gw)
{
	if (gw->running)
		pthread_join(gw->thread, NULL);
	if (gw->listen_fd >= 0)
		close(gw->listen_fd);
	if (gw->pty_fd >= 0)
		close(gw->pty_fd);
	if (gw->hold_fd >= 0)
		close(gw->hold_fd);
	if (gw->socat_pid > 0) {
		char simend[1100];

		kill(gw->socat_pid, SIGTERM);
		waitpid(gw->socat_pid, NULL, 0);
		log_info("gateway %s: socat pid %ld stopped", gw->id, (long)gw->socat_pid);
		snprintf(simend, sizeof simend, "%s.sim", gw->device);
		unlink_stale_link(gw->device);
		unlink_stale_link(simend);
	}
}
