/* The one table of configuration keys shared by every program. */
#ifndef PREPAY_SETTINGS_H
#define PREPAY_SETTINGS_H
#include "lib/config.h"

extern const struct config_key prepay_settings[];

/* Loads the file named by -c, $PREPAY_CONF, or the built-in default path;
 * exits with a message on any error. */
struct config *settings_load_or_die(const char *path);

#endif
