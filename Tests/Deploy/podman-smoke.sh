#!/usr/bin/env bash
# Builds the Dockerfile's runtime stage with podman, without pulling from any registry, and runs
# the image against a throwaway PostgreSQL: the base image is Debian 12 made by debootstrap from
# the apt mirror, and the build stage is replaced by a crm binary built here with
# --static-swift-stdlib (a build inside the Swift image needs that image). Checks the container's
# health check, /readyz, registration (a write through bcrypt and the database), the bundled Lua
# plugins, the non-root user, a read-only root file system without even a /tmp, JSON logs, that
# Swift concurrency runs on the event loops, and a clean exit on SIGTERM.
# Skipped (exit 0, one SKIP line) without root, podman or debootstrap.
#   bash Tests/Deploy/podman-smoke.sh               (builds .build-static/release/crm first)
#   CRM_STATIC_BIN=path/to/crm bash Tests/Deploy/podman-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() { echo "SKIP podman-smoke: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, rootful podman)"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc debootstrap)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"

base=localhost/crm-smoke-base:bookworm
image=localhost/crm-smoke:latest
name=crm-smoke-$$
work=$(mktemp -d /tmp/crm-smoke.XXXXXX)
# shellcheck source=scripts/lib/test-postgres.sh
source scripts/lib/test-postgres.sh
cleanup() {
    podman rm -f "$name" >/dev/null 2>&1 || true
    stop_test_postgres
    rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
check() {
    local what=$1
    shift
    if "$@" >"$work/check.log" 2>&1; then
        echo "PASS $what"
        passed=$((passed + 1))
    else
        echo "FAIL $what"
        sed 's/^/    /' "$work/check.log"
        failed=$((failed + 1))
    fi
}

# Some sandboxes (this project's machines) refuse podman's default rlimits, above the hard
# limits, and crun's cgroup setup (hybrid cgroups): runc, with limits no higher than the shell's,
# works there and anywhere else.
podman=(podman)
if command -v runc >/dev/null; then podman+=(--runtime runc); fi
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")

# The binary: static Swift runtime, like the Dockerfile's build stage.
bin=${CRM_STATIC_BIN:-}
if [ -z "$bin" ]; then
    bash scripts/setup.sh
    swift build -c release --product crm --static-swift-stdlib --scratch-path .build-static
    bin=.build-static/release/crm
fi
if ldd "$bin" | grep -q libswiftCore; then
    echo "FAIL $bin links the Swift runtime dynamically: build it with --static-swift-stdlib"
    exit 1
fi
backtrace="$(dirname "$(readlink -f "$(command -v swift)")")/../libexec/swift/linux/swift-backtrace-static"

# The base image, once per machine: what `debian:bookworm-slim` is, made from the apt mirror.
if ! podman image exists "$base"; then
    mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
    echo "podman-smoke: debootstrap bookworm from $mirror" >&2
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -5 "$work/debootstrap.log"; exit 1; }
    tar -C "$work/rootfs" -c . | podman import --quiet - "$base" >/dev/null
    rm -rf "$work/rootfs"
fi

# The Dockerfile's runtime stage as it is, but for its FROM and the two COPY --from=build: the
# binary comes from the context, and the RDS CA bundle (downloaded by the build stage) is left out.
mkdir -p "$work/context/deploy/container"
cp "$bin" "$work/context/crm"
cp "$backtrace" "$work/context/swift-backtrace-static"
cp -r plugins-lua "$work/context/plugins-lua"
cp deploy/container/healthcheck.sh "$work/context/deploy/container/"
sed -n '/^FROM debian:bookworm-slim AS runtime/,$p' Dockerfile \
    | sed -e "s|^FROM debian:bookworm-slim AS runtime|FROM $base AS runtime|" \
          -e '/^COPY --from=build \/tmp\/aws-rds-global-bundle.crt/d' \
          -e 's|^COPY --from=build /out/crm /out/swift-backtrace-static /app/|COPY crm swift-backtrace-static /app/|' \
    >"$work/context/Containerfile"
