#!/usr/bin/env bash
# Installs the standard OpenAPI tools the tests use (validator, client generator, response
# validator: Tests/OpenAPI/requirements.txt) into a private virtualenv under .build, once per
# version of that file. Prints the virtualenv's python.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/openapi-venv
requirements=Tests/OpenAPI/requirements.txt
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$stamp"
fi
echo "$PWD/$venv/bin/python"
