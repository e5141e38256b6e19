// RUN: whittle-opt %s --whittle-coarsen-gpu-threads=min-threads=4 --cse | FileCheck %s

// A matmul after accumulator promotion: each thread of a 4 x 4 grid gets a
// 4 x 4 block of outputs (i' + 4a, j' + 4b): one k loop carries the 16
// accumulators, and each step loads 4 values of A and 4 of B (CSE shares
// them between the copies).
// CHECK-LABEL: func.func @matmul
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1)
// CHECK-COUNT-16: memref.load %arg2[
// CHECK: scf.for %[[K:.*]] = %c0 to %c8 step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-8: memref.load %arg{{[01]}}[
// CHECK-NOT: memref.load
// CHECK: scf.yield
// CHECK-COUNT-16: memref.store
func.func @matmul(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    %init = memref.load %c[%i, %j] : memref<16x16xf32>
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<16x8xf32>
      %y = memref.load %b[%k, %j] : memref<8x16xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %c[%i, %j] : memref<16x16xf32>
    scf.reduce
  }
  return
}
