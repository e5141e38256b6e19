// RUN: whittle-opt --whittle-fuse-attention --split-input-file %s | FileCheck %s

// BERT: K^T from [B, T, H, D] in one transpose, scores / sqrt(d), additive
// key-padding mask kept [B, 1, 1, T].
// CHECK-LABEL: func.func @bert
// CHECK: %[[K:.*]] = whittle.transpose %arg1 {perm = array<i64: 0, 2, 1, 3>}
// CHECK-NEXT: %[[A:.*]] = whittle.attention %arg0, %[[K]], %arg2, %arg3 {scale = 2.500000e-01 : f64} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x16xf32>
// CHECK-NEXT: return %[[A]]
// CHECK-NOT: whittle.softmax
func.func @bert(%q: tensor<2x4x8x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x4x8x16xf32>, %m: tensor<2x1x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x16x8xf32>
  %s = whittle.matmul %q, %kt : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %c = whittle.constant dense<4.0> : tensor<f32>
  %d = whittle.div %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %a = whittle.add %d, %m : (tensor<2x4x8x8xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x8xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = whittle.matmul %p, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// PyTorch's SDPA export: sqrt(scale) on both Q and K (before K's transpose),
// mask on the left of the add.
// CHECK-LABEL: func.func @sdpa
// CHECK: whittle.attention %arg0, %arg1, %arg2, %arg3 {scale = 2.500000e-01 : f64}
// CHECK-NOT: whittle.softmax
func.func @sdpa(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %m: tensor<4x4xf32>) -> tensor<1x2x4x16xf32> {
  %c = whittle.constant dense<0.5> : tensor<f32>
  %qs = whittle.mul %q, %c : (tensor<1x2x4x16xf32>, tensor<f32>) -> tensor<1x2x4x16xf32>
  %ks = whittle.mul %c, %k : (tensor<f32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %kt = whittle.transpose %ks {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x16xf32>) -> tensor<1x2x16x4xf32>
  %s = whittle.matmul %qs, %kt : (tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) -> tensor<1x2x4x4xf32>
  %a = whittle.add %m, %s : (tensor<4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// No scale, no mask (ViT-like without the division).
// CHECK-LABEL: func.func @plain
// CHECK: whittle.attention %arg0, %arg1, %arg2 {scale = 1.000000e+00 : f64}
func.func @plain(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %s {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Grouped-query attention through repeat_kv (unsqueeze, expand, reshape):
// the op reads the 2 unrepeated key/value heads.
// CHECK-LABEL: func.func @gqa
// CHECK: whittle.attention %arg0, %arg1, %arg2 {scale = 2.500000e-01 : f64} : (tensor<1x4x6x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) -> tensor<1x4x6x16xf32>
// CHECK-NOT: whittle.expand
func.func @gqa(%q: tensor<1x4x6x16xf32>, %k: tensor<1x2x6x16xf32>, %v: tensor<1x2x6x16xf32>) -> tensor<1x4x6x16xf32> {
  %k5 = whittle.unsqueeze %k {axes = array<i64: 2>} : (tensor<1x2x6x16xf32>) -> tensor<1x2x1x6x16xf32>
  %ke = whittle.expand %k5 {shape = array<i64: 1, 2, 2, 6, 16>} : (tensor<1x2x1x6x16xf32>) -> tensor<1x2x2x6x16xf32>
  %kr = whittle.reshape %ke {shape = array<i64: 1, 4, 6, 16>} : (tensor<1x2x2x6x16xf32>) -> tensor<1x4x6x16xf32>
  %v5 = whittle.reshape %v {shape = array<i64: 1, 2, 1, 6, 16>} : (tensor<1x2x6x16xf32>) -> tensor<1x2x1x6x16xf32>
  %ve = whittle.expand %v5 {shape = array<i64: 1, 2, 2, 6, 16>} : (tensor<1x2x1x6x16xf32>) -> tensor<1x2x2x6x16xf32>
  %vr = whittle.reshape %ve {shape = array<i64: 1, 4, 6, 16>} : (tensor<1x2x2x6x16xf32>) -> tensor<1x4x6x16xf32>
  %kt = whittle.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x6x16xf32>) -> tensor<1x4x16x6xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x4x6x16xf32>, tensor<1x4x16x6xf32>) -> tensor<1x4x6x6xf32>
  %c = whittle.constant dense<0.25> : tensor<f32>
  %sc = whittle.mul %s, %c : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %p = whittle.softmax %sc {axis = 3 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %o = whittle.matmul %p, %vr : (tensor<1x4x6x6xf32>, tensor<1x4x6x16xf32>) -> tensor<1x4x6x16xf32>
  return %o : tensor<1x4x6x16xf32>
}

// -----

// GPT-2: Where(tril(ones) as bool, scores / sqrt(d), finfo.min), then the
// additive padding mask: causal = true, the padding mask stays.
// CHECK-LABEL: func.func @gpt2_causal
// CHECK: whittle.attention %arg0, %arg1, %arg2, %arg3 {causal = true, scale = 2.500000e-01 : f64}
// CHECK-NOT: whittle.where
func.func @gpt2_causal(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %m: tensor<1x1x1x4xf32>) -> tensor<1x2x4x16xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x16xf32>) -> tensor<1x2x16x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) -> tensor<1x2x4x4xf32>
  %c = whittle.constant dense<4.0> : tensor<f32>
  %d = whittle.div %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %ones = whittle.constant dense<1.0> : tensor<4x4xf32>
  %t = whittle.trilu %ones {upper = false} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = whittle.cast %t {to = i1} : (tensor<4x4xf32>) -> tensor<4x4xi1>
  %b4 = whittle.reshape %b {shape = array<i64: 1, 1, 4, 4>} : (tensor<4x4xi1>) -> tensor<1x1x4x4xi1>
  %min = whittle.constant dense<-3.40282347E+38> : tensor<f32>
  %w = whittle.where %b4, %d, %min : (tensor<1x1x4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %a = whittle.add %w, %m : (tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// A constant lower-triangular boolean mask (a folded causal buffer slice).
// CHECK-LABEL: func.func @causal_constant
// CHECK: whittle.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f64}
func.func @causal_constant(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %b = whittle.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %ninf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %b, %s, %ninf : (tensor<1x1x3x3xi1>, tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// The causal select may enclose the padding mask's add as well:
// Where(causal, scores * scale + mask, finfo.min).
// CHECK-LABEL: func.func @causal_over_mask
// CHECK: whittle.attention %arg0, %arg1, %arg2, %arg3 {causal = true, scale = 1.250000e-01 : f64}
// CHECK-NOT: whittle.where
func.func @causal_over_mask(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>, %m: tensor<1x1x1x3xf32>) -> tensor<1x2x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x3x8xf32>) -> tensor<1x2x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x3x8xf32>, tensor<1x2x8x3xf32>) -> tensor<1x2x3x3xf32>
  %c = whittle.constant dense<0.125> : tensor<f32>
  %d = whittle.mul %s, %c : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %a = whittle.add %d, %m : (tensor<1x2x3x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x2x3x3xf32>
  %b = whittle.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %min = whittle.constant dense<-3.40282347E+38> : tensor<f32>
  %w = whittle.where %b, %a, %min : (tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

// -----

// Llama: the padding mask plus a constant additive causal triangle
// (0 on and below the diagonal, finfo.min above), added once and shared by
// the layers: causal = true, the padding part stays as the mask.
// CHECK-LABEL: func.func @llama_causal_additive
// CHECK: %[[PAD:.*]] = whittle.where
// CHECK: whittle.attention %arg0, %arg1, %arg2, %[[PAD]] {causal = true, scale = 1.000000e+00 : f64}
// CHECK-NOT: whittle.add
func.func @llama_causal_additive(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>, %keep: tensor<1x1x1x3xi1>) -> tensor<1x1x3x8xf32> {
  %zero = whittle.constant dense<0.0> : tensor<f32>
  %min = whittle.constant dense<-3.40282347E+38> : tensor<f32>
  %pad = whittle.where %keep, %zero, %min : (tensor<1x1x1x3xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x1x3xf32>
  %tri = whittle.constant dense<[[[[0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %m = whittle.add %pad, %tri : (tensor<1x1x1x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %a = whittle.add %s, %m : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// A constant causal triangle alone as the mask: no mask is left.
// CHECK-LABEL: func.func @causal_additive_only
// CHECK: whittle.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f64}
func.func @causal_additive_only(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %tri = whittle.constant dense<[[[[0.0, -1.0E+4, -1.0E+4], [0.0, 0.0, -1.0E+4], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %a = whittle.add %tri, %s : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %a {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// A boolean key-padding mask by selection, Where(keep, scores, -inf): it
// becomes the additive mask Where(keep, 0, -inf), kept [B, 1, 1, Tk].
// CHECK-LABEL: func.func @boolean_keep_mask
// CHECK-DAG: %[[ZERO:.*]] = whittle.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[INF:.*]] = whittle.constant dense<0xFF800000> : tensor<f32>
// CHECK: %[[M:.*]] = whittle.where %arg3, %[[ZERO]], %[[INF]] : (tensor<2x1x1x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x1x4xf32>
// CHECK: whittle.attention %arg0, %arg1, %arg2, %[[M]] {scale = 1.250000e-01 : f64}
func.func @boolean_keep_mask(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>, %keep: tensor<2x1x1x4xi1>) -> tensor<2x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x2x4x8xf32>) -> tensor<2x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x4x4xf32>
  %c = whittle.constant dense<0.125> : tensor<f32>
  %d = whittle.mul %s, %c : (tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %inf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %keep, %d, %inf : (tensor<2x1x1x4xi1>, tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// masked_fill(hide, finfo.min): Where(hide, fill, scores) becomes the
// additive mask Where(hide, fill, 0).
// CHECK-LABEL: func.func @masked_fill
// CHECK-DAG: %[[ZERO:.*]] = whittle.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[MIN:.*]] = whittle.constant dense<-3.40282347E+38> : tensor<f32>
// CHECK: %[[M:.*]] = whittle.where %arg3, %[[MIN]], %[[ZERO]]
// CHECK: whittle.attention %arg0, %arg1, %arg2, %[[M]] {scale = 1.000000e+00 : f64}
func.func @masked_fill(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %hide: tensor<1x1x4x4xi1>) -> tensor<1x2x4x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %min = whittle.constant dense<-3.40282347E+38> : tensor<f32>
  %w = whittle.where %hide, %min, %s : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = whittle.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// masked_fill(~tril, -inf) with the hidden keys a constant (a folded causal
// buffer) and the scale as a product with the reciprocal of a constant
// (nanoGPT-style code): causal, scale folded.
// CHECK-LABEL: func.func @masked_fill_causal
// CHECK: whittle.attention %arg0, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f64}
// CHECK-NOT: whittle.where
func.func @masked_fill_causal(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %four = whittle.constant dense<4.0> : tensor<f32>
  %r = whittle.reciprocal %four : (tensor<f32>) -> tensor<f32>
  %sc = whittle.mul %s, %r : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  %hide = whittle.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %ninf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %hide, %ninf, %sc : (tensor<3x3xi1>, tensor<f32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// masked_fill(~tril(ones).bool(), -inf): the negation of the causal
// pattern, as exported before folding.
// CHECK-LABEL: func.func @masked_fill_not_tril
// CHECK: whittle.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f64}
func.func @masked_fill_not_tril(%q: tensor<1x1x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>, %ones: tensor<3x3xf32>) -> tensor<1x1x3x8xf32> {
  %kt = whittle.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x3x8xf32>) -> tensor<1x1x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x1x3x8xf32>, tensor<1x1x8x3xf32>) -> tensor<1x1x3x3xf32>
  %c1 = whittle.constant dense<1.0> : tensor<3x3xf32>
  %t = whittle.trilu %c1 {upper = false} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %b = whittle.cast %t {to = i1} : (tensor<3x3xf32>) -> tensor<3x3xi1>
  %hide = whittle.not %b : (tensor<3x3xi1>) -> tensor<3x3xi1>
  %ninf = whittle.constant dense<0xFF800000> : tensor<f32>
  %w = whittle.where %hide, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = whittle.softmax %w {axis = 3 : i64} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %o = whittle.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %o : tensor<1x1x3x8xf32>
}

// -----

// Multi-query attention: one key/value head broadcast to the query heads
// (Expand, or Tile, which imports as the same expand) stays unrepeated.
// CHECK-LABEL: func.func @multi_query
// CHECK: whittle.attention %arg0, %arg1, %arg2 {scale = 1.000000e+00 : f64} : (tensor<1x4x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>) -> tensor<1x4x3x8xf32>
// CHECK-NOT: whittle.expand
func.func @multi_query(%q: tensor<1x4x3x8xf32>, %k: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x8xf32>) -> tensor<1x4x3x8xf32> {
  %ke = whittle.expand %k {shape = array<i64: 1, 4, 1, 1>} : (tensor<1x1x3x8xf32>) -> tensor<1x4x3x8xf32>
  %ve = whittle.expand %v {shape = array<i64: 1, 4, 1, 1>} : (tensor<1x1x3x8xf32>) -> tensor<1x4x3x8xf32>
  %kt = whittle.transpose %ke {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x3x8xf32>) -> tensor<1x4x8x3xf32>
  %s = whittle.matmul %q, %kt : (tensor<1x4x3x8xf32>, tensor<1x4x8x3xf32>) -> tensor<1x4x3x3xf32>
  %p = whittle.softmax %s {axis = 3 : i64} : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %o = whittle.matmul %p, %ve : (tensor<1x4x3x3xf32>, tensor<1x4x3x8xf32>) -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}
