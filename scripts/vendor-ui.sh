#!/usr/bin/env bash
# Refreshes the admin console's vendored libraries (UI.md, Delivery) from their pinned packages,
# checks each file's sha256 and writes Sources/AdminUI/Assets/VENDORED.md. Run it when a pin
# changes; the build itself never downloads anything.
#   Preact 10.27.2 + htm 3.1.1, one ES module: PyPI datasette-preact 0.0.1 (Apache-2.0)
#   CodeMirror 5.65.0 with its Lua mode, one classic script + its CSS: Debian libjs-codemirror (MIT)
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

# CodeMirror 5 and its Lua mode from Debian's package, joined into one classic script (it is
# UMD: the mode registers itself on the CodeMirror global that the library defines).
codemirror_version="5.65.0+~cs5.83.9-2"
(cd "$work" && apt-get download "libjs-codemirror=$codemirror_version" >/dev/null 2>&1)
dpkg-deb -x "$work"/libjs-codemirror_*.deb "$work/cm"
cm="$work/cm/usr/share/javascript/codemirror"
check() {
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then echo "vendor-ui: $1 sha256 is $got, expected $2" >&2; exit 1; fi
}
check "$cm/lib/codemirror.js" 30e2f44f1dc3a9eb04c30a28dd754c56fb2f6b3528863e9ed09f99ae7043095c
check "$cm/mode/lua/lua.js" c0b9034b7e5e0f1fd5b4359e361b8fe661770c0df18b85d9eb221d2e16577008
check "$cm/lib/codemirror.css" b7d4c4d0fb61052f14659168297c284c93a2e12a3d2e91c8380675f1015317cd
cat "$cm/lib/codemirror.js" "$cm/mode/lua/lua.js" >"$assets/codemirror-lua.js"
cp "$cm/lib/codemirror.css" "$assets/codemirror.css"
cp "$work/cm/usr/share/doc/libjs-codemirror/copyright" "$assets/LICENSE-codemirror"
codemirror_sha=$(sha256sum "$assets/codemirror-lua.js" | cut -d' ' -f1)
css_sha=$(sha256sum "$assets/codemirror.css" | cut -d' ' -f1)

cat >"$assets/VENDORED.md" <<MD
# Vendored libraries of the admin console

Refreshed by \`scripts/vendor-ui.sh\`; never edited by hand.

| file | library | version | from | license | sha256 |
|---|---|---|---|---|---|
| \`preact-htm.js\` | Preact + htm, one ES module | Preact 10.27.2, htm 3.1.1 | PyPI \`datasette-preact\` 0.0.1, \`datasette_preact/static/preact-10.27.2-htm-3.1.1.min.js\` | MIT (Preact, htm); the package Apache-2.0 (\`LICENSE-preact-htm\`) | \`$actual\` |
| \`codemirror-lua.js\` | CodeMirror 5 and its Lua mode, one classic script | CodeMirror 5.65.0 | Debian \`libjs-codemirror\` $codemirror_version: \`lib/codemirror.js\` then \`mode/lua/lua.js\` | MIT (\`LICENSE-codemirror\`, the package's copyright file) | \`$codemirror_sha\` |
| \`codemirror.css\` | CodeMirror 5's stylesheet | CodeMirror 5.65.0 | the same package, \`lib/codemirror.css\` | MIT | \`$css_sha\` |
MD
echo "vendor-ui: preact-htm.js $actual, codemirror-lua.js $codemirror_sha, codemirror.css $css_sha"
