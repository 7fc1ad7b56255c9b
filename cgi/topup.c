/*
 * Top-up orders: POST /api/v1/topups places an order with the provider
 * (stored first), GET /api/v1/topups/{out_trade_no} reports it and, while
 * it is unpaid, asks the provider (a lost notification still credits).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "lib/log.h"
#include "lib/money.h"
#include "payments/alipay_client.h"
#include "payments/pay_store.h"
#include "payments/wechat_client.h"

/*
 * Who may pay into an account: anyone who knows its number, like a
 * utility's pay-by-account page (a parent company or a colleague paying
 * for a shop, 代缴). These two routes can only bring money in — an order
 * moves nothing until a verified provider notification or query credits
 * it, and its out_trade_no carries 32 random bits. Signed-in tenants use
 * /api/v1/accounts/{account}/topups (cgi/tenant_topup.c), which checks the
 * session and the account; the admin console will add its own. A JSAPI
 * order is the exception: it pays as a WeChat user, so it needs a session
 * and pays as the openid bound to it (topup_payer), on either route.
 */
static void
format_expire(int ttl_s, char *out, size_t outlen)
{
	time_t t = time(NULL) + ttl_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* Places the order with WeChat Pay; fills code_url or prepay_id. 0, or -1
 * with the answer already given. */
static int
topup_place_wechat(struct request *req, const struct pay_wechat *w, struct db *db, struct pay_order *o,
    int jsapi, char *prepay_id, size_t plen, char *code_url, size_t clen)
{
	cJSON *b = cJSON_CreateObject(), *amount, *ans = NULL;
	const cJSON *v;
	struct wechat_response r;
	char expire[40], err[512], *body;
	int rc = -1;

	format_expire(w->order_ttl_s, expire, sizeof expire);
	cJSON_AddStringToObject(b, "appid", o->appid);
	cJSON_AddStringToObject(b, "mchid", w->mchid);
	cJSON_AddStringToObject(b, "description", o->description);
	cJSON_AddStringToObject(b, "out_trade_no", o->out_trade_no);
	cJSON_AddStringToObject(b, "time_expire", expire);
	cJSON_AddStringToObject(b, "notify_url", w->notify_url);
	amount = cJSON_AddObjectToObject(b, "amount");
	cJSON_AddNumberToObject(amount, "total", (double)o->amount_fen);
	cJSON_AddStringToObject(amount, "currency", "CNY");
	if (jsapi)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(b, "payer"), "openid", o->payer_openid);
	body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	if (wechat_call(w, "POST", jsapi ? "/v3/pay/transactions/jsapi" : "/v3/pay/transactions/native", body, &r,
	    err, sizeof err) != 0) {
		log_error("top-up %s: %s", o->out_trade_no, err);
		pay_order_failed(db, o->id, 0, err);
		response_error(req, 502, "provider_unavailable",
		    "WeChat Pay did not answer properly (%s); order %s was not placed, try again", err, o->out_trade_no);
		goto out;
	}
	/* parsed whatever the status: a refusal's message says why */
	ans = cJSON_ParseWithLength(r.body ? r.body : "", r.body_len);
	if (r.status != 200 || ans == NULL ||
	    !cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(ans, jsapi ? "prepay_id" : "code_url"))) {
		const cJSON *m = ans ? cJSON_GetObjectItemCaseSensitive(ans, "message") : NULL;
		snprintf(err, sizeof err, "HTTP %ld: %.200s", r.status, cJSON_IsString(m) ? m->valuestring : "no order in the answer");
		log_error("top-up %s: WeChat Pay refused the order: %s (Request-ID %s)", o->out_trade_no, err, r.request_id);
		pay_order_failed(db, o->id, r.status >= 400 && r.status < 500, err);
		response_error(req, 502, "provider_refused", "WeChat Pay refused order %s: %s", o->out_trade_no, err);
		goto out;
	}
	snprintf(jsapi ? prepay_id : code_url, jsapi ? plen : clen, "%s", v->valuestring);
	if (pay_order_placed(db, o->id, prepay_id[0] ? prepay_id : NULL, code_url[0] ? code_url : NULL) != 0) {
		request_db_failed(req, db);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(ans);
	cJSON_free(body);
	wechat_response_free(&r);
	return rc;
}

