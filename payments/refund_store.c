#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include "billing/ledger.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "payments/refund_store.h"
#include "payments/wechat.h"

static void
account_label(struct db *db, int64_t id, char *buf, size_t len)
{
	struct db_rows *r = db_query(db, "SELECT s.code, a.code FROM accounts a JOIN sites s ON s.id = a.site_id"
	    " WHERE a.id = ?", "i", id);

	snprintf(buf, len, "%" PRId64, id);
	if (r != NULL && db_rows_next(r) == 1)
		snprintf(buf, len, "%s/%s", db_rows_str(r, 0), db_rows_str(r, 1));
	db_rows_free(r);
}

static int
audit(struct db *db, const char *actor, const char *action, const char *type, int64_t id, const char *rid,
    cJSON *detail)
{
	char *s = cJSON_PrintUnformatted(detail);
	long long n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, ?, ?, ?, ?, ?)", "sssiss", actor, action, type, id, rid, s);

	free(s);
	cJSON_Delete(detail);
	return n < 0 ? -1 : 0;
}

/* A settlement is done when no refund of it is open and the account is at
 * zero; a refund given back leaves money on the account: attention. */
static int
settlement_update(struct db *db, int64_t settlement_id)
{
	if (settlement_id <= 0)
		return 0;
	return db_exec(db, "UPDATE settlements s JOIN accounts a ON a.id = s.account_id SET s.status ="
	    " CASE WHEN EXISTS (SELECT 1 FROM refunds r WHERE r.settlement_id = s.id AND r.status IN"
	    " ('requested', 'processing')) THEN 'refunding' WHEN a.balance_fen = 0 THEN 'done' ELSE 'attention' END"
	    " WHERE s.id = ?", "i", settlement_id) < 0 ? -1 : 0;
}

static int
load_lines(struct db *db, int64_t settlement_id, struct settle_result *res)
{
	struct db_rows *r = db_query(db, "SELECT r.out_refund_no, p.out_trade_no, r.status, r.payment_id, r.amount_fen,"
	    " r.entry_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.settlement_id = ? ORDER BY r.id",
	    "i", settlement_id);

	if (r == NULL)
		return -1;
	res->nrefunds = 0;
	while (db_rows_next(r) == 1 && res->nrefunds < REFUND_SETTLE_MAX) {
		struct refund_line *l = &res->refunds[res->nrefunds++];
		snprintf(l->out_refund_no, sizeof l->out_refund_no, "%s", db_rows_str(r, 0));
		snprintf(l->out_trade_no, sizeof l->out_trade_no, "%s", db_rows_str(r, 1));
		snprintf(l->status, sizeof l->status, "%s", db_rows_str(r, 2));
		l->payment_id = db_rows_int(r, 3);
		l->amount_fen = db_rows_int(r, 4);
		l->entry_id = db_rows_int(r, 5);
	}
	db_rows_free(r);
	return 0;
}

struct settle_args {
	int64_t account_id;
	const char *mchid, *request_id, *actor, *reason;
	struct settle_result *res;
};

/* A settlement already made under this request id answers again. */
static int
settle_replay(struct db *db, struct settle_args *a)
{
	struct settle_result *res = a->res;
	struct db_rows *r = db_query(db, "SELECT id, account_id, balance_fen, status FROM settlements WHERE request_id = ?",
	    "s", a->request_id);
	int found;

	if (r == NULL)
		return -1;
	if ((found = db_rows_next(r)) == 1) {
		res->settlement_id = db_rows_int(r, 0);
		res->balance_fen = db_rows_int(r, 2);
		snprintf(res->settlement_status, sizeof res->settlement_status, "%s", db_rows_str(r, 3));
		if (db_rows_int(r, 1) != a->account_id) {
			res->status = REFUND_REFUSED;
			snprintf(res->detail, sizeof res->detail, "request id %s was already used to settle account %"
			    PRId64 "; give this settlement a new request id", a->request_id, db_rows_int(r, 1));
		} else {
			res->replayed = 1;
			res->status = REFUND_OK;
		}
	}
	db_rows_free(r);
	if (found == 1 && res->replayed && load_lines(db, res->settlement_id, res) != 0)
		return -1;
	return found;
}

