#include <math.h>
#include <stdint.h>
#include <string.h>
#include "meters/codec.h"

/* powers of ten that doubles and int64 hold exactly */
static const int64_t pow10_i[] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
    10000000, 100000000, 1000000000 };
#define LIMIT_53 ((int64_t)1 << 53)

static const char *const type_names[] = { "uint16", "int16", "uint32", "int32", "float32" };
static const char *const order_names[] = { "ABCD", "CDAB", "BADC", "DCBA" };

int
codec_words(enum codec_type t)
{
	return t == CODEC_UINT16 || t == CODEC_INT16 ? 1 : 2;
}

const char *
codec_type_name(enum codec_type t)
{
	return (unsigned)t < 5 ? type_names[t] : "?";
}

const char *
codec_order_name(enum codec_order o)
{
	return (unsigned)o < 4 ? order_names[o] : "?";
}

int
codec_type_parse(const char *s, enum codec_type *out)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum codec_type)i;
			return 0;
		}
	return -1;
}

int
codec_order_parse(const char *s, enum codec_order *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, order_names[i]) == 0) {
			*out = (enum codec_order)i;
			return 0;
		}
	return -1;
}

static uint16_t
swap16(uint16_t w)
{
	return (uint16_t)((w >> 8) | (w << 8));
}

uint32_t
codec_get_raw(enum codec_type t, enum codec_order o, const uint16_t *w)
{
	int swap = o == CODEC_BADC || o == CODEC_DCBA;
	uint16_t hi, lo;

	if (codec_words(t) == 1)
		return swap ? swap16(w[0]) : w[0];
	if (o == CODEC_ABCD || o == CODEC_BADC) {
		hi = w[0];
		lo = w[1];
	} else {
		hi = w[1];
		lo = w[0];
	}
	if (swap) {
		hi = swap16(hi);
		lo = swap16(lo);
	}
	return (uint32_t)hi << 16 | lo;
}

void
codec_put_raw(enum codec_type t, enum codec_order o, uint32_t raw, uint16_t *w)
{
	int swap = o == CODEC_BADC || o == CODEC_DCBA;
	uint16_t hi = (uint16_t)(raw >> 16), lo = (uint16_t)raw;

	if (codec_words(t) == 1) {
		w[0] = swap ? swap16(lo) : lo;
		return;
	}
	if (swap) {
		hi = swap16(hi);
		lo = swap16(lo);
	}
	if (o == CODEC_ABCD || o == CODEC_BADC) {
		w[0] = hi;
		w[1] = lo;
	} else {
		w[0] = lo;
		w[1] = hi;
	}
}

/* raw x 10^k, rounding half away from zero when k < 0 */
static int64_t
scale_int(int64_t raw, int k)
{
	int64_t d, q;

	if (k >= 0)
		return raw * pow10_i[k];
	d = pow10_i[-k];
	q = ((raw < 0 ? -raw : raw) + d / 2) / d;
	return raw < 0 ? -q : q;
}

int
codec_decode(const struct codec_field *f, const uint16_t *words, int64_t *value_milli)
{
	uint32_t raw = codec_get_raw(f->type, f->order, words);
	int k = f->scale_exp + 3;
	int64_t v;

	if (k < -9 || k > 9)
		return -1;
	switch (f->type) {
	case CODEC_UINT16:
	case CODEC_UINT32:
		v = scale_int((int64_t)raw, k);
		break;
	case CODEC_INT16:
		v = scale_int((int16_t)(uint16_t)raw, k);
		break;
	case CODEC_INT32:
		v = scale_int((int32_t)raw, k);
		break;
	case CODEC_FLOAT32: {
		float fl;
		double d;

		memcpy(&fl, &raw, sizeof fl);
		if (!isfinite(fl))
			return -1;
		d = k >= 0 ? (double)fl * (double)pow10_i[k] : (double)fl / (double)pow10_i[-k];
		d = round(d);	/* half away from zero */
		if (d > (double)LIMIT_53 || d < -(double)LIMIT_53)
			return -1;
		v = (int64_t)d;
		break;
	}
	default:
		return -1;
	}
	*value_milli = v;
	return 0;
}

int
codec_encode(const struct codec_field *f, int64_t value, uint16_t *words)
{
	int k = f->scale_exp + 3;
	int64_t raw;
	uint32_t bits;

	if (k < -9 || k > 9)
		return -1;
	if (f->type == CODEC_FLOAT32) {
		double d;
		float fl;

		if (value > LIMIT_53 || value < -LIMIT_53)
			return -1;
		d = k >= 0 ? (double)value / (double)pow10_i[k] : (double)value * (double)pow10_i[-k];
		if (d > 3.0e38 || d < -3.0e38)
			return -1;
		fl = (float)d;
		memcpy(&bits, &fl, sizeof bits);
		codec_put_raw(f->type, f->order, bits, words);
		return 0;
	}
	if (k >= 0)
		raw = value / pow10_i[k];	/* truncates toward zero */
	else {
		int64_t m = pow10_i[-k];
		if (value > INT64_MAX / m || value < INT64_MIN / m)
			return -1;
		raw = value * m;
	}
	switch (f->type) {
	case CODEC_UINT16:
		if (raw < 0 || raw > UINT16_MAX)
			return -1;
		break;
	case CODEC_INT16:
		if (raw < INT16_MIN || raw > INT16_MAX)
			return -1;
		break;
	case CODEC_UINT32:
		if (raw < 0 || raw > UINT32_MAX)
			return -1;
		break;
	case CODEC_INT32:
		if (raw < INT32_MIN || raw > INT32_MAX)
			return -1;
		break;
	default:
		return -1;
	}
	bits = (uint32_t)(raw & 0xffffffff);
	codec_put_raw(f->type, f->order, bits, words);
	return 0;
}
