// RUN: whittle-opt --whittle-plan-memory --split-input-file \
// RUN:   --allow-unregistered-dialect %s | FileCheck %s

// A buffer copied whole, through a reshape, into an output parameter that
// nothing else writes is computed in the output itself: no copy, no
// workspace.
// CHECK-LABEL: module attributes {whittle.workspace_size = 0 : i64}
// CHECK: func.func @main(%{{.*}}: memref<16xf32>, %[[OUT:.*]]: memref<1x16xf32>
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1]] : memref<1x16xf32> into memref<16xf32>
// CHECK: "test.use"(%[[VIEW]])
// CHECK-NOT: memref.copy
module {
  func.func @main(%in: memref<16xf32>, %out: memref<1x16xf32>) {
    %a = memref.alloc() : memref<16xf32>
    "test.use"(%a) : (memref<16xf32>) -> ()
    %e = memref.expand_shape %a [[0, 1]] output_shape [1, 16] : memref<16xf32> into memref<1x16xf32>
    memref.copy %e, %out : memref<1x16xf32> to memref<1x16xf32>
    return
  }
}

// -----

// Not when the buffer is still read after the copy, nor when the output is
// also written elsewhere: both copies stay, the buffers go to the workspace
// (sharing its bytes, one after the other).
// CHECK-LABEL: module attributes {whittle.workspace_size = 64 : i64}
// CHECK-COUNT-2: memref.copy
module {
  func.func @main(%in: memref<16xf32>, %out: memref<1x16xf32>, %out2: memref<1x16xf32>) {
    %a = memref.alloc() : memref<16xf32>
    "test.use"(%a) : (memref<16xf32>) -> ()
    %e = memref.expand_shape %a [[0, 1]] output_shape [1, 16] : memref<16xf32> into memref<1x16xf32>
    memref.copy %e, %out : memref<1x16xf32> to memref<1x16xf32>
    "test.use"(%a) : (memref<16xf32>) -> ()
    %b = memref.alloc() : memref<16xf32>
    "test.use"(%b) : (memref<16xf32>) -> ()
    %f = memref.expand_shape %b [[0, 1]] output_shape [1, 16] : memref<16xf32> into memref<1x16xf32>
    "test.use"(%out2) : (memref<1x16xf32>) -> ()
    memref.copy %f, %out2 : memref<1x16xf32> to memref<1x16xf32>
    return
  }
}
