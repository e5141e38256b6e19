// RUN: whittle-opt %s --whittle-lower-gpu-launches | FileCheck %s

// Two kernel modules merge into @whittle_kernels, each kernel named after
// its module. Each launch becomes a call of executor->gpu_launch (field 3)
// with its context (field 2): the kernel index, the grid and block, and
// the parameters as 8-byte slots: a memref as (allocated, aligned, offset,
// sizes, strides), a weight rebased onto executor->gpu_weights (field 4)
// at its place in the device weights, a float by its bits.

// CHECK: module attributes {gpu.container_module, whittle.gpu_kernels = ["main_kernel", "main_kernel_0"], whittle.gpu_weights = {{\[}}[@bias, 0, 24], [@table, 256, 2048]{{\]}}, whittle.gpu_weights_bytes = 2304 : i64}
module attributes {gpu.container_module} {
  memref.global "private" constant @bias : memref<6xf32> = dense<1.0>
  memref.global "private" constant @table : memref<16x32xf32> = dense<2.0>

  // CHECK-LABEL: func.func @main
  // CHECK-SAME: (%[[IN:.*]]: memref<6xf32>, %[[WS:.*]]: memref<4096xi8>, %[[EXEC:.*]]: !llvm.ptr)
  // CHECK: %[[CTXP:.*]] = llvm.getelementptr %[[EXEC]][0, 2]
  // CHECK: %[[CTX:.*]] = llvm.load %[[CTXP]]
  // CHECK: %[[FNP:.*]] = llvm.getelementptr %[[EXEC]][0, 3]
  // CHECK: %[[FN:.*]] = llvm.load %[[FNP]]
  // CHECK: %[[WP:.*]] = llvm.getelementptr %[[EXEC]][0, 4]
  // CHECK: %[[WPTR:.*]] = llvm.load %[[WP]]
  // CHECK: %[[WBASE:.*]] = llvm.ptrtoint %[[WPTR]] : !llvm.ptr to i64
  // CHECK: %[[SLOTS:.*]] = memref.alloca() : memref<12xi64>
  // CHECK: %[[SLOTPTR:.*]] = llvm.inttoptr
  func.func @main(%in: memref<6xf32>, %ws: memref<4096xi8>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c6 = arith.constant 6 : index
    %half = arith.constant 0.5 : f32
    %bias = memref.get_global @bias : memref<6xf32>
    %tmp = memref.view %ws[%c0][] : memref<4096xi8> to memref<6xf32>
    // The input and the weight: 5 slots each, then the float.
    // CHECK: %[[INP:.*]] = memref.extract_aligned_pointer_as_index %[[IN]]
    // CHECK: %[[OFF0:.*]] = arith.constant 0 : i64
    // CHECK: %[[BIASP:.*]] = arith.addi %[[WBASE]], %[[OFF0]] : i64
    // CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
    // CHECK: arith.extui %[[BITS]] : i32 to i64
    // CHECK: memref.store %{{.*}}, %[[SLOTS]][%{{.*}}] : memref<12xi64>
    // CHECK: %[[N0:.*]] = arith.constant 11 : i64
    // CHECK: llvm.call %[[FN]](%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SLOTPTR]], %[[N0]])
    gpu.launch_func @main_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c6, %c1, %c1) args(%in : memref<6xf32>, %bias : memref<6xf32>, %half : f32)
    // A strided view of a weight keeps its offset and strides; the
    // workspace view passes its own pointer.
    %table = memref.get_global @table : memref<16x32xf32>
    %rows = memref.subview %table[2, 4] [3, 6] [1, 1] : memref<16x32xf32> to memref<3x6xf32, strided<[32, 1], offset: 68>>
    // CHECK: %[[OFF256:.*]] = arith.constant 256 : i64
    // CHECK: arith.addi %[[WBASE]], %[[OFF256]] : i64
    // CHECK: memref.extract_strided_metadata
    // CHECK: memref.extract_aligned_pointer_as_index %{{.*}} : memref<6xf32>
    // CHECK: %[[K1:.*]] = arith.constant 1 : i64
    // CHECK: %[[N1:.*]] = arith.constant 12 : i64
    // CHECK: llvm.call %[[FN]](%[[CTX]], %[[K1]], %{{.*}}, %[[SLOTPTR]], %[[N1]])
    gpu.launch_func @main_kernel_0::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c6, %c1, %c1) args(%rows : memref<3x6xf32, strided<[32, 1], offset: 68>>, %tmp : memref<6xf32>)
    // CHECK-NOT: gpu.launch_func
    return
  }
  // CHECK: gpu.module @whittle_kernels
  // CHECK: gpu.func @main_kernel(
  // CHECK: gpu.func @main_kernel_0(
  // CHECK-NOT: gpu.module
  gpu.module @main_kernel {
    gpu.func @main_kernel(%a: memref<6xf32>, %b: memref<6xf32>, %s: f32) kernel {
      gpu.return
    }
  }
  gpu.module @main_kernel_0 {
    gpu.func @main_kernel(%a: memref<3x6xf32, strided<[32, 1], offset: 68>>, %b: memref<6xf32>) kernel {
      gpu.return
    }
  }
}