/* Account, limits and the stored order, shared by the channels; 0 or -1 answered. */
static int
topup_prepare(struct request *req, struct db *db, int64_t account_id, int64_t amount_fen, int64_t min_fen,
    int64_t max_fen, struct pay_account *acc)
{
	char a[MONEY_FMT_LEN], b[MONEY_FMT_LEN];
	int rc;

	if ((rc = pay_account_load(db, account_id, min_fen, max_fen, acc)) <= 0) {
		if (rc < 0)
			request_db_failed(req, db);
		else
			response_error(req, 404, "account_not_found", "there is no account %lld", (long long)account_id);
		return -1;
	}
	if (acc->closed) {
		response_error(req, 409, "account_closed", "account %s is closed; it takes no top-ups", acc->label);
		return -1;
	}
	if (amount_fen < acc->min_topup_fen || amount_fen > acc->max_topup_fen) {
		response_error(req, 422, "amount_out_of_range", "a top-up at this site is ¥%s to ¥%s; ¥%s is not",
		    money_format(acc->min_topup_fen, a), money_format(acc->max_topup_fen, b), money_format(amount_fen, a));
		return -1;
	}
	return 0;
}

/* alipay_qr: alipay.trade.precreate → qr_code */
static void
topup_create_alipay(struct request *req, int64_t account_id, int64_t amount_fen)
{
	const struct pay_alipay *al = pay_alipay_config(req);
	const struct pay_wechat *w = pay_wechat_config(req);
	struct pay_account acc;
	struct pay_order o;
	struct db *db;
	char qr[256], err[512];
	int definite;
	cJSON *root;

	if (al == NULL || !al->can_order) {
		response_error(req, 503, "channel_not_configured", "Alipay is not set up on this server: %s",
		    al ? al->problem : "[alipay] has a broken key (see the log)");
		return;
	}
	if ((db = request_db(req)) == NULL)
		return;
	/* the limits are the site's whatever the channel; [wechatpay] holds the defaults */
	if (topup_prepare(req, db, account_id, amount_fen, w ? w->min_topup_fen : 100, w ? w->max_topup_fen : 5000000,
	    &acc) != 0)
		return;
	memset(&o, 0, sizeof o);
	if (pay_out_trade_no_make(account_id, (int64_t)time(NULL), o.out_trade_no) != 0) {
		response_error(req, 500, "internal_error", "cannot make an order number");
		return;
	}
	snprintf(o.provider, sizeof o.provider, "alipay");
	snprintf(o.channel, sizeof o.channel, "alipay_qr");
	o.account_id = account_id;
	o.amount_fen = amount_fen;
	snprintf(o.currency, sizeof o.currency, "CNY");
	snprintf(o.appid, sizeof o.appid, "%s", al->app_id);
	snprintf(o.mchid, sizeof o.mchid, "%s", al->seller_id);
	snprintf(o.description, sizeof o.description, "Prepaid energy top-up %.60s", acc.label);
	if (pay_order_insert(db, &o, w ? w->order_ttl_s : 1800) != 0) {
		request_db_failed(req, db);
		return;
	}
	o.id = db_insert_id(db);
	if (alipay_precreate(al, o.out_trade_no, amount_fen, o.description, qr, sizeof qr, &definite, err, sizeof err) != 0) {
		log_error("top-up %s: %s", o.out_trade_no, err);
		pay_order_failed(db, o.id, definite, err);
		response_error(req, 502, definite ? "provider_refused" : "provider_unavailable",
		    "Alipay did not place order %s: %s", o.out_trade_no, err);
		return;
	}
	if (pay_order_placed(db, o.id, NULL, qr) != 0) {
		request_db_failed(req, db);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "out_trade_no", o.out_trade_no);
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	cJSON_AddNumberToObject(root, "amount_fen", (double)amount_fen);
	cJSON_AddStringToObject(root, "channel", "alipay_qr");
	cJSON_AddStringToObject(root, "status", "created");
	cJSON_AddStringToObject(root, "qr_code", qr);
	if (config_str(server_config(req), "sandbox", "public_url") != NULL) {
		char url[512];
		snprintf(url, sizeof url, "%s/sandbox/pay/%s", config_str(server_config(req), "sandbox", "public_url"),
		    o.out_trade_no);
		cJSON_AddStringToObject(root, "pay_url", url);
	}
	response_json(req, 201, root);
	cJSON_Delete(root);
}

