#!/bin/bash
# The container's health check: GET a path (default /readyz) on the server's own port, healthy on
# a 200. Dockerfile HEALTHCHECK and compose use /readyz; ECS uses /healthz, liveness only, so
# that a database outage does not get every task replaced. Bash's /dev/tcp instead of curl keeps
# an HTTP client and its libraries out of the runtime image.
#   /app/healthcheck [path]
set -euo pipefail
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8080}"
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "${1:-/readyz}" >&3
IFS= read -r -t 5 status <&3
[[ "$status" == "HTTP/1.1 200"* ]]
