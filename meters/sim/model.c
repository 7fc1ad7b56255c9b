/*
 * The meter model: counters advance by a daily load shape per tenant kind,
 * with noise that depends only on (seed, meter, minute) so a run is the same
 * whether a meter is read every second or once an hour. Energy is integer:
 * W x ms accumulates and carries its remainder into whole mWh.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/log.h"
#include "meters/sim/sim.h"

#define MINUTE_MS 60000LL
#define DAY_MS (24 * 3600 * 1000LL)

/* percent of peak for hours 0..23 on a working day */
static const int8_t shapes[KIND_COUNT][24] = {
	[KIND_SHOP] = { 10, 10, 10, 10, 10, 10, 12, 20, 40, 80, 90, 95, 100, 95, 90, 90, 92, 95, 100, 100, 90, 70, 30, 12 },
	[KIND_OFFICE] = { 8, 8, 8, 8, 8, 8, 8, 20, 60, 100, 100, 100, 70, 100, 100, 100, 100, 90, 60, 30, 15, 10, 8, 8 },
	[KIND_FACTORY] = { 35, 35, 35, 35, 35, 35, 40, 60, 100, 100, 100, 100, 70, 100, 100, 100, 100, 100, 80, 80, 80, 80, 45, 40 },
	[KIND_COLD_STORAGE] = { 75, 75, 75, 75, 75, 75, 80, 85, 95, 100, 100, 95, 90, 95, 100, 100, 95, 90, 85, 80, 80, 78, 75, 75 },
	[KIND_CANTEEN] = { 5, 5, 5, 5, 5, 10, 40, 70, 30, 20, 60, 100, 100, 50, 20, 20, 50, 100, 100, 40, 10, 5, 5, 5 },
	[KIND_WAREHOUSE] = { 10, 10, 10, 10, 10, 10, 15, 60, 60, 60, 60, 60, 50, 60, 60, 60, 60, 60, 40, 10, 10, 10, 10, 10 },
	[KIND_COMMON] = { 50, 50, 50, 50, 50, 40, 30, 30, 40, 40, 40, 40, 40, 40, 40, 40, 40, 50, 100, 100, 100, 100, 80, 60 },
};
/* percent of the working-day shape on weekends and holidays */
static const int rest_pct[KIND_COUNT] = { 110, 15, 50, 100, 40, 30, 90 };
/* primary peak: W for electricity, L/h for water */
static const int64_t peak_w[KIND_COUNT] = { 6000, 8000, 150000, 60000, 25000, 5000, 20000 };
static const int64_t peak_lh[KIND_COUNT] = { 80, 150, 500, 300, 1200, 50, 200 };
static const char *const kind_names[KIND_COUNT] = { "shop", "office", "factory",
	"cold_storage", "canteen", "warehouse", "common" };

/* the site calendar: sorted "YYYY-MM-DD" */
static const char *const *cal_holidays, *const *cal_workdays;
static int cal_nholidays, cal_nworkdays;

const char *
model_kind_name(enum sim_kind k)
{
	return (unsigned)k < KIND_COUNT ? kind_names[k] : "?";
}

static int
has_any(const char *s, const char *const *words)
{
	if (s == NULL)
		return 0;
	for (int i = 0; words[i]; i++)
		if (strcasestr(s, words[i]))
			return 1;
	return 0;
}

/*
 * The park file has no "kind of tenant", so guess from names, Chinese and
 * English; a meter without an account is a common-area meter.
 */
