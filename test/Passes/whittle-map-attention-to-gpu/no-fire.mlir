// RUN: whittle-opt --whittle-map-attention-to-gpu --split-input-file %s | FileCheck %s

// A decode step's attention (a runtime position) keeps its other lowering.
// CHECK-LABEL: func.func @with_position
// CHECK: whittle.attention
// CHECK-NOT: gpu.launch
func.func @with_position(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %p: tensor<1xi64>) -> tensor<1x2x1x8xf32> {
  %0 = whittle.attention %q, %k, %v position %p {scale = 0.25 : f64, causal = true} : (tensor<1x2x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi64>) -> tensor<1x2x1x8xf32>
  return %0 : tensor<1x2x1x8xf32>
}

// -----

// Dynamic shapes keep the reference lowering.
// CHECK-LABEL: func.func @dynamic
// CHECK: whittle.attention
// CHECK-NOT: gpu.launch
func.func @dynamic(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %0 = whittle.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %0 : tensor<1x2x?x8xf32>
}
