"""Writes test data for the fake 'types' model (test/unit/FakeTypes.c).

Usage: make_types_data.py DIR [--wrong-int] [--wrong-bool] [--order-by-name]

Inputs ids: i64[4], mask: bool[4]; outputs ids_plus_one: i64[4],
not_mask: bool[4], masked: f32[4], count: i32 scalar. Typed fields
(int64_data, int32_data) are used for the integer tensors so both TensorProto
encodings are read.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--wrong-int", action="store_true",
                   help="expect ids + 2 in ids_plus_one[3]")
    p.add_argument("--wrong-bool", action="store_true",
                   help="flip not_mask[0] in the expected output")
    p.add_argument("--reverse-outputs", action="store_true",
                   help="write output_K.pb in reverse order (bound by name)")
    args = p.parse_args()

    ids = np.array([3, -7, 1 << 40, 0], dtype=np.int64)
    mask = np.array([True, False, True, True])
    outputs = [
        ("ids_plus_one", ids + 1),
        ("not_mask", ~mask),
        ("masked", np.where(mask, ids, 0).astype(np.float32)),
        ("count", np.array(mask.sum(), dtype=np.int32)),
    ]
    if args.wrong_int:
        outputs[0][1][3] += 1
    if args.wrong_bool:
        outputs[1][1][0] = not outputs[1][1][0]
    if args.reverse_outputs:
        outputs.reverse()

    os.makedirs(args.dir, exist_ok=True)
    tensors = [("input_0.pb", helper.make_tensor(
        "ids", onnx.TensorProto.INT64, [4], ids.tolist())),
        ("input_1.pb", numpy_helper.from_array(mask, "mask"))]
    for k, (name, array) in enumerate(outputs):
        tensors.append(("output_%d.pb" % k,
                        numpy_helper.from_array(array, name)))
    for file, tensor in tensors:
        with open(os.path.join(args.dir, file), "wb") as f:
            f.write(tensor.SerializeToString())


if __name__ == "__main__":
    main()
