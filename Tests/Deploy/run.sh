#!/usr/bin/env bash
# Lints the deployment files: Dockerfile (hadolint, checkov), compose.yaml (the compose-spec
# schema), the CI workflow (actionlint, which runs shellcheck on its scripts), deploy/aws
# (python-hcl2 parse, the required resources and references: check_terraform.py; checkov) and
# the deployment's shell scripts (shellcheck). The tools are pinned in requirements*.txt and
# installed once into virtualenvs under .build; after that it runs offline. One PASS/FAIL line
# per step, a failing step's output below it; exits 1 if any step failed.
#   bash Tests/Deploy/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

start=$SECONDS
python="$(bash scripts/python-tools.sh Tests/Deploy/requirements.txt deploy-tools)"
checkov_python="$(bash scripts/python-tools.sh Tests/Deploy/requirements-checkov.txt deploy-checkov)"
tools="$(dirname "$python")"
checkov="$(dirname "$checkov_python")/checkov"
# actionlint finds shellcheck on PATH.
export PATH="$tools:$PATH"
logs=.build/deploy-lint
mkdir -p "$logs"
passed=0
failed=0

# step NAME WHAT COMMAND…: runs COMMAND with its output kept in a log; prints one line, and the
# log when it failed.
step() {
    local name=$1 what=$2 began=$SECONDS
    shift 2
    if "$@" >"$logs/$name.log" 2>&1; then
        printf 'PASS %-19s %-28s (%ds)\n' "$name" "$what" $((SECONDS - began))
        passed=$((passed + 1))
    else
        printf 'FAIL %-19s %-28s (%ds)\n' "$name" "$what" $((SECONDS - began))
        sed 's/^/    /' "$logs/$name.log"
        failed=$((failed + 1))
    fi
}

# checkov: no downloads (guidelines, version check), and the skips of checkov.yaml.
checkov() {
    "$checkov" --config-file Tests/Deploy/checkov.yaml --skip-download --compact --quiet "$@"
}

step hadolint Dockerfile "$tools/hadolint" --no-color Dockerfile
step compose-schema compose.yaml "$tools/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
step actionlint .github/workflows/ci.yml "$tools/actionlint" .github/workflows/ci.yml
step shellcheck "deploy and Tests/Deploy" "$tools/shellcheck" -x \
    Tests/Deploy/*.sh deploy/container/healthcheck.sh deploy/compose/initdb/*.sh
step terraform-resources deploy/aws "$python" Tests/Deploy/check_terraform.py deploy/aws
step checkov-terraform deploy/aws checkov -d deploy/aws --framework terraform
step checkov-dockerfile Dockerfile checkov -f Dockerfile --framework dockerfile

echo "deploy lint: $passed passed, $failed failed ($((SECONDS - start))s)"
[ "$failed" -eq 0 ]
