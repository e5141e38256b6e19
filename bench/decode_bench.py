#!/usr/bin/env python3
"""Per-token decode latency of a GPT-2-small-size model after a 128-token
prompt: Whittle (--decode, fp32 and 4-bit weights) against the memory
bandwidth bound and against ONNX Runtime running the same model exported
with past key/values.

    /usr/bin/python3 bench/decode_bench.py [--threads 2] [--reps 3]
        [--prompt 128] [--generate 64] [--work DIR]

The model is test/models/make_models.py's gpt2_small_dynamic (GPT-2 small's
shapes, random weights, dynamic sequence axis). Whittle compiles it once with
--decode=256:64 (and --quantize-weights=int4); whittle-run --generate
prefills the prompt and times each one-token step (median). The bound is the
bytes of fp32 weights one step reads (every weight but the embedding
tables, of which one row each is read) over the read bandwidth bench/read_bandwidth.c
measures with the same threads. For ONNX Runtime the same PyTorch module
(same seed, same weights) is exported with past_key_values.N.key/value
inputs and present.N.key/value outputs, as Hugging Face decoders are;
bench/ort_run.js (optimizations 'all') times one step at past length
PROMPT with the pasts PyTorch computed for the prompt. Both run alternately,
--reps times, pinned to the same CPUs, each repetition measuring the
bandwidth next to its runs. Checks: Whittle's first generated
token is PyTorch's greedy token, and ONNX Runtime's step logits match
PyTorch's. Prints the CPU and a markdown table.
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
BIN = os.path.join(SRC, "build", "bin")
sys.path.insert(0, os.path.join(SRC, "test", "models"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

MODEL = "gpt2_small_dynamic"
MAX_TOKENS = 256
CHUNK = 64


def run(cmd, capture=False):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, text=True)
    if r.returncode != 0:
        sys.exit(f"error: command failed: {cmd[0]}")
    return r.stdout


def export_with_past(make_models, work):
    """The zoo's GPT-2 module with a key/value cache, exported as Hugging
    Face decoders are; returns (onnx path, torch model, past input names)."""
    path = os.path.join(work, "gpt2_small_past.onnx")
    wrapped, names = make_models.export_gpt2_with_past(MODEL, path)
    return path, wrapped, names


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--prompt", type=int, default=128)
    p.add_argument("--generate", type=int, default=64)
    p.add_argument("--work", default="/tmp/whittle-decode-bench")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cpus = benchlib.default_cpus(args.threads)
    info = benchlib.machine_info()

    import torch
    import make_models
    model_dir = os.path.join(args.work, MODEL)
    if not os.path.exists(os.path.join(model_dir, "model.onnx")):
        run(["/usr/bin/python3", os.path.join(SRC, "test", "models", "make_models.py"),
             "--out", args.work, "--only", MODEL])

    # Read bandwidth with the same threads.
    rb = os.path.join(args.work, "read_bandwidth")
    run(["cc", "-O3", "-march=native", "-pthread", os.path.join(HERE, "read_bandwidth.c"),
         "-o", rb])

    def read_bandwidth():
        return json.loads(run(benchlib.pinned([rb, str(args.threads), "1024", "7"], cpus),
                              capture=True))["gb_per_s"]

    # Bytes of fp32 weights one step reads: every initializer except the
    # tables that Gather looks rows up in (token and position embeddings;
    # the exporter stores the tied LM head as its own transposed copy).
    import onnx
    proto = onnx.load(os.path.join(model_dir, "model.onnx"))
    tables = {n.input[0] for n in proto.graph.node if n.op_type == "Gather"}
    weight_bytes = sum(int(np.prod(t.dims)) * 4 for t in proto.graph.initializer
                       if t.data_type == onnx.TensorProto.FLOAT and t.name not in tables)
    spec = make_models.zoo()[MODEL]

    # Prompt, PyTorch's greedy token and pasts, the ONNX Runtime inputs.
    rng = np.random.default_rng(0)
    prompt = rng.integers(0, spec["cfg"].vocab, size=(1, args.prompt)).astype(np.int64)
    np.save(os.path.join(args.work, "prompt.npy"), prompt)
    past_path, wrapped, names = export_with_past(make_models, args.work)
    heads = spec["cfg"].heads
    dim = spec["cfg"].hidden // heads
    with torch.no_grad():
        empty = [torch.zeros(1, heads, 0, dim) for _ in names]
        out = wrapped(torch.from_numpy(prompt), torch.ones(1, args.prompt, dtype=torch.long),
                      *empty)
        first = int(out[0][0, -1].argmax())
        step_ids = torch.tensor([[first]])
        step_mask = torch.ones(1, args.prompt + 1, dtype=torch.long)
        step = wrapped(step_ids, step_mask, *out[1:])
    ort_dir = os.path.join(args.work, "ort_inputs")
    os.makedirs(ort_dir, exist_ok=True)
    feeds = {"input_ids": step_ids.numpy(), "attention_mask": step_mask.numpy()}
    feeds.update({n: v.numpy() for n, v in zip(names, out[1:])})
    ort_args = []
    for n, v in feeds.items():
        f = os.path.join(ort_dir, n + ".npy")
        np.save(f, v)
        ort_args += ["--input", f"{n}={f}"]

    # Whittle libraries.
    forms = {"fp32": [], "int4": ["--quantize-weights=int4"]}
    libs, compile_stats = {}, {}
    for form, flags in forms.items():
        libs[form] = os.path.join(args.work, f"{MODEL}_{form}_decode.so")
        compile_stats[form] = benchlib.compile_model(
            os.path.join(BIN, "whittle-compile"), os.path.join(model_dir, "model.onnx"),
            libs[form], [f"--input-shape=input_ids=1x{MAX_TOKENS}",
                         f"--input-shape=attention_mask=1x{MAX_TOKENS}",
                         f"--decode={MAX_TOKENS}:{CHUNK}", *flags], 1800)

    def whittle_decode(lib):
        text = run(benchlib.pinned([os.path.join(BIN, "whittle-run"), lib, "--input",
                                    f"input_ids={os.path.join(args.work, 'prompt.npy')}",
                                    "--generate", str(args.generate), "--threads",
                                    str(args.threads)], cpus), capture=True)
        tokens = [int(t) for t in re.search(r"^generated: (.*)$", text, re.M).group(1).split()]
        ms = float(re.search(r"decode: median ([0-9.]+) ms", text).group(1))
        prefill = float(re.search(r"prefill ([0-9.]+) ms", text).group(1))
        return tokens, ms, prefill

    ort_out = os.path.join(args.work, "ort_out")
    times = {"fp32": [], "int4": [], "ort": []}
    prefills = {"fp32": [], "int4": []}
    # The machine's memory bandwidth drifts with its neighbours' load (by
    # half between minutes on a shared host): each repetition measures it
    # next to its own runs, and the fractions and ratios are per repetition.
    bandwidths = []
    for rep in range(args.reps):
        bandwidths.append(read_bandwidth())
        for form in forms:
            tokens, ms, prefill = whittle_decode(libs[form])
            times[form].append(ms)
            prefills[form].append(prefill)
            if form == "fp32" and tokens[0] != first:
                sys.exit(f"error: Whittle's first token {tokens[0]} is not PyTorch's {first}")
        r = json.loads(run(benchlib.pinned(
            ["node", os.path.join(HERE, "ort_run.js"), past_path, *ort_args, "--threads",
             str(args.threads), "--iterations", "50", "--warmup", "5", "--output-dir",
             ort_out], cpus), capture=True).strip().splitlines()[-1])
        times["ort"].append(r["median_ms"])
    ort_logits = np.load(os.path.join(ort_out, "logits.npy"))
    ort_err = float(np.abs(ort_logits - step[0].numpy()).max())
    if ort_err > 1e-3:
        sys.exit(f"error: ONNX Runtime's step logits differ from PyTorch's by {ort_err}")

    med = {k: statistics.median(v) for k, v in times.items()}
    bounds = [weight_bytes / (bw * 1e9) * 1e3 for bw in bandwidths]

    def of_bound(form):
        return statistics.median(b / t for b, t in zip(bounds, times[form])) * 100

    def vs_ort(form):
        return statistics.median(t / o for t, o in zip(times[form], times["ort"]))

    print(f"CPU: {benchlib.machine_line(info)}; {args.threads} threads "
          f"(CPUs {','.join(map(str, cpus))}); read bandwidth per repetition "
          f"{', '.join(f'{bw:.1f}' for bw in bandwidths)} GB/s")
    print(f"fp32 weights read per step: {weight_bytes / 1e6:.0f} MB -> bound "
          f"{statistics.median(bounds):.2f} ms/token (median); ONNX Runtime step "
          f"logits vs PyTorch: max abs {ort_err:.1e}")
    print()
    print("| Decoder (prompt %d, cache %d) | ms/token | of bound | vs ONNX Runtime | "
          "prefill ms | compile s / peak RSS MiB |" % (args.prompt, MAX_TOKENS))
    print("|---|---|---|---|---|---|")
    for form in forms:
        cs = compile_stats[form]
        print(f"| Whittle {form} | {med[form]:.2f} | {of_bound(form):.0f}% | "
              f"{vs_ort(form):.2f}x | {statistics.median(prefills[form]):.0f} | "
              f"{cs['wall_s']:.0f} / {cs['peak_rss_mib']:.0f} |")
    print(f"| ONNX Runtime fp32, past key/values | {med['ort']:.2f} | "
          f"{of_bound('ort'):.0f}% | 1.00x | | |")
    print()
    print("(of bound and vs ONNX Runtime: medians of the per-repetition values)")
    print(f"int4 vs fp32: "
          f"{statistics.median(f / q for f, q in zip(times['fp32'], times['int4'])):.2f}x "
          f"faster per token")
    print("raw: " + json.dumps({**times, "read_gb_per_s": bandwidths}))


if __name__ == "__main__":
    main()
