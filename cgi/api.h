/*
 * The API's routes and handlers. Adding an endpoint is one line in the
 * table in cgi/routes.c and one handler function (declared here, defined
 * in the cgi/ file of its area: health.c, later tenant.c, admin.c, pay.c).
 */
#ifndef PREPAY_CGI_API_H
#define PREPAY_CGI_API_H
#include "cgi/request.h"
#include "cgi/metrics.h"

extern const struct route api_routes[];

/* What handlers may ask of the running server. */
struct metrics *server_metrics(struct request *);
int64_t server_start_time(struct request *);
const struct config *server_config(struct request *);

/* cgi/health.c */
void health_get(struct request *);
void health_metrics(struct request *);
void health_ping(struct request *);

/* cgi/pay.c: payment webhooks; the [wechatpay] settings, loaded once */
struct pay_wechat;
const struct pay_wechat *pay_wechat_config(struct request *);
/* cgi/pay.c: the answer WeChat Pay reads, and the checks every notification starts with */
void pay_notify_fail(struct request *, int status, const char *message);
int pay_notify_verify(struct request *, const struct pay_wechat *, const char *what);
void pay_wechat_notify(struct request *);
struct pay_alipay;
const struct pay_alipay *pay_alipay_config(struct request *);
void pay_alipay_notify(struct request *);
/* cgi/refund_notify.c */
void pay_wechat_refund_notify(struct request *);
/* cgi/topup.c */
void topup_create(struct request *);
struct auth_user;
void topup_create_as(struct request *, const struct auth_user *);
void topup_get(struct request *);

/* cgi/tenant_*.c: the tenant API (docs/tenant.md); cgi/auth.h has sessions */
struct auth_user;
void tenant_session_create(struct request *);
void tenant_session_get(struct request *);
void tenant_session_delete(struct request *);
void tenant_session_revoke_all(struct request *);
/* the 201 answer of a sign-in whose session was just started (cookie or token) */
void tenant_session_answer(struct request *, struct db *, int64_t user_id, int64_t tenant_id, const char *name,
    const char *phone, int bearer, const char *token, const char *csrf, int max_age);
/* cgi/tenant_signin.c: sign-in by SMS code */
void tenant_sms_code_send(struct request *);
void tenant_sms_signin(struct request *);
int tenant_sms_code_check(struct request *, struct db *, const char *phone, const char *code, int64_t *user_id);
void tenant_wechat_signin(struct request *);
void tenant_wechat_bind(struct request *);
void tenant_accounts_list(struct request *);
void tenant_account_get(struct request *);
void tenant_emergency_credit(struct request *);
void tenant_ledger(struct request *);
void tenant_statements(struct request *);
void tenant_statement_get(struct request *);
void tenant_usage(struct request *);
void tenant_insights(struct request *);
void tenant_topup_create(struct request *);
void tenant_topup_get(struct request *);
void tenant_topups(struct request *);
void tenant_contacts(struct request *);
void tenant_contact_add(struct request *);
void tenant_contact_delete(struct request *);
int tenant_accounts_json(struct db *, int64_t user_id, int64_t tenant_id, cJSON *arr);
/* the signed-in user and an account they may see ({account}); 0 or -1 answered */
int tenant_begin(struct request *, struct auth_user *, struct db **, int64_t *account_id, int64_t *site_id);
int tenant_valid_instant(const struct param_def *, const char *, struct param_value *, char *, size_t);
void tenant_instant_sql(int64_t num, char *out, size_t outlen);

/* cgi/tenant_calc.c: pure */
enum { USAGE_HOUR, USAGE_DAY, USAGE_MONTH };
int usage_step_parse(const char *);		/* -1 if not hour, day, month */
int64_t usage_bucket_key(int64_t local, int step);
int64_t usage_bucket_start(int64_t key, int step);	/* local seconds */
#define INSIGHT_MAX_DAYS 93
#define INSIGHT_MAX_STANDOUT 16
struct insight_in {
	int ndays;
	const int64_t *day_milli;	/* energy per local day */
	const int *day_weekend;
	int64_t night_milli, night_hours;	/* 00:00-05:00 local */
	int64_t band_milli[4];		/* sharp, peak, flat, valley */
	int has_price;
	int64_t price_uyuan[4];		/* current tariff, per band */
	int shift_pct;
};
struct insight_out {
	int64_t total_milli, peak_share_bp, shift_milli, shift_saving_fen, peak_price_uyuan;
	int64_t night_base_w, weekday_avg_w, weekend_avg_w, baseline_milli;
	int nstandout;
	int standout[INSIGHT_MAX_STANDOUT];	/* day indices */
};
void insights_compute(const struct insight_in *, struct insight_out *);

#endif
