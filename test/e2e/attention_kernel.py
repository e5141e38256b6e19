#!/usr/bin/python3
"""End-to-end check of the streaming attention kernel against numpy.

Each case is an ONNX graph of one attention spelled as exporters write it
(Transpose of K, MatMul, Mul by 1/sqrt(D), optional additive mask, causal as
Where over a constant lower-triangular pattern, Softmax, MatMul; grouped
heads as Unsqueeze + Expand + Reshape). whittle-compile must fuse it (the
report says so) and the library must match a float64 numpy reference
computed independently of the compiler at atol 1e-4. Sequence lengths 1, 7,
128, 1000 and 2048 cover partial query blocks, partial key blocks and the
causal diagonal; the masks cover key padding, a full [Tq, Tk] additive mask
and rows whose leading key blocks are entirely hidden by -inf.

    attention_kernel.py --work DIR [--bin-dir build/bin] [--kernel streaming|reference]
                        [--compile-arg=ARG ...]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np


def case_list():
    # name, B, Hq, Hkv, Tq, Tk, D, causal, mask kind
    return [
        ("t1", 1, 2, 2, 1, 1, 64, False, None),
        ("t1_kv7", 1, 2, 2, 1, 7, 64, True, None),
        ("t7_padding", 2, 2, 2, 7, 7, 32, False, "padding"),
        ("t7_causal", 1, 3, 3, 7, 7, 64, True, None),
        ("t128_causal_padding", 1, 4, 4, 128, 128, 64, True, "padding"),
        ("t128_gqa", 1, 4, 2, 128, 128, 64, True, None),
        ("t64_gqa_tile", 1, 6, 2, 64, 64, 32, True, "tile"),
        ("t1000", 1, 2, 2, 1000, 1000, 64, False, None),
        ("t1000_causal_full_mask", 1, 2, 2, 1000, 1000, 64, True, "full"),
        ("t1000_leading_inf", 1, 2, 2, 1000, 1000, 48, False, "leading_inf"),
        ("t7_of_1000_causal", 1, 2, 2, 7, 1000, 64, True, None),
        ("t130_bool_keep", 2, 2, 2, 130, 130, 64, False, "bool_keep"),
        ("t128_llama_mask", 2, 4, 2, 128, 128, 64, False, "llama"),
        ("t2048", 1, 2, 2, 2048, 2048, 64, False, "padding"),
        ("t2048_causal", 1, 2, 2, 2048, 2048, 64, True, None),
    ]


def make_case(d, name, b, hq, hkv, tq, tk, dim, causal, mask_kind, seed):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, tq, dim)).astype(np.float32)
    k = rng.standard_normal((b, hkv, tk, dim)).astype(np.float32)
    v = rng.standard_normal((b, hkv, tk, dim)).astype(np.float32)
    inputs = [("q", q), ("k", k), ("v", v)]
    inits = [numpy_helper.from_array(np.array(1 / np.sqrt(dim), np.float32), "scale")]
    nodes = []
    kname, vname = "k", "v"
    if hq != hkv:
        # repeat_kv: unsqueeze the head axis, repeat it g times (Expand to
        # the repeated shape, or Tile by the repeat counts), merge it back.
        g = hq // hkv
        tile = mask_kind == "tile"
        reps = [1, 1, g, 1, 1] if tile else [b, hkv, g, tk, dim]
        inits += [numpy_helper.from_array(np.array([2], np.int64), "axis2"),
                  numpy_helper.from_array(np.array(reps, np.int64), "rep"),
                  numpy_helper.from_array(np.array([b, hq, tk, dim], np.int64), "heads")]
        for x in ("k", "v"):
            nodes += [helper.make_node("Unsqueeze", [x, "axis2"], [x + "_u"]),
                      helper.make_node("Tile" if tile else "Expand", [x + "_u", "rep"],
                                       [x + "_e"]),
                      helper.make_node("Reshape", [x + "_e", "heads"], [x + "_r"])]
        kname, vname = "k_r", "v_r"
    nodes += [helper.make_node("Transpose", [kname], ["kt"], perm=[0, 1, 3, 2]),
              helper.make_node("MatMul", ["q", "kt"], ["s0"]),
              helper.make_node("Mul", ["s0", "scale"], ["s"])]
    s_name = "s"
    mask = None
    if mask_kind == "padding":
        keep = rng.random((b, 1, 1, tk)) > 0.3
        keep[..., 0] = True
        mask = np.where(keep, 0.0, -10000.0).astype(np.float32)
    elif mask_kind == "full":
        mask = (rng.standard_normal((1, 1, tq, tk)) * 2).astype(np.float32)
    elif mask_kind == "leading_inf":
        # Row i hides its first (i * 7) % tk keys, so most rows start with
        # key blocks that are hidden entirely.
        mask = np.zeros((1, 1, tq, tk), np.float32)
        for i in range(tq):
            mask[0, 0, i, :(i * 7) % tk] = -np.inf
    keep = None
    if mask_kind == "bool_keep":
        # A boolean key-padding mask applied by selection (Where(keep, s, -inf)).
        keep = rng.random((b, 1, 1, tk)) > 0.3
        keep[..., 0] = True
        inputs.append(("keep", keep))
        inits.append(numpy_helper.from_array(np.array(-np.inf, np.float32), "ninf"))
        nodes.append(helper.make_node("Where", ["keep", "s", "ninf"], ["sm"]))
        s_name = "sm"
    elif mask_kind == "llama":
        # Padding (an input) plus a constant causal triangle of finfo.min,
        # added before the scores as Llama exporters build it.
        keep = rng.random((b, 1, 1, tk)) > 0.3
        keep[..., 0] = True
        pad = np.where(keep, 0.0, np.finfo(np.float32).min).astype(np.float32)
        tri = np.triu(np.full((tq, tk), np.finfo(np.float32).min, np.float32),
                      k=tk - tq + 1)[None, None]
        inputs.append(("pad", pad))
        inits.append(numpy_helper.from_array(tri, "tri"))
        nodes += [helper.make_node("Add", ["pad", "tri"], ["mask"]),
                  helper.make_node("Add", ["s", "mask"], ["sm"])]
        s_name = "sm"
        mask = pad.astype(np.float64) + tri.astype(np.float64)
    if mask is not None and mask_kind != "llama":
        inputs.append(("mask", mask))
        nodes.append(helper.make_node("Add", ["s", "mask"], ["sm"]))
        s_name = "sm"
    if causal:
        tril = np.tril(np.ones((tq, tk), bool), k=tk - tq)[None, None]
        inits += [numpy_helper.from_array(tril, "causal"),
                  numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32),
                                          "fill")]
        nodes.append(helper.make_node("Where", ["causal", s_name, "fill"], ["sc"]))
        s_name = "sc"
    nodes += [helper.make_node("Softmax", [s_name], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", vname], ["y"])]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], list(a.shape))
         for n, a in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [b, hq, tq, dim])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))

    # Reference in float64, keys and values repeated per query group.
    g = hq // hkv
    k64 = np.repeat(k.astype(np.float64), g, axis=1)
    v64 = np.repeat(v.astype(np.float64), g, axis=1)
    s = q.astype(np.float64) @ k64.transpose(0, 1, 3, 2) / np.sqrt(dim)
    if mask is not None:
        s = s + mask.astype(np.float64)
    if mask_kind == "bool_keep":
        s = np.where(keep, s, -np.inf)
    if causal:
        s = np.where(np.tril(np.ones((tq, tk), bool), k=tk - tq), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    y = (p @ v64).astype(np.float32)
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y, "y").SerializeToString())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", required=True)
    p.add_argument("--bin-dir", help="directory of whittle-compile and whittle-run "
                   "(default: found on PATH)")
    p.add_argument("--kernel", default="streaming", choices=["streaming", "reference"])
    p.add_argument("--only", nargs="*", help="case names to run")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra whittle-compile argument (repeatable), e.g. "
                        "--compile-arg=--target=nvptx --compile-arg=--gpu-emulate")
    args = p.parse_args()
    tool = (lambda n: os.path.join(args.bin_dir, n)) if args.bin_dir else (lambda n: n)
    compile_bin, run_bin = tool("whittle-compile"), tool("whittle-run")
    failures = 0
    for seed, (name, *shape) in enumerate(case_list()):
        if args.only and name not in args.only:
            continue
        d = os.path.join(args.work, name)
        make_case(d, name, *shape, seed=seed)
        so = os.path.join(d, "model.so")
        report = os.path.join(d, "report.json")
        c = subprocess.run([compile_bin, os.path.join(d, "model.onnx"), "-o", so,
                            f"--report={report}", f"--attention-kernel={args.kernel}"]
                           + args.compile_arg,
                           capture_output=True, text=True)
        if c.returncode != 0:
            print(f"{name}: compile failed\n{c.stderr}")
            failures += 1
            continue
        att = json.load(open(report))["attention"]
        fused = att["fused"]
        site = (att.get("sites") or [{}])[0]
        kind = (f"causal {str(site.get('causal')).lower()}, mask {site.get('mask')}, "
                f"kv heads {site.get('kv_heads')}")
        r = subprocess.run([run_bin, so, "--test-data", os.path.join(d, "test_data_set_0"),
                            "--atol", "1e-4"], capture_output=True, text=True)
        last = (r.stdout.strip().splitlines() or [""])[-1]
        ok = r.returncode == 0 and fused == 1
        failures += not ok
        print(f"{name}: fused {fused} ({kind}): {last}" + ("" if ok else f" FAILED\n{r.stderr}"))
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