static int
settle_fn(struct db *db, void *p)
{
	struct settle_args *a = p;
	struct settle_result *res = a->res;
	struct refund_source *src = NULL;
	struct refund_share *shares = NULL;
	int *nth = NULL, n = 0, k, rc = 1;
	int64_t rest_fen, now = (int64_t)time(NULL);
	char b1[MONEY_FMT_LEN];
	struct db_rows *r;
	cJSON *d, *list;

	memset(res, 0, sizeof *res);
	res->account_id = a->account_id;
	/* the account first: every refund of it is made under this lock */
	r = db_query(db, "SELECT balance_fen, status FROM accounts WHERE id = ? FOR UPDATE", "i", a->account_id);
	if (r == NULL)
		return -1;
	if (db_rows_next(r) != 1) {
		db_rows_free(r);
		res->status = REFUND_NO_ACCOUNT;
		snprintf(res->detail, sizeof res->detail, "no account %" PRId64, a->account_id);
		return 1;
	}
	res->balance_fen = db_rows_int(r, 0);
	if (strcmp(db_rows_str(r, 1), "closed") == 0)
		res->status = REFUND_REFUSED;
	db_rows_free(r);
	account_label(db, a->account_id, res->account, sizeof res->account);
	if ((k = settle_replay(db, a)) != 0)
		return k < 0 ? -1 : 1;
	if (res->status == REFUND_REFUSED) {
		snprintf(res->detail, sizeof res->detail, "account %s is closed already (settled before); money left"
		    " on it (¥%s) is paid out with prepayctl refund cash", res->account, money_format(res->balance_fen, b1));
		return 1;
	}
	if (res->balance_fen < 0) {
		res->status = REFUND_REFUSED;
		snprintf(res->detail, sizeof res->detail, "account %s owes ¥%s: collect it (prepayctl topup) before"
		    " settling", res->account, money_format(-res->balance_fen, b1));
		return 1;
	}
	/* this merchant's credited WeChat Pay payments, newest first, with what is still refundable */
	r = db_query(db, "SELECT p.id, p.amount_fen, COALESCE((SELECT SUM(x.amount_fen) FROM refunds x WHERE"
	    " x.payment_id = p.id AND x.status IN ('requested', 'processing', 'success')), 0),"
	    " (SELECT COUNT(*) FROM refunds x WHERE x.payment_id = p.id) FROM payments p WHERE p.account_id = ?"
	    " AND p.provider = 'wechat' AND p.mchid = ? AND p.status = 'credited'"
	    " ORDER BY COALESCE(p.paid_at, p.credited_at) DESC, p.id DESC LIMIT 1000", "is", a->account_id, a->mchid);
	if (r == NULL)
		return -1;
	src = xcalloc(1000, sizeof *src);
	nth = xcalloc(1000, sizeof *nth);
	while (a->mchid[0] != '\0' && db_rows_next(r) == 1 && n < 1000) {
		src[n].payment_id = db_rows_int(r, 0);
		src[n].amount_fen = db_rows_int(r, 1);
		src[n].refunded_fen = db_rows_int(r, 2);
		nth[n] = (int)db_rows_int(r, 3);
		n++;
	}
	db_rows_free(r);
	shares = xcalloc(REFUND_SETTLE_MAX, sizeof *shares);
	if ((k = refund_plan(res->balance_fen, src, n, shares, REFUND_SETTLE_MAX, &rest_fen)) < 0) {
		res->status = REFUND_BAD;
		snprintf(res->detail, sizeof res->detail, "account %s: its payments and refunds do not add up"
		    " (run prepayctl audit)", res->account);
		goto out;
	}
	if (rest_fen > 0) {
		char c1[MONEY_FMT_LEN], c2[MONEY_FMT_LEN], c3[MONEY_FMT_LEN];

		res->status = REFUND_REFUSED;
		snprintf(res->detail, sizeof res->detail, "account %s has ¥%s but its WeChat Pay payments can take"
		    " back only ¥%s; pay the other ¥%s out first with prepayctl refund cash, then settle",
		    res->account, money_format(res->balance_fen, c1), money_format(res->balance_fen - rest_fen, c2),
		    money_format(rest_fen, c3));
		goto out;
	}
	if (db_exec(db, "INSERT INTO settlements (request_id, account_id, balance_fen, refunds, status, actor, reason)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", "siiisss", a->request_id, a->account_id, res->balance_fen, (int64_t)k,
	    k > 0 ? "refunding" : "done", a->actor, a->reason ? a->reason : "") < 0)
		goto dberr;
	res->settlement_id = db_insert_id(db);
	list = cJSON_CreateArray();
	for (int i = 0; i < k; i++) {
		struct refund_line *l = &res->refunds[i];
		struct ledger_request rq;
		struct ledger_result lr;
		struct ledger_outbox ob;
		char key[REFUND_NO_MAX + 16], obkey[REFUND_NO_MAX + 24], payload[160], ref[40], trade[65] = "";
		int j;

		for (j = 0; j < n && src[j].payment_id != shares[i].payment_id; j++)
			;
		if (refund_no_make('R', a->account_id, shares[i].payment_id, ++nth[j], now, NULL, l->out_refund_no,
		    sizeof l->out_refund_no) != 0) {
			res->status = REFUND_BAD;
			snprintf(res->detail, sizeof res->detail, "cannot number a refund of payment %" PRId64,
			    shares[i].payment_id);
			cJSON_Delete(list);
			goto out;
		}
		snprintf(key, sizeof key, "refund:%s", l->out_refund_no);
		snprintf(obkey, sizeof obkey, "refund.request:%s", l->out_refund_no);
		snprintf(payload, sizeof payload, "{\"out_refund_no\":\"%s\"}", l->out_refund_no);
		snprintf(ref, sizeof ref, "payment:%" PRId64, shares[i].payment_id);
		ob.dedupe_key = obkey;
		ob.kind = "refund.request";
		ob.account_id = a->account_id;
		ob.payload_json = payload;
		/* the money leaves the account now; a refund that fails gives it back */
		ledger_request_init(&rq, key, a->actor, a->account_id, LEDGER_REFUND, -shares[i].amount_fen,
		    "refund:wechat");
		rq.reference = ref;
		rq.reason = a->reason;
		rq.outbox = &ob;
		rq.noutbox = 1;
		switch (ledger_post_in_tx(db, &rq, &lr)) {
		case LEDGER_OK:
			break;
		case LEDGER_DB_ERROR:
			cJSON_Delete(list);
			goto dberr;
		default:
			res->status = REFUND_REFUSED;
			snprintf(res->detail, sizeof res->detail, "%s", lr.detail);
			cJSON_Delete(list);
			goto out;
		}
		r = db_query(db, "SELECT out_trade_no FROM payments WHERE id = ?", "i", shares[i].payment_id);
		if (r != NULL && db_rows_next(r) == 1)
			snprintf(trade, sizeof trade, "%s", db_rows_str(r, 0));
		db_rows_free(r);
		if (db_exec(db, "INSERT INTO refunds (out_refund_no, account_id, settlement_id, payment_id, method,"
		    " amount_fen, status, entry_id, request_id, actor, reason) VALUES (?, ?, ?, ?, 'wechat', ?,"
		    " 'requested', ?, ?, ?, ?)", "siiiiisss", l->out_refund_no, a->account_id, res->settlement_id,
		    shares[i].payment_id, shares[i].amount_fen, lr.legs[0].entry_id, a->request_id, a->actor,
		    a->reason ? a->reason : "") < 0) {
			cJSON_Delete(list);
			goto dberr;
		}
		snprintf(l->out_trade_no, sizeof l->out_trade_no, "%s", trade);
		snprintf(l->status, sizeof l->status, "requested");
		l->payment_id = shares[i].payment_id;
		l->amount_fen = shares[i].amount_fen;
		l->entry_id = lr.legs[0].entry_id;
		cJSON_AddItemToArray(list, cJSON_CreateString(l->out_refund_no));
	}
	res->nrefunds = k;
	if (db_exec(db, "UPDATE accounts SET status = 'closed' WHERE id = ?", "i", a->account_id) < 0) {
		cJSON_Delete(list);
		goto dberr;
	}
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "settlement_id", (double)res->settlement_id);
	cJSON_AddNumberToObject(d, "balance_fen", (double)res->balance_fen);
	cJSON_AddItemToObject(d, "refunds", list);
	cJSON_AddStringToObject(d, "reason", a->reason ? a->reason : "");
	if (audit(db, a->actor, "account.settle", "account", a->account_id, a->request_id, d) != 0)
		goto dberr;
	snprintf(res->settlement_status, sizeof res->settlement_status, "%s", k > 0 ? "refunding" : "done");
	res->status = REFUND_OK;
	rc = 0;
	goto out;
