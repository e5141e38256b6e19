#!/usr/bin/env python3
"""Checks quantized forms of a zoo model against ONNX Runtime run with its
graph optimizations disabled (the graph's exact semantics, node by node).

    check_quantized_ort.py NAME --cache DIR --work DIR [--atol 1e-3]
                           [--form weight-only|qdq|dynamic ...]

The model comes from the e2e cache (test/models/make_models.py, as
check_model.py makes it). Every MatMul and Gemm whose weight is a 2-D
initializer (Gemms without transposes or alpha/beta scaling; the others stay
float and are counted) is rewritten in each form as a quantization tool
writes it:

  weight-only  DequantizeLinear(W int8, per-column scale, axis 1) feeds the
               matmul (weight-only quantization);
  qdq          the same weight, and the activation through a
               QuantizeLinear -> DequantizeLinear pair (uint8, per tensor):
               static QDQ quantization;
  dynamic      DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W int8, A_zp,
               W_zp per column) -> Cast(float) -> Mul(A_scale * W_scale)
               (+ the bias), as ONNX Runtime's quantize_dynamic writes it;
  nbits4       com.microsoft MatMulNBits with 4-bit codes, asymmetric per
               block of 32 rows of K and column (the bias as its input), as
               ONNX Runtime's MatMul4BitsQuantizer writes it.

ONNX Runtime (bench/ort_run.js --optimization disabled) computes the expected
outputs on the model's test inputs; whittle-compile and whittle-run must match
them at --atol. The compile report's quantization counts are printed.
Exits 77 when node or onnxruntime-node is unavailable.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_model  # noqa: E402  (model cache and ONNX Runtime checks)
from check_contrib_ort import pack_nbits  # noqa: E402

ORT_RUN = os.path.normpath(os.path.join(HERE, "..", "..", "bench", "ort_run.js"))
FORMS = ("weight-only", "qdq", "dynamic", "nbits4")
# Not run by default: the dynamic form with 7-bit weights (reduce_range).
EXTRA_FORMS = ("dynamic-reduced",)
NBITS_BLOCK = 32


def run(cmd):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    if subprocess.call(cmd) != 0:
        print("error: command failed", file=sys.stderr, flush=True)
        sys.exit(1)


def quantize_weight(w, levels=127):
    """Symmetric int8 per output column: scale = max|w| / levels (127, or 63
    for ONNX Runtime's reduce_range)."""
    scale = np.maximum(np.abs(w).max(axis=0), 1e-8).astype(np.float32) / np.float32(levels)
    q = np.clip(np.rint(w / scale), -levels, levels).astype(np.int8)
    return q, scale


def rewrite(model, form):
    """Returns (model, number of rewritten matmuls, number of matmuls with a
    constant weight left float: transposed or scaled gemms)."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes, count, left = [], 0, 0
    for node in graph.node:
        weight = node.input[1] if len(node.input) > 1 else None
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain_gemm = node.op_type == "Gemm" and not attrs.get("transA") and \
            not attrs.get("transB") and attrs.get("alpha", 1.0) == 1.0 and \
            attrs.get("beta", 1.0) == 1.0
        if node.op_type not in ("MatMul", "Gemm") or weight not in inits or \
                len(inits[weight].dims) != 2 or (node.op_type == "Gemm" and not plain_gemm):
            left += node.op_type in ("MatMul", "Gemm") and weight in inits
            nodes.append(node)
            continue
        count += 1
        p = f"q{count}_"
        w = numpy_helper.to_array(inits[weight])
        q, scale = quantize_weight(w, 63 if form == "dynamic-reduced" else 127)
        graph.initializer.extend([numpy_helper.from_array(q, p + "w"),
                                  numpy_helper.from_array(scale, p + "ws"),
                                  numpy_helper.from_array(np.zeros(scale.shape, np.int8), p + "wz")])
        a = node.input[0]
        if form == "nbits4":
            k, n = w.shape
            blocks = -(-k // NBITS_BLOCK)
            wt = np.zeros((n, blocks * NBITS_BLOCK), np.float32)
            wt[:, :k] = w.T
            wb = wt.reshape(n, blocks, NBITS_BLOCK)
            lo, hi = np.minimum(wb.min(axis=2), 0), np.maximum(wb.max(axis=2), 0)
            bscale = np.maximum((hi - lo) / 15, 1e-8).astype(np.float32)
            zp = np.clip(np.rint(-lo / bscale), 0, 15).astype(np.uint8)
            codes = np.clip(np.rint(wb / bscale[:, :, None]) + zp[:, :, None], 0, 15)
            packed = pack_nbits(codes.reshape(n, -1).astype(np.uint8), 4)
            graph.initializer.extend([
                numpy_helper.from_array(packed.reshape(n, blocks, NBITS_BLOCK // 2), p + "b4"),
                numpy_helper.from_array(bscale.reshape(-1), p + "s4"),
                numpy_helper.from_array(pack_nbits(zp, 4).reshape(-1), p + "z4")])
            inputs = [a, p + "b4", p + "s4", p + "z4"]
            if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
                inputs += ["", node.input[2]]
            nodes.append(helper.make_node("MatMulNBits", inputs, list(node.output),
                                          domain="com.microsoft", name=node.name, K=k, N=n,
                                          bits=4, block_size=NBITS_BLOCK))
            continue
        if form in ("weight-only", "qdq"):
            nodes.append(helper.make_node("DequantizeLinear", [p + "w", p + "ws", p + "wz"],
                                          [p + "wdq"], axis=1, name=p + "DQ_w"))
            if form == "qdq":
                graph.initializer.extend([
                    numpy_helper.from_array(np.array(8.0 / 255, np.float32), p + "as"),
                    numpy_helper.from_array(np.array(128, np.uint8), p + "az")])
                nodes.append(helper.make_node("QuantizeLinear", [a, p + "as", p + "az"],
                                              [p + "aq"], name=p + "Q_a"))
                nodes.append(helper.make_node("DequantizeLinear", [p + "aq", p + "as", p + "az"],
                                              [p + "adq"], name=p + "DQ_a"))
                a = p + "adq"
            inputs = [a, p + "wdq"] + list(node.input[2:])
            nodes.append(helper.make_node(node.op_type, inputs, list(node.output),
                                          name=node.name, **attrs))
            continue
        # dynamic, dynamic-reduced
        nodes.append(helper.make_node("DynamicQuantizeLinear", [a],
                                      [p + "aq", p + "as", p + "az"], name=p + "DQL"))
        nodes.append(helper.make_node("MatMulInteger", [p + "aq", p + "w", p + "az", p + "wz"],
                                      [p + "acc"], name=p + "MMI"))
        nodes.append(helper.make_node("Cast", [p + "acc"], [p + "accf"], to=TensorProto.FLOAT,
                                      name=p + "Cast"))
        nodes.append(helper.make_node("Mul", [p + "as", p + "ws"], [p + "s"], name=p + "MulS"))
        out = node.output[0]
        has_bias = node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]
        nodes.append(helper.make_node("Mul", [p + "accf", p + "s"],
                                      [p + "y" if has_bias else out], name=p + "Mul"))
        if has_bias:
            nodes.append(helper.make_node("Add", [p + "y", node.input[2]], [out], name=p + "Bias"))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    # MatMulInteger and DynamicQuantizeLinear need opset >= 11; QDQ axis 13.
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx") and o.version < 13:
            o.version = 13
    if form == "nbits4" and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model, count, left


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--cache", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--atol", default="1e-3")
    p.add_argument("--form", action="append", choices=FORMS + EXTRA_FORMS)
    p.add_argument("--compile-flag", action="append", default=[],
                   help="extra whittle-compile flag (e.g. --mcpu=x86-64-v3)")
    p.add_argument("--whittle-run", default="whittle-run", metavar="CMD",
                   help="command that runs a library (e.g. an emulator and a "
                        "cross-built whittle-run)")
    args = p.parse_args()
    node = check_model.check_onnxruntime()
    model_dir = check_model.ensure_model(args.cache, args.name)
    with open(os.path.join(model_dir, "compile_flags.txt")) as f:
        flags = shlex.split(f.read()) + args.compile_flag
    data = os.path.join(model_dir, "test_data_set_0")
    inputs = sorted(f for f in os.listdir(data) if f.startswith("input_"))
    os.makedirs(args.work, exist_ok=True)
    for form in args.form or FORMS:
        model, count, left = rewrite(onnx.load(os.path.join(model_dir, "model.onnx")), form)
        if not count:
            print(f"error: no matmul with a 2-D weight in {args.name}", file=sys.stderr)
            sys.exit(1)
        if form != "nbits4":  # the checker does not know com.microsoft ops
            onnx.checker.check_model(model)
        base = os.path.join(args.work, f"{args.name}.{form}")
        onnx.save(model, base + ".onnx")
        print(f"{form}: {count} matmuls quantized, {left} left float", flush=True)
        # Expected outputs: ONNX Runtime without graph optimizations.
        expected = base + ".ort"
        shutil.rmtree(expected, ignore_errors=True)
        run([node, ORT_RUN, base + ".onnx", "--iterations", "0", "--optimization",
             "disabled", "--output-dir", expected] +
            [a for f in inputs for a in ("--input", os.path.join(data, f))])
        tests = base + ".data"
        shutil.rmtree(tests, ignore_errors=True)
        os.makedirs(tests)
        for f in inputs:
            shutil.copy(os.path.join(data, f), tests)
        for k, out in enumerate(model.graph.output):
            arr = np.load(os.path.join(expected, out.name + ".npy"))
            with open(os.path.join(tests, f"output_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(arr, out.name).SerializeToString())
        report = base + ".report.json"
        run(["whittle-compile", base + ".onnx", "-o", base + ".so",
             "--report=" + report] + flags)
        with open(report) as f:
            q = json.load(f)["quantization"]
        print(f"report: {q['matmuls_int8']} int8, {q['matmuls_int4']} int4, "
              f"{q['matmuls_fp32']} fp32, {q['matmuls_integer_unfolded']} integer "
              f"unfolded", flush=True)
        run(shlex.split(args.whittle_run) +
            [base + ".so", "--test-data", tests, "--atol", args.atol])
        print(f"{args.name} ({form}): ok", flush=True)


if __name__ == "__main__":
    main()
