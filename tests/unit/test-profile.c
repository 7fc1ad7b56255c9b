/* The profile parser: the shipped profiles load, and every error names its path. */
#include <stdlib.h>
#include <string.h>
#include "meters/profile.h"
#include "tests/unit/unit.h"

/* Test JSON is written with ' for " to stay readable. */
static int
parse_q(const char *quoted, struct profile *p, char *err, size_t errlen)
{
	char buf[4096];
	size_t n = strlen(quoted);

	if (n >= sizeof buf)
		return -2;
	for (size_t i = 0; i <= n; i++)
		buf[i] = quoted[i] == '\'' ? '"' : quoted[i];
	return profile_parse(buf, n, "t.json", NULL, p, err, errlen);
}

#define HEAD "{'name':'t','vendor':'V','model':'M','energy':'electricity',"
#define LIMITS "'limits':{'max_power':10000,'rollover':1000000000}"
#define IMPORT "'energy_import':{'fc':3,'address':'0x0000','type':'uint32','order':'ABCD','scale':0.01}"
#define GOOD HEAD LIMITS ",'registers':{" IMPORT "}}"

static void
expect_error(const char *quoted, const char *want, int line)
{
	struct profile p;
	char err[PROFILE_ERR_LEN] = "";
	int rc = parse_q(quoted, &p, err, sizeof err);
	if (rc != -1 || strcmp(err, want) != 0)
		printf("# line %d: rc %d, error \"%s\"\n#   expected \"%s\"\n", line, rc, err, want);
	CHECK(rc == -1);
	CHECK(strcmp(err, want) == 0);
	CHECK(p.name[0] == '\0');	/* nothing half-filled on error */
}
#define BAD(json, want) expect_error(json, want, __LINE__)

