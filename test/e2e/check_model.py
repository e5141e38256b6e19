#!/usr/bin/env python3
"""Generates one model of the zoo (test/models/make_models.py), compiles it
with whittle-compile and checks it against the PyTorch outputs with
whittle-run.

    check_model.py NAME --cache DIR --work DIR [--atol 1e-4] [--ort-optimize LEVEL]
                   [--compile-arg ARG]... [--whittle-run CMD]

Models are generated into --cache (shared by the e2e tests, reused while
make_models.py is unchanged); the library goes to --work. Each command is
printed before it runs; the exit status is non-zero on the first failure.

--ort-optimize LEVEL (e.g. extended) first runs ONNX Runtime's graph optimizer
on the model (test/models/ort_optimize.js, onnxruntime-node from
bench/node_modules) and compiles the model it saves, --work/model.ort_LEVEL.onnx,
instead: that is how many published ONNX files look (com.microsoft contrib ops
such as SkipLayerNormalization, FusedMatMul, Gelu/FastGelu). Compile flags and
test data are the model's own; the PyTorch outputs stay the reference. When
node or onnxruntime-node is missing the script exits with status 77
(EXIT_NO_ONNXRUNTIME); lit tests guard with `REQUIRES: onnxruntime`.
"""
import argparse
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
MAKE_MODELS = os.path.join(SRC, "models", "make_models.py")
PYTHON = "/usr/bin/python3"
ORT_OPTIMIZE = os.path.join(SRC, "models", "ort_optimize.js")
ORT_NODE = os.path.normpath(os.path.join(SRC, "..", "bench", "node_modules", "onnxruntime-node"))
ORT_LEVELS = ("disabled", "basic", "extended", "layout", "all")
EXIT_NO_ONNXRUNTIME = 77  # distinct from a failed step (1)


CHECK_LAUNCHES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Target",
                              "NVPTX", "check_launches.py")


