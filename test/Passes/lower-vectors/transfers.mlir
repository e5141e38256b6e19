// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-lower-vectors))' %s | FileCheck %s

// 2-D transfers become one full-width 1-D load and store per row.
// CHECK-LABEL: func.func @rows
// CHECK-COUNT-4: vector.load %{{.*}} : memref<4x16xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.store %{{.*}} : memref<4x16xf32>, vector<16xf32>
// CHECK-NOT: vector.transfer

// 1-D transfers are already what LLVM wants: one load, one store.
// CHECK-LABEL: func.func @flat
// CHECK: vector.load
// CHECK-NEXT: vector.store
// CHECK-NEXT: return
func.func @rows(%a: memref<4x16xf32>, %b: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %f0 = arith.constant 0.0 : f32
  %v = vector.transfer_read %a[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
  %w = arith.addf %v, %v : vector<4x16xf32>
  vector.transfer_write %w, %b[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
  return
}
func.func @flat(%a: memref<16xf32>, %b: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %f0 = arith.constant 0.0 : f32
  %v = vector.transfer_read %a[%c0], %f0 {in_bounds = [true]} : memref<16xf32>, vector<16xf32>
  vector.transfer_write %v, %b[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
  return
}
