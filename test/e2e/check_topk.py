#!/usr/bin/env python3
"""TopK against numpy: values and indices in order, ties to the lower index
(as ONNX asks), for the largest and the smallest, on floats with -inf and on
int32 with the type's extremes among the values (which the kernel's masking
of taken positions must not confuse with masked ones).

    check_topk.py --work DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

I32_MIN, I32_MAX = -2147483648, 2147483647
CASES = [
    ("float_largest", np.array([[3, 1, 3, 2, -np.inf, 3], [0, 0, -1, 5, 5, -2]], np.float32), 1, 4),
    ("float_smallest", np.array([[3, 1, 3, 2, -np.inf, 3], [0, 0, -1, 5, 5, -2]], np.float32), 0, 3),
    ("int_largest", np.array([[I32_MIN, 7, 7, I32_MIN, 0], [1, 1, 1, 1, 1]], np.int32), 1, 5),
    ("int_smallest", np.array([[I32_MIN, 7, 7, I32_MIN, I32_MAX], [1, 1, 1, 1, 1]], np.int32), 0, 4),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    failed = 0
    for name, x, largest, k in CASES:
        elem = TensorProto.FLOAT if x.dtype == np.float32 else TensorProto.INT32
        graph = helper.make_graph(
            [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, largest=largest)], name,
            [helper.make_tensor_value_info("x", elem, list(x.shape))],
            [helper.make_tensor_value_info("v", elem, None),
             helper.make_tensor_value_info("i", TensorProto.INT64, None)],
            [numpy_helper.from_array(np.array([k], np.int64), "k")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        base = os.path.join(args.work, name)
        onnx.save(model, base + ".onnx")
        np.save(base + ".npy", x)
        out = base + ".out"
        ok = subprocess.run(["whittle-compile", base + ".onnx", "-o", base + ".so"]).returncode == 0
        ok = ok and subprocess.run(["whittle-run", base + ".so", "--input", "x=" + base + ".npy",
                                    "--output-dir", out], stdout=subprocess.DEVNULL).returncode == 0
        if ok:
            key = x.astype(np.float64)
            want_i = np.array([np.lexsort((np.arange(x.shape[1]), -r if largest else r))[:k]
                               for r in key])
            want_v = np.take_along_axis(x, want_i, 1)
            ok = (np.load(os.path.join(out, "i.npy")) == want_i).all() and \
                (np.load(os.path.join(out, "v.npy")) == want_v).all()
        failed += not ok
        print(f"{name}: {'ok' if ok else 'FAILED'}", flush=True)
    print(f"{len(CASES) - failed} of {len(CASES)} TopK cases ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
