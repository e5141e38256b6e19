#!/usr/bin/env python3
"""4-bit QDQ weights (ONNX opset 21 INT4 / UINT4 tensors) against ONNX
Runtime run with its graph optimizations disabled.

    check_int4_qdq.py --work DIR [--atol 1e-4]

Each case is DequantizeLinear of a constant 4-bit weight (packed two to a
byte, the first element in the low nibble, as ONNX stores them) feeding a
MatMul, the spelling ONNX Runtime's quantizers write for 4-bit QDQ models:

  signed-blocked     INT4 codes and zero points, scales per block of 32
                     rows of K and column;
  unsigned-blocked   the same with UINT4;
  signed-small       a weight and zero points small enough to be imported
                     as dense attributes instead of blobs;
  unsigned-column    UINT4, per-column scales and zero points;
  qat-signed         QuantizeLinear of a float weight to INT4 (per column,
                     with zero points), then DequantizeLinear: the codes are
                     computed at compile time.

Odd element counts check the packing's last half byte. Every case must
compile to int4 weights (the report's site is printed) and match ONNX
Runtime at --atol; a tensor whose packed size does not match its shape must
be a clear error. Exits 77 when node or onnxruntime-node is unavailable.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_model  # noqa: E402

ORT_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                       "ort_run.js")
INT4, UINT4 = 22, 21  # TensorProto data types (IR version 10)


def tensor4(name, values, data_type, truncate=False):
    """A 4-bit TensorProto: two values a byte, the first in the low nibble."""
    values = np.asarray(values)
    flat = values.astype(np.int64).reshape(-1)
    if flat.size % 2:
        flat = np.append(flat, 0)
    packed = ((flat[0::2] & 0xF) | ((flat[1::2] & 0xF) << 4)).astype(np.uint8).tobytes()
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(values.shape)
    t.raw_data = packed[:-1] if truncate else packed
    return t


def model(case, rng, k, n):
    signed = "unsigned" not in case
    data_type = INT4 if signed else UINT4
    lo, hi = (-8, 8) if signed else (0, 16)
    x = onnx.helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, k])
    y = onnx.helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, n])
    if case == "qat-signed":
        w = rng.standard_normal((k, n)).astype(np.float32)
        scale = (np.abs(w).max(axis=0) / 7).astype(np.float32)
        inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(scale, "s"),
                 tensor4("z", rng.integers(-2, 3, (n,)), INT4)]
        nodes = [helper.make_node("QuantizeLinear", ["w", "s", "z"], ["wq"], axis=1),
                 helper.make_node("DequantizeLinear", ["wq", "s", "z"], ["wd"], axis=1)]
    else:
        blocked = "blocked" in case or "small" in case
        params = (k // 32, n) if blocked else (n,)
        scale = (rng.random(params) * 0.1 + 0.01).astype(np.float32)
        inits = [tensor4("w", rng.integers(lo, hi, (k, n)), data_type),
                 numpy_helper.from_array(scale, "s"),
                 tensor4("z", rng.integers(lo, hi, params), data_type)]
        attrs = {"axis": 0, "block_size": 32} if blocked else {"axis": 1}
        nodes = [helper.make_node("DequantizeLinear", ["w", "s", "z"], ["wd"], **attrs)]
    nodes.append(helper.make_node("MatMul", ["x", "wd"], ["y"]))
    m = helper.make_model(helper.make_graph(nodes, case, [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


def run(cmd, expect_failure=False, **kw):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    r = subprocess.run(cmd, **kw)
    if (r.returncode != 0) != expect_failure:
        print("error: command " + ("succeeded" if expect_failure else "failed"),
              file=sys.stderr, flush=True)
        sys.exit(1)
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--atol", default="1e-4")
    args = p.parse_args()
    node = check_model.check_onnxruntime()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    cases = {"signed-blocked": (64, 33), "unsigned-blocked": (96, 31),
             "signed-small": (64, 16), "unsigned-column": (48, 21), "qat-signed": (48, 19)}
    for case, (k, n) in cases.items():
        base = os.path.join(args.work, case)
        onnx.save(model(case, rng, k, n), base + ".onnx")
        data = base + ".data"
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        x = rng.standard_normal((3, k)).astype(np.float32)
        with open(os.path.join(data, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
        expected = base + ".ort"
        shutil.rmtree(expected, ignore_errors=True)
        run([node, ORT_RUN, base + ".onnx", "--iterations", "0", "--optimization", "disabled",
             "--output-dir", expected, "--input", os.path.join(data, "input_0.pb")],
            stdout=subprocess.DEVNULL)
        with open(os.path.join(data, "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.load(os.path.join(expected, "y.npy")),
                                            "y").SerializeToString())
        report = base + ".report.json"
        run(["whittle-compile", base + ".onnx", "-o", base + ".so", "--report=" + report])
        with open(report) as f:
            q = json.load(f)["quantization"]
        print(f"{case}: " + "; ".join(s["format"] for s in q["sites"]), flush=True)
        run(["whittle-run", base + ".so", "--test-data", data, "--atol", args.atol])
        print(f"{case}: ok", flush=True)
    # A packed size that does not match the shape.
    bad = model("signed-blocked", rng, 64, 33)
    bad.graph.initializer[0].CopyFrom(tensor4("w", np.zeros((64, 33)), INT4, truncate=True))
    onnx.save(bad, os.path.join(args.work, "bad.onnx"))
    r = run(["whittle-compile", os.path.join(args.work, "bad.onnx"), "-o",
             os.path.join(args.work, "bad.so")], expect_failure=True,
            stderr=subprocess.PIPE, text=True)
    print(r.stderr.strip().splitlines()[0], flush=True)


if __name__ == "__main__":
    main()
