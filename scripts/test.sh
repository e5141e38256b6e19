#!/usr/bin/env bash
# Sets up, builds and runs the whole Whittle test suite (lit: FileCheck tests,
# GoogleTest unit tests, end-to-end model and ONNX backend tests).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WHITTLE_BUILD_DIR:-$root/build}

bash "$root/scripts/build.sh" || { echo "build failed"; exit 1; }

log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv --time-tests "$build/test" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# One plain summary line for tools that read the closing line.
count() {
  local v
  v=$(sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1)
  echo "${v:-0}"
}
passed=$(( $(count Passed) + $(count 'Expectedly Failed') ))
failed=$(( $(count Failed) + $(count 'Unexpectedly Passed') + $(count Unresolved) + $(count 'Timed Out') ))
skipped=$(( $(count Unsupported) + $(count Excluded) ))
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$passed" -eq 0 ]; then
  echo "no test ran"
  exit 1
fi
exit "$rc"
