#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include "billing/ledger_rules.h"
#include "lib/money.h"

/*
 * One row per kind (same order as enum ledger_kind). counters lists the
 * counter-accounts a kind may name: an exact name, or a prefix ending in
 * ':' that needs a name after it ("payment:wechat").
 */
static const struct kind_rule {
	const char *name;
	int sign;		/* +1 credit only, -1 debit only, 0 either */
	enum ledger_floor floor;
	int on_closed;		/* may post to a closed account */
	int transfer;		/* only as a leg of a multi-account posting */
	const char *counters[5];
} kind_rules[LEDGER_NKINDS] = {
	{ "topup", +1, LEDGER_FLOOR_NONE, 0, 0, { "cash", "bank", "pos", "payment:", NULL } },
	{ "consumption", -1, LEDGER_FLOOR_NONE, 0, 0, { "revenue:", NULL } },
	{ "fee", -1, LEDGER_FLOOR_NONE, 0, 0, { "revenue:", NULL } },
	{ "adjustment", 0, LEDGER_FLOOR_OVERDRAFT, 1, 0, { "adjustment", NULL } },
	{ "refund", -1, LEDGER_FLOOR_ZERO, 1, 0, { "refund:", NULL } },
	{ "emergency_credit", +1, LEDGER_FLOOR_NONE, 0, 0, { "emergency", NULL } },
	{ "emergency_repay", -1, LEDGER_FLOOR_OVERDRAFT, 0, 0, { "emergency", NULL } },
	{ "transfer_in", +1, LEDGER_FLOOR_NONE, 0, 1, { "transfer", NULL } },
	{ "transfer_out", -1, LEDGER_FLOOR_OVERDRAFT, 0, 1, { "transfer", NULL } },
};

const char *
ledger_kind_name(enum ledger_kind k)
{
	return (unsigned)k < LEDGER_NKINDS ? kind_rules[k].name : "?";
}

int
ledger_kind_parse(const char *s, enum ledger_kind *out)
{
	for (int k = 0; k < LEDGER_NKINDS; k++)
		if (s != NULL && strcmp(s, kind_rules[k].name) == 0) {
			*out = (enum ledger_kind)k;
			return 0;
		}
	return -1;
}

const char *
ledger_strerror(enum ledger_status st)
{
	switch (st) {
	case LEDGER_OK:
		return "posted";
	case LEDGER_INVALID:
		return "the posting is not valid";
	case LEDGER_NO_ACCOUNT:
		return "no such account";
	case LEDGER_CLOSED:
		return "the account is closed";
	case LEDGER_BELOW_FLOOR:
		return "the balance would fall below what the account may owe";
	case LEDGER_KEY_CONFLICT:
		return "this request id was already used for a different operation";
	case LEDGER_DB_ERROR:
		return "the database could not record the posting; nothing was posted, try again";
	}
	return "unknown ledger status";
}

void
ledger_request_init(struct ledger_request *r, const char *idem_key, const char *actor,
    int64_t account_id, enum ledger_kind kind, int64_t amount_fen, const char *counter_account)
{
	memset(r, 0, sizeof *r);
	r->idem_key = idem_key;
	r->actor = actor;
	r->nlegs = 1;
	r->legs[0].account_id = account_id;
	r->legs[0].kind = kind;
	r->legs[0].amount_fen = amount_fen;
	r->legs[0].counter_account = counter_account;
}

static int
key_ok(const char *s, size_t max, int allow_hash)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e || (*s == '#' && !allow_hash))
			return 0;
	return 1;
}

/* Valid UTF-8 without control characters (one audit line per entry). */
static int
text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;

	if (strlen(s) > max)
		return 0;
	while (*p) {
		int n;
		unsigned cp;
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) { n = 2; cp = *p & 0x1f; }
		else if ((*p & 0xf0) == 0xe0) { n = 3; cp = *p & 0x0f; }
		else if ((*p & 0xf8) == 0xf0) { n = 4; cp = *p & 0x07; }
		else return 0;
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, beyond Unicode */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += n;
	}
	return 1;
}

static int
counter_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		    *s == '-' || *s == '.' || *s == ':'))
			return 0;
	return 1;
}

static int
counter_allowed(const struct kind_rule *k, const char *c)
{
	for (int i = 0; k->counters[i] != NULL; i++) {
		const char *want = k->counters[i];
		size_t n = strlen(want);
		if (want[n - 1] == ':') {
			if (strncmp(c, want, n) == 0 && c[n] != '\0' && strchr(c + n, ':') == NULL)
				return 1;
		} else if (strcmp(c, want) == 0)
			return 1;
	}
	return 0;
}