grep -q "^COPY crm swift-backtrace-static /app/" "$work/context/Containerfile" \
    || { echo "FAIL the Dockerfile's runtime stage no longer has the COPY lines this script replaces"; exit 1; }
# Docker format: OCI images have no HEALTHCHECK. The previous run's image goes first, so that
# runs do not pile up untagged images.
"${podman[@]}" rmi --force "$image" >/dev/null 2>&1 || true
"${podman[@]}" build --quiet --pull=never --format docker "${limits[@]}" -t "$image" "$work/context" \
    >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# PostgreSQL on loopback, with the role and database of compose's init script.
start_test_postgres
trap cleanup EXIT
app_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
pg_password=${TEST_DATABASE_URL#postgres://postgres:}
pg_password=${pg_password%%@*}
PGHOST=127.0.0.1 PGPORT=$TEST_PG_PORT PGPASSWORD=$pg_password POSTGRES_USER=postgres CRM_DB_PASSWORD=$app_password \
    bash deploy/compose/initdb/01-app-role.sh >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Host networking: the container reaches PostgreSQL on the host's loopback. Read-only without
# even a /tmp, as in ECS. (Without systemd, podman only says it cannot schedule health checks.)
"${podman[@]}" run -d --name "$name" --network host "${limits[@]}" \
    --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
    -e "PORT=$port" -e "HOST=127.0.0.1" \
    -e "DATABASE_URL=postgres://crm_app:$app_password@127.0.0.1:$TEST_PG_PORT/crm" \
    -e "JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    -e "JWT_REFRESH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$image" >/dev/null 2>"$work/run.log" || { cat "$work/run.log"; exit 1; }

ready() {
    for _ in $(seq 60); do
        if "${podman[@]}" healthcheck run "$name" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    "${podman[@]}" logs "$name" | tail -20
    return 1
}
base_url="http://127.0.0.1:$port"
check "container health check (/app/healthcheck → /readyz) within 60 s" ready
check "GET /readyz from the host is 200" curl -fsS "$base_url/readyz"
check "runs as uid 10001" test "$("${podman[@]}" exec "$name" id -u)" = 10001
# As root in the container, so that only the read-only mount can refuse the write.
check "root file system is read-only" bash -c "! ${podman[*]} exec --user 0 $name touch /x"
register() {
    curl -fsS -X POST "$base_url/api/v1/auth/register" -H 'Content-Type: application/json' \
        -d '{"email":"smoke@example.com","password":"correct horse battery","name":"Smoke","organizationName":"Smoke"}' \
        >"$work/register.json"
}
check "POST /api/v1/auth/register is 201" register
bundled_lua() {
    local token
    token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accessToken"])' "$work/register.json")
    curl -fsS "$base_url/api/v1/plugins" -H "Authorization: Bearer $token" | grep -q '"kind":"lua"'
}
check "GET /api/v1/plugins lists the image's bundled Lua plugins" bundled_lua
json_logs() {
    "${podman[@]}" logs "$name" 2>/dev/null >"$work/stdout.log"
    python3 -c 'import json, sys; [json.loads(line) for line in open(sys.argv[1])]' "$work/stdout.log"
}
check "the log is JSON lines (CRM_ENV=production)" json_logs
# main.swift finds the runtime's hook with dlsym; a static Swift runtime is linked with
# --exclude-libs ALL, which hides it, and the server falls back to Swift's thread pool.
event_loops() {
    ! "${podman[@]}" logs "$name" 2>&1 | grep "could not run Swift concurrency on the event loops"
}
check "Swift concurrency runs on NIO's event loops" event_loops
stopped() {
    "${podman[@]}" stop -t 20 "$name" >/dev/null
    test "$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")" = 0
}
check "SIGTERM: exits 0 within 20 s" stopped

echo "podman smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
