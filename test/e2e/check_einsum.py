#!/usr/bin/env python3
"""Einsum equations as exporters write them, compiled and run against
numpy.einsum (float64, compared at --atol).

    check_einsum.py --work DIR [--atol 1e-4]

Each case is one Einsum node over graph inputs (or a constant weight),
covering the forms the importer lowers: batch matmuls, an ellipsis over
leading dims, numpy's implicit output, an outer product, a relative-position
product whose kept indices merge into one matmul dim, reductions, a
transpose, and a diagonal. An equation with three operands must be refused
with a message naming the node.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CASES = [
    # name, equation, operand shapes, index of a constant operand (or None)
    ("linear_ellipsis", "...d,de->...e", [(2, 3, 4), (4, 5)], 1),
    ("outer", "i,j->ij", [(5,), (7,)], None),
    ("implicit", "ij,jk", [(3, 4), (4, 6)], None),
    ("batch_matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], None),
    ("relative_position", "bhld,lrd->bhlr", [(2, 3, 4, 8), (4, 5, 8)], None),
    ("sum_out", "ij->", [(3, 4)], None),
    ("row_sums", "bij->bi", [(2, 3, 4)], None),
    ("transpose", "ij->ji", [(3, 5)], None),
    ("diagonal", "bii->bi", [(2, 4, 4)], None),
    ("elementwise", "ij,ij->ij", [(3, 4), (3, 4)], None),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--atol", default="1e-4")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    failed = 0
    for name, equation, shapes, constant in CASES:
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        names = [f"x{i}" for i in range(len(shapes))]
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, a.shape)
                  for i, (n, a) in enumerate(zip(names, arrays)) if i != constant]
        inits = [numpy_helper.from_array(arrays[constant], names[constant])] \
            if constant is not None else []
        want = np.einsum(equation, *[a.astype(np.float64) for a in arrays]).astype(np.float32)
        graph = helper.make_graph(
            [helper.make_node("Einsum", names, ["y"], equation=equation, name=name)], name,
            inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, want.shape)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        d = os.path.join(args.work, name)
        data = os.path.join(d, "data")
        os.makedirs(data, exist_ok=True)
        onnx.save(model, os.path.join(d, "model.onnx"))
        k = 0
        for i, (n, a) in enumerate(zip(names, arrays)):
            if i == constant:
                continue
            with open(os.path.join(data, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
            k += 1
        with open(os.path.join(data, "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(want, "y").SerializeToString())
        lib = os.path.join(d, "model.so")
        ok = subprocess.run(["whittle-compile", os.path.join(d, "model.onnx"), "-o", lib]).returncode == 0
        ok = ok and subprocess.run(["whittle-run", lib, "--test-data", data, "--atol", args.atol],
                                   stdout=subprocess.DEVNULL).returncode == 0
        failed += not ok
        print(f"{name} ({equation}): {'ok' if ok else 'FAILED'}", flush=True)
    # Three operands: a clear error.
    graph = helper.make_graph(
        [helper.make_node("Einsum", ["a", "b", "c"], ["y"], equation="bn,anm,bm->ba",
                          name="bilinear")], "three",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
         for n, s in (("a", [2, 3]), ("b", [4, 3, 5]), ("c", [2, 5]))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = os.path.join(args.work, "three.onnx")
    onnx.save(model, path)
    r = subprocess.run(["whittle-compile", path, "-o", os.path.join(args.work, "three.so")],
                       capture_output=True, text=True)
    print(f"three operands: exit {r.returncode}: {r.stderr.strip().splitlines()[-1]}")
    print(f"{len(CASES) - failed} of {len(CASES)} equations ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
