/*
 * The ledger's rules, without I/O: which kinds exist and which way they may
 * move money, which counter-accounts they may name, how far a balance may
 * fall, what a request must look like, its fingerprint, and the per-account
 * chain check that `prepayctl audit` runs over the entries. See docs/ledger.md.
 */
#ifndef PREPAY_LEDGER_RULES_H
#define PREPAY_LEDGER_RULES_H
#include <stddef.h>
#include <stdint.h>

/* Keep in step with the ENUM in schema/002_ledger.sql. */
enum ledger_kind {
	LEDGER_TOPUP,		/* + money paid in: cash, bank, POS, payment:wechat … */
	LEDGER_CONSUMPTION,	/* - energy used, rated; posts even below the floor */
	LEDGER_FEE,		/* - standing charge, service fee; posts even below the floor */
	LEDGER_ADJUSTMENT,	/* ± an operator's correction; a debit respects the floor */
	LEDGER_REFUND,		/* - money paid back out; never more than the credit */
	LEDGER_EMERGENCY_CREDIT,/* + a loan the policy grants to keep the power on */
	LEDGER_EMERGENCY_REPAY,	/* - paying that loan back */
	LEDGER_TRANSFER_IN,	/* + one side of a transfer between two accounts */
	LEDGER_TRANSFER_OUT,	/* - the other side */
	LEDGER_NKINDS
};

enum ledger_status {
	LEDGER_OK = 0,
	LEDGER_INVALID,		/* the request itself is wrong (detail says what) */
	LEDGER_NO_ACCOUNT,
	LEDGER_CLOSED,
	LEDGER_BELOW_FLOOR,
	LEDGER_KEY_CONFLICT,	/* the key was used before for something else */
	LEDGER_DB_ERROR,
};

#define LEDGER_MAX_LEGS 4
#define LEDGER_KEY_MAX 120	/* idem_key is VARCHAR(128): room for "#2" leg suffixes */
#define LEDGER_COUNTER_MAX 64
#define LEDGER_REFERENCE_MAX 128
#define LEDGER_ACTOR_MAX 64
#define LEDGER_REASON_MAX 255
/* No balance may reach this (¥10^13): far past any park, far from overflow. */
#define LEDGER_BALANCE_LIMIT_FEN 1000000000000000LL

struct ledger_leg {
	int64_t account_id;
	enum ledger_kind kind;
	int64_t amount_fen;		/* signed: + credits the tenant */
	const char *counter_account;	/* "cash", "payment:wechat", "revenue:electricity" */
};

/* A side effect to queue in the same transaction (outbox table). */
struct ledger_outbox {
	const char *dedupe_key;	/* unique; a key already queued is not queued again */
	const char *kind;	/* "alert.low_balance", "relay.restore" … */
	int64_t account_id;	/* 0 for none */
	const char *payload_json;
};

struct ledger_request {
	const char *idem_key;	/* required: request id, "wechat:<transaction id>", "reading:…" */
	const char *reference;	/* optional: what caused it ("payment:17", a receipt number) */
	const char *actor;	/* required: "operator:alice", "poller", "wechatpay" */
	const char *reason;	/* optional; required for adjustments */
	int nlegs;		/* 1, or 2..LEDGER_MAX_LEGS for a transfer */
	struct ledger_leg legs[LEDGER_MAX_LEGS];
	int noutbox;
	const struct ledger_outbox *outbox;
};

/* What one account looks like under its row lock. */
struct ledger_account_state {
	int64_t balance_fen;
	int64_t overdraft_fen;	/* the floor is -overdraft_fen */
	int closed;
};

const char *ledger_kind_name(enum ledger_kind);
int ledger_kind_parse(const char *, enum ledger_kind *);
const char *ledger_strerror(enum ledger_status);

/* A single-leg request in one call (the common case). */
void ledger_request_init(struct ledger_request *, const char *idem_key, const char *actor,
    int64_t account_id, enum ledger_kind, int64_t amount_fen, const char *counter_account);

/* 0 if the request is well formed, else -1 with a sentence in why. */
int ledger_validate(const struct ledger_request *, char *why, size_t whylen);

/* SHA-256 (hex) of what the request asks to do: legs and reference. Actor,
 * reason and outbox rows are not part of it: a retry by another worker or
 * clerk of the same operation must replay, not conflict. */
void ledger_fingerprint(const struct ledger_request *, char hex[65]);

/* How low a debit of a kind may take the balance. */
enum ledger_floor {
	LEDGER_FLOOR_NONE,	/* incurred already (energy used): posts whatever the balance */
	LEDGER_FLOOR_OVERDRAFT,	/* not below -overdraft_fen */
	LEDGER_FLOOR_ZERO,	/* not below zero: never pay out more than the credit */
};
enum ledger_floor ledger_kind_floor(enum ledger_kind);
/* The lowest balance a debit of this kind may leave; INT64_MIN: no floor. */
int64_t ledger_floor_fen(enum ledger_kind, int64_t overdraft_fen);

/* Decides one leg against its account: LEDGER_OK with *after set, or
 * LEDGER_CLOSED / LEDGER_BELOW_FLOOR / LEDGER_INVALID with why filled. */
enum ledger_status ledger_decide(const struct ledger_leg *, const struct ledger_account_state *,
    int64_t *after_fen, char *why, size_t whylen);

/* Whether an entry's kind, sign and counter-account agree with the rules
 * (audit runs it on every stored entry). 0 or -1 with why. */
int ledger_entry_check(enum ledger_kind, int64_t amount_fen, const char *counter_account,
    char *why, size_t whylen);

/*
 * The audit's walk over one account's entries in seq order: feed each entry
 * to ledger_chain_step, then ask ledger_chain_finish against the cached
 * balance and last_seq. Each returns the number of problems found (0, 1 or
 * 2) and calls report for each with a sentence.
 */
struct ledger_chain {
	int64_t account_id;
	int64_t entries;
	int64_t last_seq;
	int64_t sum_fen;		/* what the entries add up to */
	int64_t last_after_fen;		/* the balance_after of the last entry */
};
typedef void (*ledger_report_fn)(void *arg, int64_t account_id, const char *msg);
void ledger_chain_start(struct ledger_chain *, int64_t account_id);
int ledger_chain_step(struct ledger_chain *, int64_t seq, enum ledger_kind, int64_t amount_fen,
    int64_t balance_after_fen, const char *counter_account, ledger_report_fn, void *arg);
int ledger_chain_finish(const struct ledger_chain *, int64_t cached_balance_fen, int64_t cached_last_seq,
    ledger_report_fn, void *arg);

#endif