dberr:
	rc = -1;
out:
	free(src);
	free(nth);
	free(shares);
	return rc;
}

int
refund_settle(struct db *db, int64_t account_id, const char *mchid, const char *request_id, const char *actor,
    const char *reason, struct settle_result *res)
{
	struct settle_args a = { account_id, mchid, request_id, actor, reason, res };
	int rc;

	if (request_id == NULL || request_id[0] == '\0' || strlen(request_id) > LEDGER_KEY_MAX) {
		memset(res, 0, sizeof *res);
		res->status = REFUND_BAD;
		snprintf(res->detail, sizeof res->detail, "the request id must be 1 to %d characters", LEDGER_KEY_MAX);
		return 0;
	}
	rc = db_tx(db, settle_fn, &a);
	if (rc == -1) {
		res->status = REFUND_DB;
		snprintf(res->detail, sizeof res->detail, "the database did not confirm (%s); run it again with the"
		    " same request id", db_error(db));
	}
	return 0;
}

struct cash_args {
	int64_t account_id, amount_fen;
	const char *request_id, *actor, *reason;
	struct cash_result *res;
};

static int
cash_fn(struct db *db, void *p)
{
	struct cash_args *a = p;
	struct cash_result *res = a->res;
	struct ledger_request rq;
	struct ledger_result lr;
	struct db_rows *r;
	int64_t settlement_id = 0;
	unsigned char rnd[4];
	char hex[9];
	cJSON *d;

	memset(res, 0, sizeof *res);
	ledger_request_init(&rq, a->request_id, a->actor, a->account_id, LEDGER_REFUND, -a->amount_fen, "refund:cash");
	rq.reason = a->reason;
	switch (ledger_post_in_tx(db, &rq, &lr)) {
	case LEDGER_OK:
		break;
	case LEDGER_DB_ERROR:
		return -1;
	case LEDGER_NO_ACCOUNT:
		res->status = REFUND_NO_ACCOUNT;
		snprintf(res->detail, sizeof res->detail, "no account %" PRId64, a->account_id);
		return 1;
	case LEDGER_INVALID:
		res->status = REFUND_BAD;
		snprintf(res->detail, sizeof res->detail, "%s", lr.detail);
		return 1;
	default:
		res->status = REFUND_REFUSED;
		snprintf(res->detail, sizeof res->detail, "%s", lr.detail);
		return 1;
	}
	res->entry_id = lr.legs[0].entry_id;
	res->balance_after_fen = lr.legs[0].balance_after_fen;
	res->status = REFUND_OK;
	if (lr.replayed) {
		res->replayed = 1;
		r = db_query(db, "SELECT id, out_refund_no FROM refunds WHERE entry_id = ?", "i", res->entry_id);
		if (r != NULL && db_rows_next(r) == 1) {
			res->refund_id = db_rows_int(r, 0);
			snprintf(res->out_refund_no, sizeof res->out_refund_no, "%s", db_rows_str(r, 1));
		}
		db_rows_free(r);
		return 1;	/* nothing new to write */
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	snprintf(hex, sizeof hex, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (refund_no_make('C', a->account_id, 0, 0, (int64_t)time(NULL), hex, res->out_refund_no,
	    sizeof res->out_refund_no) != 0)
		return -1;
	r = db_query(db, "SELECT id FROM settlements WHERE account_id = ? ORDER BY id DESC LIMIT 1", "i", a->account_id);
	if (r == NULL)
		return -1;
	if (db_rows_next(r) == 1)
		settlement_id = db_rows_int(r, 0);
	db_rows_free(r);
	if (db_exec(db, "INSERT INTO refunds (out_refund_no, account_id, settlement_id, method, amount_fen, status,"
	    " entry_id, completed_via, success_time, request_id, actor, reason) VALUES (?, ?, NULLIF(?, 0), 'cash', ?,"
	    " 'success', ?, 'manual', UTC_TIMESTAMP(6), ?, ?, ?)", "siiiisss", res->out_refund_no, a->account_id,
	    settlement_id, a->amount_fen, res->entry_id, a->request_id, a->actor, a->reason) < 0)
		return -1;
	res->refund_id = db_insert_id(db);
	if (settlement_update(db, settlement_id) != 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "out_refund_no", res->out_refund_no);
	cJSON_AddNumberToObject(d, "amount_fen", (double)a->amount_fen);
	cJSON_AddNumberToObject(d, "entry_id", (double)res->entry_id);
	cJSON_AddNumberToObject(d, "balance_after_fen", (double)res->balance_after_fen);
	cJSON_AddStringToObject(d, "reason", a->reason);
	return audit(db, a->actor, "refund.cash", "account", a->account_id, a->request_id, d);
}

int
refund_cash(struct db *db, int64_t account_id, int64_t amount_fen, const char *request_id, const char *actor,
    const char *reason, struct cash_result *res)
{
	struct cash_args a = { account_id, amount_fen, request_id, actor, reason, res };
	int rc = db_tx(db, cash_fn, &a);

	if (rc == -1) {
		res->status = REFUND_DB;
		snprintf(res->detail, sizeof res->detail, "the database did not confirm (%s); run it again with the"
		    " same request id", db_error(db));
	}
	return 0;
}

struct apply_args {
	const char *mchid;
	const struct wechat_refund *w;	/* NULL for a refusal */
	const char *out_refund_no, *raw, *via, *why;
	struct refund_apply_result *res;
};

static int
review(struct db *db, struct apply_args *a, const char *reason, int64_t payment_id)
{
	const struct wechat_refund *w = a->w;

	a->res->outcome = REFUND_REVIEW;
	snprintf(a->res->reason, sizeof a->res->reason, "%s", reason);
	return db_exec(db, "INSERT INTO payment_reviews (provider, out_trade_no, transaction_id, reason, payment_id,"
	    " paid_fen, detail) VALUES ('wechat', ?, ?, ?, NULLIF(?, 0), ?, ?) ON DUPLICATE KEY UPDATE seen = seen + 1",
	    "sssiis", w->out_trade_no, w->out_refund_no, reason, payment_id, w->refund_fen, a->raw ? a->raw : "") < 0 ?
	    -1 : 0;
}

/* UTC "YYYY-MM-DD HH:MM:SS" of an RFC 3339 time, or "" */
static void
utc_sql(const char *rfc3339, char out[32])
{
	int64_t t;
	time_t tt;
	struct tm tm;

	out[0] = '\0';
	if (rfc3339 == NULL || rfc3339[0] == '\0' || wechat_time_parse(rfc3339, &t) != 0)
		return;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static int
apply_fn(struct db *db, void *p)
{
	struct apply_args *a = p;
	struct refund_apply_result *res = a->res;
	const char *no = a->w ? a->w->out_refund_no : a->out_refund_no;
	int64_t account_id = 0, id = 0, amount_fen = 0, payment_id = 0, settlement_id = 0, total_fen = 0;
	char cur[17] = "", trade[65] = "", mchid[33] = "", when[32];
	enum refund_state st;
	struct db_rows *r;
	int found;

	memset(res, 0, sizeof *res);
	/* the account's lock first (as settle takes it), then the refund's */
	r = db_query(db, "SELECT id FROM accounts WHERE id = (SELECT account_id FROM refunds WHERE out_refund_no = ?)"
	    " FOR UPDATE", "s", no);
	if (r == NULL)
		return -1;
	db_rows_free(r);
	r = db_query(db, "SELECT r.id, r.amount_fen, r.status, r.payment_id, COALESCE(r.settlement_id, 0), p.out_trade_no,"
	    " p.amount_fen, p.mchid, r.account_id FROM refunds r JOIN payments p ON p.id = r.payment_id"
	    " WHERE r.out_refund_no = ? FOR UPDATE", "s", no);
	if (r == NULL)
		return -1;
	if ((found = db_rows_next(r)) == 1) {
		id = db_rows_int(r, 0);
		amount_fen = db_rows_int(r, 1);
		snprintf(cur, sizeof cur, "%s", db_rows_str(r, 2));
		payment_id = db_rows_int(r, 3);
		settlement_id = db_rows_int(r, 4);
		snprintf(trade, sizeof trade, "%s", db_rows_str(r, 5));
		total_fen = db_rows_int(r, 6);
		snprintf(mchid, sizeof mchid, "%s", db_rows_str(r, 7));
		account_id = db_rows_int(r, 8);
	}
	db_rows_free(r);
	if (found != 1)
		return a->w ? review(db, a, "unknown_refund", 0) : 1;
	if (a->w != NULL) {
		if (strcmp(a->w->out_trade_no, trade) != 0 || a->w->refund_fen != amount_fen ||
		    a->w->total_fen != total_fen || (a->w->mchid[0] && strcmp(a->w->mchid, mchid) != 0) ||
		    (a->mchid && a->w->mchid[0] && strcmp(a->w->mchid, a->mchid) != 0))
			return review(db, a, "refund_mismatch", payment_id);
		st = refund_state_parse(a->w->status);
		if (st == REFUND_UNKNOWN)
			return review(db, a, "refund_state", payment_id);
	} else
		st = REFUND_CLOSED;
	snprintf(res->status, sizeof res->status, "%s", cur);
	if (strcmp(cur, "success") == 0 || strcmp(cur, "closed") == 0 || strcmp(cur, "abnormal") == 0) {
		/* final: a repeat, a stale "processing" (the request's answer after
		 * the notification), or a contradiction for a person */
		if (strcmp(cur, refund_state_db(st)) == 0 || a->w == NULL || st == REFUND_PROCESSING)
			res->outcome = REFUND_ALREADY;
		else
			return review(db, a, "refund_contradicts", payment_id);
		return 0;
	}
	if (st == REFUND_PROCESSING) {
		res->outcome = strcmp(cur, "processing") == 0 ? REFUND_ALREADY : REFUND_APPLIED;
		snprintf(res->status, sizeof res->status, "processing");
		return db_exec(db, "UPDATE refunds SET status = 'processing', refund_id = ?, provider_status = 'PROCESSING'"
		    " WHERE id = ?", "si", a->w->refund_id, id) < 0 ? -1 : 0;
	}
	res->outcome = REFUND_APPLIED;
	snprintf(res->status, sizeof res->status, "%s", refund_state_db(st));
	if (st == REFUND_SUCCESS) {
		utc_sql(a->w->success_time, when);
		if (db_exec(db, "UPDATE refunds SET status = 'success', refund_id = ?, provider_status = 'SUCCESS',"
		    " completed_via = ?, success_time = COALESCE(NULLIF(?, ''), UTC_TIMESTAMP(6)), last_error = NULL"
		    " WHERE id = ?", "sssi", a->w->refund_id, a->via, when, id) < 0)
			return -1;
	} else {
		struct ledger_request rq;
		struct ledger_result lr;
		char key[REFUND_NO_MAX + 24], ref[40], why[200], b1[MONEY_FMT_LEN];
		cJSON *d;

		snprintf(key, sizeof key, "refund-reversal:%s", no);
		snprintf(ref, sizeof ref, "refund:%" PRId64, id);
		snprintf(why, sizeof why, "refund %s of ¥%s ended %s at WeChat Pay: the money stays on the account",
		    no, money_format(amount_fen, b1), a->w ? a->w->status : "REFUSED");
		ledger_request_init(&rq, key, "wechatpay", account_id, LEDGER_ADJUSTMENT, amount_fen, "adjustment");
		rq.reference = ref;
		rq.reason = why;
		switch (ledger_post_in_tx(db, &rq, &lr)) {
		case LEDGER_OK:
			break;
		case LEDGER_DB_ERROR:
			return -1;
		default:
			log_error("refund %s: the reversing credit was refused: %s", no, lr.detail);
			return 2;
		}
		res->reversal_entry_id = lr.legs[0].entry_id;
		if (db_exec(db, "UPDATE refunds SET status = ?, refund_id = COALESCE(NULLIF(?, ''), refund_id),"
		    " provider_status = ?, completed_via = ?, reversal_entry_id = ?, last_error = COALESCE(?, last_error)"
		    " WHERE id = ?", "ssssisi", refund_state_db(st), a->w ? a->w->refund_id : "",
		    a->w ? a->w->status : "REFUSED", a->w ? a->via : "request", lr.legs[0].entry_id, a->why, id) < 0)
			return -1;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "out_refund_no", no);
		cJSON_AddStringToObject(d, "provider_status", a->w ? a->w->status : "REFUSED");
		cJSON_AddNumberToObject(d, "amount_fen", (double)amount_fen);
		cJSON_AddNumberToObject(d, "reversal_entry_id", (double)lr.legs[0].entry_id);
		if (a->why)
			cJSON_AddStringToObject(d, "error", a->why);
		if (audit(db, "wechatpay", "refund.reversed", "account", account_id, no, d) != 0)
			return -1;
	}
	return settlement_update(db, settlement_id);
}

int
refund_apply(struct db *db, const char *mchid, const struct wechat_refund *w, const char *raw, const char *via,
    struct refund_apply_result *res)
{
	struct apply_args a = { mchid, w, NULL, raw, via, NULL, res };
	int rc = db_tx(db, apply_fn, &a);

	return rc == -1 ? -1 : 0;
}

int
refund_refused(struct db *db, const char *out_refund_no, const char *why, struct refund_apply_result *res)
{
	struct apply_args a = { NULL, NULL, out_refund_no, NULL, "request", why, res };
	int rc = db_tx(db, apply_fn, &a);

	return rc == -1 ? -1 : 0;
}

int
refund_note_error(struct db *db, const char *no, const char *why)
{
	return db_exec(db, "UPDATE refunds SET last_error = LEFT(?, 255) WHERE out_refund_no = ?", "ss", why, no) < 0 ?
	    -1 : 0;
}

int
refund_load_call(struct db *db, const char *no, struct refund_call *c)
{
	struct db_rows *r = db_query(db, "SELECT r.out_refund_no, p.out_trade_no, r.status, p.mchid, r.account_id,"
	    " r.amount_fen, p.amount_fen FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.out_refund_no = ?",
	    "s", no);
	int found;

	if (r == NULL)
		return -1;
	if ((found = db_rows_next(r)) == 1) {
		snprintf(c->out_refund_no, sizeof c->out_refund_no, "%s", db_rows_str(r, 0));
		snprintf(c->out_trade_no, sizeof c->out_trade_no, "%s", db_rows_str(r, 1));
		snprintf(c->status, sizeof c->status, "%s", db_rows_str(r, 2));
		snprintf(c->mchid, sizeof c->mchid, "%s", db_rows_str(r, 3));
		c->account_id = db_rows_int(r, 4);
		c->amount_fen = db_rows_int(r, 5);
		c->total_fen = db_rows_int(r, 6);
	}
	db_rows_free(r);
	return found < 0 ? -1 : found;
}

struct recon_args {
	const char *mchid, *date, *error, *actor;
	const struct recon_report *rep;
	const char *const *actions;
	int64_t id;
};

static int
recon_fn(struct db *db, void *p)
{
	struct recon_args *a = p;
	const struct recon_report *rep = a->rep;
	const char *status = rep == NULL ? "error" : rep->nlines > 0 ? "mismatch" : "clean";

	if (db_exec(db, "INSERT INTO recon_reports (provider, mchid, bill_date, status, matched, matched_fen, issues,"
	    " error, actor) VALUES ('wechat', ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),"
	    " status = VALUES(status), matched = VALUES(matched), matched_fen = VALUES(matched_fen),"
	    " issues = VALUES(issues), error = VALUES(error), actor = VALUES(actor), runs = runs + 1", "sssiiiss",
	    a->mchid, a->date, status, rep ? rep->matched : 0, rep ? rep->matched_fen : 0,
	    (int64_t)(rep ? rep->nlines : 0), a->error, a->actor) < 0)
		return -1;
	a->id = db_insert_id(db);
	if (db_exec(db, "DELETE FROM recon_lines WHERE report_id = ?", "i", a->id) < 0)
		return -1;
	for (int i = 0; rep != NULL && i < rep->nlines; i++) {
		const struct recon_line *l = &rep->lines[i];
		if (db_exec(db, "INSERT INTO recon_lines (report_id, issue, out_trade_no, ours_fen, theirs_fen, action)"
		    " VALUES (?, ?, ?, ?, ?, ?)", "issiis", a->id, recon_issue_name(l->issue), l->out_trade_no,
		    l->ours_fen, l->theirs_fen, a->actions && a->actions[i] ? a->actions[i] : "") < 0)
			return -1;
	}
	return 0;
}

int
recon_store(struct db *db, const char *mchid, const char *date, const struct recon_report *rep,
    const char *const *actions, const char *error, const char *actor, int64_t *report_id)
{
	struct recon_args a = { mchid, date, error, actor, rep, actions, 0 };

	if (db_tx(db, recon_fn, &a) != 0)
		return -1;
	if (report_id)
		*report_id = a.id;
	return 0;
}
