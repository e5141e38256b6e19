"""Writes small binary ONNX models for the importer's lit tests.

usage: make_model.py KIND OUTPUT.onnx [ARG]
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def named_unsupported():
    node = helper.make_node("Foo", ["X"], ["Y"], name="n1")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def old_opset(version=11):
    node = helper.make_node("Relu", ["X"], ["Y"])
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", version)])


def old_softmax():
    """An opset-11 Softmax over axis 1 of an input of unknown rank: the
    12 -> 13 adapter needs the rank and fails, naming the node."""
    nodes = [helper.make_node("Relu", ["X"], ["R"], name="relu"),
             helper.make_node("Softmax", ["R"], ["Y"], name="sm", axis=1)]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


def external_data(path):
    """A MatMul whose weight, and a small bias, live in a side file."""
    w = numpy_helper.from_array(
        np.arange(8 * 16, dtype=np.float32).reshape(8, 16), "weight")
    b = numpy_helper.from_array(np.arange(16, dtype=np.float32), "bias")
    nodes = [helper.make_node("MatMul", ["X", "weight"], ["M"], name="mm"),
             helper.make_node("Add", ["M", "bias"], ["Y"], name="add")]
    graph = helper.make_graph(
        nodes, "external",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 16])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, path, save_as_external_data=True,
                    all_tensors_to_one_file=True,
                    location=path.split("/")[-1] + ".data", size_threshold=0)


def external_location(path, location):
    """A 128-float weight whose external data location is `location`,
    verbatim, plus a 512-byte w.bin next to the model for the locations that
    should load."""
    import os
    t = TensorProto()
    t.name = "weight"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([8, 16])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "512")):
        e = t.external_data.add()
        e.key, e.value = k, v
    node = helper.make_node("MatMul", ["X", "weight"], ["Y"], name="mm")
    graph = helper.make_graph(
        [node], "confined",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 16])],
        initializer=[t])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(os.path.dirname(path), "w.bin"), "wb") as f:
        f.write(np.arange(128, dtype=np.float32).tobytes())
    onnx.save_model(model, path)


def typed_fields():
    """Initializers in the typed fields (float_data, int32_data, ...)."""
    big = helper.make_tensor("big", TensorProto.FLOAT, [80],
                             [float(i) for i in range(80)])
    half = helper.make_tensor("half", TensorProto.FLOAT16, [2],
                              [1.0, -2.0])
    i8 = helper.make_tensor("i8", TensorProto.INT8, [3], [1, -2, 3])
    flags = helper.make_tensor("flags", TensorProto.BOOL, [2], [1, 0])
    nodes = [helper.make_node("Add", ["X", "big"], ["Y"]),
             helper.make_node("Identity", ["half"], ["H"]),
             helper.make_node("Identity", ["i8"], ["I"]),
             helper.make_node("Identity", ["flags"], ["F"])]
    graph = helper.make_graph(
        nodes, "typed",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [80])],
        [helper.make_tensor_value_info(n, t, None) for n, t in
         [("Y", TensorProto.FLOAT), ("H", TensorProto.FLOAT16),
          ("I", TensorProto.INT8), ("F", TensorProto.BOOL)]],
        initializer=[big, half, i8, flags])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "external-data":
        external_data(path)
        return
    if kind == "external-location":
        external_location(path, sys.argv[3])
        return
    model = {"named-unsupported": named_unsupported, "old-opset": old_opset,
             "opset6": lambda: old_opset(6), "old-softmax": old_softmax,
             "typed-fields": typed_fields}[kind]()
    onnx.save_model(model, path)


if __name__ == "__main__":
    main()
