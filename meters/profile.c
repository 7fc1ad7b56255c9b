/* Profile parser and validator: pure, the first error wins and names its path. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "meters/profile.h"

/* NULL-terminated so it doubles as the allowed keys of "registers" */
static const char *const quantity_names[PQ_COUNT + 1] = {
	"energy_import", "energy_export", "energy_total",
	"energy_sharp", "energy_peak", "energy_flat", "energy_valley",
	"power", "voltage", "voltage_l2", "voltage_l3",
	"current", "current_l2", "current_l3", "pf", "frequency", NULL,
};

struct pctx {
	const char *src;
	char *err;
	size_t errlen;
	int failed;
};

const char *
profile_quantity_name(enum profile_quantity q)
{
	return (unsigned)q < PQ_COUNT ? quantity_names[q] : "?";
}

int
profile_quantity_is_energy(enum profile_quantity q)
{
	return q <= PQ_ENERGY_VALLEY;
}

static int __attribute__((format(printf, 3, 4)))
perr(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s%s%s", c->src, path, *path ? ": " : "", msg);
	c->failed = 1;
	return -1;
}

/* Rejects keys not in allowed (typos!) and keys given twice. */
static int
check_keys(struct pctx *c, const char *path, const cJSON *obj, const char *const *allowed)
{
	char p[160];

	if (!cJSON_IsObject(obj))
		return perr(c, path, "must be an object");
	for (const cJSON *k = obj->child; k; k = k->next) {
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			if (strcmp(k->string, allowed[i]) == 0)
				ok = 1;
		snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k->string);
		if (!ok)
			return perr(c, p, "unknown key (allowed: see docs/meter-profiles.md)");
		for (const cJSON *o = obj->child; o != k; o = o->next)
			if (strcmp(o->string, k->string) == 0)
				return perr(c, p, "key given twice");
	}
	return 0;
}

static void
join(char *buf, size_t n, const char *path, const char *key)
{
	snprintf(buf, n, "%s%s%s", path, *path ? "." : "", key);
}