/*
 * The payer of a JSAPI order is the WeChat user of the session, never one
 * the client names: the openid this session signed in with by wx.login,
 * else the user's only binding of the mini-program's appid. 0, or -1 with
 * the answer given (409 when no one bound can pay, 400 when the body names
 * someone else).
 */
static int
topup_payer(struct request *req, struct db *db, const struct auth_user *u, const char *appid, const char *asked,
    char *openid, size_t len)
{
	struct db_rows *rows;
	int r, n = 0, by_session = 0;

	/* the session's own binding first; '' is a binding made before appids were kept */
	rows = db_query(db, "SELECT b.openid, s.id IS NOT NULL FROM wechat_bindings b "
	    "LEFT JOIN sessions s ON s.id = ? AND s.wechat_openid = b.openid "
	    "WHERE b.user_id = ? AND b.appid IN (?, '') ORDER BY s.id IS NULL, b.id LIMIT 2", "iis",
	    u->session_id, u->user_id, appid);
	if (rows == NULL) {
		request_db_failed(req, db);
		return -1;
	}
	while ((r = db_rows_next(rows)) == 1) {
		if (n++ == 0) {
			snprintf(openid, len, "%s", db_rows_str(rows, 0));
			by_session = db_rows_int(rows, 1) != 0;
		}
	}
	db_rows_free(rows);
	if (r < 0) {
		request_db_failed(req, db);
		return -1;
	}
	if (n == 0 || (n > 1 && !by_session)) {
		response_error(req, 409, "wechat_not_bound", n == 0 ?
		    "wechat_jsapi pays as the WeChat user bound to you, and there is none: sign in with WeChat first "
		    "(wx.login in the mini-program; the first time it binds your phone), or pay by QR (wechat_native)" :
		    "several WeChat users are bound to you: sign in with WeChat (wx.login) in the mini-program, so the "
		    "server knows which of them pays");
		return -1;
	}
	if (asked != NULL && strcmp(asked, openid) != 0) {
		response_error(req, 400, "openid_mismatch", "openid is not the WeChat user of this session; leave it out: "
		    "the server pays as the openid bound at wx.login");
		return -1;
	}
	if (db_exec(db, "UPDATE wechat_bindings SET last_used_at = UTC_TIMESTAMP(6) WHERE openid = ?", "s", openid) < 0) {
		request_db_failed(req, db);
		return -1;
	}
	return 0;
}

/* POST /api/v1/topups {account, amount_fen, channel, openid?}: wechat_jsapi needs a session */
void
topup_create(struct request *req)
{
	topup_create_as(req, NULL);
}

