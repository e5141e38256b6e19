// RUN: whittle-opt %s --whittle-promote-loop-accumulators | FileCheck %s

// A matmul's k loop: C[i, j] is loaded once before the loop, accumulated in
// a register and stored once after it. A and B are other arguments (the ABI
// keeps outputs apart from inputs).
// CHECK-LABEL: func.func @matmul
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[INIT:.*]] = memref.load %arg2[%[[I]], %[[J]]]
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK-NOT: memref.store
// CHECK: arith.addf %[[ACC]], %{{.*}}
// CHECK: scf.yield
// CHECK: memref.store %[[SUM]], %arg2[%[[I]], %[[J]]]
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x6xf32>, %c: memref<4x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c6) step (%c1, %c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %k] : memref<4x8xf32>
      %y = memref.load %b[%k, %j] : memref<8x6xf32>
      %acc = memref.load %c[%i, %j] : memref<4x6xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %c[%i, %j] : memref<4x6xf32>
    }
    scf.reduce
  }
  return
}

// Two reduction loops, and workspace views at disjoint byte ranges: the
// inner loop is promoted, then the outer one around it.
// CHECK-LABEL: func.func @two_reductions
// CHECK: %[[INIT:.*]] = memref.load %[[OUT:.*]][%{{.*}}] : memref<4xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f32)
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.store %{{.*}}, %[[OUT]][%{{.*}}] : memref<4xf32>
func.func @two_reductions(%ws: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %in = memref.view %ws[%c0][] : memref<1024xi8> to memref<4x4x4xf32>
  %out = memref.view %ws[%c256][] : memref<1024xi8> to memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %j = %c0 to %c4 step %c1 {
      scf.for %k = %c0 to %c4 step %c1 {
        %x = memref.load %in[%i, %j, %k] : memref<4x4x4xf32>
        %acc = memref.load %out[%i] : memref<4xf32>
        %s = arith.addf %acc, %x : f32
        memref.store %s, %out[%i] : memref<4xf32>
      }
    }
    scf.reduce
  }
  return
}
