/*
 * prepayctl — the park operator's command line. See docs/prepayctl.8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/ctl.h"
#include "lib/log.h"

struct ctl_command {
	const char *word1, *word2;	/* "account" "show"; word2 NULL for one word */
	ctl_fn fn;
	const char *usage;
};

static const struct ctl_command commands[] = {
	{ "park", "import", ctl_park_import, "park import [--dry-run] [--verbose] FILE" },
	{ "account", "list", ctl_account_list, "account list [--site CODE] [--tenant CODE]" },
	{ "account", "show", ctl_account_show, "account show ID|SITE/CODE" },
	{ "db", "migrate", ctl_db_migrate, "db migrate" },
	{ "tariff", "quote", ctl_tariff_quote, "tariff quote --tariff FILE --usage FILE [--timezone TZ] [--calendar FILE] [--json]" },
	{ "topup", NULL, ctl_topup, "topup ACCOUNT AMOUNT --request-id ID [--reason TEXT] [--method cash|bank|pos]" },
	{ "adjust", NULL, ctl_adjust, "adjust ACCOUNT +AMOUNT|-AMOUNT --request-id ID --reason TEXT" },
	{ "audit", NULL, ctl_audit, "audit [--json]" },
	{ "account", "keep-power", ctl_account_keep_power, "account keep-power ACCOUNT on|off --reason TEXT" },
	{ "account", "emergency-credit", ctl_account_emergency_credit, "account emergency-credit ACCOUNT [--reason TEXT]" },
	{ "account", "policy", ctl_account_policy, "account policy ACCOUNT [RULES --reason TEXT | --inherit --reason TEXT]" },
	{ "site", "policy", ctl_site_policy, "site policy SITE [RULES [--reason TEXT]]" },
	{ "policy", "run", ctl_policy_run, "policy run [--site SITE]" },
	{ "alerts", "list", ctl_alerts_list, "alerts list [--account ACCOUNT] [--limit N]" },
	{ "alerts", "settings", ctl_alerts_settings, "alerts settings SITE [--quiet HH:MM-HH:MM|none] [--channels sms,wechat,webhook]" },
	{ "contact", "add", ctl_contact_add, "contact add SITE/TENANT|SITE sms|wechat|webhook ADDRESS [--lang zh|en] [--kinds LIST] [--name TEXT]" },
	{ "contact", "list", ctl_contact_list, "contact list SITE[/TENANT]" },
	{ "contact", "remove", ctl_contact_remove, "contact remove ID" },
	{ "tariff", "import", ctl_tariff_import, "tariff import FILE --site SITE --code CODE [--correct --reason TEXT]" },
	{ "tariff", "list", ctl_tariff_list, "tariff list [--site SITE]" },
	{ "tariff", "show", ctl_tariff_show, "tariff show SITE/CODE|ID [--document]" },
	{ "tariff", "assign", ctl_tariff_assign, "tariff assign ACCOUNT TARIFF [--unit-price YUAN] [--adjust-bp N] [--capacity-kva KVA]" },
	{ "tariff", "rerate", ctl_tariff_rerate, "tariff rerate --account ACCOUNT --from YYYY-MM --to YYYY-MM --reason TEXT [--energy E]" },
	{ "consume", NULL, ctl_consume, "consume METER --start TIME --end TIME --energy UNITS [--bands B=U,...] [--key ID]" },
	{ "statement", "run", ctl_statement_run, "statement run --month YYYY-MM [--site SITE] [--account ACCOUNT] [--dry-run]" },
	{ "statement", "show", ctl_statement_show, "statement show ACCOUNT --month YYYY-MM [--format text|json|csv|html]" },
	{ "meter", "share", ctl_meter_share, "meter share METER --rule area|fixed|consumption|none [--account ACCOUNT [--share N]]... [--submeters METER,...]" },
	{ "meter", "loss", ctl_meter_loss, "meter loss --month YYYY-MM [--site SITE]" },
	{ "fixed-charges", "run", ctl_fixed_run, "fixed-charges run [--date YYYY-MM-DD] [--site SITE] [--account ACCOUNT]" },
	{ "meter", "list", ctl_meter_list, "meter list [--site CODE] [--offline]" },
	{ "meter", "show", ctl_meter_show, "meter show ID|SITE/CODE" },
	{ "meter", "cut", ctl_meter_cut, "meter cut ID|SITE/CODE --reason TEXT [--request-id ID]" },
	{ "meter", "restore", ctl_meter_restore, "meter restore ID|SITE/CODE --reason TEXT [--request-id ID]" },
	{ "user", "add", ctl_user_add, "user add --tenant SITE/CODE --phone PHONE --password-file FILE [--name TEXT] [--replace]" },
	{ "user", "list", ctl_user_list, "user list [--tenant SITE/CODE]" },
	{ "account", "settle", ctl_account_settle, "account settle ACCOUNT --request-id ID [--reason TEXT]" },
	{ "refund", "cash", ctl_refund_cash, "refund cash ACCOUNT AMOUNT --request-id ID --reason TEXT" },
	{ "recon", NULL, ctl_recon, "recon DATE [--json]" },
	{ "wechat", "bindings", ctl_wechat_bindings, "wechat bindings [--site SITE] [--user PHONE]" },
	{ "wechat", "unbind", ctl_wechat_unbind, "wechat unbind PHONE|--openid OPENID --reason TEXT" },
	{ "usage", "rebuild", ctl_usage_rebuild, "usage rebuild [--account ACCOUNT]" },
	{ NULL, NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	fputs("usage: prepayctl [-c FILE] [--json] [--actor NAME] COMMAND [ARGS]\n\ncommands:\n", f);
	for (const struct ctl_command *c = commands; c->word1 != NULL; c++)
		fprintf(f, "  %s\n", c->usage);
	fputs("\n-c FILE defaults to $PREPAY_CONF. Exit codes: see prepayctl(8).\n", f);
}

static const char *
default_actor(void)
{
	const char *who = getenv("PREPAY_ACTOR");
	static char buf[80];

	if (who == NULL)
		who = getenv("SUDO_USER");
	if (who == NULL)
		who = getenv("USER");
	if (who == NULL)
		who = "unknown";
	snprintf(buf, sizeof buf, "operator:%.60s", who);
	return buf;
}

int
main(int argc, char **argv)
{
	struct ctl c = { 0 };
	int i = 1, rc;

	log_init("prepayctl", LOG_LEVEL_WARN);
	c.actor = default_actor();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.conf_path = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[i], "--actor") == 0 && i + 1 < argc) {
			static char buf[80];
			snprintf(buf, sizeof buf, "operator:%.60s", argv[++i]);
			c.actor = buf;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CTL_OK;
		} else {
			fprintf(stderr, "prepayctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	for (const struct ctl_command *cmd = commands; cmd->word1 != NULL; cmd++) {
		if (strcmp(cmd->word1, argv[i]) != 0)
			continue;
		if (cmd->word2 == NULL) {
			rc = cmd->fn(&c, argc - i - 1, argv + i + 1);
			goto done;
		}
		if (i + 1 < argc && strcmp(cmd->word2, argv[i + 1]) == 0) {
			rc = cmd->fn(&c, argc - i - 2, argv + i + 2);
			goto done;
		}
	}
	fprintf(stderr, "prepayctl: unknown command \"%s%s%s\"\n", argv[i],
	    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
	usage(stderr);
	return CTL_USAGE;
done:
	db_close(c.db);
	config_free(c.cfg);
	return rc;
}
