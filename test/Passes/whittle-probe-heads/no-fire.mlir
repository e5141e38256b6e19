// RUN: whittle-opt --whittle-probe-heads --split-input-file %s | FileCheck %s

// An attention returned as it is (no output projection to weigh its heads
// by) and no feed-forward block: nothing to probe, @main is unchanged.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> tensor<1x2x2x2xf32> attributes {whittle.output_names = ["y"]}
// CHECK-NOT: whittle.probe_sites
// CHECK-NOT: whittle.reduce_sum
func.func @main(%q: tensor<1x2x2x2xf32>, %k: tensor<1x2x2x2xf32>, %v: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> attributes {whittle.output_names = ["y"]} {
  %a = whittle.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %a : tensor<1x2x2x2xf32>
}

// -----

// Only @main is instrumented (the function a model library exports).
// CHECK-LABEL: func.func @other
// CHECK-NOT: whittle.reduce_sum
func.func @other(%q: tensor<1x2x2x2xf32>, %k: tensor<1x2x2x2xf32>, %v: tensor<1x2x2x2xf32>, %wo: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %a = whittle.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 2, 4>} : (tensor<1x2x2x2xf32>) -> tensor<2x4xf32>
  %o = whittle.matmul %m, %wo : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}
