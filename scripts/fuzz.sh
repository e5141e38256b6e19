#!/usr/bin/env bash
# Builds the libFuzzer targets (WHITTLE_ENABLE_FUZZERS=ON) into
# ${WHITTLE_FUZZ_BUILD_DIR:-build-fuzz} and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS (default 600) is -max_total_time per target; TARGETs are import and
# tensor-file (default: both). Seeds: the model zoo, the ONNX backend node
# tests (models, input_K.pb) and generated .npy files. Corpora grow in
# $work/corpus/TARGET across runs, crashing inputs land in
# $work/artifacts/TARGET/, logs in $work/TARGET.log
# (work=${WHITTLE_FUZZ_WORK_DIR:-BUILD/fuzz}). Extra libFuzzer flags come from
# WHITTLE_FUZZ_FLAGS. See docs/fuzzing.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WHITTLE_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${WHITTLE_FUZZ_WORK_DIR:-$build/fuzz}
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(import tensor-file)
testdata=/usr/share/libonnx-testdata/data/node
python=/usr/bin/python3

# Share the main build's ccache entries (paths differ only below $root).
export CCACHE_BASEDIR=$root
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DWHITTLE_ENABLE_FUZZERS=ON >/dev/null
fi
nice -n 10 ninja -C "$build" ${WHITTLE_NINJA_FLAGS:-} \
  whittle-fuzz-import whittle-fuzz-tensor-file

seeds_import() {
  local dir=$work/seeds/import
  [ -d "$dir" ] && return
  mkdir -p "$dir.tmp"
  # The zoo: reuse the e2e suite's models, else generate the small ones.
  local zoo=("$root"/build/test/e2e/models/*/model.onnx)
  if [ ! -f "${zoo[0]}" ]; then
    "$python" "$root/test/models/make_models.py" --out "$work/zoo" \
      --only bert_tiny_static gpt2_tiny_static vit_tiny_static \
      llama_tiny_static >/dev/null || echo "warning: no zoo models" >&2
    zoo=("$work"/zoo/*/model.onnx)
  fi
  for m in "${zoo[@]}"; do
    [ -f "$m" ] && cp "$m" "$dir.tmp/zoo-$(basename "$(dirname "$m")").onnx"
  done
  for m in "$testdata"/*/model.onnx; do
    [ -f "$m" ] && cp "$m" "$dir.tmp/node-$(basename "$(dirname "$m")").onnx"
  done
  mv "$dir.tmp" "$dir"
}

seeds_tensor_file() {
  local dir=$work/seeds/tensor-file
  [ -d "$dir" ] && return
  mkdir -p "$dir.tmp"
  for f in "$testdata"/*/test_data_set_0/input_*.pb; do
    [ -f "$f" ] || continue
    local t=${f#"$testdata"/}
    cp "$f" "$dir.tmp/${t//\//-}"
  done
  # .npy files of every dtype the reader accepts, header versions 1 to 3.
  "$python" - "$dir.tmp" <<'EOF' || echo "warning: no .npy seeds" >&2
import sys, numpy as np
from numpy.lib import format as fmt
out = sys.argv[1]
dtypes = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?"]
for i, dt in enumerate(dtypes):
    shape = [(), (3,), (2, 3), (1, 2, 0)][i % 4]
    a = (np.arange(int(np.prod(shape))) % 2).astype(dt).reshape(shape)
    for version in [(1, 0), (2, 0), (3, 0)]:
        with open("%s/%s-v%d.npy" % (out, dt, version[0]), "wb") as f:
            fmt.write_array(f, a, version=version)
EOF
  mv "$dir.tmp" "$dir"
}

# Short allocation stacks and no fake stacks: about 1.5x the executions per
# second. Rerun a crashing input with ASAN_OPTIONS= for full stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=2:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

status=0
for target in "${targets[@]}"; do
  case $target in
  import) seeds_import ;;
  tensor-file) seeds_tensor_file ;;
  *) echo "unknown target '$target' (import, tensor-file)" >&2; exit 2 ;;
  esac
  corpus=$work/corpus/$target
  artifacts=$work/artifacts/$target
  log=$work/$target.log
  mkdir -p "$corpus" "$artifacts"
  echo "fuzzing $target for ${seconds}s (log: $log)"
  # One process (the default; no -jobs/-workers): the machine is shared.
  # Slow or huge inputs are findings too: -timeout and -rss_limit_mb make
  # them crashes.
  rc=0
  nice -n 10 "$build/bin/whittle-fuzz-$target" \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    ${WHITTLE_FUZZ_FLAGS:-} "$corpus" "$work/seeds/$target" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "$target: ${execs:-?} executions (${secs:-?} exec/s), exit $rc"
  if [ "$rc" -ne 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' \
      "$log" | head -20 || true
    status=1
  fi
done
exit $status
