// RUN: whittle-opt --whittle-legalize-for-llvm %s | FileCheck %s

// A copy from a strided view becomes loops (no memrefCopy runtime call).
// CHECK-LABEL: func.func @strided
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<4x4xf32, strided<[8, 1]>>
// CHECK: memref.store
// CHECK-NOT: memref.copy

// A contiguous copy stays a memref.copy (it lowers to memcpy).
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy
func.func @strided(%a: memref<4x8xf32>, %b: memref<4x4xf32>) {
  %s = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  memref.copy %s, %b : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  return
}
func.func @contiguous(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
  memref.copy %a, %b : memref<4x4xf32> to memref<4x4xf32>
  return
}
