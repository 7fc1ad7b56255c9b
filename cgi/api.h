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
void pay_wechat_notify(struct request *);
/* cgi/topup.c */
void topup_create(struct request *);
void topup_get(struct request *);

#endif
