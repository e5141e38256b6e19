// RUN: whittle-opt --whittle-build-length-variants="lengths=2" --split-input-file --verify-diagnostics %s | FileCheck %s
// Variants only where a shorter run computes what the model does on its
// real rows: the first op that mixes positions is named.

// Without a bounded input, nothing happens.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  return %e : tensor<1x4x8xf32>
}
// CHECK-NOT: whittle.lengths
// CHECK-NOT: func.func @length_
// CHECK: // -----

// -----

// A causal attention needs no mask: its real rows never see a padded key.
// CHECK-LABEL: func.func @length_2(
// CHECK-NOT: whittle.less
// CHECK: whittle.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x2x4x4xf32> attributes {whittle.length_axes = array<i64: 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x2x4xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x2x4xf32>, tensor<1x4xi64>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %e {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %a = whittle.attention %t, %t, %t {causal = true, scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// Mean pooling over the sequence.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x1x8xf32> attributes {whittle.length_axes = array<i64: 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{bounded sequence length: whittle.reduce_mean is not position-wise along the sequence: it reduces over the sequence}}
  %m = whittle.reduce_mean %e {axes = array<i64: 1>} : (tensor<1x4x8xf32>) -> tensor<1x1x8xf32>
  return %m : tensor<1x1x8xf32>
}

// -----

// The last position, counted from the end, moves with the length.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x8xf32> attributes {whittle.length_axes = array<i64: 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %last = whittle.constant dense<-1> : tensor<i64>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{it picks positions of the sequence}}
  %f = whittle.gather %e, %last {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}

// -----

// The last row of the bound (what a position counted from the end becomes
// at import) is not a fixed row of a shorter run.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x8xf32> attributes {whittle.length_axes = array<i64: 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %last = whittle.constant dense<3> : tensor<i64>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{picks row 3 of 4, which a run of 2 rows does not have (a position counted from the end reads a different row at every length); compile the model for one length}}
  %f = whittle.gather %e, %last {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}

// -----

// A constant mask over all pairs of positions that is not causal.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x2x4x4xf32> attributes {whittle.length_axes = array<i64: 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x2x4xf32>
  %m = whittle.constant dense<0.0> : tensor<1x1x4x4xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x2x4xf32>, tensor<1x4xi64>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %e {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{attention mask is a constant over [4, 4] positions that is not causal}}
  %a = whittle.attention %t, %t, %t, %m {scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// Two inputs bounded at different lengths.
// expected-error @+1 {{inputs bound their sequence axes at 4 and 6; one bound is shared by every input}}
func.func @main(%ids: tensor<1x4xi64>, %other: tensor<1x6xi64>) -> tensor<1x4xi64> attributes {whittle.length_axes = array<i64: 1, 1>} {
  return %ids : tensor<1x4xi64>
}
