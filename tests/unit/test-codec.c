/* The Modbus value codec against words computed by hand. */
#include <stdint.h>
#include "meters/codec.h"
#include "tests/unit/unit.h"

static struct codec_field
F(enum codec_type t, enum codec_order o, int e)
{
	struct codec_field f = { t, o, e };
	return f;
}

static int64_t
dec(struct codec_field f, uint16_t w0, uint16_t w1, int *ok)
{
	uint16_t w[2] = { w0, w1 };
	int64_t v = -4242;
	*ok = codec_decode(&f, w, &v) == 0;
	return v;
}

/* 0x12345678 = bytes A=12 B=34 C=56 D=78 */
TEST(codec_uint32_reads_every_word_order)
{
	int ok;
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_ABCD, -3), 0x1234, 0x5678, &ok), 0x12345678); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_CDAB, -3), 0x5678, 0x1234, &ok), 0x12345678); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_BADC, -3), 0x3412, 0x7856, &ok), 0x12345678); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_DCBA, -3), 0x7856, 0x3412, &ok), 0x12345678); CHECK(ok);
}

TEST(codec_int32_reads_negative_values_in_every_order)
{
	int ok;
	/* -2 = 0xFFFFFFFE */
	CHECK_EQ_INT(dec(F(CODEC_INT32, CODEC_ABCD, -3), 0xFFFF, 0xFFFE, &ok), -2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT32, CODEC_CDAB, -3), 0xFFFE, 0xFFFF, &ok), -2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT32, CODEC_BADC, -3), 0xFFFF, 0xFEFF, &ok), -2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT32, CODEC_DCBA, -3), 0xFEFF, 0xFFFF, &ok), -2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT32, CODEC_ABCD, -3), 0x8000, 0x0000, &ok), INT32_MIN); CHECK(ok);
}

TEST(codec_16bit_types_swap_bytes_only_in_badc_and_dcba)
{
	int ok;
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, -3), 0x1234, 0, &ok), 0x1234); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_CDAB, -3), 0x1234, 0, &ok), 0x1234); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_BADC, -3), 0x1234, 0, &ok), 0x3412); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_DCBA, -3), 0x1234, 0, &ok), 0x3412); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_ABCD, -3), 0xFF38, 0, &ok), -200); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_DCBA, -3), 0x38FF, 0, &ok), -200); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, -3), 0xFFFF, 0, &ok), 65535); CHECK(ok);
}

/* 230.5 = 0x43668000; 1234.5 = 0x449A5000 */
TEST(codec_float32_reads_every_word_order)
{
	int ok;
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x4366, 0x8000, &ok), 230500); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_CDAB, 0), 0x8000, 0x4366, &ok), 230500); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_BADC, 0), 0x6643, 0x0080, &ok), 230500); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_DCBA, 0), 0x0080, 0x6643, &ok), 230500); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x449A, 0x5000, &ok), 1234500); CHECK(ok);
	/* -1.5 = 0xBFC00000 */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0xBFC0, 0x0000, &ok), -1500); CHECK(ok);
}

TEST(codec_integer_scales_to_milli_units_exactly)
{
	int ok;
	/* DDSY1352: 0.01 kWh steps; 123456 raw = 1234.56 kWh = 1234560 Wh */
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_ABCD, -2), 0x0001, 0xE240, &ok), 1234560); CHECK(ok);
	/* 0.1 V: 2205 = 220.5 V = 220500 mV */
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, -1), 2205, 0, &ok), 220500); CHECK(ok);
	/* 1 kWh steps */
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, 0), 7, 0, &ok), 7000); CHECK(ok);
	/* scale 100: 7 raw = 700 kWh */
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, 2), 7, 0, &ok), 700000); CHECK(ok);
	/* the largest uint32 at the largest scale still fits */
	CHECK_EQ_INT(dec(F(CODEC_UINT32, CODEC_ABCD, 6), 0xFFFF, 0xFFFF, &ok), 4294967295000000000LL); CHECK(ok);
}

