/*
 * Modbus request PDUs in, reply PDUs out. Our own framing rather than
 * libmodbus's server side: libmodbus 3.1.6 in RTU mode drops every request
 * not addressed to its one slave id (_modbus_rtu_check_integrity), so it
 * cannot be a multi-drop bus, and the faults need byte-level control.
 */
#include <stdio.h>
#include <string.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "meters/sim/sim.h"

static const char *const fault_names[FAULT_COUNT] = { "none", "no_answer", "late", "garbage",
	"exception", "relay_ignore", "counter_reset", "rollover", "replaced" };

const char *
fault_name(enum sim_fault f)
{
	return (unsigned)f < FAULT_COUNT ? fault_names[f] : "?";
}

int
fault_parse(const char *s, enum sim_fault *out)
{
	for (int i = 1; i < FAULT_COUNT; i++)
		if (strcmp(s, fault_names[i]) == 0) {
			*out = (enum sim_fault)i;
			return 0;
		}
	return -1;
}

/* caller holds m->lock */
enum sim_fault
fault_take(struct sim_meter *m, int is_relay_write)
{
	enum sim_fault f = m->fault;

	if (f == FAULT_NONE)
		return FAULT_NONE;
	if (m->fault_until_ms && clock_mono_ms() >= m->fault_until_ms) {
		log_info("meter %s: fault %s ended (time up)", m->id, fault_name(f));
		m->fault = FAULT_NONE;
		return FAULT_NONE;
	}
	/* request faults are taken per request, relay_ignore per relay write */
	if ((f == FAULT_RELAY_IGNORE) != (is_relay_write != 0))
		return FAULT_NONE;
	if (m->fault_left > 0 && --m->fault_left == 0) {
		log_info("meter %s: fault %s ended (count used up)", m->id, fault_name(f));
		m->fault = FAULT_NONE;
	}
	return f;
}

/* caller holds m->lock */
void
fault_apply_action(struct sim_meter *m, enum sim_fault f, int64_t now)
{
	model_advance(m, now);
	switch (f) {
	case FAULT_COUNTER_RESET:
		m->counter_mwh = 0;
		m->rem = 0;
		memset(m->tou_mwh, 0, sizeof m->tou_mwh);
		log_info("meter %s: counter reset to 0", m->id);
		break;
	case FAULT_ROLLOVER: {
		/* 0.5 kWh (L) before the register wraps, in primary terms */
		int64_t below = m->profile->rollover_milli - 500;
		m->counter_mwh = below * m->ratio * 1000;
		m->rem = 0;
		for (int b = 0; b < SIM_TOU_BANDS; b++)
			m->tou_mwh[b] = m->counter_mwh;
		log_info("meter %s: counter set 500 below its rollover at %lld", m->id,
		    (long long)m->profile->rollover_milli);
		break;
	}
	case FAULT_REPLACED: {
		char base[64];
		char *dash = strstr(m->serial, "-R");

		snprintf(base, sizeof base, "%.*s", dash ? (int)(dash - m->serial) : 63, m->serial);
		m->replaced++;
		snprintf(m->serial, sizeof m->serial, "%.50s-R%d", base, m->replaced);
		m->counter_mwh = 0;
		m->rem = 0;
		memset(m->tou_mwh, 0, sizeof m->tou_mwh);
		log_info("meter %s: replaced, new serial %s, counter from 0", m->id, m->serial);
		break;
	}
	default:
		break;
	}
}

int
modbus_exception(uint8_t fc, uint8_t code, uint8_t *resp)
{
	resp[0] = (uint8_t)(fc | 0x80);
	resp[1] = code;
	return 2;
}

static int
get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/*
 * Answers one request PDU for meter m (lock not held) into resp (>= 253
 * bytes); returns its length. Relay-ignore faults are applied here because
 * only here do we know a request is a relay write.
 */
int
modbus_pdu_reply(struct sim_meter *m, const uint8_t *req, int len, uint8_t *resp, int64_t now)
{
	uint8_t fc = req[0];
	uint16_t vals[125];
	int addr, count, rc, n = 0, changed;

	if (len < 1)
		return 0;
	pthread_mutex_lock(&m->lock);
	model_advance(m, now);
	switch (fc) {
	case 3:
	case 4:
		if (len != 5) {
			n = modbus_exception(fc, 3, resp);
			break;
		}
		addr = get16(req + 1);
		count = get16(req + 3);
		if ((rc = model_read(m, fc, addr, count, vals)) != 0) {
			n = modbus_exception(fc, (uint8_t)rc, resp);
			break;
		}
		resp[0] = fc;
		resp[1] = (uint8_t)(count * 2);
		for (int i = 0; i < count; i++) {
			resp[2 + 2 * i] = (uint8_t)(vals[i] >> 8);
			resp[3 + 2 * i] = (uint8_t)vals[i];
		}
		n = 2 + 2 * count;
		break;
	case 6:
	case 16:
		if (fc == 6) {
			if (len != 5) {
				n = modbus_exception(fc, 3, resp);
				break;
			}
			addr = get16(req + 1);
			count = 1;
			vals[0] = (uint16_t)get16(req + 3);
		} else {
			addr = len >= 6 ? get16(req + 1) : 0;
			count = len >= 6 ? get16(req + 3) : 0;
			if (len < 6 || count < 1 || count > 123 || req[5] != count * 2 || len != 6 + count * 2) {
				n = modbus_exception(fc, 3, resp);
				break;
			}
			for (int i = 0; i < count; i++)
				vals[i] = (uint16_t)get16(req + 6 + 2 * i);
		}
		if ((rc = model_write(m, fc, addr, count, vals, &changed)) != 0) {
			if (rc == 1)
				log_info("meter %s: relay write with function code %d refused "
				    "(exception 01: the device accepts only %s)", m->id, fc,
				    fc == 6 ? "16" : "06");
			n = modbus_exception(fc, (uint8_t)rc, resp);
			break;
		}
		m->relay_writes++;
		if (fault_take(m, 1) == FAULT_RELAY_IGNORE)
			log_info("meter %s: relay command %s ignored (fault relay_ignore)", m->id,
			    changed ? "on" : "off");
		else
			model_set_supply(m, changed, fc == 6 ? "Modbus write 06" : "Modbus write 16");
		/* 06 echoes the request; 16 echoes address and count */
		memcpy(resp, req, 5);
		n = 5;
		break;
	default:
		n = modbus_exception(fc, 1, resp);
		break;
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

uint16_t
modbus_crc16(const uint8_t *p, int n)
{
	uint16_t crc = 0xFFFF;

	for (int i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc & 1 ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

int
modbus_rtu_frame_len(const uint8_t *buf, int n)
{
	if (n < 2)
		return 0;
	switch (buf[1]) {
	case 1: case 2: case 3: case 4: case 5: case 6:
		return n >= 8 ? 8 : 0;
	case 15: case 16:
		if (n < 7)
			return 0;
		return n >= 9 + buf[6] ? 9 + buf[6] : 0;
	default:
		return -1;
	}
}
