"""Writes activation samples as whittle-quantize-weights reads them:
DIR/index.txt ("FILE NODE" per layer) and FILE, raw f32 rows of K.

usage: write_samples.py DIR NODE   (8 rows of K = 32; channel 3 is 50x
larger than the others, as outlier channels of transformer activations are)
"""
import os
import sys

import numpy as np

out, node = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
x = rng.standard_normal((8, 32)).astype(np.float32)
x[:, 3] *= 50
x.tofile(os.path.join(out, "0.f32"))
with open(os.path.join(out, "index.txt"), "w") as f:
    f.write("0.f32 %s\n" % node)
