#!/usr/bin/env bash
# Refresh the vendored JavaScript from the npm registry: Apache ECharts and htmx for the
# console, Swagger UI for the API's interactive documentation at /docs.
#
# Neither has a build step or loads anything from a CDN (a county's network may reach none):
# the files are copied from the packages' own tarballs, with their licences, into
# api/console/static/ and api/http/static/, and committed.
#
#   tools/vendor_js.sh               # echarts@5, htmx.org@2, swagger-ui-dist@5 (newest of each)
#   ECHARTS=echarts@5.6.0 HTMX=htmx.org@2.0.11 SWAGGER=swagger-ui-dist@5.31.0 tools/vendor_js.sh
#
# Needs npm (only to download the tarballs: `npm pack` runs no package scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
ECHARTS="${ECHARTS:-echarts@5}"
HTMX="${HTMX:-htmx.org@2}"
SWAGGER="${SWAGGER:-swagger-ui-dist@5}"
STATIC=api/console/static
DOCS_STATIC=api/http/static
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack SPEC DIR: the package's tarball, unpacked into DIR/package
  local tarball
  tarball="$(cd "$work" && npm pack --silent "$1" | tail -n 1)"
  mkdir -p "$work/$2"
  tar -xzf "$work/$tarball" -C "$work/$2"
  echo "$1 -> $tarball" >&2
}

unpack "$ECHARTS" echarts
cp "$work/echarts/package/dist/echarts.min.js" "$STATIC/echarts.min.js"
cp "$work/echarts/package/LICENSE" "$STATIC/LICENSE.echarts"
cp "$work/echarts/package/NOTICE" "$STATIC/NOTICE.echarts"

unpack "$HTMX" htmx
cp "$work/htmx/package/dist/htmx.min.js" "$STATIC/htmx.min.js"
cp "$work/htmx/package/LICENSE" "$STATIC/LICENSE.htmx"

unpack "$SWAGGER" swagger
mkdir -p "$DOCS_STATIC"
for file in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png; do
  cp "$work/swagger/package/$file" "$DOCS_STATIC/$file"
done
cp "$work/swagger/package/LICENSE" "$DOCS_STATIC/LICENSE.swagger-ui"
node -e 'console.log(`swagger-ui-dist ${require(process.argv[1]).version}`)' \
  "$work/swagger/package/package.json" >"$DOCS_STATIC/VENDORED.txt"
cat "$DOCS_STATIC/VENDORED.txt"

# Record what was vendored, so a reviewer can tell the versions without opening the files.
node -e '
const e = require(process.argv[1]), h = require(process.argv[2]);
console.log(`echarts ${e.version}\nhtmx.org ${h.version}`);
' "$work/echarts/package/package.json" "$work/htmx/package/package.json" >"$STATIC/VENDORED.txt"
cat "$STATIC/VENDORED.txt"
