#!/usr/bin/python3
"""Attention microbenchmark: softmax(Q K^T / sqrt(D) [causal]) V at B 1,
12 heads, D 64 and T 128/512/2048, causal and not, against the machine's
fp32 FMA peak and ONNX Runtime on the same graphs.

Each case is an ONNX graph in the form exporters write it (MatMul, Mul by
1/sqrt(D), for causal a Where over a constant lower-triangular mask with
finfo.min, Softmax, MatMul), which whittle-compile fuses into one
whittle.attention (the compile report is checked). GFLOP counts only the
work a causal kernel must do: 4 * B * H * D * pairs, where pairs is T * T,
or T * (T + 1) / 2 when causal. Whittle's workspace size (from
whittle-run's signature) shows how much of the score matrix is
materialized.

Writes bench/results/attention-*.json and the "attention" section of
docs/benchmarks.md.

    /usr/bin/python3 bench/attention_bench.py
    /usr/bin/python3 bench/attention_bench.py --lengths 128 512 --no-doc
"""
import argparse
import json
import os
import re
import shlex
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from gemm_bench import fma_peak, threads_peak  # noqa: E402

HEADS, HEAD_DIM = 12, 64


def make_attention_model(t, causal, d):
    """d/model.onnx + d/test_data_set_0/{input_K,output_0}.pb; returns d."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    path = os.path.join(d, "model.onnx")
    if os.path.isfile(path):
        return d
    rng = np.random.default_rng(t * 7 + causal)
    shape = [1, HEADS, t, HEAD_DIM]
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s0"]),
             helper.make_node("Mul", ["s0", "scale"], ["s"])]
    inits = [numpy_helper.from_array(np.array(1 / np.sqrt(HEAD_DIM), np.float32), "scale")]
    scores = "s"
    if causal:
        tril = np.tril(np.ones((t, t), bool))[None, None]
        inits += [numpy_helper.from_array(tril, "causal"),
                  numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32),
                                          "fill")]
        nodes.append(helper.make_node("Where", ["causal", "s", "fill"], ["sm"]))
        scores = "sm"
    nodes += [helper.make_node("Softmax", [scores], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["y"])]
    graph = helper.make_graph(
        nodes, f"attention_t{t}{'_causal' if causal else ''}",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "qkv"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="whittle-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    s = (q.astype(np.float64) @ k.astype(np.float64).transpose(0, 1, 3, 2)) / np.sqrt(HEAD_DIM)
    if causal:
        s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    y = (p @ v.astype(np.float64)).astype(np.float32)
    data = os.path.join(d, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    for i, (name, arr) in enumerate((("q", q), ("k", k), ("v", v))):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())
    with open(os.path.join(data, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y, "y").SerializeToString())
    onnx.save(model, path)
    return d


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 512, 2048])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--cpus", help="CPU list for taskset (default: the first T allowed)")
    p.add_argument("--peak-seconds", type=float, default=1.0)
    p.add_argument("--bin-dir", help="directory of whittle-compile and whittle-run")
    p.add_argument("--no-ort", action="store_true", help="do not time ONNX Runtime")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per command")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--doc", default=B.DOC)
    args = p.parse_args()
    cpus, machine = B.cpus_and_machine(args.cpus, args.threads)
    errors = []
    peak = fma_peak(args.threads, cpus, args.peak_seconds, args.timeout)
    peak_t, _ = threads_peak(peak, args.threads)
    tools = {"compile": B.find_whittle_tool("whittle-compile", None, args.bin_dir),
             "run": B.find_whittle_tool("whittle-run", None, args.bin_dir)}
    ort_version = None
    if not args.no_ort:
        try:
            ort_version = B.ensure_ort()
        except B.BenchError as e:
            errors.append(str(e))
    cases = []
    for t in args.lengths:
        for causal in (False, True):
            name = f"attention_t{t}{'_causal' if causal else ''}"
            d = make_attention_model(t, causal, os.path.join(B.RESULTS, "attention", name))
            model = os.path.join(d, "model.onnx")
            inputs = [os.path.join(d, "test_data_set_0", f"input_{i}.pb") for i in range(3)]
            pairs = t * (t + 1) // 2 if causal else t * t
            flops = 4.0 * HEADS * HEAD_DIM * pairs
            c = {"name": name, "t": t, "causal": causal, "gflop": flops / 1e9}
            so = os.path.join(d, f"{name}.so")
            report = os.path.join(d, "report.json")
            try:
                c["compile"] = B.compile_model(tools["compile"], model, so,
                                               [f"--report={report}"], args.timeout)
                with open(report) as f:
                    c["fused"] = json.load(f)["attention"]["fused"]
                desc = B.run([tools["run"], so], args.timeout, "whittle-run (signature)").stdout
                m = re.search(r"workspace: (\d+) bytes", desc)
                c["workspace_bytes"] = int(m.group(1)) if m else None
                ref = B.run([tools["run"], so, "--test-data",
                             os.path.join(d, "test_data_set_0"), "--atol", "1e-4"],
                            args.timeout, "whittle-run --test-data")
                c["check"] = ref.stdout.strip().splitlines()[-1] if ref.stdout.strip() else ""
                ms = [B.whittle_time(tools["run"], so, inputs, args.threads, args.iterations,
                                     args.warmup, cpus, args.timeout) for _ in range(args.reps)]
                c["whittle_median_ms"] = B.median(ms)
                c["whittle_gflops"] = flops / (c["whittle_median_ms"] * 1e-3) / 1e9
            except B.BenchError as e:
                errors.append(f"{name}: {e}")
                B.log(f"{name}: {e}")
            if ort_version:
                try:
                    ms = [B.ort_time(model, inputs, args.threads, args.iterations, args.warmup,
                                     cpus, args.timeout)["median_ms"] for _ in range(args.reps)]
                    c["ort_median_ms"] = B.median(ms)
                    c["ort_gflops"] = flops / (c["ort_median_ms"] * 1e-3) / 1e9
                except B.BenchError as e:
                    errors.append(f"{name}: {e}")
            for key in ("whittle", "ort"):
                if f"{key}_gflops" in c and peak_t:
                    c[f"{key}_pct_peak"] = 100 * c[f"{key}_gflops"] / peak_t
            B.log(f"{name}: " + ", ".join(f"{key} {c[key + '_gflops']:.1f} GFLOP/s"
                                          for key in ("whittle", "ort") if key + "_gflops" in c))
            cases.append(c)

    L = [f"Measured {machine['date']} on {B.machine_line(machine)}; 1-minute load average "
         f"{machine['loadavg']:.2f} at the start.", "", "```sh", B.command_line(), "```", "",
         f"B 1, {HEADS} heads, D {HEAD_DIM}, {args.threads} thread(s) pinned to CPU(s) "
         f"{','.join(map(str, cpus))}, median of {args.reps} repetitions of {args.iterations} "
         f"runs; GFLOP counts only the pairs a causal kernel must compute; % of the "
         f"{args.threads}-thread FMA peak ({B.fmt(peak_t, '.1f', '?')} GFLOP/s, "
         f"bench/fma_peak.c). ONNX Runtime {ort_version or 'not run'} on the same graphs.", "",
         "| T | causal | fused | GFLOP | whittle ms | whittle GFLOP/s | % of peak | workspace MiB "
         "| ORT ms | whittle / ORT |",
         "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c in cases:
        ratio = (c["whittle_median_ms"] / c["ort_median_ms"]
                 if "whittle_median_ms" in c and "ort_median_ms" in c else None)
        ws = c.get("workspace_bytes")
        L.append("| " + " | ".join([
            str(c["t"]), "yes" if c["causal"] else "no", str(c.get("fused", "?")),
            f"{c['gflop']:.3f}", B.fmt(c.get("whittle_median_ms"), ".2f"),
            B.fmt(c.get("whittle_gflops"), ".1f"), B.fmt(c.get("whittle_pct_peak"), ".0f"),
            B.fmt(ws / 2**20 if ws is not None else None, ".1f"),
            B.fmt(c.get("ort_median_ms"), ".2f"), B.fmt(ratio, ".2f")]) + " |")
    if errors:
        L += ["", "Not measured in this run:", ""]
        for e in dict.fromkeys(e.splitlines()[0] for e in errors):
            L.append(f"- {e}")
    text = "\n".join(L)
    path = B.write_json("attention", {"machine": machine, "command": B.command_line(),
                                      "threads": args.threads, "cpus": cpus, "peak": peak,
                                      "ort_version": ort_version, "cases": cases,
                                      "errors": errors})
    print(text)
    B.log(f"wrote {B.rel(path)}")
    if not args.no_doc:
        B.update_doc_section("attention", text, args.doc)
        B.log(f"updated {B.rel(args.doc)}")
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
