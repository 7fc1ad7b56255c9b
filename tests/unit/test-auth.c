/* cgi/auth_crypto.c: password hashes, tokens, cookies, phones. */
#include <string.h>
#include "cgi/auth.h"
#include "tests/unit/unit.h"

TEST(password_hash_verifies_and_rejects_other_passwords)
{
	char h[AUTH_HASH_MAX];

	CHECK_EQ_INT(auth_password_hash("correct horse", 2000, h, sizeof h), 0);
	CHECK(strncmp(h, "pbkdf2-sha256$2000$", 19) == 0);
	CHECK_EQ_INT(auth_password_verify("correct horse", h), 1);
	CHECK_EQ_INT(auth_password_verify("correct hors", h), 0);
	CHECK_EQ_INT(auth_password_verify("", h), 0);
}

TEST(password_hash_salts_differ)
{
	char a[AUTH_HASH_MAX], b[AUTH_HASH_MAX];

	auth_password_hash("same", 1000, a, sizeof a);
	auth_password_hash("same", 1000, b, sizeof b);
	CHECK(strcmp(a, b) != 0);
}

TEST(password_verify_matches_an_independent_pbkdf2)
{
	/* python3: hashlib.pbkdf2_hmac('sha256', b'password', bytes(16), 1000).hex() */
	const char *h = "pbkdf2-sha256$1000$00000000000000000000000000000000$"
	    "7460518eb1741d7be7b2914828b97011abdb01f2e6e94ff954490a5c74be5554";
	CHECK_EQ_INT(auth_password_verify("password", h), 1);
	CHECK_EQ_INT(auth_password_verify("Password", h), 0);
}

TEST(password_verify_refuses_malformed_and_absurd_costs)
{
	CHECK_EQ_INT(auth_password_verify("x", ""), 0);
	CHECK_EQ_INT(auth_password_verify("x", "plain"), 0);
	CHECK_EQ_INT(auth_password_verify("x", "pbkdf2-sha256$99999999999$00$00"), 0);
	CHECK_EQ_INT(auth_password_verify("x", "pbkdf2-sha256$10$00000000000000000000000000000000$"
	    "0000000000000000000000000000000000000000000000000000000000000000"), 0);
	CHECK_EQ_INT(auth_password_verify("x", "pbkdf2-sha256$1000$zz$00"), 0);
}

TEST(password_acceptable_needs_length_and_letters)
{
	char why[128];

	CHECK_EQ_INT(auth_password_acceptable("short1", why, sizeof why), -1);
	CHECK_EQ_INT(auth_password_acceptable("12345678", why, sizeof why), -1);
	CHECK_EQ_INT(auth_password_acceptable("demo-pass-1", why, sizeof why), 0);
}

TEST(tokens_are_32_hex_and_differ)
{
	char a[AUTH_TOKEN_HEX], b[AUTH_TOKEN_HEX];

	CHECK_EQ_INT(auth_token_new(a), 0);
	CHECK_EQ_INT(auth_token_new(b), 0);
	CHECK_EQ_INT(strlen(a), 32);
	CHECK(strspn(a, "0123456789abcdef") == 32);
	CHECK(strcmp(a, b) != 0);
}

TEST(sha256_hex_of_abc)
{
	char h[AUTH_SHA256_HEX];

	auth_sha256_hex("abc", h);
	CHECK_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(cookie_get_finds_exact_name_only)
{
	char v[64];

	CHECK_EQ_INT(auth_cookie_get("a=1; prepay_session=abc; b=2", "prepay_session", v, sizeof v), 0);
	CHECK_EQ_STR(v, "abc");
	CHECK_EQ_INT(auth_cookie_get("xprepay_session=abc", "prepay_session", v, sizeof v), -1);
	CHECK_EQ_INT(auth_cookie_get("prepay_session_x=1;prepay_session=z", "prepay_session", v, sizeof v), 0);
	CHECK_EQ_STR(v, "z");
	CHECK_EQ_INT(auth_cookie_get("", "prepay_session", v, sizeof v), -1);
	CHECK_EQ_INT(auth_cookie_get("prepay_session=0123456789", "prepay_session", v, 4), -1);
}

TEST(phone_valid_accepts_digits_and_plus)
{
	CHECK_EQ_INT(auth_phone_valid("13800138000"), 1);
	CHECK_EQ_INT(auth_phone_valid("+8613800138000"), 1);
	CHECK_EQ_INT(auth_phone_valid("138' OR 1=1"), 0);
	CHECK_EQ_INT(auth_phone_valid("123"), 0);
	CHECK_EQ_INT(auth_phone_valid(""), 0);
}

TEST(equal_compares_whole_strings)
{
	CHECK_EQ_INT(auth_equal("abc", "abc"), 1);
	CHECK_EQ_INT(auth_equal("abc", "abd"), 0);
	CHECK_EQ_INT(auth_equal("abc", "ab"), 0);
	CHECK_EQ_INT(auth_equal("", ""), 1);
}

TEST(sign_in_codes_are_six_digits_spread_over_all_digits)
{
	char c[AUTH_CODE_LEN];
	int first[10] = { 0 }, all_seen = 1;

	for (int i = 0; i < 2000; i++) {
		CHECK_EQ_INT(auth_code_new(c), 0);
		CHECK_EQ_INT(strlen(c), 6);
		CHECK_EQ_INT(auth_code_valid(c), 1);
		first[c[0] - '0']++;
	}
	for (int d = 0; d < 10; d++)
		if (first[d] == 0)
			all_seen = 0;
	CHECK(all_seen);	/* a zero-padding or range bug leaves digits out */
}

TEST(sign_in_code_valid_and_hash)
{
	char h[AUTH_SHA256_HEX];

	CHECK_EQ_INT(auth_code_valid("042137"), 1);
	CHECK_EQ_INT(auth_code_valid("42137"), 0);
	CHECK_EQ_INT(auth_code_valid("0421370"), 0);
	CHECK_EQ_INT(auth_code_valid("04213a"), 0);
	CHECK_EQ_INT(auth_code_valid(""), 0);
	/* python3: hashlib.sha256(b"0123456789abcdef0123456789abcdef042137") */
	auth_code_hash("0123456789abcdef0123456789abcdef", "042137", h);
	CHECK_EQ_STR(h, "bda89ffc7d9a651ade8c9f2b02699f7998c55ce2db47427902b319301b8c263e");
}

int
main(void)
{
	RUN(password_hash_verifies_and_rejects_other_passwords);
	RUN(password_hash_salts_differ);
	RUN(password_verify_matches_an_independent_pbkdf2);
	RUN(password_verify_refuses_malformed_and_absurd_costs);
	RUN(password_acceptable_needs_length_and_letters);
	RUN(tokens_are_32_hex_and_differ);
	RUN(sha256_hex_of_abc);
	RUN(cookie_get_finds_exact_name_only);
	RUN(phone_valid_accepts_digits_and_plus);
	RUN(equal_compares_whole_strings);
	RUN(sign_in_codes_are_six_digits_spread_over_all_digits);
	RUN(sign_in_code_valid_and_hash);
	return unit_done();
}
