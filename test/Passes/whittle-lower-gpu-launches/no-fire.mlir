// RUN: whittle-opt %s --whittle-lower-gpu-launches --split-input-file --verify-diagnostics | FileCheck %s

// Without launches every function still gets the executor argument (one
// calling convention for all models), and the tables are empty.
// CHECK: module attributes {whittle.gpu_kernels = [], whittle.gpu_weights = [], whittle.gpu_weights_bytes = 0 : i64}
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: !llvm.ptr)
// CHECK-NOT: llvm.call
// CHECK-NOT: llvm.load
func.func @main(%a: memref<4xf32>) {
  return
}

// -----

// A host allocation cannot reach a kernel: buffers are planned into the
// (device) workspace first.
module attributes {gpu.container_module} {
  func.func @main() {
    %c1 = arith.constant 1 : index
    %buf = memref.alloc() : memref<4xf32>
    // expected-error @below {{a kernel argument is a host allocation}}
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<4xf32>)
    return
  }
  gpu.module @k {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
