// whittle-opt --whittle-backend-pipeline is what whittle-compile runs after
// the graph pipeline: a whittle function comes out as LLVM dialect with the
// bare-pointer @main, the workspace and the executor arguments.
// RUN: whittle-opt --whittle-backend-pipeline='mcpu=x86-64-v3' %s | FileCheck %s
// CHECK: llvm.func @main(
// CHECK-NOT: whittle.
// CHECK-NOT: linalg.

// An unknown CPU fails the pipeline with the reason.
// RUN: not whittle-opt --whittle-backend-pipeline='mcpu=no-such-cpu' %s 2>&1 | FileCheck %s --check-prefix=BADCPU
// BADCPU: no-such-cpu

func.func @main(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %0 = whittle.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %1 = whittle.relu %0 : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %1 : tensor<8x4xf32>
}