static void
counters_list(const struct kind_rule *k, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; k->counters[i] != NULL && off < len; i++) {
		const char *w = k->counters[i];
		int n = snprintf(buf + off, len - off, "%s%s%s", i ? ", " : "", w,
		    w[strlen(w) - 1] == ':' ? "<name>" : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

int
ledger_entry_check(enum ledger_kind kind, int64_t amount_fen, const char *counter, char *why, size_t whylen)
{
	const struct kind_rule *k;
	char list[128];

	if ((unsigned)kind >= LEDGER_NKINDS) {
		snprintf(why, whylen, "unknown kind %d", (int)kind);
		return -1;
	}
	k = &kind_rules[kind];
	if (amount_fen == 0) {
		snprintf(why, whylen, "the amount of a %s must not be zero", k->name);
		return -1;
	}
	if (k->sign > 0 && amount_fen < 0) {
		snprintf(why, whylen, "a %s adds money: its amount must be positive", k->name);
		return -1;
	}
	if (k->sign < 0 && amount_fen > 0) {
		snprintf(why, whylen, "a %s takes money: its amount must be negative", k->name);
		return -1;
	}
	if (counter == NULL || *counter == '\0' || strlen(counter) > LEDGER_COUNTER_MAX ||
	    !counter_chars_ok(counter) || !counter_allowed(k, counter)) {
		counters_list(k, list, sizeof list);
		snprintf(why, whylen, "a %s's counter-account must be one of %s, not \"%.64s\"", k->name,
		    list, counter ? counter : "");
		return -1;
	}
	return 0;
}

int
ledger_validate(const struct ledger_request *r, char *why, size_t whylen)
{
	int64_t sum = 0;

	if (!key_ok(r->idem_key, LEDGER_KEY_MAX, 0)) {
		snprintf(why, whylen, "the request id must be 1 to %d printable ASCII characters"
		    " without spaces or '#'", LEDGER_KEY_MAX);
		return -1;
	}
	if (r->actor == NULL || *r->actor == '\0' || !text_ok(r->actor, LEDGER_ACTOR_MAX)) {
		snprintf(why, whylen, "the actor must be 1 to %d bytes of text", LEDGER_ACTOR_MAX);
		return -1;
	}
	if (r->reference != NULL && (*r->reference == '\0' || !text_ok(r->reference, LEDGER_REFERENCE_MAX))) {
		snprintf(why, whylen, "the reference must be 1 to %d bytes of text without control"
		    " characters", LEDGER_REFERENCE_MAX);
		return -1;
	}
	if (r->reason != NULL && !text_ok(r->reason, LEDGER_REASON_MAX)) {
		snprintf(why, whylen, "the reason must be at most %d bytes of UTF-8 text without"
		    " control characters (it is %zu bytes)", LEDGER_REASON_MAX, strlen(r->reason));
		return -1;
	}
	if (r->nlegs < 1 || r->nlegs > LEDGER_MAX_LEGS) {
		snprintf(why, whylen, "a posting has 1 to %d legs, not %d", LEDGER_MAX_LEGS, r->nlegs);
		return -1;
	}
	if (r->noutbox < 0 || (r->noutbox > 0 && r->outbox == NULL)) {
		snprintf(why, whylen, "outbox rows are missing");
		return -1;
	}
	for (int i = 0; i < r->nlegs; i++) {
		const struct ledger_leg *l = &r->legs[i];
		if (l->account_id <= 0) {
			snprintf(why, whylen, "leg %d: no account given", i + 1);
			return -1;
		}
		if (l->amount_fen > MONEY_MAX_FEN || l->amount_fen < -MONEY_MAX_FEN) {
			snprintf(why, whylen, "the amount is beyond ¥%lld", MONEY_MAX_FEN / 100);
			return -1;
		}
		if (ledger_entry_check(l->kind, l->amount_fen, l->counter_account, why, whylen) != 0)
			return -1;
		if (kind_rules[l->kind].transfer != (r->nlegs > 1)) {
			snprintf(why, whylen, r->nlegs > 1 ?
			    "a posting over several accounts may only hold transfer_in/transfer_out legs" :
			    "a transfer needs both legs, transfer_out and transfer_in, in one posting");
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (r->legs[j].account_id == l->account_id) {
				snprintf(why, whylen, "account %" PRId64 " appears in two legs", l->account_id);
				return -1;
			}
		sum += l->amount_fen;
	}
	if (r->nlegs > 1 && sum != 0) {
		snprintf(why, whylen, "the legs of a transfer must add up to zero");
		return -1;
	}
	for (int i = 0; i < r->nlegs; i++)
		if (r->legs[i].kind == LEDGER_ADJUSTMENT && (r->reason == NULL || *r->reason == '\0')) {
			snprintf(why, whylen, "an adjustment needs a reason");
			return -1;
		}
	for (int i = 0; i < r->noutbox; i++) {
		const struct ledger_outbox *o = &r->outbox[i];
		if (!key_ok(o->dedupe_key, 191, 1) || o->kind == NULL || *o->kind == '\0' ||
		    strlen(o->kind) > 64 || o->payload_json == NULL || o->account_id < 0) {
			snprintf(why, whylen, "outbox row %d: needs a dedupe key (printable ASCII, at most"
			    " 191), a kind (at most 64) and a JSON payload", i + 1);
			return -1;
		}
	}
	return 0;
}

/* Length-prefixed fields, so no two different requests encode alike. */
static void
fp_add(EVP_MD_CTX *ctx, const char *tag, const char *s)
{
	char len[32];

	snprintf(len, sizeof len, "%s%zu:", tag, s ? strlen(s) : (size_t)0);
	EVP_DigestUpdate(ctx, len, strlen(len));
	if (s != NULL)
		EVP_DigestUpdate(ctx, s, strlen(s));
	else
		EVP_DigestUpdate(ctx, "-", 1);
}

void
ledger_fingerprint(const struct ledger_request *r, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned n = 0;
	char num[64];

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	fp_add(ctx, "v", "ledger1");
	fp_add(ctx, "ref", r->reference);
	for (int i = 0; i < r->nlegs && i < LEDGER_MAX_LEGS; i++) {
		const struct ledger_leg *l = &r->legs[i];
		snprintf(num, sizeof num, "%" PRId64 "/%" PRId64, l->account_id, l->amount_fen);
		fp_add(ctx, "leg", num);
		fp_add(ctx, "kind", ledger_kind_name(l->kind));
		fp_add(ctx, "counter", l->counter_account);
	}
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

enum ledger_floor
ledger_kind_floor(enum ledger_kind kind)
{
	return (unsigned)kind < LEDGER_NKINDS ? kind_rules[kind].floor : LEDGER_FLOOR_ZERO;
}

int64_t
ledger_floor_fen(enum ledger_kind kind, int64_t overdraft_fen)
{
	switch (ledger_kind_floor(kind)) {
	case LEDGER_FLOOR_NONE:
		return INT64_MIN;
	case LEDGER_FLOOR_OVERDRAFT:
		return overdraft_fen > 0 ? -overdraft_fen : 0;
	case LEDGER_FLOOR_ZERO:
		break;
	}
	return 0;
}

enum ledger_status
ledger_decide(const struct ledger_leg *l, const struct ledger_account_state *a, int64_t *after,
    char *why, size_t whylen)
{
	const struct kind_rule *k = &kind_rules[l->kind];
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN], b4[MONEY_FMT_LEN];
	int64_t floor, next;

	if (a->closed && !k->on_closed) {
		snprintf(why, whylen, "account %" PRId64 " is closed: only adjustments and refunds may"
		    " be posted to it", l->account_id);
		return LEDGER_CLOSED;
	}
	/* both bounded by the limits above, so the sum cannot overflow */
	if (a->balance_fen > LEDGER_BALANCE_LIMIT_FEN || a->balance_fen < -LEDGER_BALANCE_LIMIT_FEN ||
	    (next = a->balance_fen + l->amount_fen) > LEDGER_BALANCE_LIMIT_FEN ||
	    next < -LEDGER_BALANCE_LIMIT_FEN) {
		snprintf(why, whylen, "account %" PRId64 "'s balance would be beyond ¥%lld",
		    l->account_id, LEDGER_BALANCE_LIMIT_FEN / 100);
		return LEDGER_INVALID;
	}
	floor = ledger_floor_fen(l->kind, a->overdraft_fen);
	if (l->amount_fen < 0 && next < floor) {
		snprintf(why, whylen, "this %s of ¥%s would take account %" PRId64 " from ¥%s to ¥%s,"
		    " below its floor of ¥%s%s", k->name, money_format(-l->amount_fen, b1), l->account_id,
		    money_format(a->balance_fen, b2), money_format(next, b3),
		    money_format(floor, b4),
		    k->floor == LEDGER_FLOOR_ZERO ? " (no more can be paid out than the credit)" :
		    " (raise its overdraft if it may owe more)");
		return LEDGER_BELOW_FLOOR;
	}
	*after = next;
	return LEDGER_OK;
}

void
ledger_chain_start(struct ledger_chain *ch, int64_t account_id)
{
	memset(ch, 0, sizeof *ch);
	ch->account_id = account_id;
}

int
ledger_chain_step(struct ledger_chain *ch, int64_t seq, enum ledger_kind kind, int64_t amount_fen,
    int64_t balance_after_fen, const char *counter, ledger_report_fn report, void *arg)
{
	char msg[384], why[256], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN];
	char b4[MONEY_FMT_LEN];
	int problems = 0;
	int64_t expect;

	if (ch->last_seq == INT64_MAX || seq != ch->last_seq + 1) {
		if (seq <= ch->last_seq)
			snprintf(msg, sizeof msg, "entry seq %" PRId64 " comes again after seq %" PRId64,
			    seq, ch->last_seq);
		else
			snprintf(msg, sizeof msg, "entries seq %" PRId64 " to %" PRId64 " are missing"
			    " (seq %" PRId64 " follows seq %" PRId64 ")", ch->last_seq + 1, seq - 1, seq,
			    ch->last_seq);
		report(arg, ch->account_id, msg);
		problems++;
	}
	/* stored values may have been tampered with: never overflow on them */
	if (amount_fen > MONEY_MAX_FEN || amount_fen < -MONEY_MAX_FEN ||
	    __builtin_add_overflow(ch->last_after_fen, amount_fen, &expect) ||
	    __builtin_add_overflow(ch->sum_fen, amount_fen, &ch->sum_fen)) {
		snprintf(msg, sizeof msg, "entry seq %" PRId64 " has an impossible amount %" PRId64 " fen",
		    seq, amount_fen);
		report(arg, ch->account_id, msg);
		ch->entries++;
		ch->last_seq = seq;
		ch->last_after_fen = balance_after_fen;
		return problems + 1;
	}
	if (balance_after_fen != expect) {
		snprintf(msg, sizeof msg, "entry seq %" PRId64 " says the balance after it is ¥%s, but"
		    " the balance before it, ¥%s, plus its amount, ¥%s, is ¥%s", seq,
		    money_format(balance_after_fen, b1), money_format(ch->last_after_fen, b2),
		    money_format(amount_fen, b3), money_format(expect, b4));
		report(arg, ch->account_id, msg);
		problems++;
	}
	if (ledger_entry_check(kind, amount_fen, counter, why, sizeof why) != 0) {
		snprintf(msg, sizeof msg, "entry seq %" PRId64 " breaks a rule: %s", seq, why);
		report(arg, ch->account_id, msg);
		problems++;
	}
	ch->entries++;
	ch->last_seq = seq;
	/* go on from what the entry says, so one bad entry is one message */
	ch->last_after_fen = balance_after_fen;
	return problems;
}

int
ledger_chain_finish(const struct ledger_chain *ch, int64_t cached_balance_fen, int64_t cached_last_seq,
    ledger_report_fn report, void *arg)
{
	char msg[384], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	int problems = 0;

	if (cached_balance_fen != ch->sum_fen) {
		snprintf(msg, sizeof msg, "the account shows a balance of ¥%s but its %" PRId64
		    " ledger entries add up to ¥%s", money_format(cached_balance_fen, b1), ch->entries,
		    money_format(ch->sum_fen, b2));
		report(arg, ch->account_id, msg);
		problems++;
	} else if (ch->entries > 0 && ch->last_after_fen != ch->sum_fen) {
		snprintf(msg, sizeof msg, "its last entry says the balance is ¥%s but the entries add"
		    " up to ¥%s", money_format(ch->last_after_fen, b1), money_format(ch->sum_fen, b2));
		report(arg, ch->account_id, msg);
		problems++;
	}
	if (cached_last_seq != ch->last_seq) {
		snprintf(msg, sizeof msg, "the account's last_seq is %" PRId64 " but its last entry is"
		    " seq %" PRId64, cached_last_seq, ch->last_seq);
		report(arg, ch->account_id, msg);
		problems++;
	}
	return problems;
}
