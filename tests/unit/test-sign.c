/*
 * Provider signatures against the providers' published examples:
 * Tencent Cloud's TC3-HMAC-SHA256 walkthrough (API 3.0 "Signature v3",
 * the CVM DescribeInstances request with the EXAMPLE keys), Aliyun's RPC
 * v1 walkthrough (ECS DescribeRegions with testid/testsecret), RFC 4231
 * for HMAC-SHA256 itself, and our webhook signature.
 */
#include <string.h>
#include "tests/unit/unit.h"
#include "alerts/sign.h"

static const char tc3_body[] =
    "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";

TEST(sha256_of_the_tencent_example_body)
{
	char h[SIGN_HEX256_LEN];

	sign_sha256_hex(tc3_body, strlen(tc3_body), h);
	CHECK_EQ_STR(h, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
}

TEST(tc3_matches_tencents_published_example)
{
	struct tc3_request rq = { "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
		"cvm", "cvm.tencentcloudapi.com", 1551113065, tc3_body, sizeof tc3_body - 1 };
	char sig[SIGN_HEX256_LEN], auth[512];

	CHECK_EQ_INT(sign_tc3(&rq, sig, auth, sizeof auth), 0);
	CHECK_EQ_STR(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	CHECK_EQ_STR(auth, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
	    "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(tc3_changes_with_body_time_and_key)
{
	struct tc3_request rq = { "id", "key", "sms", "sms.tencentcloudapi.com", 1700000000, "{}", 2 };
	char a[SIGN_HEX256_LEN], b[SIGN_HEX256_LEN];

	sign_tc3(&rq, a, NULL, 0);
	rq.body = "{ }";
	rq.body_len = 3;
	sign_tc3(&rq, b, NULL, 0);
	CHECK(strcmp(a, b) != 0);
	rq.body = "{}";
	rq.body_len = 2;
	rq.timestamp++;
	sign_tc3(&rq, b, NULL, 0);
	CHECK(strcmp(a, b) != 0);
	rq.timestamp--;
	rq.secret_key = "kez";
	sign_tc3(&rq, b, NULL, 0);
	CHECK(strcmp(a, b) != 0);
	rq.secret_key = "key";
	sign_tc3(&rq, b, NULL, 0);
	CHECK_EQ_STR(a, b);
}

TEST(tc3_refuses_a_short_authorization_buffer)
{
	struct tc3_request rq = { "id", "key", "sms", "h", 1700000000, "{}", 2 };
	char sig[SIGN_HEX256_LEN], auth[40];

	CHECK_EQ_INT(sign_tc3(&rq, sig, auth, sizeof auth), -1);
}

TEST(aliyun_v1_matches_aliyuns_published_example)
{
	/* given unsorted, as a caller might */
	const struct sign_param p[] = {
		{ "Timestamp", "2016-02-23T12:46:24Z" }, { "Format", "XML" }, { "AccessKeyId", "testid" },
		{ "Action", "DescribeRegions" }, { "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" }, { "Version", "2014-05-26" },
		{ "SignatureVersion", "1.0" },
	};
	char q[1024], sig[64];

	CHECK_EQ_INT(sign_aliyun_v1("GET", p, 8, "testsecret", q, sizeof q, sig, sizeof sig), 0);
	CHECK_EQ_STR(q, "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
	    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
	    "&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26");
	CHECK_EQ_STR(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST(percent_encoding_follows_rfc3986_not_forms)
{
	char out[128];

	sign_pct_encode("a b*c~d+e/f", out, sizeof out);
	CHECK_EQ_STR(out, "a%20b%2Ac~d%2Be%2Ff");
	sign_pct_encode("余额", out, sizeof out);
	CHECK_EQ_STR(out, "%E4%BD%99%E9%A2%9D");
	sign_pct_encode("{\"a\":\"1\"}", out, sizeof out);
	CHECK_EQ_STR(out, "%7B%22a%22%3A%221%22%7D");
	CHECK_EQ_INT(sign_pct_encode("abc", out, 3), -1);
}

TEST(percent_decoding_round_trips_and_rejects_bad_escapes)
{
	char enc[128], dec[128];

	sign_pct_encode("PhoneNumbers=8613800138000&余额 ¥1.00", enc, sizeof enc);
	CHECK(sign_pct_decode(enc, strlen(enc), 0, dec, sizeof dec) > 0);
	CHECK_EQ_STR(dec, "PhoneNumbers=8613800138000&余额 ¥1.00");
	CHECK_EQ_INT(sign_pct_decode("%4", 2, 0, dec, sizeof dec), -1);
	CHECK_EQ_INT(sign_pct_decode("%zz", 3, 0, dec, sizeof dec), -1);
	CHECK(sign_pct_decode("a+b", 3, 1, dec, sizeof dec) == 3 && strcmp(dec, "a b") == 0);
}

TEST(hmac_sha256_matches_rfc4231_case_2)
{
	char h[SIGN_HEX256_LEN];

	sign_hmac256_hex("Jefe", 4, "what do ya want for nothing?", 28, h);
	CHECK_EQ_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(webhook_signature_is_hmac_of_timestamp_dot_body)
{
	char hdr[128], want[SIGN_HEX256_LEN], w2[80];
	const char *body = "{\"id\":\"deliver:1:2\"}";
	const char *msg = "1700000000.{\"id\":\"deliver:1:2\"}";

	CHECK_EQ_INT(sign_webhook("s3cret", 1700000000, body, strlen(body), hdr, sizeof hdr), 0);
	sign_hmac256_hex("s3cret", 6, msg, strlen(msg), want);
	snprintf(w2, sizeof w2, "sha256=%s", want);
	CHECK_EQ_STR(hdr, w2);
	sign_webhook("s3cret", 1700000001, body, strlen(body), w2, sizeof w2);
	CHECK(!sign_equal(hdr, w2));
	CHECK(sign_equal(hdr, hdr));
}

TEST(base64_of_known_bytes)
{
	char out[16];

	CHECK_EQ_INT(sign_base64((const unsigned char *)"foob", 4, out, sizeof out), 8);
	CHECK_EQ_STR(out, "Zm9vYg==");
	CHECK_EQ_INT(sign_base64((const unsigned char *)"foobar", 6, out, 8), -1);
}

int
main(void)
{
	RUN(sha256_of_the_tencent_example_body);
	RUN(tc3_matches_tencents_published_example);
	RUN(tc3_changes_with_body_time_and_key);
	RUN(tc3_refuses_a_short_authorization_buffer);
	RUN(aliyun_v1_matches_aliyuns_published_example);
	RUN(percent_encoding_follows_rfc3986_not_forms);
	RUN(percent_decoding_round_trips_and_rejects_bad_escapes);
	RUN(hmac_sha256_matches_rfc4231_case_2);
	RUN(webhook_signature_is_hmac_of_timestamp_dot_body);
	RUN(base64_of_known_bytes);
	return unit_done();
}
