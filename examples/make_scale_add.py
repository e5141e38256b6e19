#!/usr/bin/env python3
"""Writes scale_add.onnx: out = x * 2 + y over f32[2x3].

The model the examples are written against; test/unit/FakeModel.c implements
it by hand until whittle-compile builds it.

Usage: /usr/bin/python3 make_scale_add.py [OUT.onnx]
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "scale_add.onnx"
    two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["x2"], name="scale"),
         helper.make_node("Add", ["x2", "y"], ["out"], name="add")],
        "scale_add",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3])],
        initializer=[two])
    model = helper.make_model(graph, producer_name="whittle-examples",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
