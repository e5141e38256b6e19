// RUN: whittle-opt --whittle-outline-parallel-loops %s | FileCheck %s

// A parallel loop with enough work becomes a task run through the executor
// (appended as the last argument); a tiny one stays a serial loop.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[A:[^:]*]]: memref<64x1024xf32>, %[[B:[^:]*]]: memref<64x1024xf32>, %[[C:[^:]*]]: memref<4xf32>, %[[EXEC:[^:]*]]: !llvm.ptr
// CHECK: call @__whittle_parallel_0(%[[A]], %[[B]], %[[EXEC]])
// CHECK: scf.parallel
// CHECK: memref.load %[[C]]
// CHECK-LABEL: func.func private @__whittle_task_impl_0
// CHECK-SAME: index, %{{.*}}: index)
// CHECK: scf.parallel
// CHECK: func.func private @__whittle_parallel_0(memref<64x1024xf32>, memref<64x1024xf32>, !llvm.ptr)
// CHECK-SAME: whittle.task = "__whittle_task_impl_0", whittle.task_count = 64 : i64
// CHECK-NOT: __whittle_parallel_1
func.func @main(%a: memref<64x1024xf32>, %b: memref<64x1024xf32>, %c: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c1024) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<64x1024xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<64x1024xf32>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %x = memref.load %c[%i] : memref<4xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %c[%i] : memref<4xf32>
  }
  return
}
