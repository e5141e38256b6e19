"""Writes test data for aliased-outputs.onnxtext into the given directory."""
import os
import sys

import numpy as np
from onnx import numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = np.array([[-1, 2, -3], [4, -5, 6]], np.float32)
with open(os.path.join(out, "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "X").SerializeToString())
for i, (name, value) in enumerate(
        [("A", np.maximum(x, 0)), ("B", np.maximum(x, 0)), ("C", x)]):
    with open(os.path.join(out, f"output_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(value, name).SerializeToString())
