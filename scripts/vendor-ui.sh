#!/usr/bin/env bash
# Refreshes the admin console's vendored libraries (UI.md, Delivery) from their pinned packages,
# checks each file's sha256 and writes Sources/AdminUI/Assets/VENDORED.md. Run it when a pin
# changes; the build itself never downloads anything.
#   Preact 10.27.2 + htm 3.1.1, one ES module: PyPI datasette-preact 0.0.1 (Apache-2.0)
set -euo pipefail
cd "$(dirname "$0")/.."
assets=Sources/AdminUI/Assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --no-deps --dest "$work" datasette-preact==0.0.1
python3 -m zipfile -e "$work"/datasette_preact-0.0.1-py3-none-any.whl "$work/preact"
source_file="$work/preact/datasette_preact/static/preact-10.27.2-htm-3.1.1.min.js"
expected=2ad4f06c517e968b6382c26262363ebb89ebd7bcf3f7dc29a8368fe5b542861b
actual=$(sha256sum "$source_file" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
    echo "vendor-ui: preact-htm sha256 is $actual, expected $expected" >&2
    exit 1
fi
cp "$source_file" "$assets/preact-htm.js"
cp "$work/preact/datasette_preact-0.0.1.dist-info/licenses/LICENSE" "$assets/LICENSE-preact-htm"
cat >"$assets/VENDORED.md" <<MD
# Vendored libraries of the admin console

Refreshed by \`scripts/vendor-ui.sh\`; never edited by hand.

| file | library | version | from | license | sha256 |
|---|---|---|---|---|---|
| \`preact-htm.js\` | Preact + htm, one ES module | Preact 10.27.2, htm 3.1.1 | PyPI \`datasette-preact\` 0.0.1, \`datasette_preact/static/preact-10.27.2-htm-3.1.1.min.js\` | MIT (Preact, htm); the package Apache-2.0 (\`LICENSE-preact-htm\`) | \`$actual\` |
MD
echo "vendor-ui: preact-htm.js $actual"