enum sim_kind
model_kind_guess(const char *tenant, const char *unit, int has_account)
{
	static const char *const cold[] = { "冷", "cold", "freez", NULL };
	static const char *const canteen[] = { "食堂", "餐", "面馆", "饭", "厨", "canteen", "restaurant", "kitchen", NULL };
	static const char *const factory[] = { "制造", "加工", "车间", "工厂", "厂", "机械", "factory", "workshop", "plant", NULL };
	static const char *const office[] = { "办公", "软件", "科技", "教育", "咨询", "office", "software", NULL };
	static const char *const warehouse[] = { "仓", "库", "物流", "供应链", "warehouse", "storage", "logistics", NULL };

	if (!has_account)
		return KIND_COMMON;
	if (has_any(tenant, cold) || has_any(unit, cold))
		return KIND_COLD_STORAGE;
	if (has_any(tenant, canteen) || has_any(unit, canteen))
		return KIND_CANTEEN;
	if (has_any(tenant, factory) || has_any(unit, factory))
		return KIND_FACTORY;
	if (has_any(tenant, office) || has_any(unit, office))
		return KIND_OFFICE;
	if (has_any(tenant, warehouse) || has_any(unit, warehouse))
		return KIND_WAREHOUSE;
	return KIND_SHOP;
}