/* An integer in [min, max]; "0x..." strings are accepted where hex helps (addresses). */
static int
get_int(struct pctx *c, const char *path, const cJSON *v, long min, long max, int hex_ok, long *out)
{
	if (cJSON_IsString(v) && hex_ok) {
		const char *s = v->valuestring;
		long r = 0;
		size_t n;

		if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
			return perr(c, path, "\"%s\" is not a number or a 0x hex string", s);
		n = strlen(s + 2);
		if (n < 1 || n > 8 || strspn(s + 2, "0123456789abcdefABCDEF") != n)
			return perr(c, path, "\"%s\" is not a hex number like \"0x0057\"", s);
		for (const char *p = s + 2; *p; p++)
			r = r * 16 + (*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
		if (r < min || r > max)
			return perr(c, path, "%s is out of range %ld..%ld", s, min, max);
		*out = r;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return perr(c, path, "must be an integer%s", hex_ok ? " or a \"0x...\" string" : "");
	if (v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)min ||
	    v->valuedouble > (double)max)
		return perr(c, path, "must be an integer in %ld..%ld", min, max);
	*out = (long)v->valuedouble;
	return 0;
}

static int
get_str(struct pctx *c, const char *path, const cJSON *v, char *buf, size_t n)
{
	if (!cJSON_IsString(v))
		return perr(c, path, "must be a string");
	if (strlen(v->valuestring) == 0 || strlen(v->valuestring) >= n)
		return perr(c, path, "must be 1..%zu characters", n - 1);
	snprintf(buf, n, "%s", v->valuestring);
	return 0;
}

static const cJSON *
need(struct pctx *c, const char *path, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char p[160];

	if (v == NULL) {
		join(p, sizeof p, path, key);
		perr(c, p, "missing (required)");
	}
	return v;
}

/* scale must be a power of ten: raw steps of 0.01 kWh are "scale": 0.01 */
static int
get_scale(struct pctx *c, const char *path, const cJSON *v, int *exp)
{
	if (!cJSON_IsNumber(v))
		return perr(c, path, "must be a number, a power of ten such as 0.01 or 1");
	for (int e = CODEC_SCALE_EXP_MIN; e <= CODEC_SCALE_EXP_MAX; e++) {
		double p = pow(10.0, e);
		if (fabs(v->valuedouble - p) <= p * 1e-9) {
			*exp = e;
			return 0;
		}
	}
	return perr(c, path, "%g is not a power of ten between 1e%d and 1e%d",
	    v->valuedouble, CODEC_SCALE_EXP_MIN, CODEC_SCALE_EXP_MAX);
}

static int
parse_register(struct pctx *c, const char *path, const cJSON *o, struct profile_register *r)
{
	static const char *const keys[] = { "fc", "address", "type", "order", "scale", NULL };
	char p[160];
	const cJSON *v;
	long n;

	if (check_keys(c, path, o, keys))
		return -1;
	if ((v = need(c, path, o, "fc")) == NULL)
		return -1;
	join(p, sizeof p, path, "fc");
	if (get_int(c, p, v, 0, 255, 0, &n))
		return -1;
	if (n != 3 && n != 4)
		return perr(c, p, "function code %ld cannot read registers (use 3 holding or 4 input)", n);
	r->fc = (uint8_t)n;
	if ((v = need(c, path, o, "address")) == NULL)
		return -1;
	join(p, sizeof p, path, "address");
	if (get_int(c, p, v, 0, 65535, 1, &n))
		return -1;
	r->address = (uint16_t)n;
	if ((v = need(c, path, o, "type")) == NULL)
		return -1;
	join(p, sizeof p, path, "type");
	if (!cJSON_IsString(v) || codec_type_parse(v->valuestring, &r->field.type))
		return perr(c, p, "unknown type %s%s%s (use uint16, int16, uint32, int32, float32)",
		    cJSON_IsString(v) ? "\"" : "", cJSON_IsString(v) ? v->valuestring : "(not a string)",
		    cJSON_IsString(v) ? "\"" : "");
	if (r->address + codec_words(r->field.type) - 1 > 65535)
		return perr(c, p, "a %s at address %u runs past register 65535",
		    codec_type_name(r->field.type), r->address);
	if ((v = need(c, path, o, "order")) == NULL)
		return -1;
	join(p, sizeof p, path, "order");
	if (!cJSON_IsString(v) || codec_order_parse(v->valuestring, &r->field.order))
		return perr(c, p, "unknown word order (use ABCD, CDAB, BADC or DCBA)");
	if ((v = need(c, path, o, "scale")) == NULL)
		return -1;
	join(p, sizeof p, path, "scale");
	if (get_scale(c, p, v, &r->field.scale_exp))
		return -1;
	r->present = 1;
	return 0;
}

static int
get_words(struct pctx *c, const char *path, const cJSON *a, uint16_t *w, int *n)
{
	int i = 0;
	char p[170];

	if (!cJSON_IsArray(a))
		return perr(c, path, "must be an array of register values, e.g. [1, 0]");
	*n = cJSON_GetArraySize(a);
	if (*n < 1 || *n > PROFILE_RELAY_MAX_WORDS)
		return perr(c, path, "must hold 1..%d register values", PROFILE_RELAY_MAX_WORDS);
	for (const cJSON *e = a->child; e; e = e->next, i++) {
		long v;
		snprintf(p, sizeof p, "%s[%d]", path, i);
		if (get_int(c, p, e, 0, 65535, 1, &v))
			return -1;
		w[i] = (uint16_t)v;
	}
	return 0;
}

static int
parse_on_off(struct pctx *c, const char *path, const cJSON *o, uint16_t *on, uint16_t *off, int *nw)
{
	char p[160];
	const cJSON *v;
	int non, noff;

	if ((v = need(c, path, o, "on")) == NULL)
		return -1;
	join(p, sizeof p, path, "on");
	if (get_words(c, p, v, on, &non))
		return -1;
	if ((v = need(c, path, o, "off")) == NULL)
		return -1;
	join(p, sizeof p, path, "off");
	if (get_words(c, p, v, off, &noff))
		return -1;
	if (non != noff)
		return perr(c, p, "has %d values but \"on\" has %d; they write the same registers", noff, non);
	if (memcmp(on, off, (size_t)non * sizeof *on) == 0)
		return perr(c, p, "is the same as \"on\"; the two states must differ");
	*nw = non;
	return 0;
}

static int
parse_relay(struct pctx *c, const cJSON *o, struct profile_relay *r)
{
	static const char *const keys[] = { "kind", "address", "write_fc", "on", "off", "state", NULL };
	static const char *const skeys[] = { "fc", "address", "on", "off", NULL };
	const cJSON *v, *s;
	long n;
	int i = 0;

	if (check_keys(c, "relay", o, keys))
		return -1;
	if ((v = need(c, "relay", o, "kind")) == NULL)
		return -1;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "relay") == 0)
		r->kind = PROFILE_RELAY;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "valve") == 0)
		r->kind = PROFILE_VALVE;
	else
		return perr(c, "relay.kind", "must be \"relay\" or \"valve\"");
	if ((v = need(c, "relay", o, "address")) == NULL || get_int(c, "relay.address", v, 0, 65535, 1, &n))
		return -1;
	r->address = (uint16_t)n;
	if ((v = need(c, "relay", o, "write_fc")) == NULL)
		return -1;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1)
		return perr(c, "relay.write_fc", "must be a non-empty array of function codes, e.g. [16]");
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		char p[64];
		snprintf(p, sizeof p, "relay.write_fc[%d]", i);
		if (get_int(c, p, e, 0, 255, 0, &n))
			return -1;
		if (n == 6)
			r->write_fc6 = 1;
		else if (n == 16)
			r->write_fc16 = 1;
		else
			return perr(c, p, "function code %ld cannot write registers (use 6 or 16)", n);
	}
	if (parse_on_off(c, "relay", o, r->on, r->off, &r->nwords))
		return -1;
	if (r->address + r->nwords - 1 > 65535)
		return perr(c, "relay.on", "runs past register 65535");
	if (r->write_fc6 && r->nwords != 1)
		return perr(c, "relay.write_fc", "function code 6 writes one register but \"on\" has %d",
		    r->nwords);
	/* without a state block the control register reads back as written */
	r->state_fc = 3;
	r->state_address = r->address;
	r->state_nwords = r->nwords;
	memcpy(r->state_on, r->on, sizeof r->on);
	memcpy(r->state_off, r->off, sizeof r->off);
	if ((s = cJSON_GetObjectItemCaseSensitive(o, "state")) != NULL) {
		if (check_keys(c, "relay.state", s, skeys))
			return -1;
		if ((v = need(c, "relay.state", s, "fc")) == NULL || get_int(c, "relay.state.fc", v, 0, 255, 0, &n))
			return -1;
		if (n != 3 && n != 4)
			return perr(c, "relay.state.fc", "function code %ld cannot read registers (use 3 or 4)", n);
		r->state_fc = (uint8_t)n;
		if ((v = need(c, "relay.state", s, "address")) == NULL ||
		    get_int(c, "relay.state.address", v, 0, 65535, 1, &n))
			return -1;
		r->state_address = (uint16_t)n;
		if (parse_on_off(c, "relay.state", s, r->state_on, r->state_off, &r->state_nwords))
			return -1;
		if (r->state_address + r->state_nwords - 1 > 65535)
			return perr(c, "relay.state.on", "runs past register 65535");
	}
	r->present = 1;
	return 0;
}

