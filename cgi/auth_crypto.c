/* The pure half of cgi/auth.h: password hashes, tokens, cookies, phones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "cgi/auth.h"

#define SALT_LEN 16
#define DK_LEN 32

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_decode(const char *s, size_t len, unsigned char *out, size_t outlen)
{
	if (len != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + (size_t)j];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int
auth_password_hash(const char *password, unsigned iter, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN], dk[DK_LEN];
	char salt_hex[2 * SALT_LEN + 1], dk_hex[2 * DK_LEN + 1];
	int n;

	if (iter == 0)
		iter = AUTH_PBKDF2_ITER;
	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, (int)iter, EVP_sha256(),
	    sizeof dk, dk) != 1)
		return -1;
	hex_encode(salt, sizeof salt, salt_hex);
	hex_encode(dk, sizeof dk, dk_hex);
	OPENSSL_cleanse(dk, sizeof dk);
	n = snprintf(out, outlen, "pbkdf2-sha256$%u$%s$%s", iter, salt_hex, dk_hex);
	OPENSSL_cleanse(dk_hex, sizeof dk_hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
auth_password_verify(const char *password, const char *stored)
{
	static const char prefix[] = "pbkdf2-sha256$";
	unsigned char salt[SALT_LEN], want[DK_LEN], got[DK_LEN];
	const char *p, *d1, *d2;
	unsigned long iter = 0;
	int ok;

	if (stored == NULL || strncmp(stored, prefix, sizeof prefix - 1) != 0)
		return 0;
	p = stored + sizeof prefix - 1;
	if ((d1 = strchr(p, '$')) == NULL || (d2 = strchr(d1 + 1, '$')) == NULL || d1 == p || d1 - p > 8)
		return 0;
	for (const char *q = p; q < d1; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		iter = iter * 10 + (unsigned long)(*q - '0');
	}
	/* bounded: a stored hash must not make a sign-in take minutes */
	if (iter < 1000 || iter > 10000000)
		return 0;
	if (hex_decode(d1 + 1, (size_t)(d2 - d1 - 1), salt, sizeof salt) != 0 ||
	    hex_decode(d2 + 1, strlen(d2 + 1), want, sizeof want) != 0)
		return 0;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, (int)iter, EVP_sha256(),
	    sizeof got, got) != 1)
		return 0;
	ok = CRYPTO_memcmp(got, want, sizeof got) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}

int
auth_password_acceptable(const char *password, char *why, size_t whylen)
{
	size_t n = strlen(password), digits = 0;

	for (size_t i = 0; i < n; i++)
		if (password[i] >= '0' && password[i] <= '9')
			digits++;
	if (n < 8 || n > 128) {
		snprintf(why, whylen, "a password is 8 to 128 bytes; this one is %zu", n);
		return -1;
	}
	if (digits == n) {
		snprintf(why, whylen, "a password of digits only is too easy to guess; add letters");
		return -1;
	}
	return 0;
}

int
auth_token_new(char out[AUTH_TOKEN_HEX])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	hex_encode(r, sizeof r, out);
	OPENSSL_cleanse(r, sizeof r);
	return 0;
}

int
auth_code_new(char out[AUTH_CODE_LEN])
{
	unsigned char b[4];
	uint32_t v;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			return -1;
		v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	} while (v >= 4294000000u);	/* a multiple of 10^6: no modulo bias */
	snprintf(out, AUTH_CODE_LEN, "%06u", (unsigned)(v % 1000000u));
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

int
auth_code_valid(const char *c)
{
	size_t i;

	for (i = 0; c[i]; i++)
		if (c[i] < '0' || c[i] > '9')
			return 0;
	return i == AUTH_CODE_LEN - 1;
}

void
auth_code_hash(const char *salt, const char *code, char out[AUTH_SHA256_HEX])
{
	char s[64];

	snprintf(s, sizeof s, "%s%s", salt, code);
	auth_sha256_hex(s, out);
	OPENSSL_cleanse(s, sizeof s);
}

void
auth_sha256_hex(const char *s, char out[AUTH_SHA256_HEX])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	hex_encode(md, 32, out);
}

int
auth_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		const char *end;
		size_t vlen;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			vlen = (size_t)(end - p) - nlen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

int
auth_phone_valid(const char *phone)
{
	size_t n = 0;
	const char *p = phone;

	if (*p == '+')
		p++;
	for (; *p; p++, n++)
		if (*p < '0' || *p > '9')
			return 0;
	return n >= 6 && n <= 20;
}

int
auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

