#!/usr/bin/env bash
# Regenerates the operator table of docs/ops.md from the importer's registry
# (whittle-translate --list-ops). test/Import/ops-doc.test fails until this
# has been run after a change to the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WHITTLE_BUILD_DIR:-$root/build}
doc="$root/docs/ops.md"
table=$(mktemp)
trap 'rm -f "$table" "$doc.tmp"' EXIT
"$build/bin/whittle-translate" --list-ops=markdown > "$table"
awk -v table="$table" '
  /<!-- END GENERATED/ { while ((getline line < table) > 0) print line; skip = 0 }
  !skip { print }
  /<!-- BEGIN GENERATED/ { skip = 1 }
' "$doc" > "$doc.tmp"
mv "$doc.tmp" "$doc"