TEST(codec_integer_below_milli_rounds_half_away_from_zero)
{
	int ok;
	/* scale 0.0001: raw 15 = 1.5 milli -> 2; 14 -> 1; -15 -> -2; -14 -> -1 */
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_ABCD, -4), 15, 0, &ok), 2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_ABCD, -4), 14, 0, &ok), 1); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_ABCD, -4), (uint16_t)-15, 0, &ok), -2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_INT16, CODEC_ABCD, -4), (uint16_t)-14, 0, &ok), -1); CHECK(ok);
	/* scale 1e-6: 1500 raw = 1.5 milli -> 2; 499 -> 0 */
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, -6), 1500, 0, &ok), 2); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_UINT16, CODEC_ABCD, -6), 499, 0, &ok), 0); CHECK(ok);
}

TEST(codec_float32_rounds_half_away_from_zero)
{
	int ok;
	/* 0.0625 kWh (0x3D800000) at scale 0.01 = 0.000625 kWh -> 0.625 Wh -> 1 */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, -2), 0x3D80, 0x0000, &ok), 1); CHECK(ok);
	/* 0.5 (0x3F000000) at scale 1e-3 = 0.5 milli -> 1; -0.5 -> -1 */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, -3), 0x3F00, 0x0000, &ok), 1); CHECK(ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, -3), 0xBF00, 0x0000, &ok), -1); CHECK(ok);
	/* 0.25 -> 0 */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, -3), 0x3E80, 0x0000, &ok), 0); CHECK(ok);
	/* 12345.678 kWh as float32 is 12345.677734375 (0x4640E6B6) -> 12345678 Wh */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x4640, 0xE6B6, &ok), 12345678); CHECK(ok);
}

TEST(codec_float32_refuses_nan_infinity_and_huge_values)
{
	int ok;
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x7FC0, 0x0000, &ok), -4242); CHECK(!ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x7F80, 0x0000, &ok), -4242); CHECK(!ok);
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0xFF80, 0x0000, &ok), -4242); CHECK(!ok);
	/* 1e30 (0x7149F2CA) is beyond 2^53 milli-units */
	CHECK_EQ_INT(dec(F(CODEC_FLOAT32, CODEC_ABCD, 0), 0x7149, 0xF2CA, &ok), -4242); CHECK(!ok);
}

static int
enc(struct codec_field f, int64_t v, uint16_t *w)
{
	w[0] = w[1] = 0xAAAA;
	return codec_encode(&f, v, w);
}

TEST(codec_encodes_every_order_to_the_hand_computed_words)
{
	uint16_t w[2];
	CHECK(enc(F(CODEC_UINT32, CODEC_ABCD, -3), 0x12345678, w) == 0);
	CHECK_EQ_INT(w[0], 0x1234); CHECK_EQ_INT(w[1], 0x5678);
	CHECK(enc(F(CODEC_UINT32, CODEC_CDAB, -3), 0x12345678, w) == 0);
	CHECK_EQ_INT(w[0], 0x5678); CHECK_EQ_INT(w[1], 0x1234);
	CHECK(enc(F(CODEC_UINT32, CODEC_BADC, -3), 0x12345678, w) == 0);
	CHECK_EQ_INT(w[0], 0x3412); CHECK_EQ_INT(w[1], 0x7856);
	CHECK(enc(F(CODEC_UINT32, CODEC_DCBA, -3), 0x12345678, w) == 0);
	CHECK_EQ_INT(w[0], 0x7856); CHECK_EQ_INT(w[1], 0x3412);
	CHECK(enc(F(CODEC_FLOAT32, CODEC_DCBA, 0), 230500, w) == 0);
	CHECK_EQ_INT(w[0], 0x0080); CHECK_EQ_INT(w[1], 0x6643);
	CHECK(enc(F(CODEC_INT16, CODEC_BADC, -3), -200, w) == 0);
	CHECK_EQ_INT(w[0], 0x38FF); CHECK_EQ_INT(w[1], 0xAAAA);
}

