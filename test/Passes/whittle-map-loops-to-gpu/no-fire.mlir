// RUN: whittle-opt %s --whittle-map-loops-to-gpu --split-input-file --verify-diagnostics | FileCheck %s

// Nothing touches memory: views, index arithmetic and allocations stay on
// the host, and no kernel is launched.
// CHECK-LABEL: func.func @host_only
// CHECK-NOT: gpu.launch
// CHECK: memref.view
// CHECK: memref.subview
// CHECK: return
func.func @host_only(%ws: memref<4096xi8>) -> memref<4x4xf32, strided<[8, 1]>> {
  %c0 = arith.constant 0 : index
  %v = memref.view %ws[%c0][] : memref<4096xi8> to memref<8x8xf32>
  %s = memref.subview %v[0, 0] [4, 4] [1, 1] : memref<8x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  return %s : memref<4x4xf32, strided<[8, 1]>>
}

// -----

// A value read from device memory that the host needs cannot be computed
// on the GPU.
func.func @host_reads(%a: memref<4xindex>, %b: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  // expected-error @below {{a value computed from device memory is used by the host}}
  %n = memref.load %a[%c0] : memref<4xindex>
  %v = memref.subview %b[0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1]>>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %v[%i] : memref<?xf32, strided<[1]>>
    scf.reduce
  }
  return
}
