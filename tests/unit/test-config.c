#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/config.h"
#include "lib/settings.h"
#include "tests/unit/unit.h"

static const struct config_key keys[] = {
	{ "database", "user", CONFIG_STRING, 1, NULL, 0, 0 },
	{ "database", "port", CONFIG_INT, 0, "3306", 1, 65535 },
	{ "database", "password", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "database", "socket", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "api", "debug", CONFIG_BOOL, 0, "no", 0, 0 },
	{ NULL, NULL, 0, 0, NULL, 0, 0 },
};

static char err[512];

static struct config *
parse(const char *text)
{
	err[0] = '\0';
	return config_parse(text, strlen(text), "test.conf", keys, err, sizeof err);
}

/* The error for text must be exactly want. */
static int
fails_with(const char *text, const char *want)
{
	struct config *c = parse(text);
	if (c != NULL) {
		config_free(c);
		printf("# accepted: %s\n", text);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		printf("# error \"%s\", expected \"%s\"\n", err, want);
		return 0;
	}
	return 1;
}

TEST(config_reads_sections_keys_and_defaults)
{
	struct config *c = parse("; comment\n# another\n[database]\n  user = prepay  \nport=3307\n[api]\ndebug = yes\n");
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_EQ_STR(config_str(c, "database", "user"), "prepay");
	CHECK_EQ_INT(config_int(c, "database", "port"), 3307);
	CHECK_EQ_INT(config_bool(c, "api", "debug"), 1);
	CHECK(config_str(c, "database", "password") == NULL);
	config_free(c);
	c = parse("[database]\r\nuser = a=b # not a comment\r\n");
	CHECK(c != NULL);
	if (c != NULL)
		CHECK_EQ_STR(config_str(c, "database", "user"), "a=b # not a comment");
	CHECK_EQ_INT(config_int(c, "database", "port"), 3306);
	config_free(c);
}

TEST(config_names_file_and_line_of_each_mistake)
{
	CHECK(fails_with("[database]\nuser = x\nusr = y\n", "test.conf:3: unknown key \"usr\" in [database]"));
	CHECK(fails_with("[databse]\n", "test.conf:1: unknown section [databse]"));
	CHECK(fails_with("user = x\n", "test.conf:1: \"user\" comes before any [section]"));
	CHECK(fails_with("[database]\nuser = x\nport = 99999\n", "test.conf:3: [database] port must be between 1 and 65535, not 99999"));
	CHECK(fails_with("[database]\nuser = x\nport = 33o6\n", "test.conf:3: [database] port must be a whole number, not \"33o6\""));
	CHECK(fails_with("[database]\nuser = x\n[api]\ndebug = maybe\n", "test.conf:4: [api] debug must be yes or no, not \"maybe\""));
	CHECK(fails_with("[database]\nuser = x\nuser = y\n", "test.conf:3: [database] user is already set on line 2"));
	CHECK(fails_with("[database]\nuser =\n", "test.conf:2: [database] user has no value"));
	CHECK(fails_with("[database]\nport = 1\n", "test.conf: [database] user is required but not set"));
	CHECK(fails_with("[database\n", "test.conf:1: a section header looks like [name]"));
	CHECK(fails_with("[database]\njust words\n", "test.conf:2: expected \"key = value\", [section] or a comment"));
	CHECK(fails_with("[database]\nuser = x\npassword = a\npassword_file = b\n", "test.conf:4: [database] password is already set on line 3"));
}

TEST(config_rejects_nul_bytes_and_long_lines)
{
	char text[6000];
	struct config *c;

	c = config_parse("[database]\nuser = a\0b\n", 20, "t", keys, err, sizeof err);
	CHECK(c == NULL);
	CHECK(strstr(err, "NUL") != NULL);
	memset(text, 'x', sizeof text);
	memcpy(text, "[database]\nuser = ", 18);
	c = config_parse(text, sizeof text, "t", keys, err, sizeof err);
	CHECK(c == NULL);
	CHECK_EQ_STR(err, "t:2: line is longer than 4096 characters");
}

TEST(config_reads_secret_from_file_and_paths_relative_to_the_file)
{
	char dir[] = "/tmp/prepay-test-XXXXXX", path[512], secret[512];
	FILE *f;
	struct config *c;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(secret, sizeof secret, "%s/db.secret", dir);
	f = fopen(secret, "w");
	fputs("s3cret\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/prepay.conf", dir);
	f = fopen(path, "w");
	fputs("[database]\nuser = u\npassword_file = db.secret\nsocket = run/my.sock\n", f);
	fclose(f);
	c = config_load(path, keys, err, sizeof err);
	CHECK(c != NULL);
	if (c != NULL) {
		char want[600];
		CHECK_EQ_STR(config_str(c, "database", "password"), "s3cret");
		CHECK_EQ_STR(config_secret_file(c, "database", "password"), secret);
		snprintf(want, sizeof want, "%s/run/my.sock", dir);
		CHECK_EQ_STR(config_str(c, "database", "socket"), want);
		config_free(c);
	}
	/* a missing secret file is an error naming the key */
	f = fopen(path, "w");
	fputs("[database]\nuser = u\npassword_file = nope\n", f);
	fclose(f);
	c = config_load(path, keys, err, sizeof err);
	CHECK(c == NULL);
	CHECK(strstr(err, ":3: [database] password_file: ") != NULL);
	unlink(secret);
	unlink(path);
	rmdir(dir);
}

TEST(config_missing_file_says_so)
{
	struct config *c = config_load("/nonexistent/prepay.conf", keys, err, sizeof err);
	CHECK(c == NULL);
	CHECK_EQ_STR(err, "/nonexistent/prepay.conf: cannot open: No such file or directory");
}

TEST(config_example_file_is_valid)
{
	const char *src = getenv("PREPAY_SRCDIR");
	char path[1024], e[512], text[16384];
	struct config *c;
	FILE *f;
	size_t n;

	/* parsed, not loaded: the secret files it names exist only on a server */
	snprintf(path, sizeof path, "%s/deploy/prepay.conf.example", src ? src : ".");
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	c = config_parse(text, n, path, prepay_settings, e, sizeof e);
	if (c == NULL)
		printf("# %s\n", e);
	CHECK(c != NULL);
	config_free(c);
}

int
main(void)
{
	RUN(config_reads_sections_keys_and_defaults);
	RUN(config_names_file_and_line_of_each_mistake);
	RUN(config_rejects_nul_bytes_and_long_lines);
	RUN(config_reads_secret_from_file_and_paths_relative_to_the_file);
	RUN(config_missing_file_says_so);
	RUN(config_example_file_is_valid);
	return unit_done();
}