TEST(profile_minimal_file_parses_with_defaults)
{
	struct profile p;
	char err[PROFILE_ERR_LEN] = "";
	CHECK_EQ_INT(parse_q(GOOD, &p, err, sizeof err), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(p.name, "t");
	CHECK_EQ_INT(p.phases, 1);
	CHECK_EQ_INT(p.max_read, 125);
	CHECK_EQ_INT(p.max_power_milli, 10000);
	CHECK_EQ_INT(p.rollover_milli, 1000000000);
	CHECK(p.reg[PQ_ENERGY_IMPORT].present);
	CHECK_EQ_INT(p.reg[PQ_ENERGY_IMPORT].field.scale_exp, -2);
	CHECK(!p.reg[PQ_POWER].present);
	CHECK(!p.relay.present);
	CHECK(!p.has_tou);
}

static void
load(const char *name, struct profile *p)
{
	char dir[1024], err[PROFILE_ERR_LEN] = "";
	const char *src = getenv("PREPAY_SRCDIR");
	snprintf(dir, sizeof dir, "%s/meters/profiles", src ? src : ".");
	if (profile_load(dir, name, p, err, sizeof err) != 0)
		printf("# %s\n", err);
	CHECK_EQ_STR(p->name, name);
}

TEST(profile_every_shipped_profile_loads)
{
	static const char *const names[] = { "acrel-ddsy1352", "acrel-adl400", "chint-dtsu666",
	    "chint-ddsu666", "eastron-sdm630", "eastron-sdm120", "hiking-dds238", "water-valve" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct profile p;
		load(names[i], &p);
		CHECK(p.reg[PQ_ENERGY_IMPORT].present);
		CHECK(p.reg[PQ_POWER].present);
	}
}

TEST(profile_ddsy1352_matches_the_reference_map)
{
	struct profile p;
	load("acrel-ddsy1352", &p);
	CHECK(p.has_tou);
	CHECK_EQ_INT(p.reg[PQ_ENERGY_VALLEY].address, 0x0008);
	CHECK_EQ_INT(p.reg[PQ_ENERGY_VALLEY].field.type, CODEC_UINT32);
	CHECK_EQ_INT(p.reg[PQ_VOLTAGE].address, 0x000B);
	CHECK_EQ_INT(p.reg[PQ_VOLTAGE].field.scale_exp, -1);
	CHECK(p.relay.present);
	CHECK_EQ_INT(p.relay.address, 0x0057);
	CHECK_EQ_INT(p.relay.nwords, 2);
	CHECK(p.relay.write_fc16 && !p.relay.write_fc6);
	CHECK_EQ_INT(p.relay.off[0], 1); CHECK_EQ_INT(p.relay.off[1], 1);
	CHECK_EQ_INT(p.relay.on[0], 1); CHECK_EQ_INT(p.relay.on[1], 0);
	/* no state block: read back from the control register */
	CHECK_EQ_INT(p.relay.state_fc, 3);
	CHECK_EQ_INT(p.relay.state_address, 0x0057);
	CHECK_EQ_INT(profile_find(&p, 3, 0x0009), PQ_ENERGY_VALLEY);
	CHECK_EQ_INT(profile_find(&p, 3, 0x000A), -1);
	CHECK_EQ_INT(profile_find(&p, 4, 0x0000), -1);
}

TEST(profile_dds238_relay_takes_only_fc16)
{
	struct profile p;
	load("hiking-dds238", &p);
	CHECK(p.relay.write_fc16);
	CHECK(!p.relay.write_fc6);
	CHECK_EQ_INT(p.relay.address, 0x001A);
	CHECK_EQ_INT(p.reg[PQ_POWER].field.type, CODEC_INT16);
}

TEST(profile_water_valve_is_float_dcba_with_a_valve)
{
	struct profile p;
	load("water-valve", &p);
	CHECK_EQ_INT(p.energy, PROFILE_WATER);
	CHECK_EQ_INT(p.reg[PQ_ENERGY_IMPORT].field.order, CODEC_DCBA);
	CHECK_EQ_INT(p.reg[PQ_ENERGY_IMPORT].field.type, CODEC_FLOAT32);
	CHECK_EQ_INT(p.relay.kind, PROFILE_VALVE);
	CHECK(p.relay.write_fc6 && p.relay.write_fc16);
	CHECK_EQ_INT(p.relay.on[0], 1);
	CHECK_EQ_INT(p.relay.off[0], 2);
}

TEST(profile_relay_state_block_is_read)
{
	struct profile p;
	char err[PROFILE_ERR_LEN] = "";
	int rc = parse_q(HEAD LIMITS ",'registers':{" IMPORT "},'relay':{'kind':'relay','address':87,"
	    "'write_fc':[6],'on':[1],'off':[0],'state':{'fc':4,'address':'0x0100','on':[5],'off':[6]}}}",
	    &p, err, sizeof err);
	if (rc)
		printf("# %s\n", err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(p.relay.state_fc, 4);
	CHECK_EQ_INT(p.relay.state_address, 0x100);
	CHECK_EQ_INT(p.relay.state_on[0], 5);
	CHECK_EQ_INT(p.relay.state_off[0], 6);
}

TEST(profile_syntax_error_gives_line_and_column)
{
	BAD("{'name':'t',\n  'vendor' 'V'}", "t.json:2:12: JSON syntax error");
	BAD("", "t.json:1:1: JSON syntax error");
}

TEST(profile_rejects_bad_top_level)
{
	BAD("[1]", "t.json: must be an object");
	BAD(HEAD LIMITS ",'registers':{" IMPORT "},'colour':'red'}",
	    "t.json: colour: unknown key (allowed: see docs/meter-profiles.md)");
	BAD(HEAD "'name':'u'," LIMITS ",'registers':{" IMPORT "}}", "t.json: name: key given twice");
	BAD("{'vendor':'V','model':'M','energy':'electricity'," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: name: missing (required)");
	BAD("{'name':'T x','vendor':'V','model':'M','energy':'electricity'," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: name: \"T x\": use lower-case letters, digits and '-' only");
	BAD("{'name':'t','vendor':'','model':'M','energy':'electricity'," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: vendor: must be 1..63 characters");
	BAD("{'name':'t','vendor':'V','model':'M','energy':'gas'," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: energy: must be \"electricity\" or \"water\"");
	BAD(HEAD "'phases':2," LIMITS ",'registers':{" IMPORT "}}", "t.json: phases: must be 1 or 3");
	BAD(HEAD "'phases':1.5," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: phases: must be an integer in 1..3");
	BAD(HEAD "'max_read':126," LIMITS ",'registers':{" IMPORT "}}",
	    "t.json: max_read: must be an integer in 1..125");
	BAD(HEAD "'notes':1," LIMITS ",'registers':{" IMPORT "}}", "t.json: notes: must be a string");
}

TEST(profile_name_must_match_the_file)
{
	struct profile p;
	char err[PROFILE_ERR_LEN], buf[512];
	size_t n = strlen(GOOD);
	for (size_t i = 0; i <= n; i++)
		buf[i] = GOOD[i] == '\'' ? '"' : GOOD[i];
	CHECK_EQ_INT(profile_parse(buf, n, "x.json", "x", &p, err, sizeof err), -1);
	CHECK_EQ_STR(err, "x.json: name: is \"t\" but the file is named for \"x\"");
	CHECK_EQ_INT(profile_parse(buf, n, "t.json", "t", &p, err, sizeof err), 0);
}

TEST(profile_rejects_bad_limits)
{
	BAD(HEAD "'registers':{" IMPORT "}}", "t.json: limits: missing (required)");
	BAD(HEAD "'limits':{'max_power':10000},'registers':{" IMPORT "}}",
	    "t.json: limits.rollover: missing (required)");
	BAD(HEAD "'limits':{'max_power':0,'rollover':1000000000},'registers':{" IMPORT "}}",
	    "t.json: limits.max_power: must be an integer in 1..1000000000");
	BAD(HEAD "'limits':{'max_power':10,'rollover':99.5},'registers':{" IMPORT "}}",
	    "t.json: limits.rollover: must be an integer (Wh or L) in 1000..2^53");
	BAD(HEAD "'limits':{'max_power':10,'rollover':1000,'max':1},'registers':{" IMPORT "}}",
	    "t.json: limits.max: unknown key (allowed: see docs/meter-profiles.md)");
	/* uint32 in 0.01 kWh shows at most 42949672.95 kWh */
	BAD(HEAD "'limits':{'max_power':10,'rollover':42949672970},'registers':{" IMPORT "}}",
	    "t.json: limits.rollover: 42949672970 is more than registers.energy_import can show (42949672960)");
}

TEST(profile_rejects_bad_registers)
{
	BAD(HEAD LIMITS "}", "t.json: registers: missing (required)");
	BAD(HEAD LIMITS ",'registers':{}}", "t.json: registers.energy_import: missing (required: the billing counter)");
	BAD(HEAD LIMITS ",'registers':{" IMPORT ",'enrgy_peak':{}}}",
	    "t.json: registers.enrgy_peak: unknown key (allowed: see docs/meter-profiles.md)");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':1,'address':0,'type':'uint32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.fc: function code 1 cannot read registers (use 3 holding or 4 input)");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':65536,'type':'uint32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.address: must be an integer in 0..65535");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':'0xZZ','type':'uint32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.address: \"0xZZ\" is not a hex number like \"0x0057\"");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':'12','type':'uint32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.address: \"12\" is not a number or a 0x hex string");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':'0xFFFF','type':'uint32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.type: a uint32 at address 65535 runs past register 65535");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':0,'type':'uint33','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import.type: unknown type \"uint33\" (use uint16, int16, uint32, int32, float32)");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':0,'type':'uint32','order':'ACBD','scale':1}}}",
	    "t.json: registers.energy_import.order: unknown word order (use ABCD, CDAB, BADC or DCBA)");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':0,'type':'uint32','order':'ABCD','scale':0.02}}}",
	    "t.json: registers.energy_import.scale: 0.02 is not a power of ten between 1e-6 and 1e6");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':0,'type':'uint32','order':'ABCD'}}}",
	    "t.json: registers.energy_import.scale: missing (required)");
	BAD(HEAD LIMITS ",'registers':{'energy_import':{'fc':3,'address':0,'type':'int32','order':'ABCD','scale':1}}}",
	    "t.json: registers.energy_import: a counter cannot be signed (use uint16, uint32 or float32)");
	BAD(HEAD LIMITS ",'registers':{" IMPORT ",'power':{'fc':3,'address':1,'type':'int16','order':'ABCD','scale':1}}}",
	    "t.json: registers.power: overlaps registers.energy_import (fc 3, address 0)");
	BAD(HEAD LIMITS ",'registers':{" IMPORT ",'energy_peak':{'fc':3,'address':2,'type':'uint32','order':'ABCD','scale':0.01}}}",
	    "t.json: registers: TOU counters come as a set: energy_sharp, energy_peak, energy_flat and energy_valley, or none");
}

