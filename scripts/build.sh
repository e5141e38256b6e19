#!/usr/bin/env bash
# Installs dependencies (if missing), configures and builds Whittle into
# ${WHITTLE_BUILD_DIR:-build}.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WHITTLE_BUILD_DIR:-$root/build}

bash "$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 >/dev/null
fi
ninja -C "$build" ${WHITTLE_NINJA_FLAGS:-} | grep -v '^\[' || true
# grep swallows ninja's exit status; check it again so failures are loud.
ninja -C "$build" ${WHITTLE_NINJA_FLAGS:-} >/dev/null
