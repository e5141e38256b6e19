// RUN: whittle-opt %s --whittle-serialize-gpu-kernels=chip=sm_90 | FileCheck %s --check-prefixes=CHECK,PTXONLY
// RUN: %if ptxas %{ whittle-opt %s --whittle-serialize-gpu-kernels="chip=sm_90 cuda-path=%cuda_path" | FileCheck %s --check-prefixes=CHECK,CUBIN %}

// The kernel module becomes PTX for sm_90 (NUL-terminated) and, with the
// toolkit, a cubin (an ELF file); the container attribute goes with it and
// the host function is untouched. The polynomial-free math left in a
// kernel (sqrt) comes from libdevice when the toolkit is given, and from
// no external function either way.
// CHECK-NOT: gpu.container_module
// CHECK-LABEL: func.func @host
// CHECK-NOT: gpu.module
// CHECK-DAG: llvm.mlir.global internal constant @whittle_gpu_ptx("{{.*}}.target sm_90{{.*}}.entry scale({{.*}}\00") {addr_space = 0 : i32, alignment = 16 : i64}
// CUBIN-DAG: llvm.mlir.global internal constant @whittle_gpu_cubin("\7FELF
// PTXONLY-NOT: @whittle_gpu_cubin
module attributes {gpu.container_module} {
  func.func @host() {
    return
  }
  gpu.module @whittle_kernels {
    gpu.func @scale(%a: memref<64xf32>, %s: f32) kernel {
      %i = gpu.thread_id x
      %x = memref.load %a[%i] : memref<64xf32>
      %y = arith.mulf %x, %s : f32
      memref.store %y, %a[%i] : memref<64xf32>
      gpu.return
    }
  }
}