TEST(profile_same_address_under_another_fc_is_no_overlap)
{
	struct profile p;
	char err[PROFILE_ERR_LEN] = "";
	CHECK_EQ_INT(parse_q(HEAD LIMITS ",'registers':{" IMPORT
	    ",'power':{'fc':4,'address':0,'type':'int16','order':'ABCD','scale':1}}}", &p, err, sizeof err), 0);
	CHECK_EQ_STR(err, "");
}

#define RELAY(body) HEAD LIMITS ",'registers':{" IMPORT "},'relay':{" body "}}"
TEST(profile_rejects_bad_relays)
{
	BAD(RELAY("'kind':'switch','address':1,'write_fc':[16],'on':[1],'off':[0]"),
	    "t.json: relay.kind: must be \"relay\" or \"valve\"");
	BAD(RELAY("'kind':'valve','address':100,'write_fc':[16],'on':[1],'off':[2]"),
	    "t.json: relay.kind: a valve belongs to a water meter (energy \"water\")");
	BAD(RELAY("'kind':'relay','write_fc':[16],'on':[1],'off':[0]"), "t.json: relay.address: missing (required)");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[],'on':[1],'off':[0]"),
	    "t.json: relay.write_fc: must be a non-empty array of function codes, e.g. [16]");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16,5],'on':[1],'off':[0]"),
	    "t.json: relay.write_fc[1]: function code 5 cannot write registers (use 6 or 16)");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[6],'on':[1,0],'off':[1,1]"),
	    "t.json: relay.write_fc: function code 6 writes one register but \"on\" has 2");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[1,0],'off':[1]"),
	    "t.json: relay.off: has 1 values but \"on\" has 2; they write the same registers");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[1],'off':[1]"),
	    "t.json: relay.off: is the same as \"on\"; the two states must differ");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[1,2,3,4,5],'off':[1]"),
	    "t.json: relay.on: must hold 1..4 register values");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[70000],'off':[1]"),
	    "t.json: relay.on[0]: must be an integer in 0..65535");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':1,'off':[1]"),
	    "t.json: relay.on: must be an array of register values, e.g. [1, 0]");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[1],'off':[0],'state':{'fc':6,'address':1,'on':[1],'off':[0]}"),
	    "t.json: relay.state.fc: function code 6 cannot read registers (use 3 or 4)");
	BAD(RELAY("'kind':'relay','address':100,'write_fc':[16],'on':[1],'off':[0],'state':{'fc':3,'adress':1}"),
	    "t.json: relay.state.adress: unknown key (allowed: see docs/meter-profiles.md)");
	BAD(RELAY("'kind':'relay','address':1,'write_fc':[16],'on':[1],'off':[0]"),
	    "t.json: registers.energy_import: overlaps relay.state");
}

