/*
 * The INI configuration every program reads: "[section]" headers and
 * "key = value" lines; full-line comments start with ';' or '#'.
 * Keys are declared in a table (lib/settings.c); anything not declared,
 * a bad value, a duplicate or a missing required key is an error reported
 * as "file:line: what is wrong".
 */
#ifndef PREPAY_CONFIG_H
#define PREPAY_CONFIG_H
#include <stddef.h>

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_BOOL,
	CONFIG_PATH,	/* relative paths are taken from the config file's folder */
	CONFIG_SECRET,	/* "name = value" inline, or "name_file = path" to read it */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	int required;
	const char *def;	/* default as text, NULL for none */
	long long min, max;	/* CONFIG_INT bounds */
};

struct config;

/* Pure: parse text; on error returns NULL and writes a message to err. */
struct config *config_parse(const char *text, size_t len, const char *filename,
    const struct config_key *keys, char *err, size_t errlen);
/* Reads the file, parses it, resolves paths and reads *_file secrets. */
struct config *config_load(const char *path, const struct config_key *keys,
    char *err, size_t errlen);
void config_free(struct config *);

/* Lookups return the value, the default, or NULL/0 when neither is set. */
const char *config_str(const struct config *, const char *section, const char *name);
long long config_int(const struct config *, const char *section, const char *name);
int config_bool(const struct config *, const char *section, const char *name);
/* The file a secret came from (NULL if inline or unset). */
const char *config_secret_file(const struct config *, const char *section, const char *name);

#endif
