"""Writes ONNX-style test data for the scale_add model (out = x * 2 + y).

Usage: make_scale_add_data.py DIR [options]

Writes DIR/input_0.pb, DIR/input_1.pb and DIR/output_0.pb (onnx.TensorProto)
and, with --npy, x.npy, y.npy and out.npy, for whittle-run tests against the
fake model (test/unit/FakeModel.c) or a compiled examples/scale_add.onnx.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def to_proto(array, name, typed):
    if typed:
        # Values in float_data instead of raw_data, as older exporters write.
        return helper.make_tensor(name, onnx.TensorProto.FLOAT, array.shape,
                                  array.flatten().tolist(), raw=False)
    return numpy_helper.from_array(array, name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--shape", default="2x3", help="e.g. 2x3 or 64x4096")
    p.add_argument("--x-shape", help="shape of x only (to make a bad input)")
    p.add_argument("--names", default="x,y,out",
                   help="tensor names; 'none' writes unnamed tensors")
    p.add_argument("--swap", action="store_true",
                   help="write y as input_0 and x as input_1")
    p.add_argument("--perturb", type=float, default=0.0,
                   help="add this to expected output element 0")
    p.add_argument("--typed", action="store_true",
                   help="use typed fields instead of raw_data")
    p.add_argument("--npy", action="store_true", help="also write .npy files")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    shape = [int(d) for d in args.shape.split("x")]
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    y = rng.uniform(-1, 1, shape).astype(np.float32)
    out = (x * np.float32(2) + y).astype(np.float32)
    out.flat[0] += np.float32(args.perturb)
    if args.x_shape:
        x = rng.uniform(-1, 1, [int(d) for d in args.x_shape.split("x")])
        x = x.astype(np.float32)

    names = ["", "", ""] if args.names == "none" else args.names.split(",")
    os.makedirs(args.dir, exist_ok=True)
    inputs = [(x, names[0]), (y, names[1])]
    if args.swap:
        inputs.reverse()
    files = [("input_0.pb", inputs[0]), ("input_1.pb", inputs[1]),
             ("output_0.pb", (out, names[2]))]
    for file, (array, name) in files:
        with open(os.path.join(args.dir, file), "wb") as f:
            f.write(to_proto(array, name, args.typed).SerializeToString())
    if args.npy:
        for array, name in [(x, "x"), (y, "y"), (out, "out")]:
            np.save(os.path.join(args.dir, name + ".npy"), array)


if __name__ == "__main__":
    main()