TEST(codec_encode_truncates_counters_toward_zero)
{
	uint16_t w[2];
	/* 1234569 Wh at 0.01 kWh steps shows 123456, not 123457 */
	CHECK(enc(F(CODEC_UINT32, CODEC_ABCD, -2), 1234569, w) == 0);
	CHECK_EQ_INT(w[0], 0x0001); CHECK_EQ_INT(w[1], 0xE240);
	CHECK(enc(F(CODEC_INT16, CODEC_ABCD, 0), -1999, w) == 0);
	CHECK_EQ_INT((int16_t)w[0], -1);
}

TEST(codec_encode_refuses_what_the_type_cannot_hold)
{
	uint16_t w[2];
	CHECK(enc(F(CODEC_UINT16, CODEC_ABCD, -3), 65536, w) == -1);
	CHECK_EQ_INT(w[0], 0xAAAA);
	CHECK(enc(F(CODEC_UINT16, CODEC_ABCD, -3), -1, w) == -1);
	CHECK(enc(F(CODEC_INT16, CODEC_ABCD, -3), 32768, w) == -1);
	CHECK(enc(F(CODEC_INT16, CODEC_ABCD, -3), -32769, w) == -1);
	CHECK(enc(F(CODEC_UINT32, CODEC_ABCD, -2), 42949672960LL, w) == -1);
	CHECK(enc(F(CODEC_UINT32, CODEC_ABCD, -2), 42949672959LL, w) == 0);
	CHECK(enc(F(CODEC_INT32, CODEC_ABCD, -3), (int64_t)INT32_MAX + 1, w) == -1);
	CHECK(enc(F(CODEC_INT32, CODEC_ABCD, -6), INT64_MAX, w) == -1);
}

TEST(codec_round_trips_every_type_and_order)
{
	static const enum codec_type types[] = { CODEC_UINT16, CODEC_INT16, CODEC_UINT32,
	    CODEC_INT32, CODEC_FLOAT32 };
	int fails = 0;
	for (int t = 0; t < 5; t++)
		for (int o = 0; o < 4; o++)
			for (int64_t v = -30000; v <= 30000; v += 7) {
				struct codec_field f = F(types[t], (enum codec_order)o, -3);
				uint16_t w[2];
				int64_t back;
				if ((types[t] == CODEC_UINT16 || types[t] == CODEC_UINT32) && v < 0)
					continue;
				if (codec_encode(&f, v, w) != 0 || codec_decode(&f, w, &back) != 0 || back != v)
					fails++;
			}
	CHECK_EQ_INT(fails, 0);
}

TEST(codec_names_parse_back)
{
	enum codec_type t;
	enum codec_order o;
	CHECK(codec_type_parse("float32", &t) == 0 && t == CODEC_FLOAT32);
	CHECK(codec_type_parse("Float32", &t) == -1);
	CHECK(codec_type_parse("uint64", &t) == -1);
	CHECK(codec_order_parse("CDAB", &o) == 0 && o == CODEC_CDAB);
	CHECK(codec_order_parse("abcd", &o) == -1);
	CHECK_EQ_STR(codec_type_name(CODEC_INT16), "int16");
	CHECK_EQ_STR(codec_order_name(CODEC_DCBA), "DCBA");
	CHECK_EQ_INT(codec_words(CODEC_INT16), 1);
	CHECK_EQ_INT(codec_words(CODEC_FLOAT32), 2);
}

int
main(void)
{
	RUN(codec_uint32_reads_every_word_order);
	RUN(codec_int32_reads_negative_values_in_every_order);
	RUN(codec_16bit_types_swap_bytes_only_in_badc_and_dcba);
	RUN(codec_float32_reads_every_word_order);
	RUN(codec_integer_scales_to_milli_units_exactly);
	RUN(codec_integer_below_milli_rounds_half_away_from_zero);
	RUN(codec_float32_rounds_half_away_from_zero);
	RUN(codec_float32_refuses_nan_infinity_and_huge_values);
	RUN(codec_encodes_every_order_to_the_hand_computed_words);
	RUN(codec_encode_truncates_counters_toward_zero);
	RUN(codec_encode_refuses_what_the_type_cannot_hold);
	RUN(codec_round_trips_every_type_and_order);
	RUN(codec_names_parse_back);
	return unit_done();
}
