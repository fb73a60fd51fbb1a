# syntax=docker/dockerfile:1
# The crm server as an image: built with the Swift toolchain, run on slim Debian with only the C
# libraries the binary links (Lua 5.4, zlib, libstdc++). Compose and AWS files are in deploy/.
#   docker build -t crm .
#   docker run --env-file .env -p 8080:8080 crm          (DATABASE_URL and the JWT secrets are required)

# ---- build -------------------------------------------------------------------------------------
# The toolchain the project is built and tested with (scripts/test.sh); Debian 12 like the runtime.
FROM swift:6.3.1-bookworm AS build

# Lua 5.4 and zlib headers for the CLua and CZlib system-library targets; curl for the RDS bundle.
# Unpinned on purpose: Debian stable keeps only the current version of a package, so an exact pin
# breaks the build at its next security update. The base image tag is what is pinned.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends liblua5.4-dev zlib1g-dev pkg-config curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# RDS presents certificates of Amazon's own CA, which Debian's ca-certificates lacks, and the
# server's sslmode=require verifies the chain and the host name: the runtime image trusts it too.
RUN curl -fsSL --retry 3 -o /tmp/aws-rds-global-bundle.crt \
        https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
 && grep -q "BEGIN CERTIFICATE" /tmp/aws-rds-global-bundle.crt

WORKDIR /src
# Dependencies first, so that a change under Sources/ does not fetch them again. Package.resolved
# is not in the context (.dockerignore): a local one names local mirrors' commits.
COPY Package.swift ./
RUN swift package resolve

# The manifest names the test targets' folders too, so Tests/ comes along (it is small).
COPY Sources/ Sources/
COPY Plugins/ Plugins/
COPY Tests/ Tests/
# Static Swift runtime: the runtime image needs no toolchain. The backtracer symbolicates a
# crash's stack in the log instead of leaving a bare signal.
RUN swift build -c release --product crm --static-swift-stdlib \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)/crm" /out/crm \
 && cp /usr/libexec/swift/linux/swift-backtrace-static /out/swift-backtrace-static

# ---- runtime -----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

COPY --from=build /tmp/aws-rds-global-bundle.crt /usr/local/share/ca-certificates/aws-rds-global-bundle.crt
# What the binary links besides glibc (liblua5.4-0, zlib1g, libstdc++6), CA roots for TLS to
# PostgreSQL and OAuth providers, and time zones for Foundation. No HTTP client: the health check
# uses bash. Unpinned for the reason given in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends liblua5.4-0 zlib1g libstdc++6 ca-certificates tzdata \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 crm \
 && useradd --system --no-log-init --uid 10001 --gid crm --home-dir /app --no-create-home --shell /usr/sbin/nologin crm

WORKDIR /app
# Everything in /app belongs to root and is read-only to the server: it writes nothing to disk
# once DATABASE_URL and the JWT secrets are set (production), so the root file system can be too.
COPY --from=build /out/crm /out/swift-backtrace-static /app/
COPY plugins-lua/ /app/plugins-lua/
COPY --chmod=0755 deploy/container/healthcheck.sh /app/healthcheck

# Defaults for a container: listen on every interface, production rules (JWT secrets required,
# JSON logs), the bundled Lua plugins from the image.
ENV CRM_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    CRM_LUA_PLUGINS=/app/plugins-lua \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER 10001:10001
EXPOSE 8080
# /readyz: 200 once migrations are done and PostgreSQL answers. The first start migrates, hence
# the start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["/app/healthcheck"]
# serve handles SIGTERM itself (drains within SHUTDOWN_TIMEOUT_SECONDS), so no init is needed.
ENTRYPOINT ["/app/crm"]
CMD ["serve"]