void
model_set_calendar(const char *const *holidays, int nh, const char *const *workdays, int nw)
{
	cal_holidays = holidays;
	cal_nholidays = nh;
	cal_workdays = workdays;
	cal_nworkdays = nw;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
in_list(const char *const *list, int n, const char *date)
{
	return n > 0 && bsearch(&date, list, (size_t)n, sizeof *list, cmp_str) != NULL;
}

static void
local_tm(int64_t sim_ms, struct tm *tm)
{
	time_t t = (time_t)(sim_ms / 1000);
	localtime_r(&t, tm);	/* TZ is the site's zone, set at start */
}

static int
rest_day(const struct tm *tm)
{
	char date[16];

	strftime(date, sizeof date, "%Y-%m-%d", tm);
	if (in_list(cal_holidays, cal_nholidays, date))
		return 1;
	if (in_list(cal_workdays, cal_nworkdays, date))
		return 0;
	return tm->tm_wday == 0 || tm->tm_wday == 6;
}

/*
 * A fixed Jiangsu-like TOU schedule for the band counters: valley 00-08,
 * peak 08-11 and 17-22, flat 11-17 and 22-24; sharp 14-15 and 20-21 in
 * July and August. Returns 0 sharp, 1 peak, 2 flat, 3 valley.
 */
int
model_band(int64_t sim_ms)
{
	struct tm tm;
	int h;

	local_tm(sim_ms, &tm);
	h = tm.tm_hour;
	if ((tm.tm_mon == 6 || tm.tm_mon == 7) && (h == 14 || h == 20))
		return 0;
	if (h < 8)
		return 3;
	if ((h >= 8 && h < 11) || (h >= 17 && h < 22))
		return 1;
	return 2;
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* W (L/h), primary, during the minute that contains sim_ms */
int64_t
model_power(const struct sim_meter *m, int64_t sim_ms)
{
	struct tm tm;
	int64_t minute = sim_ms / MINUTE_MS, s, noise;
	int h, mi;

	if (!m->supply_on)
		return 0;
	local_tm(minute * MINUTE_MS, &tm);
	h = tm.tm_hour;
	mi = tm.tm_min;
	s = (shapes[m->kind][h] * (60 - mi) + shapes[m->kind][(h + 1) % 24] * mi);	/* % x 60 */
	noise = 850 + (int64_t)(mix64(m->seed ^ (uint64_t)minute) % 301);	/* 850..1150 per mille */
	if (rest_day(&tm))
		s = s * rest_pct[m->kind] / 100;
	return m->peak_milli * s * noise / (60 * 100 * 1000);
}

void
model_init(struct sim_meter *m, uint64_t seed, int64_t now)
{
	uint64_t h = 1469598103934665603ULL;
	int64_t peak, cap;

	for (const char *p = m->id; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;	/* FNV-1a: stable per meter */
	m->seed = mix64(seed ^ h);
	peak = m->profile->energy == PROFILE_WATER ? peak_lh[m->kind] : peak_w[m->kind];
	peak = peak * (int64_t)(600 + mix64(m->seed + 1) % 801) / 1000;	/* 0.6..1.4 */
	/* a meter cannot carry more than its limit on its own terminals */
	cap = m->profile->max_power_milli * m->ratio * 8 / 10;
	m->peak_milli = peak < cap ? peak : cap;
	m->supply_on = 1;
	m->sim_ms = now;
	/* a meter that has been in service a while: 30..400 days of its peak for 6 h a day */
	m->counter_mwh = m->peak_milli * 6 * (int64_t)(30 + mix64(m->seed + 2) % 371) * 1000;
	m->counter_mwh -= m->counter_mwh % 1000;
	if (m->counter_mwh / 1000 / m->ratio >= m->profile->rollover_milli)
		m->counter_mwh = 0;
	for (int b = 0; b < SIM_TOU_BANDS; b++)
		m->tou_mwh[b] = m->counter_mwh / 1000 * (b == 0 ? 100 : b == 1 ? 350 : b == 2 ? 300 : 250);
	m->power_milli = model_power(m, now);
}

void
model_advance(struct sim_meter *m, int64_t now)
{
	int64_t t = m->sim_ms, step = MINUTE_MS;

	if (now <= t)
		return;
	/* a long gap (state file from last month) is integrated coarser */
	if ((now - t) / MINUTE_MS > 100000)
		step = MINUTE_MS * ((now - t) / MINUTE_MS / 100000 + 1);
	while (t < now) {
		int64_t end = (t / step + 1) * step, p, whole;

		if (end > now)
			end = now;
		p = model_power(m, t);
		m->rem += p * (end - t);	/* W x ms; 3600 of them are one mWh */
		whole = m->rem / 3600;
		m->rem %= 3600;
		m->counter_mwh += whole;
		m->tou_mwh[model_band(t)] += whole;
		t = end;
	}
	m->sim_ms = now;
	m->power_milli = model_power(m, now);
}

/* primary mWh -> what the meter's register shows, in its own Wh (L) */
int64_t
model_register_counter(const struct sim_meter *m, int64_t mwh)
{
	return mwh / 1000 / m->ratio % m->profile->rollover_milli;
}

static int64_t
quantity_value(const struct sim_meter *m, enum profile_quantity q)
{
	const struct profile *p = m->profile;
	int64_t minute = m->sim_ms / MINUTE_MS, v_mv, pf, p_sec;
	uint64_t r = mix64(m->seed ^ (uint64_t)minute ^ 0x5555);

	v_mv = 220000 + (int64_t)(r % 6001) - 3000;	/* 217..223 V */
	pf = m->kind == KIND_FACTORY ? 860 : 950;
	p_sec = m->power_milli / m->ratio;
	switch (q) {
	case PQ_ENERGY_IMPORT:
	case PQ_ENERGY_TOTAL:
		return model_register_counter(m, m->counter_mwh);
	case PQ_ENERGY_EXPORT:
		return 0;
	case PQ_ENERGY_SHARP:
	case PQ_ENERGY_PEAK:
	case PQ_ENERGY_FLAT:
	case PQ_ENERGY_VALLEY:
		return model_register_counter(m, m->tou_mwh[q - PQ_ENERGY_SHARP]);
	case PQ_POWER:
		return p_sec;
	case PQ_VOLTAGE:
	case PQ_VOLTAGE_L2:
	case PQ_VOLTAGE_L3:
		return v_mv + (q - PQ_VOLTAGE) * 500;
	case PQ_CURRENT:
	case PQ_CURRENT_L2:
	case PQ_CURRENT_L3:
		/* mA = W / (phases x V x PF) */
		return p_sec * 1000000000LL / ((int64_t)p->phases * v_mv * pf);
	case PQ_PF:
		return p_sec > 0 ? pf : 1000;
	case PQ_FREQUENCY:
		return 49980 + (int64_t)(r >> 32) % 41;
	default:
		return 0;
	}
}

/* lowest and one past the highest register readable with fc */
static void
span(const struct profile *p, int fc, int *lo, int *hi)
{
	*lo = 65536;
	*hi = -1;
	for (int q = 0; q < PQ_COUNT; q++) {
		const struct profile_register *r = &p->reg[q];
		if (!r->present || r->fc != fc)
			continue;
		if (r->address < *lo)
			*lo = r->address;
		if (r->address + codec_words(r->field.type) > *hi)
			*hi = r->address + codec_words(r->field.type);
	}
	if (p->relay.present && p->relay.state_fc == fc) {
		if (p->relay.state_address < *lo)
			*lo = p->relay.state_address;
		if (p->relay.state_address + p->relay.state_nwords > *hi)
			*hi = p->relay.state_address + p->relay.state_nwords;
	}
}

static void
copy_words(const uint16_t *src, int saddr, int n, uint16_t *out, int addr, int count)
{
	for (int i = 0; i < n; i++) {
		int a = saddr + i;
		if (a >= addr && a < addr + count)
			out[a - addr] = src[i];
	}
}

/*
 * A read of count registers: 0, or the Modbus exception code. Gaps inside
 * the map read as zero (so a poller may read a block); outside it is 02.
 */
int
model_read(struct sim_meter *m, int fc, int addr, int count, uint16_t *out)
{
	const struct profile *p = m->profile;
	int lo, hi;

	if (count < 1 || count > p->max_read)
		return 3;
	span(p, fc, &lo, &hi);
	if (addr < lo || addr + count > hi)
		return 2;
	memset(out, 0, (size_t)count * sizeof *out);
	for (int q = 0; q < PQ_COUNT; q++) {
		const struct profile_register *r = &p->reg[q];
		uint16_t w[CODEC_MAX_WORDS];
		int n;

		if (!r->present || r->fc != fc)
			continue;
		n = codec_words(r->field.type);
		if (r->address >= addr + count || r->address + n <= addr)
			continue;
		if (codec_encode(&r->field, quantity_value(m, (enum profile_quantity)q), w) != 0)
			continue;	/* cannot show it: reads as zero */
		copy_words(w, r->address, n, out, addr, count);
	}
	if (p->relay.present && p->relay.state_fc == fc)
		copy_words(m->supply_on ? p->relay.state_on : p->relay.state_off,
		    p->relay.state_address, p->relay.state_nwords, out, addr, count);
	return 0;
}

void
model_set_supply(struct sim_meter *m, int on, const char *why)
{
	if (m->supply_on == on)
		return;
	m->supply_on = on;
	m->power_milli = model_power(m, m->sim_ms);
	log_info("meter %s: %s %s (%s)", m->id,
	    m->profile->relay.kind == PROFILE_VALVE ? "valve" : "relay",
	    m->profile->relay.kind == PROFILE_VALVE ? (on ? "opened" : "closed") :
	    (on ? "closed, supply on" : "opened, supply off"), why);
}

/*
 * A write: 0, or the exception code. Only the relay (valve) registers take
 * writes, only with the function codes the device accepts, only its on/off
 * values. *changed says the write would switch (the caller may ignore it).
 */
int
model_write(struct sim_meter *m, int fc, int addr, int count, const uint16_t *vals, int *changed)
{
	const struct profile_relay *r = &m->profile->relay;
	int on;

	*changed = -1;
	if (!r->present || addr + count <= r->address || addr >= r->address + r->nwords)
		return 2;
	if ((fc == 6 && !r->write_fc6) || (fc == 16 && !r->write_fc16))
		return 1;	/* e.g. DDS238 answers 06 with "illegal function" */
	if (addr != r->address || count != r->nwords)
		return 2;
	if (memcmp(vals, r->on, (size_t)count * sizeof *vals) == 0)
		on = 1;
	else if (memcmp(vals, r->off, (size_t)count * sizeof *vals) == 0)
		on = 0;
	else
		return 3;
	*changed = on;
	return 0;
}
