#!/usr/bin/env bash
# Installs every system dependency of Whittle with apt-get, and ONNX Runtime
# (npm) for the tests and benchmarks that compare against it. Idempotent:
# prints nothing and does nothing when everything is already present.
set -euo pipefail

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

PACKAGES=(
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler libtbb-dev libgtest-dev
  ninja-build cmake ccache libonnx-testdata python3-torch python3-onnx
  python3-numpy clang-format
)

# The AArch64 target: Debian's cross C/C++ libraries, TBB from the arm64
# multiarch packages and qemu to run the results (WHITTLE_NO_AARCH64=1 skips
# them, and with them the cross-built runtime and its tests).
if [ "${WHITTLE_NO_AARCH64:-0}" != 1 ]; then
  PACKAGES+=(libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross qemu-user
             libtbb-dev:arm64)
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm for the ONNX Runtime peer (onnxruntime-node): only when
# npm is absent, so that a Node.js installed otherwise is left alone.
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
fi

# ONNX Runtime, the peer that the benchmarks and the tests of ORT-saved
# models compare against (bench/node_modules; silent once installed).
root=$(cd "$(dirname "$0")/.." && pwd)
if ! bash "$root/bench/setup.sh"; then
  echo "warning: onnxruntime-node is unavailable; the tests that need it" \
       "(REQUIRES: onnxruntime) will be reported unsupported" >&2
fi
