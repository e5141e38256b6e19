// RUN: whittle-opt --whittle-probe-heads --split-input-file %s | FileCheck %s

// An attention whose merged heads feed one linear layer, then a ReLU
// feed-forward block: @main gains one output per head ([2]: each head's
// output energy after the output projection) and one per neuron ([6]),
// named for the calibration driver, and records the probed attention.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<2x4xf32>, tensor<2xf32>, tensor<6xf32>)
// CHECK-SAME: whittle.output_names = ["y", "__whittle_head_energy_0", "__whittle_ffn_energy_ffn_down"]
// CHECK-SAME: whittle.probe_sites = [{layer = 0 : i64, node = "attn"}]
// CHECK: %[[FLAT:.*]] = whittle.reshape %{{.*}} {shape = array<i64: 2, 2, 2>} : (tensor<1x2x2x2xf32>) -> tensor<2x2x2xf32>
// CHECK: %[[HEADS:.*]] = whittle.transpose %[[FLAT]] {perm = array<i64: 1, 0, 2>}
// CHECK: %[[P:.*]] = whittle.matmul %[[HEADS]], %{{.*}} : (tensor<2x2x2xf32>, tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
// CHECK: %[[SQ:.*]] = whittle.mul %[[P]], %[[P]]
// CHECK: %[[E:.*]] = whittle.reduce_sum %[[SQ]] {axes = array<i64: 1, 2>, keepdims = false} : (tensor<2x2x4xf32>) -> tensor<2xf32>
// CHECK: %[[A:.*]] = whittle.reshape %{{.*}} {shape = array<i64: 2, 6>} : (tensor<2x6xf32>) -> tensor<2x6xf32>
// CHECK: %[[A2:.*]] = whittle.mul %[[A]], %[[A]]
// CHECK: %[[S:.*]] = whittle.reduce_sum %[[A2]] {axes = array<i64: 0>, keepdims = false}
// CHECK: %[[N:.*]] = whittle.mul %[[S]], %{{.*}} : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
// CHECK: return %{{.*}}, %[[E]], %[[N]]
func.func @main(%q: tensor<1x2x2x2xf32>, %k: tensor<1x2x2x2xf32>, %v: tensor<1x2x2x2xf32>, %x: tensor<2x4xf32>) -> tensor<2x4xf32> attributes {whittle.output_names = ["y"]} {
  %wo = whittle.constant dense<[[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0]]> : tensor<4x4xf32>
  %w1 = whittle.constant dense<[[1.0, -1.0, 0.5, 0.0, 2.0, 1.0], [0.0, 1.0, 1.0, -1.0, 0.5, 0.0], [1.0, 0.0, -2.0, 1.0, 0.0, 1.0], [0.5, 0.5, 0.5, 0.5, -0.5, -1.0]]> : tensor<4x6xf32>
  %w2 = whittle.constant dense<[[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0]]> : tensor<6x4xf32>
  %a = whittle.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("attn")
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 2, 4>} : (tensor<1x2x2x2xf32>) -> tensor<2x4xf32>
  %o = whittle.matmul %m, %wo : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %r = whittle.add %o, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %h0 = whittle.matmul %r, %w1 : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
  %h = whittle.relu %h0 : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = whittle.matmul %h, %w2 : (tensor<2x6xf32>, tensor<6x4xf32>) -> tensor<2x4xf32> loc("ffn_down")
  return %y : tensor<2x4xf32>
}
