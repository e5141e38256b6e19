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
