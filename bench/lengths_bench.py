#!/usr/bin/env python3
"""BERT-base at several sequence lengths from one library: Whittle compiled
once with a bounded sequence axis against ONNX Runtime on the same
dynamic-axes export, and against Whittle libraries compiled for each length.

    /usr/bin/python3 bench/lengths_bench.py [--threads 2] [--reps 3]
        [--lengths 8 16 40 64 100 128] [--iterations 10] [--work DIR]
        [--no-fixed]

The model is test/models/make_models.py's bert_base_dynamic (BERT-base's
shapes, random weights, dynamic batch and sequence axes). Whittle compiles
it once with --input-shape input_ids=1x?128 (the mask follows; variants 16,
32, 64 and 128) and, unless --no-fixed, once per length with
--input-shape input_ids=1xN (what a user without bounds compiles). For each
length, random token ids with an all-ones mask run through whittle-run and
bench/ort_run.js (optimizations 'all'), alternately, --reps times, pinned to
the same CPUs; the outputs of the bounded library are checked against ONNX
Runtime's. Prints the CPU and a markdown table of medians.
"""
import argparse
import os
import statistics
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
BIN = os.path.join(SRC, "build", "bin")
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

MODEL = "bert_base_dynamic"
BOUND = 128


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--lengths", type=int, nargs="+", default=[8, 16, 40, 64, 100, 128])
    p.add_argument("--work", default="/tmp/whittle-lengths-bench")
    p.add_argument("--no-fixed", action="store_true",
                   help="skip the libraries compiled for one length each")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cpus = benchlib.default_cpus(args.threads)
    info = benchlib.machine_info()

    model_dir = os.path.join(args.work, MODEL)
    onnx_path = os.path.join(model_dir, "model.onnx")
    if not os.path.exists(onnx_path):
        benchlib.run(["/usr/bin/python3", os.path.join(SRC, "test", "models", "make_models.py"),
                      "--out", args.work, "--only", MODEL], 3600, "make_models.py")
    compile_bin = os.path.join(BIN, "whittle-compile")
    run_bin = os.path.join(BIN, "whittle-run")

    bounded = os.path.join(args.work, f"{MODEL}_upto{BOUND}.so")
    compiled = {"bounded": benchlib.compile_model(
        compile_bin, onnx_path, bounded, [f"--input-shape=input_ids=1x?{BOUND}"], 3600)}
    fixed = {}
    if not args.no_fixed:
        for n in args.lengths:
            fixed[n] = os.path.join(args.work, f"{MODEL}_{n}.so")
            compiled[n] = benchlib.compile_model(
                compile_bin, onnx_path, fixed[n], [f"--input-shape=input_ids=1x{n}"], 3600)

    rng = np.random.default_rng(0)
    inputs, errors = {}, {}
    for n in args.lengths:
        ids = os.path.join(args.work, f"ids_{n}.npy")
        mask = os.path.join(args.work, f"mask_{n}.npy")
        np.save(ids, rng.integers(0, 30522, size=(1, n)).astype(np.int64))
        np.save(mask, np.ones((1, n), np.int64))
        inputs[n] = [f"input_ids={ids}", f"attention_mask={mask}"]
        ort_dir = os.path.join(args.work, f"ort_{n}")
        ours_dir = os.path.join(args.work, f"whittle_{n}")
        benchlib.ort_time(onnx_path, inputs[n], args.threads, 0, 0, cpus, 600,
                          output_dir=ort_dir)
        benchlib.whittle_outputs(run_bin, bounded, inputs[n], ours_dir, 600)
        errors[n] = max(
            float(np.abs(np.load(os.path.join(ours_dir, f)) -
                         np.load(os.path.join(ort_dir, f))).max())
            for f in ("last_hidden_state.npy", "pooler_output.npy"))
        if errors[n] > 1e-3:
            sys.exit(f"error: length {n}: Whittle differs from ONNX Runtime by {errors[n]}")

    times = {n: {"bounded": [], "fixed": [], "ort": []} for n in args.lengths}
    for _ in range(args.reps):
        for n in args.lengths:
            t = times[n]
            t["bounded"].append(benchlib.whittle_time(
                run_bin, bounded, inputs[n], args.threads, args.iterations, 2, cpus, 600))
            if n in fixed:
                t["fixed"].append(benchlib.whittle_time(
                    run_bin, fixed[n], inputs[n], args.threads, args.iterations, 2, cpus,
                    600))
            t["ort"].append(benchlib.ort_time(
                onnx_path, inputs[n], args.threads, args.iterations, 2, cpus,
                600)["median_ms"])

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(a, b))

    print(f"CPU: {benchlib.machine_line(info)}; {args.threads} threads "
          f"(CPUs {','.join(map(str, cpus))}); {args.reps} repetitions of "
          f"{args.iterations} runs")
    c = compiled["bounded"]
    print(f"bounded library: {c['so_mib']:.0f} MiB, compiled in {c['wall_s']:.0f} s, "
          f"peak RSS {c['peak_rss_mib']:.0f} MiB")
    if fixed:
        c = compiled[args.lengths[-1]]
        print(f"one-length library ({args.lengths[-1]}): {c['so_mib']:.0f} MiB, compiled "
              f"in {c['wall_s']:.0f} s, peak RSS {c['peak_rss_mib']:.0f} MiB")
    print()
    print("| length | variant | Whittle, one library ms | one length ms | "
          "ONNX Runtime ms | one library / ORT | max abs error vs ORT |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    variants = [16, 32, 64, 128]
    for n in args.lengths:
        t = times[n]
        variant = next(v for v in variants if v >= n)
        one = f"{statistics.median(t['fixed']):.1f}" if t["fixed"] else "-"
        print(f"| {n} | {variant} | {statistics.median(t['bounded']):.1f} | {one} | "
              f"{statistics.median(t['ort']):.1f} | "
              f"{ratio(t['bounded'], t['ort']):.2f}x | {errors[n]:.1e} |")


if __name__ == "__main__":
    sys.exit(main())
