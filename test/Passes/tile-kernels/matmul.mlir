// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(canonicalize,func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 min-matmul-flops=0}),canonicalize,cse)' \
// RUN:   | FileCheck %s

// BERT's FFN up-projection, B an argument (not packed): forall over 384-wide
// column tiles, Kc = K (all of A fits in half of L2), 16-column panels,
// 8-row register tiles, a K loop with the 8x16 accumulator in registers.

// CHECK-LABEL: func.func @matmul_128x768x3072
// CHECK:       scf.forall (%[[J:.*]]) = (0) to (3072) step (384)
// CHECK:         scf.for {{.*}} to %c128 step %c1
// CHECK:           vector.transfer_write {{.*}} vector<1x32xf32>
// CHECK-NOT:     step %c128
// CHECK:         scf.for {{.*}} to %c384 step %c16
// CHECK:           scf.for {{.*}} to %c128 step %c8
// CHECK:             vector.transfer_read {{.*}} vector<8x16xf32>
// CHECK:             scf.for {{.*}} to %c768 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<8x16xf32>)
// CHECK:                 vector.transfer_read {{.*}} vector<8x1xf32>
// CHECK:                 vector.transfer_read {{.*}} vector<1x16xf32>
// CHECK:                 vector.contract {{.*}} %[[ACC]] : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// CHECK:               vector.transfer_write {{.*}} vector<8x16xf32>
// CHECK:       scf.forall.in_parallel
func.func @matmul_128x768x3072(%a: tensor<128x768xf32>, %b: tensor<768x3072xf32>) -> tensor<128x3072xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x3072xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<128x3072xf32>) -> tensor<128x3072xf32>
  %r = linalg.matmul ins(%a, %b : tensor<128x768xf32>, tensor<768x3072xf32>) outs(%f : tensor<128x3072xf32>) -> tensor<128x3072xf32>
  return %r : tensor<128x3072xf32>
}

// -----

// Attention scores: one task per head, the whole 128x128 tile, K = 64 in one
// block.

// CHECK-LABEL: func.func @batch_matmul_12x128x64x128
// CHECK:       scf.forall (%{{.*}}) in (12)
// CHECK-NOT:     step %c128 iter_args
// CHECK:         scf.for {{.*}} to %c128 step %c16
// CHECK:           scf.for {{.*}} to %c128 step %c8
// CHECK:             scf.for {{.*}} to %c64 step %c1 iter_args({{.*}}) -> (vector<8x16xf32>)
// CHECK:               vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
func.func @batch_matmul_12x128x64x128(%a: tensor<12x128x64xf32>, %b: tensor<12x64x128xf32>) -> tensor<12x128x128xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x128x128xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<12x128x128xf32>) -> tensor<12x128x128xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<12x128x64xf32>, tensor<12x64x128xf32>) outs(%f : tensor<12x128x128xf32>) -> tensor<12x128x128xf32>
  return %r : tensor<12x128x128xf32>
}

// -----

// A constant weight is packed at compile time into [N/16, K, 16] panels
// (N = 20 padded to 128 columns) and the product computed over the packed
// layout; the padding is sliced off.

// CHECK-LABEL: func.func @packed_weight
// CHECK-DAG:   %[[W:.*]] = arith.constant dense_resource<whittle_packed> : tensor<8x8x16xf32>
// CHECK:       %[[R:.*]] = scf.forall
// CHECK:         vector.transfer_read %[[W]]
// CHECK:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1, 2]] : tensor<32x8x16xf32> into tensor<32x128xf32>
// CHECK:       tensor.extract_slice %[[FLAT]][0, 0] [32, 20] [1, 1]
func.func @packed_weight(%a: tensor<32x8xf32>) -> tensor<32x20xf32> {
  %w = arith.constant dense<[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0]> : tensor<160xf32>
  %w2 = tensor.expand_shape %w [[0, 1]] output_shape [8, 20] : tensor<160xf32> into tensor<8x20xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x20xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<32x20xf32>) -> tensor<32x20xf32>
  %r = linalg.matmul ins(%a, %w2 : tensor<32x8xf32>, tensor<8x20xf32>) outs(%f : tensor<32x20xf32>) -> tensor<32x20xf32>
  return %r : tensor<32x20xf32>
}
