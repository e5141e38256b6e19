// RUN: whittle-opt --split-input-file --pass-pipeline='builtin.module(func.func(whittle-distinct-results))' %s | FileCheck %s

// A buffer returned twice and an argument returned as is get copies.
// CHECK-LABEL: func.func @duplicates
// CHECK-SAME: (%[[ARG:.*]]: memref<4xf32>)
// CHECK: %[[A:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: %[[B:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[C:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %[[ARG]], %[[C]]
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @duplicates(%arg0: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %0 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  return %0, %0, %arg0 : memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

// Distinct fresh allocations are left alone.
// CHECK-LABEL: func.func @distinct
// CHECK-NOT: memref.copy
// CHECK: return
func.func @distinct() -> (memref<4xf32>, memref<4xf32>) {
  %0 = memref.alloc() : memref<4xf32>
  %1 = memref.alloc() : memref<4xf32>
  return %0, %1 : memref<4xf32>, memref<4xf32>
}
