/* libFuzzer: what an attacker controls at the notify endpoints — the
 * WeChat envelope, the decrypted transaction, the GCM decryption of
 * arbitrary ciphertext, Alipay's form body, and the trade bill. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "payments/alipay.h"
#include "payments/wechat.h"
#include "payments/wechat_bill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wechat_notification n;
	static const unsigned char key[] = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
	struct wechat_transaction t;
	struct alipay_params ap;
	char err[256] = "", plain[4096], content[2048];
	const char *s = (const char *)data;

	if (wechat_notification_parse(s, size, &n, err, sizeof err) == 0) {
		if (strlen(n.nonce) != WECHAT_NONCE_LEN)
			__builtin_trap();
		(void)wechat_aes_gcm_decrypt(key, n.nonce, strlen(n.nonce), n.associated_data, strlen(n.associated_data),
		    n.ciphertext, strlen(n.ciphertext), plain, sizeof plain);
	} else if (err[0] == '\0')
		__builtin_trap();	/* a refusal always says why */
	err[0] = '\0';
	if (wechat_transaction_parse(s, size, &t, err, sizeof err) == 0) {
		struct wechat_order o = { "wx1", "1230000109", "T000001", "CNY", 1 };
		if (t.total_fen < 0)
			__builtin_trap();
		(void)wechat_match(&o, &t);
	} else if (err[0] == '\0')
		__builtin_trap();
	if (alipay_form_parse(s, size, &ap, err, sizeof err) == 0) {
		struct alipay_order o = { "A", "S", "T000001", 1 };
		(void)alipay_sign_content(&ap, content, sizeof content);
		(void)alipay_match(&o, &ap);
		alipay_params_free(&ap);
	}
	{
		struct wechat_bill b;
		if (wechat_bill_parse(s, size, &b, err, sizeof err) == 0) {
			struct recon_report r;
			if (b.nrows != b.summary_count)
				__builtin_trap();	/* a parsed bill always adds up */
			if (recon_compare(&b, NULL, 0, &r) == 0)
				recon_report_free(&r);
			wechat_bill_free(&b);
		}
	}
	return 0;
}
