// RUN: whittle-opt --allow-unregistered-dialect --whittle-legalize-for-llvm %s | FileCheck %s

// A zero-element argument with several dimensions is passed as memref<0xT>.
// CHECK-LABEL: func.func @empty
// CHECK-SAME: (%[[A:.*]]: memref<0xi64>, %[[B:.*]]: memref<2x3xf32>)
// CHECK: %[[E:.*]] = memref.expand_shape %[[A]] {{\[\[}}0, 1, 2]] output_shape [3, 0, 5] : memref<0xi64> into memref<3x0x5xi64>
// CHECK: "test.use"(%[[E]], %[[B]])
func.func @empty(%a: memref<3x0x5xi64>, %b: memref<2x3xf32>) {
  "test.use"(%a, %b) : (memref<3x0x5xi64>, memref<2x3xf32>) -> ()
  return
}

// Non-empty and 1-D empty arguments are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-SAME: (%{{.*}}: memref<0xf32>, %{{.*}}: memref<4x5xf32>)
// CHECK-NOT: expand_shape
func.func @untouched(%a: memref<0xf32>, %b: memref<4x5xf32>) {
  "test.use"(%a, %b) : (memref<0xf32>, memref<4x5xf32>) -> ()
  return
}
