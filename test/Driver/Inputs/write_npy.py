"""Writes a float32 .npy of the given shape (e.g. 1x5) filled with ones."""
import sys

import numpy as np

np.save(sys.argv[1], np.ones([int(d) for d in sys.argv[2].split("x")], np.float32))
