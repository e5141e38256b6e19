// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 report-tiles=true}))' \
// RUN:   -o /dev/null 2>&1 | FileCheck %s

// One row (a decode step): no weight element is used twice, so K is not
// split (kc = K) and each packed panel is read as one stream.
// CHECK: tile-kernels: mr=1 nr=16 mc=1 nc={{[0-9]+}} kc=768
func.func @gemv(%x: tensor<1x768xf32>, %w: tensor<768x2304xf32>) -> tensor<1x2304xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2304xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2304xf32>) -> tensor<1x2304xf32>
  %r = linalg.matmul ins(%x, %w : tensor<1x768xf32>, tensor<768x2304xf32>) outs(%f : tensor<1x2304xf32>) -> tensor<1x2304xf32>
  return %r : tensor<1x2304xf32>
}

// -----

// All of A (128 rows) fits in half of L2: Kc = K, each register tile
// accumulates its whole K once.
// CHECK: tile-kernels: mr=8 nr=16 mc={{[0-9]+}} nc={{[0-9]+}} kc=768
func.func @gemm(%x: tensor<128x768xf32>, %w: tensor<768x2304xf32>) -> tensor<128x2304xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x2304xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x2304xf32>) -> tensor<128x2304xf32>
  %r = linalg.matmul ins(%x, %w : tensor<128x768xf32>, tensor<768x2304xf32>) outs(%f : tensor<128x2304xf32>) -> tensor<128x2304xf32>
  return %r : tensor<128x2304xf32>
}

// -----

// 512 rows do not fit in half of L2 and reuse each weight panel across row
// blocks: K is split so that a Kc x nr panel of B and an mr x Kc panel of A
// share half of L1.
// CHECK: tile-kernels: mr=8 nr=16 mc={{[0-9]+}} nc={{[0-9]+}} kc=128
func.func @gemm_tall(%x: tensor<512x768xf32>, %w: tensor<768x2304xf32>) -> tensor<512x2304xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x2304xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<512x2304xf32>) -> tensor<512x2304xf32>
  %r = linalg.matmul ins(%x, %w : tensor<512x768xf32>, tensor<768x2304xf32>) outs(%f : tensor<512x2304xf32>) -> tensor<512x2304xf32>
  return %r : tensor<512x2304xf32>
}
