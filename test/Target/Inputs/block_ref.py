"""Numpy reference of block.mlir (see gen_block.py)."""
import math
import os

import numpy as np

_W = np.load(os.path.join(os.path.dirname(__file__), "block_weights.npz"))


def reference(inputs):
    x = inputs["hidden in"].astype(np.float64)
    h = x @ _W["w1"] + _W["b1"]
    erf = np.vectorize(math.erf)
    h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
    h = h @ _W["w2"] + x
    mean = h.mean(axis=-1, keepdims=True)
    var = ((h - mean) ** 2).mean(axis=-1, keepdims=True)
    ln = (h - mean) / np.sqrt(var + 1e-5) * _W["scale"] + _W["bias"]
    e = np.exp(ln - ln.max(axis=-1, keepdims=True))
    return {"probs": e / e.sum(axis=-1, keepdims=True), "hidden_out": ln}
