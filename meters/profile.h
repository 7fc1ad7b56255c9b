/*
 * Meter profiles: one JSON data file per meter model (meters/profiles/,
 * format in docs/meter-profiles.md) saying where each quantity lives in the
 * meter's Modbus map, how it is encoded, how the relay or valve is switched
 * and read back, and the limits a reading must stay within. A site adds or
 * corrects a model by editing a file, without a rebuild.
 *
 * profile_parse is pure (fuzzed); profile_load reads
 * DIR/NAME.json and is the only I/O here. Errors name the path inside the
 * file: "x.json: registers.power.type: unknown type "uint33" (...)".
 */
#ifndef PREPAY_METERS_PROFILE_H
#define PREPAY_METERS_PROFILE_H
#include <stddef.h>
#include <stdint.h>
#include "meters/codec.h"

#define PROFILE_NAME_MAX 64
#define PROFILE_FILE_MAX_BYTES (256 * 1024)
#define PROFILE_RELAY_MAX_WORDS 4
#define PROFILE_ERR_LEN 320

/* What a register holds; values decode to milli-units (codec.h). */
enum profile_quantity {
	PQ_ENERGY_IMPORT,	/* the billing counter: kWh, or m3 for water */
	PQ_ENERGY_EXPORT,
	PQ_ENERGY_TOTAL,	/* combined (import + export) */
	PQ_ENERGY_SHARP,	/* TOU bands of the import counter: 尖 峰 平 谷 */
	PQ_ENERGY_PEAK,
	PQ_ENERGY_FLAT,
	PQ_ENERGY_VALLEY,
	PQ_POWER,		/* total active power kW, or flow m3/h for water */
	PQ_VOLTAGE,		/* V, phase L1 */
	PQ_VOLTAGE_L2,
	PQ_VOLTAGE_L3,
	PQ_CURRENT,		/* A, phase L1 */
	PQ_CURRENT_L2,
	PQ_CURRENT_L3,
	PQ_PF,			/* power factor (1 = 1000 milli) */
	PQ_FREQUENCY,		/* Hz */
	PQ_COUNT
};

enum profile_energy { PROFILE_ELECTRICITY, PROFILE_WATER };
enum profile_switch { PROFILE_RELAY, PROFILE_VALVE };

struct profile_register {
	int present;
	uint8_t fc;		/* 3 holding or 4 input registers */
	uint16_t address;	/* 0-based PDU address */
	struct codec_field field;
};

/*
 * Supply on/off, whatever the device: for a relay "on" is closed, for a
 * valve "on" is open. Written with one of write_fc at address; the state is
 * read back with state_fc at state_address and compared with state_on/off.
 */
struct profile_relay {
	int present;
	enum profile_switch kind;
	uint16_t address;
	int nwords;			/* 1..PROFILE_RELAY_MAX_WORDS */
	int write_fc6, write_fc16;	/* function codes the device accepts */
	uint16_t on[PROFILE_RELAY_MAX_WORDS], off[PROFILE_RELAY_MAX_WORDS];
	uint8_t state_fc;
	uint16_t state_address;
	int state_nwords;
	uint16_t state_on[PROFILE_RELAY_MAX_WORDS], state_off[PROFILE_RELAY_MAX_WORDS];
};

struct profile {
	char name[PROFILE_NAME_MAX], vendor[PROFILE_NAME_MAX], model[PROFILE_NAME_MAX];
	enum profile_energy energy;
	int phases;			/* 1 or 3 */
	int max_read;			/* registers one read may ask for, 1..125 */
	struct profile_register reg[PQ_COUNT];
	int has_tou;			/* all four band registers are present */
	struct profile_relay relay;
	int64_t max_power_milli;	/* W (L/h): more than this is a spike */
	int64_t rollover_milli;		/* Wh (L): the counter wraps to 0 here */
};

const char *profile_quantity_name(enum profile_quantity);
int profile_quantity_is_energy(enum profile_quantity);

/*
 * Parses text (len bytes, need not be NUL-terminated). srcname prefixes
 * errors; expect_name, if not NULL, must equal the "name" key (a park file
 * refers to a profile by it). Returns 0, or -1 with the first error in err.
 */
int profile_parse(const char *text, size_t len, const char *srcname,
    const char *expect_name, struct profile *out, char *err, size_t errlen);

/* Reads DIR/NAME.json and parses it. NAME is [a-z0-9-] only. */
int profile_load(const char *dir, const char *name, struct profile *out,
    char *err, size_t errlen);

/* The register covering (fc, address), or -1; for readers of a map. */
int profile_find(const struct profile *, int fc, int address);

#endif
