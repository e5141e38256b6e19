// RUN: whittle-opt %s --whittle-emulate-gpu-launches | FileCheck %s

// A launch becomes six loops (grid x, y, z, then block x, y, z) running its
// body with the loop indices as block and thread ids and the launch's
// sizes as the grid and block dimensions.
// CHECK-LABEL: func.func @launch
// CHECK-SAME: (%[[A:.*]]: memref<600xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: scf.for %[[BX:.*]] = %[[C0]] to %[[C5]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %[[TX:.*]] = %[[C0]] to %[[C128]] step %[[C1]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[FIRST:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK: %[[I:.*]] = arith.addi %[[FIRST]], %[[TX]]
// CHECK: memref.store %{{.*}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.launch
func.func @launch(%a: memref<600xf32>) {
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c128 = arith.constant 128 : index
  %c600 = arith.constant 600 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c5, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %first = arith.muli %bx, %sx : index
    %i = arith.addi %first, %tx : index
    %in = arith.cmpi ult, %i, %c600 : index
    scf.if %in {
      memref.store %f, %a[%i] : memref<600xf32>
    }
    gpu.terminator
  }
  return
}

// With barriers the body runs in stretches: each stretch between barriers
// for every thread, a loop around barriers once per block (thread loops
// inside it). Workgroup memory is one buffer; private memory is one slice
// per thread of a [threads x ...] buffer; the thread-dependent index
// computed before the loop is recomputed in each stretch that uses it.
// CHECK-LABEL: func.func @stretches
// CHECK-DAG: %[[SHARED:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[PRIV:.*]] = memref.alloca() : memref<4x1xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[TX0:.*]] =
// CHECK: memref.subview %[[PRIV]]
// CHECK: memref.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[TX1:.*]] =
// CHECK: memref.store %{{.*}}, %[[SHARED]][%[[TX1]]]
// CHECK: scf.for %[[TX2:.*]] =
// CHECK: %[[NEXT:.*]] = arith.addi %[[TX2]],
// CHECK: %[[WRAP:.*]] = arith.remui %[[NEXT]],
// CHECK: memref.load %[[SHARED]][%[[WRAP]]]
// CHECK-NOT: gpu.
func.func @stretches(%a: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %f0 = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1)
             workgroup(%shared : memref<4xf32, #gpu.address_space<workgroup>>)
             private(%acc : memref<1xf32, #gpu.address_space<private>>) {
    %next = arith.addi %tx, %c1 : index
    %neighbour = arith.remui %next, %c4 : index
    memref.store %f0, %acc[%c0] : memref<1xf32, #gpu.address_space<private>>
    scf.for %step = %c0 to %c3 step %c1 {
      %x = memref.load %a[%tx] : memref<4xf32>
      memref.store %x, %shared[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %y = memref.load %shared[%neighbour] : memref<4xf32, #gpu.address_space<workgroup>>
      %s = memref.load %acc[%c0] : memref<1xf32, #gpu.address_space<private>>
      %t = arith.addf %s, %y : f32
      memref.store %t, %acc[%c0] : memref<1xf32, #gpu.address_space<private>>
      gpu.barrier
    }
    %r = memref.load %acc[%c0] : memref<1xf32, #gpu.address_space<private>>
    memref.store %r, %a[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// A value that cannot be recomputed (a load) crosses a barrier in a
// per-thread slot (as a loop's result, a fragment kept in registers on a
// GPU, does): stored where it is computed, loaded where it is used.
// CHECK-LABEL: func.func @slots
// CHECK: %[[SLOT:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[V:.*]] = memref.load %arg0[%{{.*}}]
// CHECK: memref.store %[[V]], %[[SLOT]]
// CHECK: %[[W:.*]] = memref.load %[[SLOT]]
// CHECK: memref.store %[[W]], %arg0[%{{.*}}]
// CHECK: memref.dealloc %[[SLOT]]
func.func @slots(%a: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<4xf32>
    gpu.barrier
    memref.store %v, %a[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}