/* u: the signed-in user of a tenant route, or NULL (the open route) */
void
topup_create_as(struct request *req, const struct auth_user *u)
{
	int64_t account_id = request_int(req, "account", 0), amount_fen = request_int(req, "amount_fen", 0);
	const char *channel = request_str(req, "channel", ""), *asked = request_str(req, "openid", NULL);
	const char *appid = NULL;
	const struct pay_wechat *w;
	struct auth_user self;
	struct pay_account acc;
	struct pay_order o;
	struct db *db;
	char prepay_id[65] = "", code_url[256] = "", openid[65] = "", a[MONEY_FMT_LEN];
	int jsapi = strcmp(channel, "wechat_jsapi") == 0;
	cJSON *root;

	if (strcmp(channel, "alipay_qr") == 0) {
		topup_create_alipay(req, account_id, amount_fen);
		return;
	}
	if (!jsapi && strcmp(channel, "wechat_native") != 0 && strcmp(channel, "sandbox") != 0) {
		response_error(req, 400, "invalid_parameter",
		    "channel '%.40s' is not one of wechat_native, wechat_jsapi, alipay_qr, sandbox", channel);
		return;
	}
	/* the payer is the signed-in WeChat user: the open route needs a session for JSAPI */
	if (jsapi && u == NULL) {
		if (auth_require(req, &self) != 0)
			return;
		u = &self;
	}
	if ((w = pay_wechat_config(req)) == NULL || !w->can_order) {
		response_error(req, 503, "channel_not_configured", "WeChat Pay is not set up on this server: %s",
		    w ? w->problem : "[wechatpay] has a broken key (see the log)");
		return;
	}
	/* a mini-program pays under its own appid (bound to the merchant); its openids are of that appid */
	if (jsapi && (appid = config_str(server_config(req), "wechat", "appid")) == NULL) {
		response_error(req, 503, "channel_not_configured", "wechat_jsapi needs [wechat] appid (the mini-program's)");
		return;
	}
	if (strcmp(channel, "sandbox") == 0 && config_str(server_config(req), "sandbox", "public_url") == NULL) {
		response_error(req, 503, "channel_not_configured", "the sandbox channel needs [sandbox] public_url");
		return;
	}
	if ((db = request_db(req)) == NULL)
		return;
	if (topup_prepare(req, db, account_id, amount_fen, w->min_topup_fen, w->max_topup_fen, &acc) != 0)
		return;
	if (jsapi && topup_payer(req, db, u, appid, asked, openid, sizeof openid) != 0)
		return;

	memset(&o, 0, sizeof o);
	if (pay_out_trade_no_make(account_id, (int64_t)time(NULL), o.out_trade_no) != 0) {
		response_error(req, 500, "internal_error", "cannot make an order number");
		return;
	}
	snprintf(o.provider, sizeof o.provider, "wechat");
	snprintf(o.channel, sizeof o.channel, "%s", channel);
	o.account_id = account_id;
	o.amount_fen = amount_fen;
	snprintf(o.currency, sizeof o.currency, "CNY");
	snprintf(o.appid, sizeof o.appid, "%s", jsapi ? appid : w->appid);
	snprintf(o.mchid, sizeof o.mchid, "%s", w->mchid);
	snprintf(o.description, sizeof o.description, "Prepaid energy top-up %.60s", acc.label);
	snprintf(o.payer_openid, sizeof o.payer_openid, "%s", openid);
	/* stored before the provider hears of it: a crash after the call leaves a row to query */
	if (pay_order_insert(db, &o, w->order_ttl_s) != 0) {
		request_db_failed(req, db);
		return;
	}
	o.id = db_insert_id(db);
	if (topup_place_wechat(req, w, db, &o, jsapi, prepay_id, sizeof prepay_id, code_url, sizeof code_url) != 0)
		return;
	log_info("top-up %s: %s fen for %s by %s", o.out_trade_no, money_format(amount_fen, a), acc.label, channel);

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "out_trade_no", o.out_trade_no);
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	cJSON_AddNumberToObject(root, "amount_fen", (double)amount_fen);
	cJSON_AddStringToObject(root, "channel", channel);
	cJSON_AddStringToObject(root, "status", "created");
	if (jsapi) {
		unsigned char rnd[16];
		char ts[24], nonce[33], pkg[80], sig[700];
		cJSON *p = cJSON_AddObjectToObject(root, "wx_request_payment");

		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
		RAND_bytes(rnd, sizeof rnd);
		for (int i = 0; i < 16; i++)
			snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
		snprintf(pkg, sizeof pkg, "prepay_id=%s", prepay_id);
		if (wechat_jsapi_sign(w->merchant_key, o.appid, ts, nonce, prepay_id, sig, sizeof sig) != 0) {
			cJSON_Delete(root);
			response_error(req, 500, "internal_error", "cannot sign the payment parameters");
			return;
		}
		cJSON_AddStringToObject(p, "appId", o.appid);
		cJSON_AddStringToObject(p, "timeStamp", ts);
		cJSON_AddStringToObject(p, "nonceStr", nonce);
		cJSON_AddStringToObject(p, "package", pkg);
		cJSON_AddStringToObject(p, "signType", "RSA");
		cJSON_AddStringToObject(p, "paySign", sig);
	} else
		cJSON_AddStringToObject(root, "code_url", code_url);
	if (strcmp(channel, "sandbox") == 0) {
		char url[512];
		snprintf(url, sizeof url, "%s/sandbox/pay/%s", config_str(server_config(req), "sandbox", "public_url"),
		    o.out_trade_no);
		cJSON_AddStringToObject(root, "pay_url", url);
	}
	response_json(req, 201, root);
	cJSON_Delete(root);
}

