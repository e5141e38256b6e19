// Numerical check of matmul with broadcast batch dims, gemm with transposes,
// alpha, beta and a broadcast C, and a padded, strided, dilated, grouped
// convolution with bias, lowered to LLVM and executed. Expected values come
// from numpy.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

func.func @matmul(%a: tensor<2x1x2x3xf32>, %b: tensor<3x3x2xf32>) -> tensor<2x3x2x2xf32> {
  %0 = whittle.matmul %a, %b : (tensor<2x1x2x3xf32>, tensor<3x3x2xf32>) -> tensor<2x3x2x2xf32>
  return %0 : tensor<2x3x2x2xf32>
}

func.func @gemm(%a: tensor<4x2xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = whittle.gemm %a, %b, %c {trans_a = true, trans_b = true, alpha = 0.5 : f64, beta = 2.0 : f64} : (tensor<4x2xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

func.func @conv(%x: tensor<1x4x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x2x2xf32> {
  %0 = whittle.conv %x, %w, %b {strides = array<i64: 2, 1>, dilations = array<i64: 1, 2>, pads = array<i64: 1, 0, 1, 2>, group = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return %0 : tensor<1x4x2x2xf32>
}

func.func @main() {
  %a = arith.constant dense<[[[[-1.25, -1.00, -0.75], [-0.50, -0.25, 0.00]]], [[[0.25, 0.50, 0.75], [1.00, 1.25, 1.50]]]]> : tensor<2x1x2x3xf32>
  %b = arith.constant dense<[[[-1.50, -1.00], [-0.50, 0.00], [0.50, 1.00]], [[1.50, -1.50], [-1.00, -0.50], [0.00, 0.50]], [[1.00, 1.50], [-1.50, -1.00], [-0.50, 0.00]]]> : tensor<3x3x2xf32>
  %0 = call @matmul(%a, %b) : (tensor<2x1x2x3xf32>, tensor<3x3x2xf32>) -> tensor<2x3x2x2xf32>
  %u0 = tensor.cast %0 : tensor<2x3x2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3, 2, 2]
  // CHECK-NEXT: [2,     0.5],
  // CHECK-NEXT: [0.875,     0.5]],
  // CHECK-NEXT: [-0.875,     2],
  // CHECK-NEXT: [-0.5,     0.875]],
  // CHECK-NEXT: [0.625,     -0.875],
  // CHECK-NEXT: [-0.125,     -0.5]]],
  // CHECK-NEXT: [-0.25,     0.5],
  // CHECK-NEXT: [-1.375,     0.5]],
  // CHECK-NEXT: [-0.125,     -0.25],
  // CHECK-NEXT: [0.25,     -1.375]],
  // CHECK-NEXT: [-0.875,     -0.125],
  // CHECK-NEXT: [-1.625,     0.25]]]]
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()

  %ga = arith.constant dense<[[-3.0, -2.0], [-1.0, 0.0], [1.0, 2.0], [3.0, 4.0]]> : tensor<4x2xf32>
  %gb = arith.constant dense<[[-2.0, -1.0, 0.0, 1.0], [2.0, -2.0, -1.0, 0.0], [1.0, 2.0, -2.0, -1.0]]> : tensor<3x4xf32>
  %gc = arith.constant dense<[1.0, -2.0, 0.5]> : tensor<3xf32>
  %1 = call @gemm(%ga, %gb, %gc) : (tensor<4x2xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %u1 = tensor.cast %1 : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: [7,   -6.5,   -4],
  // CHECK-NEXT: [6,   -7,   -4]]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()

  %x = arith.constant dense<[[[[-3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0]], [[-1.0, 0.0, 1.0, 2.0], [3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0]], [[1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0]], [[3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0]]]]> : tensor<1x4x4x4xf32>
  %w = arith.constant dense<[[[[-1.0, -0.5, 0.0], [0.5, 1.0, -1.0], [-0.5, 0.0, 0.5]], [[1.0, -1.0, -0.5], [0.0, 0.5, 1.0], [-1.0, -0.5, 0.0]]], [[[0.5, 1.0, -1.0], [-0.5, 0.0, 0.5], [1.0, -1.0, -0.5]], [[0.0, 0.5, 1.0], [-1.0, -0.5, 0.0], [0.5, 1.0, -1.0]]], [[[-0.5, 0.0, 0.5], [1.0, -1.0, -0.5], [0.0, 0.5, 1.0]], [[-1.0, -0.5, 0.0], [0.5, 1.0, -1.0], [-0.5, 0.0, 0.5]]], [[[1.0, -1.0, -0.5], [0.0, 0.5, 1.0], [-1.0, -0.5, 0.0]], [[0.5, 1.0, -1.0], [-0.5, 0.0, 0.5], [1.0, -1.0, -0.5]]]]> : tensor<4x2x3x3xf32>
  %bias = arith.constant dense<[1.0, -1.0, 0.5, 2.0]> : tensor<4xf32>
  %2 = call @conv(%x, %w, %bias) : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  %u2 = tensor.cast %2 : tensor<1x4x2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 4, 2, 2]
  // CHECK-NEXT: [-3.5,     3.5],
  // CHECK-NEXT: [6,     1]],
  // CHECK-NEXT: [-1.5,     1.5],
  // CHECK-NEXT: [4,     -1.5]],
  // CHECK-NEXT: [-2,     3],
  // CHECK-NEXT: [3,     2.5]],
  // CHECK-NEXT: [2,     0.5],
  // CHECK-NEXT: [0.5,     7.5]]]]
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
