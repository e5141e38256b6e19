#!/usr/bin/python3
"""GEMM microbenchmark: Whittle's MatMul throughput against the machine's fp32
FMA peak (and ONNX Runtime on the same models, for reference).

Each case is an ONNX model with one MatMul, Y[M,N] = X[M,K] x W[K,N], the
weight W an initializer as in a transformer's linear layers; the shapes are
BERT-base's at sequence length 128. Each model is compiled with
whittle-compile and timed with whittle-run (R repetitions of N runs at T
threads, pinned with taskset); GFLOP/s = 2*M*K*N / median latency.

The peak comes from bench/fma_peak.c (independent chains of AVX2 and AVX-512
FMAs in registers), compiled with clang -O2 -march=native and run on 1 and T
threads; "% of peak" divides by the best variant's T-thread number.

Writes bench/results/gemm-*.json and the "gemm" section of docs/benchmarks.md.

    /usr/bin/python3 bench/gemm_bench.py
    /usr/bin/python3 bench/gemm_bench.py --peak-only --no-doc
"""
import argparse
import json
import os
import shlex
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

CASES = [(128, 768, 3072), (128, 3072, 768), (128, 768, 768)]  # (M, K, N)


def make_matmul_model(m, k, n, d):
    """d/model.onnx + d/test_data_set_0/{input_0,output_0}.pb; returns d."""
    if os.path.isfile(os.path.join(d, "model.onnx")):
        return d
    rng = np.random.default_rng(m * 1000003 + k * 1009 + n)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    x = rng.standard_normal((m, k)).astype(np.float32)
    y = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    return B.write_matmul_case(d, "MatMul", x, w, y)


def fma_peak(threads, cpus, seconds, timeout):
    """{threads: {variant: GFLOP/s}} from bench/fma_peak.c."""
    cc = shutil.which("clang-22") or shutil.which("clang") or shutil.which("cc")
    if not cc:
        raise B.BenchError("no C compiler (clang-22) found for bench/fma_peak.c")
    exe = os.path.join(B.RESULTS, "fma_peak")
    os.makedirs(B.RESULTS, exist_ok=True)
    B.run([cc, "-O2", "-march=native", "-pthread", os.path.join(B.BENCH, "fma_peak.c"),
           "-o", exe], timeout, "compiling bench/fma_peak.c")
    counts = sorted({1, threads})
    # Pin to the benchmark CPUs; fma_peak pins thread t to the t-th of them.
    p = B.run(B.pinned([exe, "--json", "--threads", ",".join(map(str, counts)),
                        "--seconds", str(seconds)], cpus), timeout, "fma_peak")
    peak = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            peak.setdefault(r["threads"], {})[r["variant"]] = r["gflops"]
    if not peak:
        raise B.BenchError(f"fma_peak printed no results:\n{p.stdout}")
    return {"compiler": os.path.basename(cc), "results": peak}


