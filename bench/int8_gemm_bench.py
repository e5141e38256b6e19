#!/usr/bin/python3
"""Integer GEMM microbenchmark: Whittle's MatMulInteger kernels against the
instruction peak that bench/fma_peak.c --int8 measures, and against ONNX Runtime
on the same models, with every output checked against the exact product.

Each case is an ONNX model with one MatMulInteger, Y[M,N] = X[M,K] x W[K,N]
(X uint8 input, W int8 initializer, i32 output; BERT-base's shapes at
sequence 128), with full-range weights (ONNX Runtime's quantize_dynamic
default) or 7-bit ones (its reduce_range), compiled for each ISA:

  native  whittle-compile --mcpu=native; ONNX Runtime as it is
  avx2    whittle-compile --mcpu=x86-64-v3 (AVX2, no VNNI); ONNX Runtime
          under bench/cpuid_mask.c, which hides AVX-512 and VNNI from CPUID,
          so that it takes the kernels a CPU without VNNI runs, on the same
          cores (needs CPUID faulting, "cpuid_fault" in /proc/cpuinfo)

The kernel Whittle used is read from the library's machine code (vpdpbusd,
vpmaddubsw, or vpmaddwd alone), and its peak is the matching sequence of
`fma_peak --int8` at the same thread count. Whittle's outputs must equal the
exact product (whittle-run --atol 0); ONNX Runtime's are counted against
it ("wrong": outputs that differ, "max err": the largest difference).

    /usr/bin/python3 bench/int8_gemm_bench.py [--threads 1] [--isa native avx2]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

CASES = [(128, 768, 3072), (128, 3072, 768), (128, 768, 768)]  # (M, K, N)
MCPU = {"native": "native", "avx2": "x86-64-v3"}
# The kernel's instruction -> the `fma_peak --int8` sequence that bounds it.
PEAK_OF = {"vpdpbusd": "vnni-zmm", "vpmaddubsw": "avx2-u8s8", "vpmaddwd": "avx2-s16"}


def make_model(m, k, n, bits, d):
    """d/model.onnx and d/test_data_set_0 (x, exact y); returns d."""
    if os.path.isfile(os.path.join(d, "model.onnx")):
        return d
    rng = np.random.default_rng(m * 1000003 + k * 1009 + n + bits)
    bound = 2 ** (bits - 1)
    w = rng.integers(-bound, bound, (k, n)).astype(np.int8)
    x = rng.integers(0, 256, (m, k)).astype(np.uint8)
    y = (x.astype(np.int64) @ w.astype(np.int64)).astype(np.int32)
    return B.write_matmul_case(d, "MatMulInteger", x, w, y)


def int8_peak(threads, cpus, timeout):
    """{variant: G MAC/s} at `threads` threads from bench/fma_peak.c --int8."""
    exe = os.path.join(B.RESULTS, "fma_peak")
    os.makedirs(B.RESULTS, exist_ok=True)
    B.run([B.c_compiler(), "-O2", "-march=native", "-pthread",
           os.path.join(B.BENCH, "fma_peak.c"), "-o", exe], timeout,
          "compiling bench/fma_peak.c")
    p = B.run(B.pinned([exe, "--int8", "--json", "--threads", str(threads)], cpus), timeout,
              "fma_peak --int8")
    return {r["variant"]: r["gmacs"] for r in map(json.loads, p.stdout.splitlines())}


def kernel_of(so):
    """The dot-product instruction in the library's machine code."""
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so], capture_output=True,
                         text=True).stdout
    for insn in ("vpdpbusd", "vpmaddubsw", "vpmaddwd"):
        if insn in asm:
            return insn
    return "none"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--isa", nargs="+", default=["native", "avx2"], choices=sorted(MCPU))
    p.add_argument("--cpus", help="CPU list for taskset (default: the first T allowed)")
    p.add_argument("--bin-dir", help="directory of whittle-compile and whittle-run")
    p.add_argument("--timeout", type=int, default=600)
    args = p.parse_args()
    cpus, machine = B.cpus_and_machine(args.cpus, args.threads)
    compile_bin = B.find_whittle_tool("whittle-compile", None, args.bin_dir)
    run_bin = B.find_whittle_tool("whittle-run", None, args.bin_dir)
    ort_version = B.ensure_ort()
    peak = int8_peak(args.threads, cpus, args.timeout)
    B.log("int8 peak: " + ", ".join(f"{v} {g:.1f}" for v, g in peak.items()))
    mask = B.cpuid_mask_lib(args.timeout) if "avx2" in args.isa else None

    rows = []
    for isa in args.isa:
        for bits in (8, 7):
            for (m, k, n) in CASES:
                name = f"mmi{bits}_{m}x{k}x{n}"
                d = make_model(m, k, n, bits, os.path.join(B.RESULTS, "int8_gemm", name))
                model = os.path.join(d, "model.onnx")
                data = os.path.join(d, "test_data_set_0")
                inputs = [os.path.join(data, "input_0.pb")]
                so = os.path.join(d, f"{isa}.so")
                B.compile_model(compile_bin, model, so, [f"--mcpu={MCPU[isa]}"], args.timeout)
                B.run([run_bin, so, "--test-data", data, "--atol", "0", "--rtol", "0"],
                      args.timeout, f"{name} ({isa}) exactness")
                preload = mask if isa == "avx2" else None
                out = os.path.join(d, f"ort-{isa}")
                B.ort_time(model, inputs, 1, 0, 0, cpus, args.timeout, output_dir=out,
                           preload=preload)
                from onnx import load_tensor, numpy_helper
                exact = numpy_helper.to_array(
                    load_tensor(os.path.join(data, "output_0.pb"))).astype(np.int64)
                diff = np.abs(np.load(os.path.join(out, "y.npy")).astype(np.int64) - exact)
                ours, peer = [], []
                for _ in range(args.reps):
                    ours.append(B.whittle_time(run_bin, so, inputs, args.threads,
                                               args.iterations, args.warmup, cpus,
                                               args.timeout))
                    peer.append(B.ort_time(model, inputs, args.threads, args.iterations,
                                           args.warmup, cpus, args.timeout,
                                           preload=preload)["median_ms"])
                kernel = kernel_of(so)
                gmac = m * k * n / 1e9
                w_rate, o_rate = gmac / (B.median(ours) * 1e-3), gmac / (B.median(peer) * 1e-3)
                bound = peak.get(PEAK_OF.get(kernel, ""))
                ratio = B.median([o / q for o, q in zip(ours, peer)])
                rows.append((isa, bits, f"{m}x{k}x{n}", kernel, w_rate,
                             f"{100 * w_rate / bound:.0f}%" if bound else "—", o_rate, ratio,
                             int((diff > 0).sum()), diff.size, int(diff.max()),
                             int(np.abs(exact).max())))
                B.log(f"{name} {isa}: {kernel} {w_rate:.1f} G MAC/s, ORT {o_rate:.1f}")

    print(f"Measured {machine['date']} on {B.machine_line(machine)}; {args.threads} "
          f"thread(s) on CPU(s) {','.join(map(str, cpus))}; ONNX Runtime {ort_version}.")
    print()
    print("```sh\n" + B.command_line() + "\n```\n")
    print(f"Instruction peaks (`bench/fma_peak.c --int8`, {args.threads} thread(s)): " +
          ", ".join(f"{v} {g:.1f} G MAC/s" for v, g in peak.items()) + ".\n")
    print("| ISA | weights | M x K x N | Whittle kernel | Whittle G MAC/s | of peak | "
          "ORT G MAC/s | Whittle / ORT time | ORT wrong outputs | ORT max err |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (isa, bits, shape, kernel, w_rate, pct, o_rate, ratio, wrong, total, err,
         ymax) in rows:
        print(f"| {isa} | {bits}-bit | {shape} | `{kernel}` | {w_rate:.1f} | {pct} | "
              f"{o_rate:.1f} | {ratio:.2f}x | {wrong} of {total} | "
              f"{err} (of {ymax}) |")
    print("\nWhittle's outputs equal the exact product in every case "
          "(whittle-run --atol 0 --rtol 0).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
