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
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DWHITTLE_AARCH64_BUILD_DIR="${WHITTLE_AARCH64_BUILD_DIR:-$root/build-aarch64}" \
    >/dev/null
fi
ninja -C "$build" ${WHITTLE_NINJA_FLAGS:-} | grep -v '^\[' || true
# grep swallows ninja's exit status; check it again so failures are loud.
ninja -C "$build" ${WHITTLE_NINJA_FLAGS:-} >/dev/null

# The runtime, whittle-run and the C examples cross-built for AArch64
# (cmake/aarch64-linux-gnu.cmake), run under qemu by the aarch64 tests.
if [ "${WHITTLE_NO_AARCH64:-0}" != 1 ]; then
  cross=${WHITTLE_AARCH64_BUILD_DIR:-$root/build-aarch64}
  if [ ! -f "$cross/build.ninja" ]; then
    cmake -G Ninja -S "$root" -B "$cross" \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DWHITTLE_RUNTIME_ONLY=ON \
      -DWHITTLE_COMPILE="$build/bin/whittle-compile" \
      -DWHITTLE_MODEL_TARGET=aarch64 >/dev/null
  fi
  ninja -C "$cross" ${WHITTLE_NINJA_FLAGS:-} >/dev/null
fi
