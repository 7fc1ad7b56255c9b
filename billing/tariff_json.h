/*
 * Tariff JSON files (docs/tariffs.md) → struct tariff. Pure: takes the
 * bytes, returns the model or an error naming the place in the file:
 *   "versions[0].schedules.weekday[3]: 10:00-11:00 overlaps [2] 09:00-10:30 at 10:00"
 *   "line 12, column 5: JSON syntax error"
 */
#ifndef PREPAY_TARIFF_JSON_H
#define PREPAY_TARIFF_JSON_H
#include <stddef.h>
#include "billing/tariff.h"

#define TARIFF_JSON_MAX (1024 * 1024)

struct tariff *tariff_json_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
