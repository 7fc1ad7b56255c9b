/* libFuzzer: the INI config parser with the real key table. */
#include <stddef.h>
#include <stdint.h>
#include "lib/config.h"
#include "lib/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct config *c = config_parse((const char *)data, size, "fuzz.conf", prepay_settings, err, sizeof err);

	if (c == NULL && err[0] == '\0')
		__builtin_trap();	/* a refusal always says why */
	if (c != NULL) {
		/* lookups of every key must work on whatever parsed */
		for (const struct config_key *k = prepay_settings; k->section != NULL; k++) {
			(void)config_str(c, k->section, k->name);
			if (k->type == CONFIG_INT)
				(void)config_int(c, k->section, k->name);
		}
	}
	config_free(c);
	return 0;
}