/*
 * A status page polls every few seconds; WeChat Pay limits how often an
 * order may be queried. Each process asks about one order at most once per
 * TOPUP_QUERY_EVERY_S (a small table by hash: a collision only delays).
 */
#define TOPUP_QUERY_EVERY_S 3
#define TOPUP_QUERY_SLOTS 4096
static pthread_mutex_t topup_query_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint32_t hash; int64_t at; } topup_queried[TOPUP_QUERY_SLOTS];

static int
topup_query_due(const char *no, int64_t now)
{
	uint32_t h = 2166136261u;
	int due;

	for (const char *p = no; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;	/* FNV-1a */
	pthread_mutex_lock(&topup_query_lock);
	due = topup_queried[h % TOPUP_QUERY_SLOTS].hash != h || now - topup_queried[h % TOPUP_QUERY_SLOTS].at >= TOPUP_QUERY_EVERY_S;
	if (due) {
		topup_queried[h % TOPUP_QUERY_SLOTS].hash = h;
		topup_queried[h % TOPUP_QUERY_SLOTS].at = now;
	}
	pthread_mutex_unlock(&topup_query_lock);
	return due;
}

/* Asks WeChat Pay about an unpaid order and credits it if paid. */
static void
topup_query(struct request *req, const struct pay_wechat *w, struct db *db, const struct pay_order *o)
{
	struct wechat_response r;
	struct wechat_transaction t;
	struct pay_credit_result res;
	char path[160], err[512];

	snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", o->out_trade_no, w->mchid);
	if (wechat_call(w, "GET", path, NULL, &r, err, sizeof err) != 0) {
		log_warn("top-up %s: query: %s", o->out_trade_no, err);
		return;
	}
	if (r.status == 200 && r.body != NULL &&
	    wechat_transaction_parse(r.body, r.body_len, &t, err, sizeof err) == 0) {
		if (pay_credit_wechat(db, &t, r.body, "query", &res) == 0 && res.outcome != PAY_NOT_PAID)
			log_info("payments: %s (transaction %s): %s via query%s%s", t.out_trade_no, t.transaction_id,
			    pay_outcome_name(res.outcome), res.reason[0] ? ": " : "", res.reason);
	} else if (r.status != 200)
		log_warn("top-up %s: query answered HTTP %ld", o->out_trade_no, r.status);
	else
		log_warn("top-up %s: query answer does not parse: %s", o->out_trade_no, err);
	wechat_response_free(&r);
}

/* GET /api/v1/topups/{out_trade_no} */
void
topup_get(struct request *req)
{
	const char *no = request_str(req, "out_trade_no", "");
	const struct pay_wechat *w;
	struct pay_order o;
	struct db *db;
	cJSON *root;
	int rc;

	if ((db = request_db(req)) == NULL)
		return;
	if ((rc = pay_order_load(db, no, &o)) <= 0) {
		if (rc < 0)
			request_db_failed(req, db);
		else
			response_error(req, 404, "order_not_found", "there is no top-up order %.64s", no);
		return;
	}
	if (strcmp(o.status, "created") == 0 && strcmp(o.provider, "wechat") == 0 &&
	    (w = pay_wechat_config(req)) != NULL && w->can_order && topup_query_due(o.out_trade_no, (int64_t)time(NULL))) {
		topup_query(req, w, db, &o);
		if (pay_order_load(db, no, &o) < 0) {
			request_db_failed(req, db);
			return;
		}
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "out_trade_no", o.out_trade_no);
	cJSON_AddNumberToObject(root, "account", (double)o.account_id);
	cJSON_AddNumberToObject(root, "amount_fen", (double)o.amount_fen);
	cJSON_AddStringToObject(root, "channel", o.channel);
	cJSON_AddStringToObject(root, "status", o.status);
	if (o.provider_state[0])
		cJSON_AddStringToObject(root, "provider_state", o.provider_state);
	if (o.transaction_id[0])
		cJSON_AddStringToObject(root, "transaction_id", o.transaction_id);
	cJSON_AddStringToObject(root, "created_at", o.created_at);
	if (o.expires_at[0])
		cJSON_AddStringToObject(root, "expires_at", o.expires_at);
	if (o.credited_at[0])
		cJSON_AddStringToObject(root, "credited_at", o.credited_at);
	response_json(req, 200, root);
	cJSON_Delete(root);
}
