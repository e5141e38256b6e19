// RUN: whittle-opt %s --whittle-serialize-gpu-kernels | FileCheck %s
// RUN: not whittle-opt %s --whittle-serialize-gpu-kernels=kernel-module=other --split-input-file 2>&1 | FileCheck %s --check-prefix=MATH

// A module without kernels is left as it is.
// CHECK-LABEL: func.func @host
// CHECK-NOT: whittle_gpu_ptx
func.func @host() {
  return
}

// -----

// Math from libdevice (sqrt) needs the CUDA toolkit; without one the error
// says so instead of leaving an unresolved call in the PTX.
// MATH: the kernels call functions of libdevice, which comes with the CUDA toolkit (--cuda-path)
module attributes {gpu.container_module} {
  gpu.module @other {
    gpu.func @root(%a: memref<4xf32>) kernel {
      %i = gpu.thread_id x
      %x = memref.load %a[%i] : memref<4xf32>
      %y = math.sqrt %x : f32
      memref.store %y, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
}
