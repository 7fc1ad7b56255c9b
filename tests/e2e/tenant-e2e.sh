#!/bin/bash
# The tenant page in Debian's Chromium (playwright-core), phone and desktop
# viewports, against a private stack of its own: pay-lib.sh's prepay-api +
# prepay-sandbox on $PREPAY_CONF's database, and an nginx that serves web/
# and passes /api/ to that prepay-api — the same layout as deploy/stack.
# The account gets a TOU tariff, two days of hourly consumption, a statement,
# and a site policy that cuts at once, so the page shows "pay ¥X to restore"
# and the top-up visibly restores supply. Screenshots go to
# $PREPAY_E2E_LOG_DIR (default tests/e2e/log under the build directory).
srcdir=${PREPAY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
CHROMIUM=${PREPAY_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || [ ! -d "$srcdir/node_modules/playwright-core" ]; then
	echo "1..0 # SKIP needs $CHROMIUM (apt-get install chromium) and npm ci at the repo root (playwright-core)"
	exit 0
fi
. "$srcdir/tests/integration/tenant-lib.sh"

# --- the data the pages show ------------------------------------------------------
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/jiangsu-industrial-tou.json" --site "$PAY_SITE" --code tou
run_ctl tariff assign "$PAY_SITE/a1" "$PAY_SITE/tou"
sql "INSERT INTO meters (site_id, code, profile, account_id, relay_capable) SELECT site_id, 'm1', 'chint-ddsu666', id, 0 FROM accounts WHERE id = $A1"
day0=$(TZ=Asia/Shanghai date -d '2 days ago' +%F)
t0=$(TZ=Asia/Shanghai date -d "$day0 00:00" +%s)
for h in $(seq 0 47); do
	run_ctl consume "$PAY_SITE/m1" --start "$(date -u -d "@$((t0 + h * 3600))" '+%FT%H:%MZ')" \
	    --end "$(date -u -d "@$((t0 + h * 3600 + 3600))" '+%FT%H:%MZ')" --energy $((1 + h % 5))
done
month=$(TZ=Asia/Shanghai date -d "$day0" +%Y-%m)
run_ctl statement run --month "$month" --account "$PAY_SITE/a1"
# cut as soon as the balance is below zero, whatever the hour
run_ctl site policy "$PAY_SITE" --grace-min 0 --no-cut-night no --no-cut-weekends no --no-cut-holidays no --reason e2e
run_ctl policy run --site "$PAY_SITE"
expect "set-up: a1 is below zero and its supply is cut" \
    "$(sql "SELECT a.balance_fen < 0, s.supply FROM accounts a JOIN account_policy_state s ON s.account_id = a.id WHERE a.id = $A1" | tr '\t' ' ')" "1 off"

# --- nginx serving web/ like the stack ---------------------------------------------
WEB_PORT=$(pick_port)
mkdir -p "$T/web-nginx/tmp"
cat >"$T/web-nginx/nginx.conf" <<NGINX
$( [ "$(id -u)" = 0 ] && echo "user root;" )
daemon off;
worker_processes 1;
pid $T/web-nginx/nginx.pid;
error_log $T/web-nginx/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $T/web-nginx/access.log;
    client_body_temp_path $T/web-nginx/tmp/body;
    fastcgi_temp_path $T/web-nginx/tmp/fastcgi;
    proxy_temp_path $T/web-nginx/tmp/proxy;
    uwsgi_temp_path $T/web-nginx/tmp/uwsgi;
    scgi_temp_path $T/web-nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$WEB_PORT;
        root $PREPAY_SRCDIR/web;
        location / { try_files \$uri \$uri/index.html =404; }
        location /api/ {
            fastcgi_pass unix:$T/api.sock;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param DOCUMENT_URI \$document_uri;
            fastcgi_param REMOTE_ADDR \$remote_addr;
        }
    }
}
NGINX
nginx -p "$T/web-nginx" -c "$T/web-nginx/nginx.conf" 2>>"$T/web-nginx/error.log" &
PIDS="$PIDS $!"
wait_port "$WEB_PORT"

LOG_DIR=${PREPAY_E2E_LOG_DIR:-$PREPAY_BUILDDIR/tests/e2e/log}
mkdir -p "$LOG_DIR"
export E2E_URL="http://127.0.0.1:$WEB_PORT" E2E_SANDBOX="$SB" E2E_PHONE="$PH1" E2E_PASSWORD="$PW" E2E_ACCOUNT="$A1" \
    E2E_DAY0="$day0" E2E_PERIOD="${month/-/}" E2E_LOG_DIR="$LOG_DIR" E2E_CHROMIUM="$CHROMIUM" E2E_NODE_MODULES="$srcdir/node_modules"
node "$srcdir/tests/e2e/tenant.mjs" >"$T/e2e.out" 2>"$T/e2e.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done <"$T/e2e.out"
[ $rc = 0 ] || { not_ok "the browser run finished"; sed 's/^/# /' "$T/e2e.err" | tail -20; }
echo "# screenshots: $LOG_DIR"
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
