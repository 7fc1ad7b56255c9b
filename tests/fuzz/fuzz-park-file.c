/* libFuzzer: the park file parser must survive any bytes and never leak. */
#include <stddef.h>
#include <stdint.h>
#include "tools/park_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct park_errors errs;
	struct park *pk = park_file_parse((const char *)data, size, "fuzz.json", &errs);

	/* a parsed park must be internally consistent: every count matches its array */
	if (pk != NULL) {
		for (int i = 0; i < pk->nsites; i++) {
			const struct park_site *s = &pk->sites[i];
			if (s->code == NULL || s->name == NULL || s->timezone == NULL)
				__builtin_trap();
			for (int j = 0; j < s->nmeters; j++)
				if (s->meters[j].gateway != NULL && (s->meters[j].address < 1 || s->meters[j].address > 247))
					__builtin_trap();
		}
	} else if (errs.n < 1) {
		__builtin_trap();	/* a refusal always says why */
	}
	park_free(pk);
	return 0;
}
