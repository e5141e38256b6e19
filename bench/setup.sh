#!/usr/bin/env bash
# Installs the benchmark peer, ONNX Runtime, from the npm package
# onnxruntime-node into bench/node_modules (git-ignored).
#
# The package bundles its CPU build (bin/napi-v*/linux/x64/libonnxruntime.so.1
# and onnxruntime_binding.node); its postinstall script only downloads the
# optional CUDA/TensorRT providers, so it is skipped with --ignore-scripts.
#
# Idempotent: prints nothing and exits 0 when the binding already loads.
# Needs node (>= 18) and npm, and access to the npm registry on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

check() {
  node -e '
    const ort = require("onnxruntime-node");
    if (!ort.listSupportedBackends().some((b) => b.name === "cpu"))
      throw new Error("onnxruntime-node has no cpu backend");
  ' 2>&1
}

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench/setup.sh: error: '$tool' not found (install Node.js >= 18 and npm)" >&2
    exit 1
  fi
done

if check >/dev/null; then
  exit 0
fi

echo "bench/setup.sh: installing onnxruntime-node into $(pwd)/node_modules" >&2
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2

if ! err=$(check); then
  echo "bench/setup.sh: error: onnxruntime-node installed but its native binding does not load:" >&2
  echo "$err" >&2
  exit 1
fi
echo "bench/setup.sh: onnxruntime-node $(node -p 'require("onnxruntime-node/package.json").version') ready" >&2
