#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/ctl.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"

/* A configuration that cannot be used is CTL_UNAVAILABLE (5), as documented. */
struct config *
ctl_config(struct ctl *c)
{
	const char *path = c->conf_path;
	enum log_level level;
	char err[1024];

	if (c->cfg != NULL)
		return c->cfg;
	if (path == NULL)
		path = getenv("PREPAY_CONF");
	if (path == NULL)
		path = "/etc/prepay/prepay.conf";
	if ((c->cfg = config_load(path, prepay_settings, err, sizeof err)) == NULL) {
		fprintf(stderr, "prepayctl: %s\n", err);
		exit(CTL_UNAVAILABLE);
	}
	if (log_level_parse(config_str(c->cfg, "log", "level"), &level) != 0) {
		fprintf(stderr, "prepayctl: %s: [log] level must be debug, info, warn or error\n", path);
		exit(CTL_UNAVAILABLE);
	}
	return c->cfg;
}

struct db *
ctl_db(struct ctl *c)
{
	char err[512];

	if (c->db == NULL) {
		if ((c->db = db_connect(ctl_config(c), err, sizeof err)) == NULL) {
			fprintf(stderr, "prepayctl: %s\n", err);
			exit(CTL_UNAVAILABLE);
		}
	}
	return c->db;
}

int
ctl_fail(struct ctl *c, int code, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	fputs("prepayctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
ctl_opts(int argc, char **argv, struct ctl_opt *opts, char **pos, int maxpos)
{
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct ctl_opt *o = NULL;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (strcmp(a, "--") == 0 && i + 1 < argc)
				a = argv[++i];
			if (npos == maxpos) {
				fprintf(stderr, "prepayctl: unexpected argument \"%s\"\n", a);
				return -1;
			}
			pos[npos++] = (char *)a;
			continue;
		}
		for (struct ctl_opt *p = opts; p != NULL && p->name != NULL; p++)
			if (strcmp(a + 2, p->name) == 0)
				o = p;
		if (o == NULL) {
			fprintf(stderr, "prepayctl: unknown option %s\n", a);
			return -1;
		}
		if (o->is_flag) {
			*o->value = "1";
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "prepayctl: %s needs a value\n", a);
			return -1;
		}
		*o->value = argv[++i];
	}
	return npos;
}

long long
ctl_parse_id(const char *s)
{
	long long v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > 0 ? v : -1;
}

struct ctl_table {
	int ncols, nrows, cap;
	char **cells;		/* row-major, headers first */
	int *right;
};

struct ctl_table *
ctl_table_new(int ncols, const char *const *headers)
{
	struct ctl_table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	t->right = xcalloc((size_t)ncols, sizeof *t->right);
	ctl_table_add(t, headers);
	return t;
}

void
ctl_table_right(struct ctl_table *t, int col)
{
	t->right[col] = 1;
}

void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, (size_t)t->cap * (size_t)t->ncols * sizeof *t->cells);
	}
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

/* Columns a terminal gives a UTF-8 string: East Asian wide characters take 2. */
static int
display_width(const char *s)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned cp;
		int n;
		if (*p < 0x80) { cp = *p; n = 1; }
		else if ((*p & 0xe0) == 0xc0) { cp = *p & 0x1f; n = 2; }
		else if ((*p & 0xf0) == 0xe0) { cp = *p & 0x0f; n = 3; }
		else { cp = *p & 0x07; n = 4; }
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) { n = i; break; }
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += n;
		w += (cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000)) ? 2 : 1;
	}
	return w;
}

void
ctl_table_print(struct ctl_table *t)
{
	int *width = xcalloc((size_t)t->ncols, sizeof *width);

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			int w = display_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			int pad = width[c] - display_width(s);
			int last = c == t->ncols - 1;
			if (t->right[c])
				printf("%*s%s", pad, "", s);
			else
				printf("%s%*s", s, last ? 0 : pad, "");
			if (!last)
				fputs("  ", stdout);
		}
		putchar('\n');
	}
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(width);
	free(t);
}
