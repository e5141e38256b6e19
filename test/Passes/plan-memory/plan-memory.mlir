// RUN: whittle-opt --whittle-plan-memory --split-input-file --verify-diagnostics \
// RUN:   --allow-unregistered-dialect %s | FileCheck %s

// %a and %b are live at the same time; %c starts after %a's last use and
// reuses its bytes. Offsets are 64-byte aligned; the dealloc disappears.
// CHECK-LABEL: module attributes {whittle.workspace_size = 128 : i64}
// CHECK: func.func @main(%{{.*}}: memref<16xf32>, %{{.*}}: memref<16xf32>, %[[WS:.*]]: memref<128xi8>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[WS]][%[[C0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %[[WS]][%[[C64]]][] : memref<128xi8> to memref<4xf64>
// CHECK: %[[C0B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[WS]][%[[C0B]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
module {
  func.func @main(%in: memref<16xf32>, %out: memref<16xf32>) {
    %a = memref.alloc() : memref<16xf32>
    memref.copy %in, %a : memref<16xf32> to memref<16xf32>
    %b = memref.alloc() : memref<4xf64>
    "test.use"(%a, %b) : (memref<16xf32>, memref<4xf64>) -> ()
    %c = memref.alloc() : memref<4x4xf32>
    %flat = memref.collapse_shape %c [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    "test.use"(%b, %c) : (memref<4xf64>, memref<4x4xf32>) -> ()
    memref.copy %flat, %out : memref<16xf32> to memref<16xf32>
    memref.dealloc %c : memref<4x4xf32>
    return
  }
}

// -----

// A buffer used inside a loop lives until the end of the loop: the second
// buffer cannot take its place.
// CHECK-LABEL: module attributes {whittle.workspace_size = 128 : i64}
// CHECK: arith.constant 8 : index
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.view %{{.*}}[%[[C0]]][] : memref<128xi8> to memref<8xf32>
// CHECK-NEXT: scf.for
// CHECK-NEXT: %[[C64:.*]] = arith.constant 64 : index
// CHECK-NEXT: memref.view %{{.*}}[%[[C64]]][] : memref<128xi8> to memref<8xf32>
module {
  func.func @main(%in: memref<8xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %a = memref.alloc() : memref<8xf32>
    scf.for %i = %c0 to %c8 step %c1 {
      %b = memref.alloc() : memref<8xf32>
      "test.use"(%a, %b) : (memref<8xf32>, memref<8xf32>) -> ()
    }
    return
  }
}

// -----

// No buffers: an empty workspace is still appended so every model has the
// same calling convention.
// CHECK-LABEL: module attributes {whittle.workspace_size = 0 : i64}
// CHECK: func.func @main(%{{.*}}: memref<4xf32>, %{{.*}}: memref<0xi8>)
module {
  func.func @main(%in: memref<4xf32>) {
    return
  }
}

// -----

module {
  func.func @main(%n: index) -> memref<?xf32> {
    // expected-error @below {{buffer must have a static shape}}
    %a = memref.alloc(%n) : memref<?xf32>
    return %a : memref<?xf32>
  }
}

// -----

module {
  func.func @main() -> memref<4xf32> {
    // expected-error @below {{buffer escapes its block through func.return}}
    %a = memref.alloc() : memref<4xf32>
    return %a : memref<4xf32>
  }
}
