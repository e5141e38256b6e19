// RUN: whittle-opt --whittle-tile-attention='block-q=2 block-k=4' --split-input-file %s | FileCheck %s

// Causal attention with grouped heads and a padding mask: K is packed once
// into zero-padded key-block panels [B, Hkv, Tk/4, D, 4]; one task per
// (batch, head, query chunk); query blocks of 2 rows stream key blocks of 4
// up to the causal bound, with broadcast FMAs and a polynomial 2^x; no
// score tensor and no whittle op remain.
// CHECK-LABEL: func.func @causal_gqa
// CHECK: tensor.pad %arg1 low[0, 0, 0, 0] high[0, 0, 2, 0]
// CHECK: tensor.expand_shape {{.*}} into tensor<1x2x2x4x8xf32>
// CHECK: linalg.transpose {{.*}} outs({{.*}} : tensor<1x2x2x8x4xf32>) permutation = [0, 1, 2, 4, 3]
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[C:.*]]) in (1, 4, 3) shared_outs
// CHECK: arith.divui %[[H]], %c2
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (tensor<?x8xf32>)
// CHECK: arith.minsi
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<4xf32>, vector<4xf32>, f32, f32)
// CHECK: vector.transfer_read {{.*}} : tensor<1x2x2x8x4xf32>, vector<4xf32>
// CHECK: vector.fma {{.*}} : vector<4xf32>
// CHECK: vector.transfer_read %arg3{{.*}} : tensor<1x1x1x6xf32>, vector<4xf32>
// CHECK: vector.reduction <maxnumf>
// CHECK: math.roundeven {{.*}} : vector<4xf32>
// CHECK: vector.transfer_read %arg2{{.*}} {in_bounds = [true]} : tensor<1x2x6x8xf32>, vector<8xf32>
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>, tensor<?x8xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: {whittle.attention_tiles = {block_k = 4 : i64, block_q = 2 : i64, chunk = 2 : i64}}
// CHECK-NOT: whittle.attention %
func.func @causal_gqa(%q: tensor<1x4x6x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>, %m: tensor<1x1x1x6xf32>) -> tensor<1x4x6x8xf32> {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.5 : f64, causal = true} : (tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x1x1x6xf32>) -> tensor<1x4x6x8xf32>
  return %0 : tensor<1x4x6x8xf32>
}

// -----

// A key that is itself a transpose of [B, T, H, D] is packed in one
// transpose of the original (the composed permutation), without padding
// when Tk is a whole number of key blocks.
// CHECK-LABEL: func.func @keys_from_bthd
// CHECK-NOT: tensor.pad
// CHECK: tensor.expand_shape %arg1 {{.*}} into tensor<1x2x4x3x16xf32>
// CHECK: linalg.transpose ins({{.*}} : tensor<1x2x4x3x16xf32>) outs({{.*}} : tensor<1x3x2x16x4xf32>) permutation = [0, 3, 1, 4, 2]
// CHECK: scf.forall
func.func @keys_from_bthd(%q: tensor<1x3x8x16xf32>, %kbthd: tensor<1x8x3x16xf32>, %v: tensor<1x3x8x16xf32>) -> tensor<1x3x8x16xf32> {
  %e = tensor.empty() : tensor<1x3x8x16xf32>
  %k = linalg.transpose ins(%kbthd : tensor<1x8x3x16xf32>) outs(%e : tensor<1x3x8x16xf32>) permutation = [0, 2, 1, 3]
  %0 = whittle.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x3x8x16xf32>
  return %0 : tensor<1x3x8x16xf32>
}

// -----

// Q and V are read through the transposes that made them ([B, T, H, D]
// sources, D still innermost), and the result is written straight into the
// layout of its consumer transpose back to [B, T, H, Dv]: none of the three
// transposed copies remains.
// CHECK-LABEL: func.func @transposed_operands
// CHECK-NOT: linalg.transpose ins(%arg0
// CHECK-NOT: linalg.transpose ins(%arg2
// CHECK: scf.forall {{.*}} -> (tensor<1x8x3x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, 0] [1, %{{.*}}, 1, 16] [1, 1, 1, 1] : tensor<1x8x3x16xf32> to tensor<?x16xf32>
// CHECK: tensor.extract %arg0[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : tensor<1x8x3x16xf32>
// CHECK: vector.transfer_read %arg2[{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x8x3x16xf32>, vector<16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %{{.*}} : tensor<1x8x3x16xf32>
func.func @transposed_operands(%qs: tensor<1x8x3x16xf32>, %k: tensor<1x3x8x16xf32>, %vs: tensor<1x8x3x16xf32>) -> tensor<1x8x3x16xf32> {
  %e = tensor.empty() : tensor<1x3x8x16xf32>
  %q = linalg.transpose ins(%qs : tensor<1x8x3x16xf32>) outs(%e : tensor<1x3x8x16xf32>) permutation = [0, 2, 1, 3]
  %v = linalg.transpose ins(%vs : tensor<1x8x3x16xf32>) outs(%e : tensor<1x3x8x16xf32>) permutation = [0, 2, 1, 3]
  %0 = whittle.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x3x8x16xf32>
  %e2 = tensor.empty() : tensor<1x8x3x16xf32>
  %r = linalg.transpose ins(%0 : tensor<1x3x8x16xf32>) outs(%e2 : tensor<1x8x3x16xf32>) permutation = [0, 2, 1, 3]
  return %r : tensor<1x8x3x16xf32>
}

