// RUN: whittle-opt %s --whittle-emulate-gpu-launches --split-input-file --verify-diagnostics | FileCheck %s

// Without launches nothing changes.
// CHECK-LABEL: func.func @host
// CHECK-NEXT: return
func.func @host(%a: memref<4xf32>) {
  return
}

// -----

// Threads that synchronize cannot run one after another.
func.func @barrier(%a: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error @below {{a launch with barriers or shared memory cannot be emulated serially}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
