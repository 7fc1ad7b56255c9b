/* libFuzzer: any bytes into the profile parser; it must never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include "meters/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	char err[PROFILE_ERR_LEN];

	if (profile_parse((const char *)data, size, "fuzz.json", NULL, &p, err, sizeof err) == 0) {
		/* a parsed profile must be self-consistent */
		if (!p.reg[PQ_ENERGY_IMPORT].present || p.max_read < 1 || p.max_read > 125)
			__builtin_trap();
		for (int q = 0; q < PQ_COUNT; q++)
			if (p.reg[q].present && profile_find(&p, p.reg[q].fc, p.reg[q].address) != q)
				__builtin_trap();	/* overlaps were let through */
	}
	return 0;
}
