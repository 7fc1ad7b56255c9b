/*
 * prepay-meter-sim: a simulated park. Each gateway is one thread that owns
 * its bus (a Modbus TCP port or an RTU pty) and answers one request at a
 * time, like the RS-485 line behind a real gateway; the control interface is
 * one more thread. Meter state is guarded by a mutex per meter.
 */
#ifndef PREPAY_METER_SIM_H
#define PREPAY_METER_SIM_H
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "meters/profile.h"

#define SIM_ID_LEN 80		/* "site/code" */
#define SIM_MAX_UNIT 247
#define SIM_TOU_BANDS 4		/* sharp, peak, flat, valley */

enum sim_kind { KIND_SHOP, KIND_OFFICE, KIND_FACTORY, KIND_COLD_STORAGE, KIND_CANTEEN,
	KIND_WAREHOUSE, KIND_COMMON, KIND_COUNT };

enum sim_fault {
	FAULT_NONE,
	FAULT_NO_ANSWER,	/* the request is dropped */
	FAULT_LATE,		/* the answer comes after delay_ms */
	FAULT_GARBAGE,		/* bytes that are not a valid frame */
	FAULT_EXCEPTION,	/* a Modbus exception (code) */
	FAULT_RELAY_IGNORE,	/* relay writes are acknowledged and ignored */
	/* one-shot actions: applied at once, never "active" */
	FAULT_COUNTER_RESET,
	FAULT_ROLLOVER,
	FAULT_REPLACED,
	FAULT_COUNT
};

struct sim_gateway;

struct sim_meter {
	pthread_mutex_t lock;
	char id[SIM_ID_LEN];		/* "demo/m01" */
	const char *site, *code;
	char serial[64];
	int replaced;			/* times FAULT_REPLACED was applied */
	const struct profile *profile;
	struct sim_gateway *gw;
	int unit;			/* Modbus unit id */
	int ratio;			/* CT x PT: registers show primary / ratio */
	int park_relay;			/* the park says the relay may be switched */
	enum sim_kind kind;
	int64_t peak_milli;		/* W (L/h) at 100 % of the load shape, primary */
	uint64_t seed;
	/* the model, all primary side */
	int64_t sim_ms;			/* simulated time the counters are at */
	int64_t counter_mwh;		/* mWh (mL) */
	int64_t tou_mwh[SIM_TOU_BANDS];
	int64_t rem;			/* W x ms not yet a whole mWh */
	int64_t power_milli;		/* W (L/h) during the current minute */
	int supply_on;
	/* fault slot */
	enum sim_fault fault;
	int fault_left;			/* requests (relay writes) left; -1 unlimited */
	int64_t fault_until_ms;		/* monotonic ms; 0 none */
	int fault_delay_ms, fault_code;
	/* counters for the control interface */
	uint64_t requests, answered, relay_writes;
};

struct sim_gateway {
	char id[SIM_ID_LEN];
	const char *site, *code;
	int rtu;
	char host[64];
	int port;			/* with the offset */
	char device[1024];		/* rtu: the poller's end; ours is device.sim */
	int baud, bits_per_char;
	int latency_ms;			/* atomic enough: an int read per transaction */
	struct sim_meter *by_unit[SIM_MAX_UNIT + 1];
	int nmeters;
	pthread_t thread;
	int running;			/* thread started */
	int listen_fd, pty_fd, hold_fd;
	pid_t socat_pid;
	uint64_t transactions;
	int clients;
};

struct sim {
	struct sim_meter *meters;
	int nmeters;
	struct sim_gateway *gateways;
	int ngateways;
	struct profile *profiles;
	int nprofiles;
	int64_t speed_milli;		/* simulated ms per 1000 real ms */
	int64_t start_real_ms, start_mono_ms;
	uint64_t seed;
	int64_t tz_offset_s;		/* not used when TZ is set; see model.c */
	const char *control;
	const char *state_file;
	int64_t state_saved_mono;
};

extern volatile sig_atomic_t sim_stop;

/* time.c-ish helpers in model.c */
int64_t sim_now(const struct sim *);		/* simulated epoch ms */

/* model.c: the meter model; callers hold m->lock */
void model_init(struct sim_meter *, uint64_t seed, int64_t now_sim_ms);
void model_advance(struct sim_meter *, int64_t now_sim_ms);
int64_t model_register_counter(const struct sim_meter *, int64_t mwh);
int model_read(struct sim_meter *, int fc, int address, int count, uint16_t *out);
int model_write(struct sim_meter *, int fc, int address, int count, const uint16_t *vals,
    int *changed);
void model_set_supply(struct sim_meter *, int on, const char *why);
const char *model_kind_name(enum sim_kind);
enum sim_kind model_kind_guess(const char *tenant_name, const char *unit_name, int has_account);
int64_t model_power(const struct sim_meter *, int64_t sim_ms);
int model_band(int64_t sim_ms);
void model_set_calendar(const char *const *holidays, int nholidays,
    const char *const *workdays, int nworkdays);

/* faults */
const char *fault_name(enum sim_fault);
int fault_parse(const char *, enum sim_fault *);
/* Takes one use of the meter's fault slot: a request fault when is_relay_write
   is 0, relay_ignore when 1; returns the fault to act on (FAULT_NONE). */
enum sim_fault fault_take(struct sim_meter *, int is_relay_write);
void fault_apply_action(struct sim_meter *, enum sim_fault, int64_t now_sim_ms);

/* modbus.c: PDU in, PDU out; 0 = nothing to send */
int modbus_pdu_reply(struct sim_meter *, const uint8_t *req, int len, uint8_t *resp, int64_t now);
int modbus_exception(uint8_t fc, uint8_t code, uint8_t *resp);
uint16_t modbus_crc16(const uint8_t *p, int n);
/* bytes of a complete RTU request at the start of buf: >0 length, 0 need more,
   -1 unknown function (wait for silence) */
int modbus_rtu_frame_len(const uint8_t *buf, int n);

/* gateway.c */
int gateway_start(struct sim *, struct sim_gateway *);
void gateway_stop(struct sim_gateway *);

/* control.c */
int control_start(struct sim *, const char *hostport);
void control_stop(void);

/* state.c */
int state_load(struct sim *, const char *path);
int state_save(struct sim *, const char *path);

#endif
