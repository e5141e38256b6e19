"""Writes block.mlir (a small transformer-style block in whittle ops with
dense_resource weights) and block_ref.py (its numpy reference).
Run once; both outputs are checked in."""
import numpy as np

rng = np.random.default_rng(7)
w1 = (rng.standard_normal((8, 32)) * 0.3).astype(np.float32)
b1 = (rng.standard_normal(32) * 0.1).astype(np.float32)
w2 = (rng.standard_normal((32, 8)) * 0.3).astype(np.float32)
scale = (1 + rng.standard_normal(8) * 0.1).astype(np.float32)
bias = (rng.standard_normal(8) * 0.1).astype(np.float32)


def blob(a):
    # Resource blobs start with their alignment as a little-endian u32.
    return "0x" + np.uint32(16).tobytes().hex() + a.tobytes().hex()


mlir = f'''module attributes {{whittle.model_name = "block"}} {{
  func.func @main(%x: tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>)
      attributes {{whittle.input_names = ["hidden in"], whittle.output_names = ["probs", "hidden_out"]}} {{
    %w1 = whittle.constant dense_resource<w1> : tensor<8x32xf32>
    %b1 = whittle.constant dense_resource<b1> : tensor<32xf32>
    %w2 = whittle.constant dense_resource<w2> : tensor<32x8xf32>
    %s = whittle.constant dense_resource<scale> : tensor<8xf32>
    %b = whittle.constant dense_resource<bias> : tensor<8xf32>
    %0 = whittle.matmul %x, %w1 : (tensor<2x4x8xf32>, tensor<8x32xf32>) -> tensor<2x4x32xf32>
    %1 = whittle.add %0, %b1 : (tensor<2x4x32xf32>, tensor<32xf32>) -> tensor<2x4x32xf32>
    %2 = whittle.gelu %1 : (tensor<2x4x32xf32>) -> tensor<2x4x32xf32>
    %3 = whittle.matmul %2, %w2 : (tensor<2x4x32xf32>, tensor<32x8xf32>) -> tensor<2x4x8xf32>
    %4 = whittle.add %3, %x : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
    %5 = whittle.layer_norm %4, %s, %b {{axis = 2 : i64}} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
    %6 = whittle.softmax %5 {{axis = 2 : i64}} : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
    return %6, %5 : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  }}
}}

{{-#
  dialect_resources: {{
    builtin: {{
      w1: "{blob(w1)}",
      b1: "{blob(b1)}",
      w2: "{blob(w2)}",
      scale: "{blob(scale)}",
      bias: "{blob(bias)}"
    }}
  }}
#-}}
'''
open("block.mlir", "w").write(mlir)
np.savez("block_weights.npz", w1=w1, b1=b1, w2=w2, scale=scale, bias=bias)
