// RUN: whittle-opt %s --whittle-map-loops-to-gpu=block-size=128 | FileCheck %s

// A 2-D parallel loop: one thread per iteration over the flattened 6 x 100
// space (5 blocks of 128), the column index fastest, the tail masked.
// CHECK-LABEL: func.func @parallel
// CHECK-DAG: %[[C600:.*]] = arith.constant 600 : index
// CHECK-DAG: %[[C100:.*]] = arith.constant 100 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C5]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[BDX:.*]] = %[[C128]],
// CHECK: %[[FIRST:.*]] = arith.muli %[[BX]], %[[BDX]]
// CHECK: %[[I:.*]] = arith.addi %[[FIRST]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[I]], %[[C600]]
// CHECK: scf.if %[[IN]]
// CHECK: %[[COL:.*]] = arith.remui %[[I]], %[[C100]]
// CHECK: %[[ROW:.*]] = arith.divui %[[I]], %[[C100]]
// CHECK: memref.load %arg0[%{{.*}}, %{{.*}}]
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
func.func @parallel(%a: memref<6x100xf32>, %b: memref<6x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c100 = arith.constant 100 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c6, %c100) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<6x100xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<6x100xf32>
    scf.reduce
  }
  return
}

// Fewer iterations than a block: one block of exactly that many threads;
// the lower bound and step carry over.
// CHECK-LABEL: func.func @small
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c4{{(_[0-9]+)?}},
// CHECK: arith.muli %{{.*}}, %c2
// CHECK: arith.addi %{{.*}}, %c1
func.func @small(%a: memref<9xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c9 = arith.constant 9 : index
  %f = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c1) to (%c9) step (%c2) {
    memref.store %f, %a[%i] : memref<9xf32>
    scf.reduce
  }
  return
}

// A copy becomes a parallel loop first; a serial loop that writes memory
// runs in a one-thread launch; views stay on the host.
// CHECK-LABEL: func.func @copy_and_serial
// CHECK: memref.subview
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c6{{(_[0-9]+)?}},
// CHECK: memref.load %{{.*}} : memref<2x3xf32, strided<[8, 1], offset: 10>>
// CHECK: memref.store
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE:[^,]*]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-NEXT: scf.for
// CHECK-NOT: memref.copy
func.func @copy_and_serial(%a: memref<4x8xf32>, %b: memref<2x3xf32>, %s: memref<1xf32>) {
  %v = memref.subview %a[1, 2] [2, 3] [1, 1] : memref<4x8xf32> to memref<2x3xf32, strided<[8, 1], offset: 10>>
  memref.copy %v, %b : memref<2x3xf32, strided<[8, 1], offset: 10>> to memref<2x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %a[%i, %c0] : memref<4x8xf32>
    %acc = memref.load %s[%c0] : memref<1xf32>
    %sum = arith.addf %x, %acc : f32
    memref.store %sum, %s[%c0] : memref<1xf32>
  }
  return
}

// A copy of a single element is a load and a store in a one-thread launch.
// CHECK-LABEL: func.func @scalar_copy
// CHECK: gpu.launch
// CHECK-NEXT: %[[V:.*]] = memref.load %arg0[] : memref<f32>
// CHECK-NEXT: memref.store %[[V]], %arg1[] : memref<f32>
// CHECK-NEXT: gpu.terminator
func.func @scalar_copy(%a: memref<f32>, %b: memref<f32>) {
  memref.copy %a, %b : memref<f32> to memref<f32>
  return
}

// Scalar work between loops (a load, arithmetic on what it read, a store)
// runs as one serial launch; constants stay on the host.
// CHECK-LABEL: func.func @scalar_chain
// CHECK: gpu.launch
// CHECK-NEXT: %[[X:.*]] = memref.load %arg0[] : memref<f32>
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %cst
// CHECK-NEXT: memref.store %[[Y]], %arg1[] : memref<f32>
// CHECK-NEXT: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %arg1[]
func.func @scalar_chain(%a: memref<f32>, %s: memref<f32>, %out: memref<8xf32>) {
  %x = memref.load %a[] : memref<f32>
  %two = arith.constant 2.0 : f32
  %y = arith.mulf %x, %two : f32
  memref.store %y, %s[] : memref<f32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %s[] : memref<f32>
    memref.store %v, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