static int
overlaps(int fc1, int a1, int n1, int fc2, int a2, int n2)
{
	return fc1 == fc2 && a1 < a2 + n2 && a2 < a1 + n1;
}

/* Cross-field rules: no two quantities share a register, counters fit the register. */
static int
validate(struct pctx *c, struct profile *p)
{
	char path[160];
	int bands = 0;

	if (!p->reg[PQ_ENERGY_IMPORT].present)
		return perr(c, "registers.energy_import", "missing (required: the billing counter)");
	for (int q = 0; q < PQ_COUNT; q++) {
		const struct profile_register *r = &p->reg[q];
		if (!r->present)
			continue;
		snprintf(path, sizeof path, "registers.%s", quantity_names[q]);
		for (int o = 0; o < q; o++) {
			const struct profile_register *s = &p->reg[o];
			if (s->present && overlaps(r->fc, r->address, codec_words(r->field.type),
			    s->fc, s->address, codec_words(s->field.type)))
				return perr(c, path, "overlaps registers.%s (fc %d, address %u)",
				    quantity_names[o], s->fc, s->address);
		}
		if (p->relay.present && p->relay.state_fc == r->fc &&
		    overlaps(r->fc, r->address, codec_words(r->field.type),
		    p->relay.state_fc, p->relay.state_address, p->relay.state_nwords))
			return perr(c, path, "overlaps relay.state");
		if (profile_quantity_is_energy((enum profile_quantity)q)) {
			int64_t modulus;
			int k = r->field.scale_exp + 3;

			if (r->field.type == CODEC_INT16 || r->field.type == CODEC_INT32)
				return perr(c, path, "a counter cannot be signed (use uint16, uint32 or float32)");
			if (r->field.type == CODEC_FLOAT32 || k < 0)
				continue;
			/* the register must be able to show every value below rollover */
			modulus = (r->field.type == CODEC_UINT16 ? 65536LL : 4294967296LL);
			if (k > 0 && modulus > INT64_MAX / 1000000000LL)
				continue;
			for (int i = 0; i < k; i++)
				modulus *= 10;
			if (p->rollover_milli > modulus)
				return perr(c, "limits.rollover", "%lld is more than %s can show (%lld)",
				    (long long)p->rollover_milli, path, (long long)modulus);
		}
	}
	for (int q = PQ_ENERGY_SHARP; q <= PQ_ENERGY_VALLEY; q++)
		bands += p->reg[q].present;
	if (bands != 0 && bands != 4)
		return perr(c, "registers", "TOU counters come as a set: energy_sharp, energy_peak, "
		    "energy_flat and energy_valley, or none");
	p->has_tou = bands == 4;
	if (p->relay.present && p->relay.kind == PROFILE_VALVE && p->energy != PROFILE_WATER)
		return perr(c, "relay.kind", "a valve belongs to a water meter (energy \"water\")");
	return 0;
}

