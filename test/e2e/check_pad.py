#!/usr/bin/env python3
"""Pad in every mode against numpy.pad: constant (with a value), edge,
reflect and wrap (opset 19), an axes input (opset 18), and negative pads,
which crop. Each case compiles one Pad node whose pads, value and axes are
constants and must equal numpy's result exactly.

    check_pad.py --work DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name, mode, input shape, pads (ONNX order: begins then ends), axes, value
CASES = [
    ("constant", "constant", (3, 4), [1, 2, 0, 3], None, 1.5),
    ("edge", "edge", (2, 3, 4), [0, 2, 1, 0, 1, 2], None, None),
    ("reflect", "reflect", (3, 5), [2, 1, 1, 3], None, None),
    ("wrap", "wrap", (2, 5), [1, 3, 2, 4], None, None),
    ("axes", "constant", (2, 3, 4), [1, 2], [-1], -2.0),
    ("crop", "constant", (4, 6), [-1, 2, 1, -3], None, 0.0),
]


def numpy_pad(x, mode, pads, axes):
    axes = [a % x.ndim for a in (axes if axes is not None else range(x.ndim))]
    k = len(axes)
    for a, before, after in zip(axes, pads[:k], pads[k:]):
        index = [slice(None)] * x.ndim
        index[a] = slice(max(-before, 0), x.shape[a] - max(-after, 0))
        x = x[tuple(index)]
        widths = [(0, 0)] * x.ndim
        widths[a] = (max(before, 0), max(after, 0))
        x = np.pad(x, widths, mode=mode, **({"constant_values": pad_value}
                                            if mode == "constant" else {}))
    return x


def main():
    global pad_value
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    failed = 0
    for name, mode, shape, pads, axes, value in CASES:
        pad_value = value or 0.0
        x = rng.standard_normal(shape).astype(np.float32)
        inits = [numpy_helper.from_array(np.array(pads, np.int64), "pads")]
        inputs = ["x", "pads"]
        if value is not None or axes is not None:
            inits.append(numpy_helper.from_array(np.array(pad_value, np.float32), "value"))
            inputs.append("value")
        if axes is not None:
            inits.append(numpy_helper.from_array(np.array(axes, np.int64), "axes"))
            inputs.append("axes")
        want = numpy_pad(x, "wrap" if mode == "wrap" else mode, pads, axes)
        graph = helper.make_graph(
            [helper.make_node("Pad", inputs, ["y"], mode=mode)], name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, want.shape)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
        model.ir_version = 9
        d = os.path.join(args.work, name)
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        onnx.save(model, os.path.join(d, "model.onnx"))
        for fn, arr, n in (("input_0.pb", x, "x"), ("output_0.pb", want, "y")):
            with open(os.path.join(d, "data", fn), "wb") as f:
                f.write(numpy_helper.from_array(arr, n).SerializeToString())
        ok = subprocess.run(["whittle-compile", os.path.join(d, "model.onnx"), "-o",
                             os.path.join(d, "model.so")]).returncode == 0
        ok = ok and subprocess.run(
            ["whittle-run", os.path.join(d, "model.so"), "--test-data", os.path.join(d, "data"),
             "--atol", "0", "--rtol", "0"], stdout=subprocess.DEVNULL).returncode == 0
        failed += not ok
        print(f"{name}: {'ok' if ok else 'FAILED'}", flush=True)
    print(f"{len(CASES) - failed} of {len(CASES)} pads ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