def threads_peak(peak, threads):
    """The T-thread peak: the larger of the measured T-thread number and T
    times the 1-thread number, so that cores shared with other work while
    fma_peak ran do not inflate "% of peak"."""
    best = {t: max(r.values()) for t, r in peak["results"].items()}
    return max(best.get(threads, 0.0), threads * best.get(1, 0.0)) or None, best


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--cpus", help="CPU list for taskset (default: the first T allowed)")
    p.add_argument("--peak-seconds", type=float, default=1.0,
                   help="seconds per fma_peak measurement (best of 3)")
    p.add_argument("--bin-dir", help="directory of whittle-compile and whittle-run "
                   "(default: $WHITTLE_BIN_DIR or build/bin)")
    p.add_argument("--compile-flags", default="", help="extra whittle-compile flags")
    p.add_argument("--no-ort", action="store_true", help="do not time ONNX Runtime")
    p.add_argument("--peak-only", action="store_true", help="only measure the FMA peak")
    p.add_argument("--timeout", type=int, default=900, help="seconds per command")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--doc", default=B.DOC)
    args = p.parse_args()
    cpus, machine = B.cpus_and_machine(args.cpus, args.threads)
    errors = []

    try:
        peak = fma_peak(args.threads, cpus, args.peak_seconds, args.timeout)
    except B.BenchError as e:
        B.log(f"error: {e}")
        return 1
    peak_t, best = threads_peak(peak, args.threads)
    peak["peak_t_gflops"] = peak_t
    contended = (args.threads > 1 and 1 in best and args.threads in best
                 and best[args.threads] < 0.8 * args.threads * best[1])
    B.log("fma peak: " + "; ".join(f"{t} thread(s): " + ", ".join(
        f"{v} {g:.1f}" for v, g in r.items()) for t, r in sorted(peak["results"].items())))

    tools = {}
    ort_version = None
    cases = []
    if not args.peak_only:
        try:
            tools = {"compile": B.find_whittle_tool("whittle-compile", None, args.bin_dir),
                     "run": B.find_whittle_tool("whittle-run", None, args.bin_dir)}
        except B.BenchError as e:
            errors.append(str(e))
            B.log(f"warning: {e}; Whittle will not be measured")
        if not args.no_ort:
            try:
                ort_version = B.ensure_ort()
            except B.BenchError as e:
                errors.append(str(e))
                B.log(f"warning: {e}")
        for (m, k, n) in CASES:
            name = f"matmul_{m}x{k}x{n}"
            d = make_matmul_model(m, k, n, os.path.join(B.RESULTS, "gemm", name))
            model = os.path.join(d, "model.onnx")
            inputs = [os.path.join(d, "test_data_set_0", "input_0.pb")]
            flops = 2.0 * m * k * n
            c = {"name": name, "m": m, "k": k, "n": n, "gflop": flops / 1e9}
            if tools:
                so = os.path.join(d, f"{name}.so")
                try:
                    c["compile"] = B.compile_model(tools["compile"], model, so,
                                                   shlex.split(args.compile_flags), args.timeout)
                    ref = B.run([tools["run"], so, "--test-data",
                                 os.path.join(d, "test_data_set_0"), "--atol", "1e-3"],
                                args.timeout, "whittle-run --test-data")
                    c["check"] = ref.stdout.strip().splitlines()[-1] if ref.stdout.strip() else ""
                    ms = [B.whittle_time(tools["run"], so, inputs, args.threads, args.iterations,
                                         args.warmup, cpus, args.timeout)
                          for _ in range(args.reps)]
                    c["whittle_ms"] = ms
                    c["whittle_median_ms"] = B.median(ms)
                    c["whittle_gflops"] = flops / (c["whittle_median_ms"] * 1e-3) / 1e9
                except B.BenchError as e:
                    errors.append(f"{name}: {e}")
                    B.log(f"{name}: {e}")
            if ort_version:
                try:
                    ms = [B.ort_time(model, inputs, args.threads, args.iterations, args.warmup,
                                     cpus, args.timeout)["median_ms"] for _ in range(args.reps)]
                    c["ort_ms"] = ms
                    c["ort_median_ms"] = B.median(ms)
                    c["ort_gflops"] = flops / (c["ort_median_ms"] * 1e-3) / 1e9
                except B.BenchError as e:
                    errors.append(f"{name}: {e}")
                    B.log(f"{name}: {e}")
            for key in ("whittle", "ort"):
                if f"{key}_gflops" in c and peak_t:
                    c[f"{key}_pct_peak"] = 100 * c[f"{key}_gflops"] / peak_t
            B.log(f"{name}: " + ", ".join(
                f"{key} {c[key + '_gflops']:.1f} GFLOP/s" for key in ("whittle", "ort")
                if key + "_gflops" in c))
            cases.append(c)

    # Report.
    L = [f"Measured {machine['date']} on {B.machine_line(machine)}; 1-minute load average "
         f"{machine['loadavg']:.2f} at the start.", "", "```sh", B.command_line(), "```", ""]
    L.append(f"fp32 FMA peak (`bench/fma_peak.c`, {peak['compiler']} -O2 -march=native, "
             f"12 independent FMA chains per thread, best of 3 runs of {args.peak_seconds:g} s, "
             f"threads pinned to CPU(s) {','.join(map(str, cpus))}):")
    L.append("")
    variants = sorted({v for r in peak["results"].values() for v in r})
    L.append("| threads | " + " | ".join(f"{v} GFLOP/s" for v in variants) + " |")
    L.append("| ---: | " + " | ".join("---:" for _ in variants) + " |")
    for t, r in sorted(peak["results"].items()):
        L.append(f"| {t} | " + " | ".join(B.fmt(r.get(v), ".1f", "n/a") for v in variants) + " |")
    L.append("")
    L.append(f"Peak used below for {args.threads} thread(s): {B.fmt(peak_t, '.1f', '?')} GFLOP/s "
             f"(the larger of the {args.threads}-thread number and {args.threads} x the 1-thread "
             f"number).")
    if contended:
        L.append("")
        L.append(f"Warning: the {args.threads}-thread FMA number is below 80% of {args.threads} x "
                 f"the 1-thread number, so other work shared these CPUs during the run; "
                 f"all numbers of this run are low. Rerun on an idle machine.")
    if not args.peak_only:
        L.append("")
        L.append(f"Single MatMul `X[M,K] x W[K,N]` (W a constant initializer), {args.threads} "
                 f"thread(s), median of {args.reps} repetitions of {args.iterations} runs "
                 f"({args.warmup} warm-up); % of the peak above. ONNX Runtime "
                 f"{ort_version or 'not run'} on the same models, for reference.")
        L.append("")
        L.append("| M x K x N | GFLOP | whittle ms | whittle GFLOP/s | whittle % of peak "
                 "| ORT ms | ORT GFLOP/s | ORT % of peak |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for c in cases:
            L.append("| " + " | ".join([
                f"{c['m']} x {c['k']} x {c['n']}", f"{c['gflop']:.3f}",
                B.fmt(c.get("whittle_median_ms"), ".3f"),
                B.fmt(c.get("whittle_gflops"), ".1f"),
                B.fmt(c.get("whittle_pct_peak"), ".0f"),
                B.fmt(c.get("ort_median_ms"), ".3f"),
                B.fmt(c.get("ort_gflops"), ".1f"),
                B.fmt(c.get("ort_pct_peak"), ".0f"),
            ]) + " |")
    if errors:
        L += ["", "Not measured in this run:", ""]
        for e in dict.fromkeys(e.splitlines()[0] for e in errors):
            L.append(f"- {e}")
    text = "\n".join(L)

    path = B.write_json("gemm", {"machine": machine, "command": B.command_line(),
                                 "threads": args.threads, "cpus": cpus, "peak": peak,
                                 "ort_version": ort_version, "cases": cases, "errors": errors})
    print(text)
    B.log(f"wrote {B.rel(path)}")
    if not args.no_doc:
        B.update_doc_section("gemm", text, args.doc)
        B.log(f"updated {B.rel(args.doc)}")
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
