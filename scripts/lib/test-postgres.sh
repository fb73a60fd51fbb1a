# Starts a private PostgreSQL for the tests and exports TEST_DATABASE_URL (a superuser URL on
# loopback, password-protected). Sourced by scripts/test.sh and bench/; call stop_test_postgres
# (or rely on the EXIT trap) to stop it and remove its data.

start_test_postgres() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found: run scripts/setup.sh" >&2; return 1; }

    local as=()
    local parent="$PWD/.build"
    mkdir -p "$parent"
    if [ "$(id -u)" -eq 0 ]; then
        as=(runuser -u postgres -- env -C /)
        # The postgres user must be able to reach the data directory; a checkout private to
        # root (mode 0700) cannot be, so fall back to /tmp.
        if ! runuser -u postgres -- test -x "$parent"; then parent=/tmp; fi
    fi
    TEST_PG_DIR=$(mktemp -d "$parent/test-pg.XXXXXX")
    chmod 0711 "$TEST_PG_DIR"
    mkdir -p "$TEST_PG_DIR/data" "$TEST_PG_DIR/run"
    local password
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" > "$TEST_PG_DIR/pw"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$TEST_PG_DIR"; fi
    chmod 0700 "$TEST_PG_DIR/data" "$TEST_PG_DIR/run"

    TEST_PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/initdb" -D "$TEST_PG_DIR/data" -U postgres --pwfile="$TEST_PG_DIR/pw" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
    rm -f "$TEST_PG_DIR/pw"
    "${as[@]}" "$bin/pg_ctl" start -D "$TEST_PG_DIR/data" -w -s -l "$TEST_PG_DIR/data/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $TEST_PG_PORT -c unix_socket_directories='$TEST_PG_DIR/run' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    TEST_PG_BIN="$bin"
    TEST_PG_AS=("${as[@]}")
    export TEST_DATABASE_URL="postgres://postgres:$password@127.0.0.1:$TEST_PG_PORT/postgres"
    trap stop_test_postgres EXIT
}

stop_test_postgres() {
    if [ -n "${TEST_PG_DIR:-}" ] && [ -d "$TEST_PG_DIR/data" ]; then
        "${TEST_PG_AS[@]}" "$TEST_PG_BIN/pg_ctl" stop -D "$TEST_PG_DIR/data" -m fast -w -s >/dev/null 2>&1 || true
        rm -rf "$TEST_PG_DIR"
    fi
    TEST_PG_DIR=""
}
