// RUN: whittle-opt --whittle-build-decode-steps="max-tokens=4 chunk=2" %s | FileCheck %s
// A one-layer decoder: token and position embeddings, a causal attention
// with a padding mask from the second input, an output projection. The step
// functions take 2 and 1 tokens, a position and one cache per key and value
// (4 + 2 positions rounded up to 64, whole key blocks; keys cached as
// [B, H, D, S], keys contiguous); the
// position table is gathered at the step's positions; the new keys (transposed)
// and values go into the caches, which the attention reads at the position
// (the key cache through the inverse transpose); the all-valid padding mask
// folds away.

// CHECK: module attributes {whittle.decode = {cache_length = 64 : i64, chunk = 2 : i64, max_tokens = 4 : i64}}
// CHECK-LABEL: func.func @main(
// CHECK-LABEL: func.func @decode_step_2(
// CHECK-SAME: %[[TOK:.*]]: tensor<1x2xi64>, %[[POS:.*]]: tensor<1xi64>, %[[KC:.*]]: tensor<1x2x4x64xf32>, %[[VC:.*]]: tensor<1x2x64x4xf32>) -> tensor<1x2x16xf32>
// CHECK-SAME: whittle.decode_step = 2 : i64
// CHECK-SAME: whittle.output_seq_axes = [1]
// CHECK: %[[EMB:.*]] = whittle.gather %{{.*}}, %[[TOK]] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x2xi64>) -> tensor<1x2x8xf32>
// CHECK: %[[ROWS:.*]] = whittle.add %{{.*}}, %[[POS]] : (tensor<2xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK: %[[IDX:.*]] = whittle.min %[[ROWS]], %{{.*}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
// CHECK: %[[PE:.*]] = whittle.gather %{{.*}}, %[[IDX]] {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<2xi64>) -> tensor<1x2x8xf32>
// CHECK: whittle.add %[[EMB]], %[[PE]] : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
// CHECK: whittle.reshape %{{.*}} {shape = array<i64: 1, 2, 2, 4>}
// CHECK: %[[P:.*]] = arith.index_cast
// CHECK: %[[KNEW:.*]] = whittle.transpose %{{.*}} {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x2x4xf32>) -> tensor<1x2x4x2xf32>
// CHECK: %[[KT:.*]] = tensor.insert_slice %[[KNEW]] into %[[KC]][0, 0, 0, %[[P]]] [1, 2, 4, 2] [1, 1, 1, 1]
// CHECK: %[[K:.*]] = whittle.transpose %[[KT]] {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x64xf32>) -> tensor<1x2x64x4xf32>
// CHECK: %[[V:.*]] = tensor.insert_slice %{{.*}} into %[[VC]][0, 0, %[[P]], 0] [1, 2, 2, 4] [1, 1, 1, 1]
// CHECK: whittle.attention %{{.*}}, %[[K]], %[[V]] position %[[POS]] {causal = true, scale = 5.000000e-01 : f64} : (tensor<1x2x2x4xf32>, tensor<1x2x64x4xf32>, tensor<1x2x64x4xf32>, tensor<1xi64>) -> tensor<1x2x2x4xf32>
// CHECK: whittle.matmul %{{.*}}, %{{.*}} : (tensor<1x2x8xf32>, tensor<8x16xf32>) -> tensor<1x2x16xf32>
// CHECK-LABEL: func.func @decode_step_1(
// CHECK-SAME: tensor<1x1xi64>, %{{.*}}: tensor<1xi64>, %{{.*}}: tensor<1x2x4x64xf32>, %{{.*}}: tensor<1x2x64x4xf32>) -> tensor<1x1x16xf32>
// CHECK: whittle.attention {{.*}} position
// CHECK-NOT: __whittle_decode_source

func.func @main(%ids: tensor<1x4xi64>, %mask: tensor<1x4xi64>) -> tensor<1x4x16xf32>
    attributes {whittle.input_names = ["input_ids", "attention_mask"], whittle.output_names = ["logits"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %wpe = whittle.constant dense<[[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]]]> : tensor<1x4x8xf32>
  %w = whittle.constant dense<0.25> : tensor<8x16xf32>
  %one = whittle.constant dense<1.0> : tensor<f32>
  %neg = whittle.constant dense<-10000.0> : tensor<f32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  %x = whittle.add %e, %wpe : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %h = whittle.reshape %x {shape = array<i64: 1, 4, 2, 4>} : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %h {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %m0 = whittle.unsqueeze %mask {axes = array<i64: 1, 2>} : (tensor<1x4xi64>) -> tensor<1x1x1x4xi64>
  %m1 = whittle.cast %m0 {to = f32} : (tensor<1x1x1x4xi64>) -> tensor<1x1x1x4xf32>
  %m2 = whittle.sub %one, %m1 : (tensor<f32>, tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
  %m3 = whittle.mul %m2, %neg : (tensor<1x1x1x4xf32>, tensor<f32>) -> tensor<1x1x1x4xf32>
  %a = whittle.attention %t, %t, %t, %m3 {causal = true, scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %b = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
  %c = whittle.reshape %b {shape = array<i64: 1, 4, 8>} : (tensor<1x4x2x4xf32>) -> tensor<1x4x8xf32>
  %y = whittle.matmul %c, %w : (tensor<1x4x8xf32>, tensor<8x16xf32>) -> tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}
