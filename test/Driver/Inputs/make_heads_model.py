#!/usr/bin/python3
"""Writes a one-layer attention model (2 heads of 2 dims; Q, K, V, output
projections as MatMul + Add) followed by a ReLU feed-forward block of 8
neurons, for the --prune-heads tests: OUT.onnx, and with
a second argument DIR, DIR/test_data_set_{0,1}/input_0.pb as calibration
data."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

C, H, D, T = 4, 2, 2, 3
rng = np.random.default_rng(3)


def weight(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


inits = [weight("w" + p, C, C) for p in "qkvo"] + [weight("b" + p, C) for p in "qkvo"]
inits += [weight("w1", C, 2 * C), weight("b1", 2 * C), weight("w2", 2 * C, C),
          weight("b2", C)]
inits += [numpy_helper.from_array(np.array([1, T, H, D], np.int64), "heads"),
          numpy_helper.from_array(np.array([1, T, C], np.int64), "merged"),
          numpy_helper.from_array(np.array(2.0, np.float32), "sqrt_d")]
nodes = []
for p in "qkv":
    nodes += [helper.make_node("MatMul", ["x", "w" + p], [p + "0"]),
              helper.make_node("Add", [p + "0", "b" + p], [p + "1"]),
              helper.make_node("Reshape", [p + "1", "heads"], [p + "2"]),
              helper.make_node("Transpose", [p + "2"], [p + "3"], perm=[0, 2, 1, 3])]
nodes += [helper.make_node("Transpose", ["k3"], ["kt"], perm=[0, 1, 3, 2]),
          helper.make_node("MatMul", ["q3", "kt"], ["s"]),
          helper.make_node("Div", ["s", "sqrt_d"], ["sd"]),
          helper.make_node("Softmax", ["sd"], ["p"], axis=-1, name="attn0"),
          helper.make_node("MatMul", ["p", "v3"], ["o"]),
          helper.make_node("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
          helper.make_node("Reshape", ["ot", "merged"], ["om"]),
          helper.make_node("MatMul", ["om", "wo"], ["y0"]),
          helper.make_node("Add", ["y0", "bo"], ["a0"]),
          helper.make_node("Add", ["a0", "x"], ["a"]),  # residual
          helper.make_node("MatMul", ["a", "w1"], ["h0"]),
          helper.make_node("Add", ["h0", "b1"], ["h1"]),
          helper.make_node("Relu", ["h1"], ["h"]),
          helper.make_node("MatMul", ["h", "w2"], ["f0"], name="ffn_down"),
          helper.make_node("Add", ["f0", "b2"], ["y"])]
graph = helper.make_graph(nodes, "heads",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, T, C])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, T, C])],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
if len(sys.argv) > 2:
    for i in range(2):
        d = os.path.join(sys.argv[2], f"test_data_set_{i}")
        os.makedirs(d, exist_ok=True)
        x = rng.standard_normal((1, T, C)).astype(np.float32)
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