TEST(profile_load_refuses_odd_names_and_missing_files)
{
	struct profile p;
	char err[PROFILE_ERR_LEN];
	CHECK_EQ_INT(profile_load(".", "../etc/passwd", &p, err, sizeof err), -1);
	CHECK_EQ_STR(err, "profile \"../etc/passwd\": a profile name is lower-case letters, digits and '-'");
	CHECK_EQ_INT(profile_load("/nonexistent", "x", &p, err, sizeof err), -1);
	CHECK_EQ_STR(err, "/nonexistent/x.json: No such file or directory (is --profiles pointing at meters/profiles?)");
}

TEST(profile_input_need_not_be_nul_terminated)
{
	struct profile p;
	char err[PROFILE_ERR_LEN], buf[600];
	size_t n = strlen(GOOD);
	for (size_t i = 0; i < n; i++)
		buf[i] = GOOD[i] == '\'' ? '"' : GOOD[i];
	memset(buf + n, 'x', sizeof buf - n);
	CHECK_EQ_INT(profile_parse(buf, n, "t.json", NULL, &p, err, sizeof err), 0);
}

int
main(void)
{
	RUN(profile_minimal_file_parses_with_defaults);
	RUN(profile_every_shipped_profile_loads);
	RUN(profile_ddsy1352_matches_the_reference_map);
	RUN(profile_dds238_relay_takes_only_fc16);
	RUN(profile_water_valve_is_float_dcba_with_a_valve);
	RUN(profile_relay_state_block_is_read);
	RUN(profile_syntax_error_gives_line_and_column);
	RUN(profile_rejects_bad_top_level);
	RUN(profile_name_must_match_the_file);
	RUN(profile_rejects_bad_limits);
	RUN(profile_rejects_bad_registers);
	RUN(profile_same_address_under_another_fc_is_no_overlap);
	RUN(profile_rejects_bad_relays);
	RUN(profile_load_refuses_odd_names_and_missing_files);
	RUN(profile_input_need_not_be_nul_terminated);
	return unit_done();
}
