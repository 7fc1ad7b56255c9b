# Shared by shell tests: sql "STATEMENT" against the database PREPAY_CONF
# names ([database] socket or host/port, user, password or password_file),
# through a client options file in the directory given to db_lib_init.
db_lib_ini() {
	awk -v want="$1" '
		/^[ \t]*\[/ { sec = $0; gsub(/[][ \t]/, "", sec); next }
		sec == "database" && $0 ~ "^[ \t]*" want "[ \t]*=" {
			sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]+$/, ""); print; exit
		}' "$PREPAY_CONF"
}

db_lib_abs() {
	case "$1" in /*) echo "$1" ;; *) echo "$(cd "$(dirname "$PREPAY_CONF")" && pwd)/$1" ;; esac
}

# db_lib_init DIR: writes DIR/my.cnf (mode 600: it may hold the password)
db_lib_init() {
	DB_LIB_CNF=$1/my.cnf
	(
		umask 077
		echo "[client]"
		echo "default-character-set=utf8mb4"
		s=$(db_lib_ini socket); [ -n "$s" ] && echo "socket=$(db_lib_abs "$s")"
		s=$(db_lib_ini host); [ -n "$s" ] && echo "host=$s"
		s=$(db_lib_ini port); [ -n "$s" ] && echo "port=$s"
		echo "user=$(db_lib_ini user)"
		s=$(db_lib_ini password); [ -n "$s" ] && echo "password=$s"
		s=$(db_lib_ini password_file); [ -n "$s" ] && echo "password=$(head -n 1 "$(db_lib_abs "$s")")"
		echo "database=$(db_lib_ini name)"
	) >"$DB_LIB_CNF"
}

sql() {
	mariadb --defaults-file="$DB_LIB_CNF" -N -B -e "$1"
}
