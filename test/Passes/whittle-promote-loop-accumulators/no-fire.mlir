// RUN: whittle-opt %s --whittle-promote-loop-accumulators | FileCheck %s

// The loop reads a view of the workspace that overlaps the accumulator:
// a store may change what a later iteration loads, so memory stays.
// CHECK-LABEL: func.func @overlapping_views
// CHECK-NOT: iter_args
// CHECK: memref.store
func.func @overlapping_views(%ws: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %in = memref.view %ws[%c0][] : memref<1024xi8> to memref<4x4xf32>
  %out = memref.view %ws[%c8][] : memref<1024xi8> to memref<4xf32>
  scf.for %k = %c0 to %c4 step %c1 {
    %x = memref.load %in[%c1, %k] : memref<4x4xf32>
    %acc = memref.load %out[%c0] : memref<4xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %out[%c0] : memref<4xf32>
  }
  return
}

// The stored location moves with the loop (a running prefix, not a
// reduction): nothing to keep in a register.
// CHECK-LABEL: func.func @varying_location
// CHECK-NOT: iter_args
func.func @varying_location(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %y = memref.load %b[%k] : memref<8xf32>
    %s = arith.addf %x, %y : f32
    memref.store %s, %b[%k] : memref<8xf32>
  }
  return
}

// Two stores in the loop: left alone.
// CHECK-LABEL: func.func @two_stores
// CHECK-NOT: iter_args
func.func @two_stores(%a: memref<8xf32>, %b: memref<2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %acc = memref.load %b[%c0] : memref<2xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %b[%c0] : memref<2xf32>
    memref.store %x, %b[%c1] : memref<2xf32>
  }
  return
}
