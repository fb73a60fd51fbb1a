# Shared by the suites that drive a real `crm serve` (Tests/Reliability, Tests/Browser). Source it.

# Sets CRM_BIN to an absolute path: as given, else the debug build (built when missing).
resolve_crm_bin() {
    if [ -z "${CRM_BIN:-}" ]; then
        swift build --product crm >/dev/null
        CRM_BIN="$(swift build --show-bin-path)/crm"
    fi
    CRM_BIN=$(realpath "$CRM_BIN")
    export CRM_BIN
}

# Starts `crm serve` on a fresh database (own unprivileged role) of $TEST_DATABASE_URL's server
# and waits until it is ready. Sets crm_base (http://127.0.0.1:<port>), crm_pid and crm_log;
# stop_crm_server ends it. Extra NAME=value arguments go to its environment.
start_crm_server() {
    local name="crm_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE $name LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$name'" \
        -c "CREATE DATABASE $name OWNER $name"
    local url port
    url=$(echo "$TEST_DATABASE_URL" | sed "s|//postgres:[^@]*@|//$name:$name@|; s|/postgres\$|/$name|")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    crm_log=$(mktemp)
    env DATABASE_URL="$url" PORT="$port" BCRYPT_COST=10 RATE_LIMIT_AUTH=0 RATE_LIMIT_API=0 LOG_LEVEL=warning "$@" \
        "$CRM_BIN" serve >"$crm_log" 2>&1 &
    crm_pid=$!
    crm_base="http://127.0.0.1:$port"
    until curl -sf "$crm_base/readyz" >/dev/null; do
        kill -0 "$crm_pid" 2>/dev/null || { echo "crm serve exited:" >&2; tail -20 "$crm_log" >&2; return 1; }
        sleep 0.2
    done
}

stop_crm_server() {
    if [ -n "${crm_pid:-}" ]; then kill "$crm_pid" 2>/dev/null || true; fi
    if [ -n "${crm_log:-}" ]; then rm -f "$crm_log"; fi
}
