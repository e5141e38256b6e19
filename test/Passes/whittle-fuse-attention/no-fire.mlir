// RUN: whittle-opt --whittle-fuse-attention --split-input-file %s | FileCheck %s
// The pattern must not fire where fusing would change what is computed or
// remove a value something else reads.

// Softmax over the queries, not the keys.
// CHECK-LABEL: func.func @query_axis
// CHECK-NOT: whittle.attention
// CHECK: whittle.softmax
func.func @query_axis(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %s {axis = 2 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The probabilities are also returned (e.g. output_attentions).
// CHECK-LABEL: func.func @probs_returned
// CHECK-NOT: whittle.attention
func.func @probs_returned(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %s {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %p : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// The raw scores have a second reader.
// CHECK-LABEL: func.func @scores_reused
// CHECK-NOT: whittle.attention
func.func @scores_reused(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %c = whittle.constant dense<0.5> : tensor<f32>
  %sc = whittle.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %sc {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %s : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// A mask multiplied into the probabilities after the softmax is not
// additive before it.
// CHECK-LABEL: func.func @mask_after_softmax
// CHECK-NOT: whittle.attention
func.func @mask_after_softmax(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4xf32>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %s {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %pm = whittle.mul %p, %m : (tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %pm, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A scale that is not a scalar constant (per-head) does not commute into a
// single scale attribute.
// CHECK-LABEL: func.func @tensor_scale
// CHECK-NOT: whittle.attention
func.func @tensor_scale(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %c: tensor<1x2x1x1xf32>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %sc = whittle.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %sc {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// K^T that transposes other dims than K's last two is not attention.
// CHECK-LABEL: func.func @wrong_transpose
// CHECK-NOT: whittle.attention
func.func @wrong_transpose(%q: tensor<1x4x4x4xf32>, %k: tensor<1x4x4x4xf32>, %v: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %p = whittle.softmax %s {axis = 3 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %o : tensor<1x4x4x4xf32>
}

// -----

// A mask larger than the scores (it would broadcast them) is not a mask.
// CHECK-LABEL: func.func @mask_broadcasts_scores
// CHECK-NOT: whittle.attention
func.func @mask_broadcasts_scores(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<3x2x4x4xf32>) -> tensor<3x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %a = whittle.add %s, %m : (tensor<1x2x4x4xf32>, tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<3x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<3x2x4x8xf32>
  return %o : tensor<3x2x4x8xf32>
}

// -----

// Where with an upper-triangular (anti-causal) pattern is not causal: it is
// an ordinary boolean mask (folded to its additive constant), causal stays
// false.
// CHECK-LABEL: func.func @anti_causal
// CHECK: %[[M:.*]] = whittle.constant dense<{{\[\[\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00], [0xFF800000, 0.000000e+00, 0.000000e+00], [0xFF800000, 0xFF800000, 0.000000e+00]]]]>
// CHECK: whittle.attention %arg0, %arg1, %arg2, %[[M]] {scale = 1.000000e+00 : f64}
// CHECK-NOT: causal
func.func @anti_causal(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %b = whittle.constant dense<[[[[true, true, true], [false, true, true], [false, false, true]]]]> : tensor<1x1x3x3xi1>
  %ninf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %b, %s, %ninf : (tensor<1x1x3x3xi1>, tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// A causal pattern that fills with 0 instead of a large negative value
// does not hide the keys from the softmax.
// CHECK-LABEL: func.func @zero_fill
// CHECK-NOT: whittle.attention
func.func @zero_fill(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %b = whittle.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %zero = whittle.constant dense<0.0> : tensor<f32>
  %w = whittle.where %b, %s, %zero : (tensor<1x1x3x3xi1>, tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// A splat "scale" that broadcasts the scores to more batches is not a
// scale.
// CHECK-LABEL: func.func @broadcasting_scale
// CHECK-NOT: whittle.attention
func.func @broadcasting_scale(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<3x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %c = whittle.constant dense<0.5> : tensor<3x2x4x4xf32>
  %sc = whittle.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %p = whittle.softmax %sc {axis = 3 : i64} : (tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<3x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<3x2x4x8xf32>
  return %o : tensor<3x2x4x8xf32>
}

// -----

// A constant triangle whose hidden entries are not far below any score
// (-1, not <= -1e4) is an ordinary additive mask: it is kept and causal
// stays false (the attention still fuses).
// CHECK-LABEL: func.func @weak_triangle_is_not_causal
// CHECK: %[[TRI:.*]] = whittle.constant
// CHECK: whittle.attention %arg0, %arg1, %arg2, %[[TRI]] {scale = 1.000000e+00 : f64}
// CHECK-NOT: causal = true
func.func @weak_triangle_is_not_causal(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %tri = whittle.constant dense<[[[[0.0, -1.0, -1.0], [0.0, 0.0, -1.0], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %a = whittle.add %s, %tri : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// A selection whose fill is an ordinary value (-1) is not a mask: the
// selected scores differ from any additive form, so nothing fuses.
// CHECK-LABEL: func.func @select_with_finite_fill
// CHECK-NOT: whittle.attention
// CHECK: whittle.softmax
func.func @select_with_finite_fill(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %keep: tensor<1x1x1x4xi1>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %fill = whittle.constant dense<-1.0> : tensor<f32>
  %w = whittle.where %keep, %s, %fill : (tensor<1x1x1x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// masked_fill that hides the diagonal too (a strictly-earlier mask) is not
// causal: the hidden keys stay an additive mask.
// CHECK-LABEL: func.func @masked_fill_strict
// CHECK: whittle.attention %arg0, %arg1, %arg2, %{{.*}} {scale = 1.000000e+00 : f64}
// CHECK-NOT: causal = true
func.func @masked_fill_strict(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %hide = whittle.constant dense<[[true, true, true], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
  %ninf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %hide, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}
