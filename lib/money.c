#include <stdio.h>
#include <string.h>
#include "lib/money.h"

int
money_parse_yuan(const char *s, int64_t *fen)
{
	int neg = 0, decimals = -1;
	int64_t v = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s == '.' && decimals < 0) {
			decimals = 0;
			if (s[1] == '\0')
				return -1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (decimals >= 0 && ++decimals > 2)
			return -1;
		v = v * 10 + (*s - '0');
		if (v > MONEY_MAX_FEN)
			return -1;
	}
	for (int d = decimals < 0 ? 0 : decimals; d < 2; d++)
		v *= 10;
	if (v > MONEY_MAX_FEN)
		return -1;
	*fen = neg ? -v : v;
	return 0;
}

const char *
money_format(int64_t fen, char buf[MONEY_FMT_LEN])
{
	/* unsigned magnitude: INT64_MIN has no positive counterpart */
	uint64_t m = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;

	snprintf(buf, MONEY_FMT_LEN, "%s%llu.%02llu", fen < 0 ? "-" : "",
	    (unsigned long long)(m / 100), (unsigned long long)(m % 100));
	return buf;
}
