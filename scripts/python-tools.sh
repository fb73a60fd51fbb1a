#!/usr/bin/env bash
# Installs the pinned Python tools of a requirements file into a private virtualenv under .build,
# once per version of that file, and prints the virtualenv's python.
#   bash scripts/python-tools.sh <requirements.txt> <virtualenv name>
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=$1
venv=.build/$2
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$stamp"
fi
echo "$PWD/$venv/bin/python"
