// RUN: whittle-opt --whittle-outline-parallel-loops=min-work=0 --split-input-file %s | FileCheck %s

// A loop that reads strided views (a column slice of a fused projection,
// reshaped) is still outlined: the task receives the base buffer and
// recreates the views, whose offsets and sizes are constants.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[QKV:[^:]*]]: memref<64x96xf32>, %[[OUT:[^:]*]]: memref<64x32xf32>, %[[EXEC:[^:]*]]: !llvm.ptr
// CHECK: call @__whittle_parallel_0(%[[QKV]], %[[OUT]], %[[EXEC]])
// CHECK-NOT: scf.parallel
// CHECK-LABEL: func.func private @__whittle_task_impl_0
// CHECK-SAME: (%[[BASE:[^:]*]]: memref<64x96xf32>, %{{.*}}: memref<64x32xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: %[[SUB:.*]] = memref.subview %[[BASE]][0, 32] [64, 32] [1, 1]
// CHECK: memref.expand_shape %[[SUB]]
// CHECK: scf.parallel
func.func @main(%qkv: memref<64x96xf32>, %out: memref<64x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %k = memref.subview %qkv[0, 32] [64, 32] [1, 1] : memref<64x96xf32> to memref<64x32xf32, strided<[96, 1], offset: 32>>
  %k3 = memref.expand_shape %k [[0], [1, 2]] output_shape [64, 2, 16] : memref<64x32xf32, strided<[96, 1], offset: 32>> into memref<64x2x16xf32, strided<[96, 16, 1], offset: 32>>
  scf.parallel (%i, %h, %d) = (%c0, %c0, %c0) to (%c64, %c2, %c16) step (%c1, %c1, %c1) {
    %x = memref.load %k3[%i, %h, %d] : memref<64x2x16xf32, strided<[96, 16, 1], offset: 32>>
    %col = arith.muli %h, %c16 : index
    %j = arith.addi %col, %d : index
    %y = arith.mulf %x, %x : f32
    memref.store %y, %out[%i, %j] : memref<64x32xf32>
  }
  return
}

// -----

// A view whose offset is computed at run time cannot be recreated: the
// loop stays in the function.
// CHECK-LABEL: func.func @main
// CHECK-NOT: call @__whittle_parallel
// CHECK: scf.parallel
func.func @main(%qkv: memref<64x96xf32>, %out: memref<64x32xf32>, %off: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %k = memref.subview %qkv[0, %off] [64, 32] [1, 1] : memref<64x96xf32> to memref<64x32xf32, strided<[96, 1], offset: ?>>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c32) step (%c1, %c1) {
    %x = memref.load %k[%i, %j] : memref<64x32xf32, strided<[96, 1], offset: ?>>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %out[%i, %j] : memref<64x32xf32>
  }
  return
}
