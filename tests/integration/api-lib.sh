# Helpers shared by the api-*.sh tests and tests/bench/http.sh (sourced).
# TAP: check DESCRIPTION COMMAND... prints one ok/not ok line; tap_done
# prints the plan and fails if anything did.

tap_n=0
tap_failed=0

tap_result() {	# STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

check() {	# DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then tap_result 0 "$_d"; else tap_result 1 "$_d"; fi
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# Waits (bounded) until a unix socket or a file exists.
wait_for_path() {	# PATH
	_i=0
	while [ ! -e "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -e "$1" ]
}

# Waits (bounded) until a TCP port on 127.0.0.1 accepts connections.
wait_for_port() {	# PORT
	_i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A FastCGI request straight to a socket, without nginx (Debian libfcgi-bin).
# fcgi SOCKET METHOD PATH [QUERY] [CONTENT_LENGTH]: body on stdin.
fcgi() {
	env -i REQUEST_METHOD="$2" DOCUMENT_URI="$3" QUERY_STRING="${4:-}" \
	    CONTENT_LENGTH="${5:-}" CONTENT_TYPE=application/json REMOTE_ADDR=127.0.0.1 \
	    cgi-fcgi -bind -connect "$1"
}

# Writes an nginx config to DIR/nginx.conf: one server per "PORT:SOCKET"
# argument, each passing every request to that FastCGI socket.
nginx_config() {	# DIR PORT:SOCKET...
	_dir=$1
	shift
	mkdir -p "$_dir/tmp"
	{
		cat <<NGINX
worker_processes 1;
pid $_dir/nginx.pid;
error_log $_dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $_dir/tmp/body;
	fastcgi_temp_path $_dir/tmp/fastcgi;
	proxy_temp_path $_dir/tmp/proxy;
	uwsgi_temp_path $_dir/tmp/uwsgi;
	scgi_temp_path $_dir/tmp/scgi;
	# prepay-api answers 413 itself, as JSON
	client_max_body_size 32m;
NGINX
		for _pair in "$@"; do
			cat <<NGINX
	server {
		listen 127.0.0.1:${_pair%%:*};
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param REQUEST_ID \$request_id;
			fastcgi_pass unix:${_pair#*:};
		}
	}
NGINX
		done
		echo "}"
	} >"$_dir/nginx.conf"
}

# Picks a free-looking TCP port from a private range.
free_port() {
	_p=$(( 20000 + $$ % 20000 + ${1:-0} ))
	while (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; do
		_p=$((_p + 1))
	done
	echo $_p
}
