// RUN: whittle-opt %s --whittle-coarsen-gpu-threads=min-threads=4 | FileCheck %s
// RUN: whittle-opt %s --whittle-coarsen-gpu-threads | FileCheck %s --check-prefix=SMALL

// An elementwise loop (no reduction) keeps one output per thread.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c16, %c16)
func.func @elementwise(%a: memref<16x16xf32>, %b: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<16x16xf32>
    memref.store %x, %b[%i, %j] : memref<16x16xf32>
    scf.reduce
  }
  return
}

// A reduction whose loop writes memory (not promoted to a register) is
// left alone, as is one whose result is stored before it is computed.
// CHECK-LABEL: func.func @writes_in_loop
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c16, %c16)
func.func @writes_in_loop(%a: memref<16x8xf32>, %c: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %k] : memref<16x8xf32>
      %acc = memref.load %c[%i, %j] : memref<16x16xf32>
      %s = arith.addf %acc, %x : f32
      memref.store %s, %c[%i, %j] : memref<16x16xf32>
    }
    scf.reduce
  }
  return
}

// Sizes that do not divide by 2: nothing to do. With the default
// min-threads a 16 x 16 matmul is too small to coarsen at all.
// CHECK-LABEL: func.func @odd
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c15, %c15)
// SMALL-LABEL: func.func @odd
// SMALL-LABEL: func.func @small_matmul
// SMALL: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c16, %c16)
func.func @odd(%a: memref<15x8xf32>, %b: memref<8x15xf32>, %c: memref<15x15xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c15 = arith.constant 15 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c15, %c15) step (%c1, %c1) {
    %init = memref.load %c[%i, %j] : memref<15x15xf32>
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<15x8xf32>
      %y = memref.load %b[%k, %j] : memref<8x15xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %c[%i, %j] : memref<15x15xf32>
    scf.reduce
  }
  return
}

func.func @small_matmul(%a: memref<16x8xf32>, %b: memref<8x16xf32>, %c: memref<16x16xf32>) {
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
