// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-quantize-weights{weights=int8 exclude=lm_head}))' --split-input-file %s | FileCheck %s

// A weight computed at run time (not a constant), a matmul whose node name
// matches `exclude`, a vector left operand (no rows to quantize per row), a
// gemm with a transposed A and one with alpha != 1: all stay fp32.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: whittle.quantized_matmul
// CHECK-NOT: whittle.integer_matmul
// CHECK: whittle.matmul %arg0, %arg1
// CHECK: whittle.matmul %arg0, %[[C:.*]] : (tensor<5x4xf32>, tensor<4x3xf32>)
// CHECK: whittle.matmul %arg2, %{{.*}} : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
// CHECK: whittle.gemm %arg3, %{{.*}} {trans_a = true}
// CHECK: whittle.gemm %arg3, %{{.*}} {alpha = 2.000000e+00 : f64}
// CHECK-NOT: whittle.quantized_matmul
func.func @left_alone(%x: tensor<5x4xf32>, %w: tensor<4x3xf32>, %v: tensor<4xf32>, %t: tensor<4x4xf32>) -> (tensor<5x3xf32>, tensor<5x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %c = whittle.constant dense<[[1.0, -2.0, 0.5], [4.0, 0.25, -6.0], [-8.0, 1.0, 3.0], [2.0, -0.5, 1.5]]> : tensor<4x3xf32>
  %0 = whittle.matmul %x, %w : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  %1 = whittle.matmul %x, %c : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32> loc("lm_head")
  %2 = whittle.matmul %v, %c : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  %3 = whittle.gemm %t, %c {trans_a = true} : (tensor<4x4xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %4 = whittle.gemm %t, %c {alpha = 2.0 : f64} : (tensor<4x4xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0, %1, %2, %3, %4 : tensor<5x3xf32>, tensor<5x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// A gather along another axis (columns of a table) and one whose node name
// matches `exclude` keep the fp32 table.
// CHECK-LABEL: func.func @gathers_left_alone
// CHECK-NOT: whittle_int8_embedding
// CHECK: whittle.gather %{{.*}}, %arg0 {axis = 1 : i64} : (tensor<512x128xf32>, tensor<3xi64>) -> tensor<512x3xf32>
// CHECK: whittle.gather %{{.*}}, %arg0 {axis = 0 : i64} : (tensor<512x128xf32>, tensor<3xi64>) -> tensor<3x128xf32>
func.func @gathers_left_alone(%ids: tensor<3xi64>) -> (tensor<512x3xf32>, tensor<3x128xf32>) {
  %table = whittle.constant dense<0.5> : tensor<512x128xf32>
  %0 = whittle.gather %table, %ids {axis = 1 : i64} : (tensor<512x128xf32>, tensor<3xi64>) -> tensor<512x3xf32>
  %1 = whittle.gather %table, %ids {axis = 0 : i64} : (tensor<512x128xf32>, tensor<3xi64>) -> tensor<3x128xf32> loc("lm_head")
  return %0, %1 : tensor<512x3xf32>, tensor<3x128xf32>
}
