#!/usr/bin/env bash
# Refresh the console's vendored JavaScript from the npm registry: Apache ECharts and htmx.
#
# The console has no build step and loads nothing from a CDN: the minified files are copied
# from the packages' own tarballs into api/console/static/ with their licences, and committed.
#
#   tools/vendor_echarts.sh                 # echarts@5, htmx.org@2 (the newest of each major)
#   ECHARTS=echarts@5.6.0 HTMX=htmx.org@2.0.11 tools/vendor_echarts.sh
#
# Needs npm (only to download the tarballs: `npm pack` runs no package scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
ECHARTS="${ECHARTS:-echarts@5}"
HTMX="${HTMX:-htmx.org@2}"
STATIC=api/console/static
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

# Record what was vendored, so a reviewer can tell the versions without opening the files.
node -e '
const e = require(process.argv[1]), h = require(process.argv[2]);
console.log(`echarts ${e.version}\nhtmx.org ${h.version}`);
' "$work/echarts/package/package.json" "$work/htmx/package/package.json" >"$STATIC/VENDORED.txt"
cat "$STATIC/VENDORED.txt"
