// RUN: whittle-opt --whittle-build-length-variants="lengths=2" %s | FileCheck %s
// A one-layer encoder at its bound of 4 positions (both inputs bounded on
// axis 1): token and position embeddings, a non-causal attention with a
// padding mask from the second input, a pooler on the first position. The
// variants take 2 and 4 rows and a length; the position table keeps its
// first rows; the attention's mask gains -inf from `length` on (the keys
// past the real rows); the projection, whose rows are the positions, is
// marked so that its kernel may stop at the length; the pooler's pick of row
// 0 stays, and its output has no sequence axis.

// CHECK: module attributes {whittle.lengths = {input_axes = array<i64: 1, 1>, min_length = 1 : i64, output_axes = array<i64: 1, -1>, variants = array<i64: 2, 4>}}
// CHECK-LABEL: func.func @main(
// CHECK-LABEL: func.func @length_2(
// CHECK-SAME: %[[IDS:.*]]: tensor<1x2xi64>, %[[MASK:.*]]: tensor<1x2xi64>, %[[LEN:.*]]: tensor<1xi64>) -> (tensor<1x2x16xf32>, tensor<1x8xf32>)
// CHECK-SAME: whittle.length_arg = 2 : i64
// CHECK: %[[EMB:.*]] = whittle.gather %{{.*}}, %[[IDS]] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x2xi64>) -> tensor<1x2x8xf32>
// CHECK: %[[ROWS:.*]] = whittle.constant dense<[0, 1]> : tensor<2xi64>
// CHECK: %[[PE:.*]] = whittle.gather %{{.*}}, %[[ROWS]] {axis = 0 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
// CHECK: whittle.add %[[EMB]], %[[PE]]
// CHECK: whittle.unsqueeze %[[MASK]]
// CHECK: %[[PAD:.*]] = whittle.mul {{.*}} -> tensor<1x1x1x2xf32>
// CHECK: %[[KEYS:.*]] = whittle.constant dense<{{\[\[\[\[}}0, 1]]]]> : tensor<1x1x1x2xi64>
// CHECK: %[[REAL:.*]] = whittle.less %[[KEYS]], %[[LEN]]
// CHECK: %[[HIDE:.*]] = whittle.where %[[REAL]], %{{.*}}, %{{.*}} : (tensor<1x1x1x2xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x1x2xf32>
// CHECK: %[[M:.*]] = whittle.add %[[PAD]], %[[HIDE]]
// CHECK: whittle.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] {scale = 5.000000e-01 : f64} : (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x2x4xf32>
// CHECK: whittle.matmul %{{.*}}, %{{.*}} {whittle.seq_rows} : (tensor<1x2x8xf32>, tensor<8x16xf32>) -> tensor<1x2x16xf32>
// CHECK: whittle.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
// CHECK-LABEL: func.func @length_4(
// CHECK-SAME: tensor<1x4xi64>, %{{.*}}: tensor<1x4xi64>, %{{.*}}: tensor<1xi64>) -> (tensor<1x4x16xf32>, tensor<1x8xf32>)
// The table is whole at the bound.
// CHECK-NOT: whittle.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<4x8xf32>
// CHECK: whittle.less
// CHECK: whittle.attention

func.func @main(%ids: tensor<1x4xi64>, %mask: tensor<1x4xi64>) -> (tensor<1x4x16xf32>, tensor<1x8xf32>)
    attributes {whittle.input_names = ["input_ids", "attention_mask"], whittle.output_names = ["hidden", "pooled"], whittle.length_axes = array<i64: 1, 1>} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %wpe = whittle.constant dense<[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]]> : tensor<4x8xf32>
  %w = whittle.constant dense<0.25> : tensor<8x16xf32>
  %one = whittle.constant dense<1.0> : tensor<f32>
  %neg = whittle.constant dense<-10000.0> : tensor<f32>
  %first = whittle.constant dense<0> : tensor<i64>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  %x = whittle.add %e, %wpe : (tensor<1x4x8xf32>, tensor<4x8xf32>) -> tensor<1x4x8xf32>
  %h = whittle.reshape %x {shape = array<i64: 1, 4, 2, 4>} : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %t = whittle.transpose %h {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %m0 = whittle.unsqueeze %mask {axes = array<i64: 1, 2>} : (tensor<1x4xi64>) -> tensor<1x1x1x4xi64>
  %m1 = whittle.cast %m0 {to = f32} : (tensor<1x1x1x4xi64>) -> tensor<1x1x1x4xf32>
  %m2 = whittle.sub %one, %m1 : (tensor<f32>, tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
  %m3 = whittle.mul %m2, %neg : (tensor<1x1x1x4xf32>, tensor<f32>) -> tensor<1x1x1x4xf32>
  %a = whittle.attention %t, %t, %t, %m3 {scale = 0.5 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %b = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
  %c = whittle.reshape %b {shape = array<i64: 1, 4, 8>} : (tensor<1x4x2x4xf32>) -> tensor<1x4x8xf32>
  %y = whittle.matmul %c, %w : (tensor<1x4x8xf32>, tensor<8x16xf32>) -> tensor<1x4x16xf32>
  %p = whittle.gather %c, %first {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %q = whittle.tanh %p : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y, %q : tensor<1x4x16xf32>, tensor<1x8xf32>
}