// -----

// A decode step: one query at a run-time position over a cache of 12 keys.
// Query row r sees keys j < position + r + 1 (and never past the cache), so
// the key loop stops at the last row's limit, known at run time only.
// CHECK-LABEL: func.func @decode_step
// CHECK: %[[P:.*]] = tensor.extract %{{.*}}[%{{.*}}] : tensor<1xi64>
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]] : i64 to index
// CHECK: scf.forall
// CHECK: %[[NEXT:.*]] = arith.addi %[[PI]], %{{.*}} : index
// CHECK: %[[LIMIT:.*]] = arith.addi %{{.*}}, %[[NEXT]] : index
// CHECK: %[[BOUND:.*]] = arith.minsi %{{.*}}, %[[LIMIT]] : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BOUND]]
func.func @decode_step(%q: tensor<1x2x1x8xf32>, %k: tensor<1x1x12x8xf32>, %v: tensor<1x1x12x8xf32>, %p: tensor<1xi64>) -> tensor<1x2x1x8xf32> {
  %0 = whittle.attention %q, %k, %v position %p {causal = true, scale = 0.5 : f64} : (tensor<1x2x1x8xf32>, tensor<1x1x12x8xf32>, tensor<1x1x12x8xf32>, tensor<1xi64>) -> tensor<1x2x1x8xf32>
  return %0 : tensor<1x2x1x8xf32>
}

// -----

// A decode step whose key cache is kept as [B, H, D, S] (keys contiguous) and
// seen through the inverse transpose: the score loop reads each D row of the
// cache in place, keys along the lanes; nothing packs or copies the cache.
// CHECK-LABEL: func.func @decode_step_key_cache_in_place
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall
// CHECK: scf.for %[[D:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4xf32>)
// CHECK-NEXT: vector.transfer_read %arg1[%{{.*}}, %{{.*}}, %[[D]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x1x8x12xf32>, vector<4xf32>
// CHECK-NOT: linalg.transpose
func.func @decode_step_key_cache_in_place(%q: tensor<1x2x1x8xf32>, %kt: tensor<1x1x8x12xf32>, %v: tensor<1x1x12x8xf32>, %p: tensor<1xi64>) -> tensor<1x2x1x8xf32> {
  %e = tensor.empty() : tensor<1x1x12x8xf32>
  %k = linalg.transpose ins(%kt : tensor<1x1x8x12xf32>) outs(%e : tensor<1x1x12x8xf32>) permutation = [0, 1, 3, 2]
  %0 = whittle.attention %q, %k, %v position %p {causal = true, scale = 0.5 : f64} : (tensor<1x2x1x8xf32>, tensor<1x1x12x8xf32>, tensor<1x1x12x8xf32>, tensor<1xi64>) -> tensor<1x2x1x8xf32>
  return %0 : tensor<1x2x1x8xf32>
}

// -----

// The same transpose of K without a cache position (a prefill over a K^T
// the model computed): the keys are packed into panels as usual (the pack
// composed with that transpose: one copy of [B, H, D, Tk/4, 4]).
// CHECK-LABEL: func.func @transposed_key_without_position
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x1x8x3x4xf32>) outs(%{{.*}} : tensor<1x1x3x8x4xf32>) permutation = [0, 1, 3, 2, 4]
func.func @transposed_key_without_position(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x1x8x12xf32>, %v: tensor<1x1x12x8xf32>) -> tensor<1x2x4x8xf32> {
  %e = tensor.empty() : tensor<1x1x12x8xf32>
  %k = linalg.transpose ins(%kt : tensor<1x1x8x12xf32>) outs(%e : tensor<1x1x12x8xf32>) permutation = [0, 1, 3, 2]
  %0 = whittle.attention %q, %k, %v {causal = true, scale = 0.5 : f64} : (tensor<1x2x4x8xf32>, tensor<1x1x12x8xf32>, tensor<1x1x12x8xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}
