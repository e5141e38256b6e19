#!/usr/bin/python3
"""Builds, on a machine without a GPU, everything bench/gpu/run_on_gpu.py
needs on a machine with one (which has no compiler toolchain of ours): a
folder (default .gpu/, git-ignored) of libraries compiled for --mcpu (sm_90),
their inputs and reference outputs, and whittle-run with its runtime.

  zoo/    every small zoo model (test/models/make_models.py, PyTorch's
          outputs) in fp32, tf32 and bf16
  big/    BERT-base and GPT-2-small at batch 1 and 8, sequence 128, fp32
          (BERT-base in tf32 too), xz-compressed. Their weights are random
          with a period of 4099 values along each tensor, so that a 420 MiB
          library compresses to little and travels; latency does not depend
          on the values. Reference outputs: ONNX Runtime with optimizations
          disabled (the graph's exact semantics) on the same weights;
          outputs over 1 MiB (GPT-2's logits) as every k-th value.
  gemm/   one MatMul of two 4096 x 4096 inputs in fp32, tf32 and bf16 (run
          on device buffers, so that no copy is timed)
  bin/, lib/  whittle-run, libwhittle_rt.so and libtbb.so.12
  manifest.json  what run_on_gpu.py runs, with tolerances

    /usr/bin/python3 bench/gpu/prepare.py [--out .gpu] [--mcpu sm_90] [--skip-big]
        [--zoo NAME...] [--gemm-size N]

The folder must stay under the device tool's 64 MiB with the source tree;
the script prints its size.
"""
import argparse
import json
import lzma
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "test", "models"))
sys.path.insert(0, os.path.join(REPO, "bench"))
import benchlib as B  # noqa: E402

ZOO = ["bert_tiny_static", "bert_tiny_dynamic", "gpt2_tiny_static", "gpt2_tiny_dynamic",
       "vit_tiny_static", "vit_tiny_dynamic", "llama_tiny_static", "llama_tiny_dynamic"]
# Precision -> atol against PyTorch (the emulated suite's tolerances for
# tensor cores; the 1e-3 for fp32).
PRECISIONS = {"fp32": 1e-3, "tf32": 1e-2, "bf16": 5e-2}
BIG = {"bert_base_dynamic": ["fp32", "tf32"], "gpt2_small_dynamic": ["fp32"]}
PERIOD = 4099
SAMPLE_BYTES = 1 << 20
GEMM = 4096


def sh(cmd, **kw):
    print("$ " + shlex.join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def ensure_model(name, cache):
    if not os.path.isfile(os.path.join(cache, name, "model.onnx")):
        sh(["/usr/bin/python3", os.path.join(REPO, "test", "models", "make_models.py"),
            "--out", cache, "--only", name])
    return os.path.join(cache, name)


def compile_lib(bin_dir, model, out, flags):
    sh([os.path.join(bin_dir, "whittle-compile"), model, "-o", out] + flags)


def write_pb(path, arr, name):
    from onnx import numpy_helper
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())


