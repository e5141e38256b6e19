"""Writes one tensor for --freeze-input tests.

usage: make_tensor.py OUTPUT.pb|OUTPUT.npy DTYPE VALUES [DIMS]

VALUES is a comma-separated list; DIMS is "2x3" ("" or absent: 1-D,
"scalar": rank 0). .pb files are ONNX TensorProtos, .npy files NumPy arrays.
"""
import sys

import numpy as np
from onnx import numpy_helper


def main():
    out, dtype, values = sys.argv[1:4]
    dims = sys.argv[4] if len(sys.argv) > 4 else ""
    array = np.array([float(v) for v in values.split(",") if v], dtype=np.float64)
    array = array.astype(dtype)
    if dims == "scalar":
        array = array.reshape(())
    elif dims:
        array = array.reshape([int(d) for d in dims.split("x")])
    if out.endswith(".npy"):
        np.save(out, array)
    else:
        with open(out, "wb") as f:
            f.write(numpy_helper.from_array(array, "t").SerializeToString())


if __name__ == "__main__":
    main()