def decoder_signature(model):
    """A causal decoder export's graph inputs (token ids first, then masks;
    initializers excluded) and its vocabulary (the last dim of its first
    output)."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    vocab = model.graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    return inputs, vocab


def script_digest():
    h = hashlib.sha256()
    for p in (MAKE_MODELS, os.path.join(SRC, "python", "onnx_numpy_ref.py")):
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def run(cmd):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    rc = subprocess.call(cmd)
    if rc != 0:
        print(f"error: command exited with {rc}", file=sys.stderr, flush=True)
        sys.exit(1)


def generate(lib, input_name, prompt, work, count):
    """Writes PROMPT ([1, N] token ids) to WORK/prompt.npy, runs
    `whittle-run LIB --generate COUNT` on it (printing what it prints) and
    returns the generated tokens."""
    import numpy as np
    prompt_path = os.path.join(work, "prompt.npy")
    np.save(prompt_path, prompt)
    cmd = ["whittle-run", lib, "--input", f"{input_name}={prompt_path}",
           "--generate", str(count), "--threads", "2"]
    print("$ " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    print(out, end="")
    return [int(t) for t in re.search(r"^generated: (.*)$", out, re.M).group(1).split()]


def check_onnxruntime():
    """Exits with EXIT_NO_ONNXRUNTIME when node cannot load onnxruntime-node."""
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "'node' not found on PATH (install Node.js >= 18)"
    else:
        try:
            r = subprocess.run([node, "-e", "require(%s)" % json.dumps(ORT_NODE)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, timeout=120)
            if r.returncode != 0:
                lines = r.stderr.strip().splitlines()
                first = next((l for l in lines if "Error" in l), lines[0] if lines else "")
                reason = f"node cannot load {ORT_NODE} ({first.strip()}); run bench/setup.sh"
        except (OSError, subprocess.TimeoutExpired) as e:
            reason = f"cannot run node: {e}"
    if reason:
        print(f"check_model.py: onnxruntime unavailable: {reason}", file=sys.stderr, flush=True)
        sys.exit(EXIT_NO_ONNXRUNTIME)
    return node


def ensure_model(cache, name):
    """Generates zoo model NAME into CACHE unless it is there and current;
    returns its directory."""
    model_dir = os.path.join(cache, name)
    stamp = os.path.join(model_dir, "stamp.txt")
    digest = script_digest()
    # Several tests share one model (e.g. bert_tiny_static.test and
    # bert_tiny_ort.test): lit runs them in parallel, so only one may
    # regenerate it while the others wait.
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fresh = os.path.exists(stamp) and open(stamp).read().strip() == digest
        if not fresh:
            shutil.rmtree(model_dir, ignore_errors=True)
            run([PYTHON, MAKE_MODELS, "--out", cache, "--only", name])
            with open(stamp, "w") as f:
                f.write(digest + "\n")
    return model_dir


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--cache", required=True, help="directory of generated models")
    p.add_argument("--work", required=True, help="directory for the compiled library")
    p.add_argument("--atol", default="1e-4")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra whittle-compile argument (repeatable)")
    p.add_argument("--whittle-run", default="whittle-run", metavar="CMD",
                   help="command that runs the library (split like a shell "
                        "would): e.g. an emulator and a cross-built whittle-run")
    p.add_argument("--expect-attention", type=int, metavar="N",
                   help="require the compile report to show N fused attentions and "
                        "no unfused softmax")
    p.add_argument("--print-pruning", action="store_true",
                   help="print the compile report's pruned heads (node, head, reason), "
                        "FFN neuron count and weights bytes")
    p.add_argument("--ort-optimize", metavar="LEVEL", choices=ORT_LEVELS,
                   help="compile the model as ONNX Runtime's optimizer at LEVEL saves it")
    p.add_argument("--gpu-arch", metavar="SM",
                   help="a --target=nvptx library for SM: check its cubin and "
                        "launches without a GPU; run it only where one is")
    args = p.parse_args()
    node = check_onnxruntime() if args.ort_optimize else None

    model_dir = ensure_model(args.cache, args.name)

    os.makedirs(args.work, exist_ok=True)
    model = os.path.join(model_dir, "model.onnx")
    lib = os.path.join(args.work, args.name + ".so")
    if args.ort_optimize:
        optimized = os.path.join(args.work, f"model.ort_{args.ort_optimize}.onnx")
        run([node, ORT_OPTIMIZE, model, optimized, "--level", args.ort_optimize])
        model = optimized
        lib = os.path.join(args.work, f"{args.name}.ort_{args.ort_optimize}.so")
    with open(os.path.join(model_dir, "compile_flags.txt")) as f:
        flags = shlex.split(f.read())
    report = lib + ".report.json"
    run(["whittle-compile", model, "-o", lib, "--report=" + report] + flags + args.compile_arg)
    if args.expect_attention is not None:
        with open(report) as f:
            attention = json.load(f)["attention"]
        print(f"report: {attention['fused']} attentions fused, "
              f"{attention['unfused_softmax']} softmax unfused", flush=True)
        if attention["fused"] != args.expect_attention or attention["unfused_softmax"]:
            print(f"error: expected {args.expect_attention} fused attentions and no "
                  "unfused softmax", file=sys.stderr)
            sys.exit(1)
    if args.print_pruning:
        with open(report) as f:
            r = json.load(f)
        for h in r["pruning"]["heads_pruned"]:
            print(f"pruned: {h['node']} head {h['head']}: {h['reason']}")
        print(f"pruned ffn neurons: {r['pruning']['ffn_neurons_pruned']}")
        print(f"pruned heads: {len(r['pruning']['heads_pruned'])}")
        # The same compile without pruning: what the pruned weights saved.
        unpruned = lib + ".unpruned.json"
        run(["whittle-compile", model, "-o", lib + ".unpruned.so", "--no-prune",
             "--report=" + unpruned] + flags + args.compile_arg)
        with open(unpruned) as f:
            full = json.load(f)["weights_bytes"]
        print(f"weights bytes: {r['weights_bytes']} pruned, {full} unpruned, "
              f"{full - r['weights_bytes']} removed", flush=True)
    command = shlex.split(args.whittle_run) + [
        lib, "--test-data", os.path.join(model_dir, "test_data_set_0"), "--atol", args.atol]
    if args.gpu_arch:
        run([sys.executable, CHECK_LAUNCHES, lib, "--arch", args.gpu_arch])
        print("$ " + " ".join(shlex.quote(c) for c in command), flush=True)
        r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        print(r.stdout, end="", flush=True)
        if r.returncode != 0 and ("no CUDA driver" in r.stdout or
                                  "no CUDA device" in r.stdout):
            print(f"{args.name}: GPU run skipped: no CUDA device on this machine")
            return
        if r.returncode != 0:
            print(f"error: command exited with {r.returncode}", file=sys.stderr)
            sys.exit(1)
    else:
        run(command)
    suffix = f" (onnxruntime-optimized, {args.ort_optimize})" if args.ort_optimize else ""
    print(f"{args.name}{suffix}: ok")


if __name__ == "__main__":
    main()
