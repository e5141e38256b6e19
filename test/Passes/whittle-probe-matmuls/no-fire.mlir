// RUN: whittle-opt --whittle-probe-matmuls %s | FileCheck %s

// Only matmuls of activations (no constant weight): nothing to probe, the
// signature stays.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%arg0: tensor<2x4xf32>, %arg1: tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK-NOT: __whittle_site_
func.func @main(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %p = whittle.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
