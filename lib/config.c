#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/xmalloc.h"

#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ENTRIES 512

struct config_entry {
	const struct config_key *key;
	char *value;
	char *from_file;	/* secret read from this path */
	int line;
};

struct config {
	const struct config_key *keys;
	struct config_entry entries[CONFIG_MAX_ENTRIES];
	int n;
};

static void __attribute__((format(printf, 5, 6)))
config_error(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static const struct config_key *
config_find_key(const struct config_key *keys, const char *section, const char *name, int *is_file)
{
	size_t nlen = strlen(name);

	*is_file = 0;
	for (const struct config_key *k = keys; k->section != NULL; k++) {
		if (strcmp(k->section, section) != 0)
			continue;
		if (strcmp(k->name, name) == 0)
			return k;
		if (k->type == CONFIG_SECRET && nlen == strlen(k->name) + 5 &&
		    strncmp(name, k->name, strlen(k->name)) == 0 &&
		    strcmp(name + strlen(k->name), "_file") == 0) {
			*is_file = 1;
			return k;
		}
	}
	return NULL;
}

static int
section_known(const struct config_key *keys, const char *section)
{
	for (const struct config_key *k = keys; k->section != NULL; k++)
		if (strcmp(k->section, section) == 0)
			return 1;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int
parse_int(const char *s, long long *out)
{
	char *end;

	errno = 0;
	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
		if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
	}
	return -1;
}

static int
config_check_value(const struct config_key *k, int is_file, const char *v,
    const char *file, int line, char *err, size_t errlen)
{
	long long n;
	int b;

	if (*v == '\0') {
		config_error(err, errlen, file, line, "[%s] %s%s has no value", k->section,
		    k->name, is_file ? "_file" : "");
		return -1;
	}
	if (is_file)
		return 0;
	switch (k->type) {
	case CONFIG_INT:
		if (parse_int(v, &n) != 0) {
			config_error(err, errlen, file, line, "[%s] %s must be a whole number, not \"%s\"",
			    k->section, k->name, v);
			return -1;
		}
		if (n < k->min || n > k->max) {
			config_error(err, errlen, file, line, "[%s] %s must be between %lld and %lld, not %lld",
			    k->section, k->name, k->min, k->max, n);
			return -1;
		}
		break;
	case CONFIG_BOOL:
		if (parse_bool(v, &b) != 0) {
			config_error(err, errlen, file, line, "[%s] %s must be yes or no, not \"%s\"",
			    k->section, k->name, v);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

struct config *
config_parse(const char *text, size_t len, const char *file, const struct config_key *keys,
    char *err, size_t errlen)
{
	struct config *c = xcalloc(1, sizeof *c);
	char section[64] = "";
	char buf[CONFIG_MAX_LINE + 2];
	size_t pos = 0;
	int line = 0;

	c->keys = keys;
	if (len > CONFIG_MAX_BYTES) {
		config_error(err, errlen, file, 0, "file is larger than %d bytes", CONFIG_MAX_BYTES);
		goto fail;
	}
	while (pos < len) {
		size_t start = pos, n;
		char *s, *eq, *name, *value;
		const struct config_key *k;
		int is_file;

		line++;
		while (pos < len && text[pos] != '\n')
			pos++;
		n = pos - start;
		if (pos < len)
			pos++;	/* the newline */
		if (n > CONFIG_MAX_LINE) {
			config_error(err, errlen, file, line, "line is longer than %d characters", CONFIG_MAX_LINE);
			goto fail;
		}
		if (memchr(text + start, '\0', n) != NULL) {
			config_error(err, errlen, file, line, "line contains a NUL byte");
			goto fail;
		}
		memcpy(buf, text + start, n);
		buf[n] = '\0';
		s = trim(buf);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (close == NULL || close[1] != '\0') {
				config_error(err, errlen, file, line, "a section header looks like [name]");
				goto fail;
			}
			*close = '\0';
			s = trim(s + 1);
			if (!valid_name(s) || strlen(s) >= sizeof section) {
				config_error(err, errlen, file, line, "bad section name \"%s\"", s);
				goto fail;
			}
			if (!section_known(keys, s)) {
				config_error(err, errlen, file, line, "unknown section [%s]", s);
				goto fail;
			}
			snprintf(section, sizeof section, "%s", s);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			config_error(err, errlen, file, line, "expected \"key = value\", [section] or a comment");
			goto fail;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		if (section[0] == '\0') {
			config_error(err, errlen, file, line, "\"%s\" comes before any [section]", name);
			goto fail;
		}
		if (!valid_name(name)) {
			config_error(err, errlen, file, line, "bad key name \"%s\"", name);
			goto fail;
		}
		if ((k = config_find_key(keys, section, name, &is_file)) == NULL) {
			config_error(err, errlen, file, line, "unknown key \"%s\" in [%s]", name, section);
			goto fail;
		}
		for (int i = 0; i < c->n; i++)
			if (c->entries[i].key == k) {
				config_error(err, errlen, file, line, "[%s] %s is already set on line %d",
				    section, k->name, c->entries[i].line);
				goto fail;
			}
		if (config_check_value(k, is_file, value, file, line, err, errlen) != 0)
			goto fail;
		if (c->n == CONFIG_MAX_ENTRIES) {
			config_error(err, errlen, file, line, "more than %d keys", CONFIG_MAX_ENTRIES);
			goto fail;
		}
		c->entries[c->n].key = k;
		c->entries[c->n].line = line;
		if (is_file)
			c->entries[c->n].from_file = xstrdup(value);
		else
			c->entries[c->n].value = xstrdup(value);
		c->n++;
	}
	for (const struct config_key *k = keys; k->section != NULL; k++) {
		int found = 0;
		if (!k->required)
			continue;
		for (int i = 0; i < c->n; i++)
			found |= c->entries[i].key == k;
		if (!found) {
			config_error(err, errlen, file, 0, "[%s] %s is required but not set%s", k->section,
			    k->name, k->type == CONFIG_SECRET ? " (nor its _file)" : "");
			goto fail;
		}
	}
	return c;
fail:
	config_free(c);
	return NULL;
}

static char *
read_whole_file(const char *path, size_t max, size_t *lenp, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (n > max) {
		snprintf(err, errlen, "%s: file is larger than %zu bytes", path, max);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

static char *
resolve_path(const char *dir, const char *p)
{
	if (p[0] == '/' || dir == NULL)
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

struct config *
config_load(const char *path, const struct config_key *keys, char *err, size_t errlen)
{
	size_t len;
	char *text = read_whole_file(path, CONFIG_MAX_BYTES, &len, err, errlen);
	char *dir = NULL, *slash;
	struct config *c;

	if (text == NULL)
		return NULL;
	c = config_parse(text, len, path, keys, err, errlen);
	free(text);
	if (c == NULL)
		return NULL;
	if ((slash = strrchr(path, '/')) != NULL)
		dir = xstrndup(path, (size_t)(slash - path));
	for (int i = 0; i < c->n; i++) {
		struct config_entry *e = &c->entries[i];
		if (e->from_file != NULL) {
			char *p = resolve_path(dir, e->from_file), *secret;
			size_t slen;
			free(e->from_file);
			e->from_file = p;
			if ((secret = read_whole_file(p, 4096, &slen, err, errlen)) == NULL) {
				char tmp[512];
				snprintf(tmp, sizeof tmp, "%s", err);
				config_error(err, errlen, path, e->line, "[%s] %s_file: %s", e->key->section,
				    e->key->name, tmp);
				goto fail;
			}
			while (slen > 0 && (secret[slen - 1] == '\n' || secret[slen - 1] == '\r'))
				secret[--slen] = '\0';
			if (slen == 0) {
				config_error(err, errlen, path, e->line, "[%s] %s_file: %s is empty",
				    e->key->section, e->key->name, p);
				free(secret);
				goto fail;
			}
			e->value = secret;
		} else if (e->key->type == CONFIG_PATH) {
			char *p = resolve_path(dir, e->value);
			free(e->value);
			e->value = p;
		}
	}
	free(dir);
	return c;
fail:
	free(dir);
	config_free(c);
	return NULL;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->n; i++) {
		if (c->entries[i].value != NULL) {
			size_t n = strlen(c->entries[i].value);
			/* values may be secrets: wipe before freeing */
			volatile char *v = c->entries[i].value;
			while (n--)
				v[n] = 0;
		}
		free(c->entries[i].value);
		free(c->entries[i].from_file);
	}
	free(c);
}

static const struct config_entry *
config_get(const struct config *c, const char *section, const char *name, const struct config_key **kp)
{
	*kp = NULL;
	for (const struct config_key *k = c->keys; k->section != NULL; k++)
		if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0) {
			*kp = k;
			break;
		}
	for (int i = 0; i < c->n; i++)
		if (c->entries[i].key == *kp)
			return &c->entries[i];
	return NULL;
}

const char *
config_str(const struct config *c, const char *section, const char *name)
{
	const struct config_key *k;
	const struct config_entry *e = config_get(c, section, name, &k);

	if (e != NULL)
		return e->value;
	return k != NULL ? k->def : NULL;
}

long long
config_int(const struct config *c, const char *section, const char *name)
{
	const char *v = config_str(c, section, name);
	long long n;

	return v != NULL && parse_int(v, &n) == 0 ? n : 0;
}

int
config_bool(const struct config *c, const char *section, const char *name)
{
	const char *v = config_str(c, section, name);
	int b;

	return v != NULL && parse_bool(v, &b) == 0 ? b : 0;
}

const char *
config_secret_file(const struct config *c, const char *section, const char *name)
{
	const struct config_key *k;
	const struct config_entry *e = config_get(c, section, name, &k);

	return e != NULL ? e->from_file : NULL;
}
