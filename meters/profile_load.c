/* The I/O edge of profiles: read DIR/NAME.json, hand the text to profile_parse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/xmalloc.h"
#include "meters/profile.h"

int
profile_load(const char *dir, const char *name, struct profile *out, char *err, size_t errlen)
{
	char path[4096], *buf;
	size_t n;
	FILE *f;
	int rc;

	if (name[0] == '\0' || strlen(name) >= PROFILE_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name)) {
		snprintf(err, errlen, "profile \"%s\": a profile name is lower-case letters, digits and '-'",
		    name);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s.json", dir, name) >= sizeof path) {
		snprintf(err, errlen, "profile directory path too long: %s", dir);
		return -1;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s (is --profiles pointing at meters/profiles?)", path,
		    strerror(errno));
		return -1;
	}
	buf = xmalloc(PROFILE_FILE_MAX_BYTES + 1);
	n = fread(buf, 1, PROFILE_FILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	rc = profile_parse(buf, n, path, name, out, err, errlen);
	free(buf);
	return rc;
}
