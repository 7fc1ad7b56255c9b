/*
 * Modbus register words <-> values, pure (no I/O): the meter side of a
 * profile's quantity. A value is an int64 in milli-units of the quantity's
 * unit: kWh -> Wh, kW -> W, V -> mV, A -> mA, m3 -> L, m3/h -> L/h, PF x1000.
 *
 * Words are host-order uint16 as libmodbus hands them over (register
 * bytes hi<<8|lo). For a 32-bit value with bytes A (most significant) B C D:
 *   ABCD: words AB CD    (Modbus "big-endian", high word first)
 *   CDAB: words CD AB    (low word first)
 *   BADC: words BA DC    (bytes swapped in each word)
 *   DCBA: words DC BA    (fully little-endian)
 * 16-bit types use one word: ABCD and CDAB leave it, BADC and DCBA swap bytes.
 *
 * scale_exp says what one raw step is worth: raw x 10^scale_exp units
 * (0.01 kWh -> -2). Integer types are converted with integers only: scaling
 * up is exact, scaling down rounds half away from zero. float32 (the meter
 * speaks it, so we must) is multiplied in double, which holds every float32
 * times a power of ten up to 10^15 without further loss, then rounded half
 * away from zero to the milli-unit.
 */
#ifndef PREPAY_METERS_CODEC_H
#define PREPAY_METERS_CODEC_H
#include <stdint.h>

enum codec_type { CODEC_UINT16, CODEC_INT16, CODEC_UINT32, CODEC_INT32, CODEC_FLOAT32 };
enum codec_order { CODEC_ABCD, CODEC_CDAB, CODEC_BADC, CODEC_DCBA };

#define CODEC_SCALE_EXP_MIN (-6)
#define CODEC_SCALE_EXP_MAX 6
#define CODEC_MAX_WORDS 2

struct codec_field {
	enum codec_type type;
	enum codec_order order;
	int scale_exp;		/* CODEC_SCALE_EXP_MIN..MAX */
};

/* Registers the type occupies: 1 or 2. */
int codec_words(enum codec_type);

/* Names as profiles spell them ("uint32", "CDAB"); parse returns 0 / -1. */
const char *codec_type_name(enum codec_type);
const char *codec_order_name(enum codec_order);
int codec_type_parse(const char *, enum codec_type *);
int codec_order_parse(const char *, enum codec_order *);

/* The raw bit pattern of 1 or 2 words in the given order (no scaling). */
uint32_t codec_get_raw(enum codec_type, enum codec_order, const uint16_t *words);
void codec_put_raw(enum codec_type, enum codec_order, uint32_t raw, uint16_t *words);

/*
 * words -> milli-units. Returns -1 (value untouched) for a float32 NaN or
 * infinity or a result beyond +-2^53: the reading is unusable.
 */
int codec_decode(const struct codec_field *, const uint16_t *words, int64_t *value_milli);

/*
 * milli-units -> words, as a meter would show the value: integer types
 * truncate toward zero (a counter shows what it has counted, never more).
 * Returns -1 (words untouched) when the value does not fit the type.
 */
int codec_encode(const struct codec_field *, int64_t value_milli, uint16_t *words);

#endif
