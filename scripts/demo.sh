#!/usr/bin/env bash
# Sets up and builds Whittle, compiles the bundled model (a small decoder
# trained to add 3-digit numbers) into a shared library, links a C program
# against it through the generated header and lets it answer sums token by
# token through its key/value cache (--decode). Extra arguments are problems, e.g. scripts/demo.sh 321+654 17+5.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WHITTLE_BUILD_DIR:-$root/build}
out=$build/demo

bash "$root/scripts/build.sh"
mkdir -p "$out"
echo "== whittle-compile examples/adder/adder.onnx --decode=16:8 -o $out/adder.so"
/usr/bin/time -f "   compiled in %es, peak RSS %M KiB" \
  "$build/bin/whittle-compile" "$root/examples/adder/adder.onnx" --decode=16:8 \
  -o "$out/adder.so"
clang-22 -O2 -o "$out/adder_demo" "$root/examples/adder/adder_demo.c" \
  -I "$out" "$out/adder.so" -Wl,-rpath,"$out"
echo "== signature"
"$build/bin/whittle-run" "$out/adder.so"
echo "== the compiled model adds (prefill, then one decode step per token)"
"$out/adder_demo" "$@"
echo "== latency of one forward pass (whittle-run, 2 threads)"
"$build/bin/whittle-run" "$out/adder.so" --iterations 200 --warmup 20 --threads 2
