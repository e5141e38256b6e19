// RUN: whittle-opt --whittle-build-decode-steps="max-tokens=4 chunk=2" --split-input-file --verify-diagnostics %s | FileCheck %s
// No step functions where a step would not compute what the full model
// does: the first op that mixes positions is named.

// Without the option, nothing happens.
// RUN: whittle-opt --whittle-build-decode-steps %s --split-input-file | FileCheck %s --check-prefix=OFF
// OFF-NOT: decode_step

// A non-causal attention (an encoder) sees later tokens.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x2x4x4xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x2x4xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x2x4xf32>, tensor<1x4xi64>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %e {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{--decode: attention is not causal}}
  %a = whittle.attention %t, %t, %t {scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// Mean pooling over the sequence.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x1x8xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{whittle.reduce_mean is not position-wise along the sequence: it reduces over the sequence}}
  %m = whittle.reduce_mean %e {axes = array<i64: 1>} : (tensor<1x4x8xf32>) -> tensor<1x1x8xf32>
  return %m : tensor<1x1x8xf32>
}

// -----

// A softmax across positions.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{its softmax runs over the sequence}}
  %s = whittle.softmax %e {axis = 1 : i64} : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %s : tensor<1x4x8xf32>
}

// -----

// Positions flattened into the features.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x32xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{it merges or splits the sequence axis}}
  %r = whittle.reshape %e {shape = array<i64: 1, 32>} : (tensor<1x4x8xf32>) -> tensor<1x32xf32>
  return %r : tensor<1x32xf32>
}

// -----

// The first token only (a classifier head).
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x8xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %zero = whittle.constant dense<0> : tensor<i64>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  // expected-error @+1 {{it picks positions of the sequence}}
  %f = whittle.gather %e, %zero {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}

// -----

// An input that is neither the tokens nor a mask (positions given by the
// caller would be wrong in every step).
// expected-error @+1 {{input 'position_ids' is neither the token ids (the first input) nor an attention mask}}
func.func @main(%ids: tensor<1x4xi64>, %pos: tensor<1x4xi64>) -> tensor<1x4xi64> attributes {whittle.input_names = ["input_ids", "position_ids"]} {
  %s = whittle.add %ids, %pos : (tensor<1x4xi64>, tensor<1x4xi64>) -> tensor<1x4xi64>
  return %s : tensor<1x4xi64>
}

// -----

// A padding mask that is not all-valid once the mask input is.
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x2x4x4xf32> attributes {whittle.input_names = ["input_ids"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x2x4xf32>
  %mask = whittle.constant dense<[[[[0.0, -10000.0, 0.0, 0.0]]]]> : tensor<1x1x1x4xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x2x4xf32>, tensor<1x4xi64>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %e {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{attention has a mask beyond causality}}
  %a = whittle.attention %t, %t, %t, %mask {causal = true, scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// The token input's length is not the cache size asked for.
// expected-error @+1 {{--decode=4 but input 'input_ids' has 8 positions}}
func.func @main(%ids: tensor<1x8xi64>) -> tensor<1x8xi64> attributes {whittle.input_names = ["input_ids"]} {
  return %ids : tensor<1x8xi64>
}

// CHECK-NOT: decode_step