def periodic(model_path, out_path):
    """The model with every float initializer of at least 2 * PERIOD values
    replaced by its first PERIOD values repeated."""
    import onnx
    from onnx import numpy_helper
    if os.path.isfile(out_path):
        return
    m = onnx.load(model_path)
    for i, t in enumerate(m.graph.initializer):
        a = numpy_helper.to_array(t)
        if a.dtype == np.float32 and a.size >= 2 * PERIOD:
            m.graph.initializer[i].CopyFrom(
                numpy_helper.from_array(np.resize(a.reshape(-1)[:PERIOD], a.shape), t.name))
    onnx.save(m, out_path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(REPO, ".gpu"))
    p.add_argument("--mcpu", default="sm_90")
    p.add_argument("--cache", default=os.path.join(REPO, "build", "test", "e2e", "models"))
    p.add_argument("--work", default="/tmp/whittle-gpu-prepare",
                   help="big models, their uncompressed libraries")
    p.add_argument("--skip-big", action="store_true")
    p.add_argument("--zoo", nargs="+", default=ZOO, help="the small models to build")
    p.add_argument("--gemm-size", type=int, default=GEMM)
    p.add_argument("--bin-dir", default=os.path.join(REPO, "build", "bin"), help="whittle-compile and whittle-run "
                   "(libwhittle_rt.so in ../lib)")
    p.add_argument("--reuse", action="store_true",
                   help="keep big libraries already packed in --out (same compiler)")
    args = p.parse_args()
    bin_dir = os.path.abspath(args.bin_dir)
    import onnx
    out = os.path.abspath(args.out)
    for d in ("zoo", "big", "gemm", "bin", "lib"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    target = ["--target=nvptx", f"--mcpu={args.mcpu}"]
    manifest = {"mcpu": args.mcpu, "zoo": [], "big": [], "gemm": []}

    # The runner and its libraries.
    shutil.copy2(os.path.join(bin_dir, "whittle-run"), os.path.join(out, "bin"))
    shutil.copy2(os.path.join(bin_dir, "..", "lib", "libwhittle_rt.so"), os.path.join(out, "lib"))
    ldd = subprocess.run(["ldd", os.path.join(bin_dir, "whittle-run")],
                         capture_output=True, text=True).stdout
    for line in ldd.splitlines():
        if "libtbb" in line and "=>" in line:
            shutil.copy2(os.path.realpath(line.split("=>")[1].split()[0]),
                         os.path.join(out, "lib", "libtbb.so.12"))

    for name in args.zoo:
        src = ensure_model(name, args.cache)
        with open(os.path.join(src, "compile_flags.txt")) as f:
            flags = shlex.split(f.read())
        data = os.path.join(out, "zoo", name + ".data")
        shutil.copytree(os.path.join(src, "test_data_set_0"), data, dirs_exist_ok=True)
        for prec, atol in PRECISIONS.items():
            lib = os.path.join(out, "zoo", f"{name}.{prec}.so")
            compile_lib(bin_dir, os.path.join(src, "model.onnx"), lib,
                        flags + target + [f"--gpu-precision={prec}"])
            manifest["zoo"].append({"model": name, "precision": prec, "atol": atol,
                                    "lib": os.path.relpath(lib, out),
                                    "data": os.path.relpath(data, out)})

    if not args.skip_big:
        import make_models
        zoo = make_models.zoo()
        for name, precs in BIG.items():
            src = ensure_model(name, args.work)
            model = os.path.join(args.work, name + ".periodic.onnx")
            periodic(os.path.join(src, "model.onnx"), model)
            graph = onnx.load(model, load_external_data=False).graph
            inputs = [i.name for i in graph.input]
            outputs = [o.name for o in graph.output]
            vocab = zoo[name]["cfg"].vocab
            for batch in (1, 8):
                data = os.path.join(out, "big", f"{name}.b{batch}.data")
                os.makedirs(data, exist_ok=True)
                ids, mask = make_models.text_inputs(vocab, batch, 128, seed=batch)
                feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
                for k, n in enumerate(inputs):
                    write_pb(os.path.join(data, f"input_{k}.pb"), feeds[n], n)
                ref = os.path.join(args.work, f"{name}.b{batch}.ref")
                sh(["node", os.path.join(REPO, "bench", "ort_run.js"), model, "--test-data",
                    data, "--iterations", "0", "--optimization", "disabled",
                    "--output-dir", ref], stdout=subprocess.DEVNULL)
                # Outputs over SAMPLE_BYTES (GPT-2's logits) travel as every
                # stride-th value: the runner compares those.
                sampled = {}
                for k, n in enumerate(outputs):
                    y = np.load(os.path.join(ref, n + ".npy"))
                    if os.path.exists(os.path.join(data, f"output_{k}.pb")):
                        os.remove(os.path.join(data, f"output_{k}.pb"))
                    if y.nbytes <= SAMPLE_BYTES:
                        write_pb(os.path.join(data, f"output_{k}.pb"), y, n)
                        continue
                    stride = -(-y.nbytes // SAMPLE_BYTES)
                    np.save(os.path.join(data, f"sample_{n}.npy"), y.reshape(-1)[::stride])
                    sampled[n] = stride
                shape = [f"--input-shape={n}={batch}x128" for n in inputs]
                for prec in precs:
                    lib = os.path.join(args.work, f"{name}.b{batch}.{prec}.so")
                    packed = os.path.join(out, "big", os.path.basename(lib) + ".xz")
                    if not (os.path.isfile(packed) and args.reuse):
                        compile_lib(bin_dir, model, lib,
                                    shape + target + [f"--gpu-precision={prec}"])
                        with open(lib, "rb") as f, lzma.open(packed, "wb", preset=6) as g:
                            shutil.copyfileobj(f, g, 1 << 24)
                        print(f"{os.path.basename(lib)}: {os.path.getsize(lib) >> 20} MiB -> "
                              f"{os.path.getsize(packed) >> 10} KiB", flush=True)
                    manifest["big"].append({
                        "model": name, "batch": batch, "seq": 128, "precision": prec,
                        "atol": PRECISIONS[prec], "lib_xz": os.path.relpath(packed, out),
                        "data": os.path.relpath(data, out), "inputs": inputs,
                        "sampled": sampled})

    # The GEMM: both operands inputs, so that the library holds no weights.
    from onnx import TensorProto, helper
    n = args.gemm_size
    gemm_model = os.path.join(args.work, f"matmul_{n}.onnx")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, n]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, gemm_model)
    for prec in PRECISIONS:
        lib = os.path.join(out, "gemm", f"matmul_{n}.{prec}.so")
        compile_lib(bin_dir, gemm_model, lib, target + [f"--gpu-precision={prec}"])
        manifest["gemm"].append({"m": n, "n": n, "k": n, "precision": prec,
                                 "lib": os.path.relpath(lib, out)})

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    size = sum(os.path.getsize(os.path.join(d, fn)) for d, _, fs in os.walk(out) for fn in fs)
    print(f"{B.rel(out)}: {size / 2**20:.1f} MiB")
    if size > 48 * 2**20:
        print("warning: over 48 MiB; with the source tree it may not fit the 64 MiB the "
              "device tool carries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
