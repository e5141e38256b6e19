// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32}))' \
// RUN:   | FileCheck %s

// A transpose that moves the innermost dim (the attention kernel's key
// panels: [B, T/Bk, Bk, H, D] -> [B, H, T/Bk, D, Bk]): one task per tile of
// 8 x 8 between the input's innermost dim (D) and the output's (Bk); each
// tile reads 8 input rows along D, transposes them in registers and writes
// 8 output rows along Bk.
// CHECK-LABEL: func.func @key_panels
// CHECK:       scf.forall ({{.*}}) = (0, 0, 0, 0, 0) to (1, 12, 2, 64, 64) step (1, 1, 1, 8, 8)
// CHECK-COUNT-8: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<1x1x8x1x8xf32>, vector<8xf32>
// CHECK:       vector.transpose {{.*}} [1, 0] : vector<8x8xf32> to vector<8x8xf32>
// CHECK-COUNT-8: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<8xf32>, tensor<1x1x1x8x8xf32>
// CHECK-NOT:   linalg.transpose
func.func @key_panels(%x: tensor<1x2x64x12x64xf32>) -> tensor<1x12x2x64x64xf32> {
  %e = tensor.empty() : tensor<1x12x2x64x64xf32>
  %t = linalg.transpose ins(%x : tensor<1x2x64x12x64xf32>) outs(%e : tensor<1x12x2x64x64xf32>) permutation = [0, 3, 1, 4, 2]
  return %t : tensor<1x12x2x64x64xf32>
}

// -----

// Dims that are not whole vectors stay a plain transpose (lowered to loops
// later).
// CHECK-LABEL: func.func @ragged
// CHECK:       linalg.transpose
// CHECK-NOT:   vector.transpose
func.func @ragged(%x: tensor<12x6xf32>) -> tensor<6x12xf32> {
  %e = tensor.empty() : tensor<6x12xf32>
  %t = linalg.transpose ins(%x : tensor<12x6xf32>) outs(%e : tensor<6x12xf32>) permutation = [1, 0]
  return %t : tensor<6x12xf32>
}

// -----

// A transpose that keeps the innermost dim is a copy of whole rows: the
// elementwise path vectorizes it along that dim, with no register transpose.
// CHECK-LABEL: func.func @rows
// CHECK:       scf.forall
// CHECK-NOT:   vector.transpose
// CHECK:       vector.transfer_read {{.*}} vector<1x1x32xf32>
func.func @rows(%x: tensor<4x8x32xf32>) -> tensor<8x4x32xf32> {
  %e = tensor.empty() : tensor<8x4x32xf32>
  %t = linalg.transpose ins(%x : tensor<4x8x32xf32>) outs(%e : tensor<8x4x32xf32>) permutation = [1, 0, 2]
  return %t : tensor<8x4x32xf32>
}
