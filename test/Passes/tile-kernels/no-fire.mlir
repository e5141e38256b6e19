// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels))' \
// RUN:   | FileCheck %s

// Below min-matmul-flops: the matmul stays as it is.

// CHECK-LABEL: func.func @tiny_matmul
// CHECK-NOT:   scf.forall
// CHECK-NOT:   vector.contract
// CHECK:       linalg.matmul
func.func @tiny_matmul(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// Dynamic shapes: neither the matmul nor the elementwise op is touched.

// CHECK-LABEL: func.func @dynamic
// CHECK-NOT:   scf.forall
// CHECK:       linalg.matmul
// CHECK:       linalg.generic
// CHECK-NOT:   vector.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dynamic(%a: tensor<?x768xf32>, %b: tensor<768x768xf32>, %c: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x768xf32>, tensor<768x768xf32>) outs(%c : tensor<?x768xf32>) -> tensor<?x768xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<?x768xf32>) outs(%c : tensor<?x768xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %x : f32
    linalg.yield %y : f32
  } -> tensor<?x768xf32>
  return %g : tensor<?x768xf32>
}

// -----

// Booleans are bit-packed in vectors but not in tensors: not vectorized.

// CHECK-LABEL: func.func @booleans
// CHECK-NOT:   vector.
// CHECK:       linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @booleans(%a: tensor<64x64xi1>, %b: tensor<64x64xi1>) -> tensor<64x64xi1> {
  %e = tensor.empty() : tensor<64x64xi1>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<64x64xi1>, tensor<64x64xi1>) outs(%e : tensor<64x64xi1>) {
  ^bb0(%x: i1, %y: i1, %o: i1):
    %z = arith.andi %x, %y : i1
    linalg.yield %z : i1
  } -> tensor<64x64xi1>
  return %r : tensor<64x64xi1>
}
