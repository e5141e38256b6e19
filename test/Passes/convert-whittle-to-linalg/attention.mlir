// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s
// The pass's op-family tests are in test/Conversion; this folder holds the
// whittle.attention lowering (the unfused reference form) and what the pass
// leaves alone.

// Grouped heads are expanded to the query heads, the scores scaled and
// masked, softmaxed over the keys and multiplied by V: no whittle op is left.
// CHECK-LABEL: func.func @attention_gqa
// CHECK: linalg.batch_matmul
// CHECK: linalg.batch_matmul
// CHECK-NOT: whittle.
func.func @attention_gqa(%q: tensor<1x4x6x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>, %m: tensor<1x1x1x6xf32>) -> tensor<1x4x6x8xf32> {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.5 : f64, causal = true} : (tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x1x1x6xf32>) -> tensor<1x4x6x8xf32>
  return %0 : tensor<1x4x6x8xf32>
}

// -----

// Ops of other dialects pass through unchanged.
// CHECK-LABEL: func.func @not_whittle
// CHECK-NEXT: %[[R:.*]] = arith.addf %arg0, %arg0 : tensor<4xf32>
// CHECK-NEXT: return %[[R]]
func.func @not_whittle(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// With a position, the causal mask compares key indices with the queries'
// positions at run time (the reference lowering of a decode step).
// CHECK-LABEL: func.func @attention_position
// CHECK: linalg.generic
// CHECK: arith.cmpi sle
// CHECK: arith.select
func.func @attention_position(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x6x8xf32>, %p: tensor<1xi64>) -> tensor<1x1x1x8xf32> {
  %0 = whittle.attention %q, %k, %k position %p {causal = true, scale = 0.5 : f64} : (tensor<1x1x1x8xf32>, tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>, tensor<1xi64>) -> tensor<1x1x1x8xf32>
  return %0 : tensor<1x1x1x8xf32>
}