int
profile_parse(const char *text, size_t len, const char *srcname, const char *expect_name,
    struct profile *out, char *err, size_t errlen)
{
	static const char *const top[] = { "name", "vendor", "model", "energy", "phases",
	    "max_read", "notes", "registers", "relay", "limits", NULL };
	static const char *const lim[] = { "max_power", "rollover", NULL };
	struct pctx c = { srcname ? srcname : "profile", err, errlen, 0 };
	const char *end = NULL;
	cJSON *root;
	const cJSON *v, *regs, *limits;
	long n;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (len > PROFILE_FILE_MAX_BYTES)
		return perr(&c, "", "file is larger than %d bytes", PROFILE_FILE_MAX_BYTES);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		int line = 1, col = 1;

		if (off > len)
			off = len;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		snprintf(err, errlen, "%s:%d:%d: JSON syntax error", c.src, line, col);
		return -1;
	}
	if (check_keys(&c, "", root, top))
		goto out;
	if ((v = need(&c, "", root, "name")) == NULL || get_str(&c, "name", v, out->name, sizeof out->name))
		goto out;
	if (strspn(out->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(out->name)) {
		perr(&c, "name", "\"%s\": use lower-case letters, digits and '-' only", out->name);
		goto out;
	}
	if (expect_name && strcmp(expect_name, out->name) != 0) {
		perr(&c, "name", "is \"%s\" but the file is named for \"%s\"", out->name, expect_name);
		goto out;
	}
	if ((v = need(&c, "", root, "vendor")) == NULL ||
	    get_str(&c, "vendor", v, out->vendor, sizeof out->vendor))
		goto out;
	if ((v = need(&c, "", root, "model")) == NULL ||
	    get_str(&c, "model", v, out->model, sizeof out->model))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "notes")) != NULL && !cJSON_IsString(v)) {
		perr(&c, "notes", "must be a string");
		goto out;
	}
	if ((v = need(&c, "", root, "energy")) == NULL)
		goto out;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "electricity") == 0)
		out->energy = PROFILE_ELECTRICITY;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "water") == 0)
		out->energy = PROFILE_WATER;
	else {
		perr(&c, "energy", "must be \"electricity\" or \"water\"");
		goto out;
	}
	n = 1;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "phases")) != NULL &&
	    get_int(&c, "phases", v, 1, 3, 0, &n))
		goto out;
	if (n == 2) {
		perr(&c, "phases", "must be 1 or 3");
		goto out;
	}
	out->phases = (int)n;
	out->max_read = 125;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "max_read")) != NULL) {
		if (get_int(&c, "max_read", v, 1, 125, 0, &n))
			goto out;
		out->max_read = (int)n;
	}
	if ((limits = need(&c, "", root, "limits")) == NULL || check_keys(&c, "limits", limits, lim))
		goto out;
	if ((v = need(&c, "limits", limits, "max_power")) == NULL ||
	    get_int(&c, "limits.max_power", v, 1, 1000000000L, 0, &n))
		goto out;
	out->max_power_milli = n;
	if ((v = need(&c, "limits", limits, "rollover")) == NULL)
		goto out;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < 1000 || v->valuedouble > 9007199254740992.0) {
		perr(&c, "limits.rollover", "must be an integer (Wh or L) in 1000..2^53");
		goto out;
	}
	out->rollover_milli = (int64_t)v->valuedouble;
	if ((regs = need(&c, "", root, "registers")) == NULL)
		goto out;
	if (!cJSON_IsObject(regs)) {
		perr(&c, "registers", "must be an object");
		goto out;
	}
	if (check_keys(&c, "registers", regs, quantity_names))
		goto out;
	for (int q = 0; q < PQ_COUNT; q++) {
		char path[64];
		if ((v = cJSON_GetObjectItemCaseSensitive(regs, quantity_names[q])) == NULL)
			continue;
		snprintf(path, sizeof path, "registers.%s", quantity_names[q]);
		if (parse_register(&c, path, v, &out->reg[q]))
			goto out;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "relay")) != NULL && parse_relay(&c, v, &out->relay))
		goto out;
	if (validate(&c, out))
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc != 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int
profile_find(const struct profile *p, int fc, int address)
{
	for (int q = 0; q < PQ_COUNT; q++) {
		const struct profile_register *r = &p->reg[q];
		if (r->present && r->fc == fc && address >= r->address &&
		    address < r->address + codec_words(r->field.type))
			return q;
	}
	return -1;
}
