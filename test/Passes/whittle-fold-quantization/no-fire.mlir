// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-fold-quantization))' --split-input-file %s | FileCheck %s

// A dequantized activation (not a constant) is fake quantization: the matmul
// stays a float matmul of the dequantized values.
// CHECK-LABEL: func.func @activation_dequantize
// CHECK: whittle.dequantize
// CHECK: whittle.matmul
// CHECK-NOT: whittle.quantized_matmul
func.func @activation_dequantize(%x: tensor<5x4xf32>, %q: tensor<4x3xi8>) -> tensor<5x3xf32> {
  %s = whittle.constant dense<0.5> : tensor<f32>
  %z = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %q, %s, %z : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %y = whittle.matmul %x, %dq : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A scale that is a graph input is not known at compile time.
// CHECK-LABEL: func.func @runtime_scale
// CHECK: whittle.matmul
// CHECK-NOT: whittle.quantized_matmul
func.func @runtime_scale(%x: tensor<5x4xf32>, %s: tensor<f32>) -> tensor<5x3xf32> {
  %w = whittle.constant dense<1> : tensor<4x3xi8>
  %z = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %w, %s, %z : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %y = whittle.matmul %x, %dq : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// The dequantized weight on the left, a batched (3-D) weight, and a gemm that
// transposes its weight or scales by alpha are left alone.
// CHECK-LABEL: func.func @other_shapes
// CHECK-NOT: whittle.quantized_matmul
// CHECK: whittle.matmul
// CHECK: whittle.matmul
// CHECK: whittle.gemm
// CHECK: whittle.gemm
// CHECK-NOT: whittle.quantized_matmul
func.func @other_shapes(%x: tensor<3x5xf32>, %b: tensor<2x5x4xf32>, %x2: tensor<5x4xf32>, %x3: tensor<5x3xf32>) -> (tensor<4x5xf32>, tensor<2x5x3xf32>, tensor<5x4xf32>, tensor<5x3xf32>) {
  %w = whittle.constant dense<1> : tensor<4x3xi8>
  %w3 = whittle.constant dense<1> : tensor<2x4x3xi8>
  %s = whittle.constant dense<0.5> : tensor<f32>
  %z = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %w, %s, %z : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %dq3 = whittle.dequantize %w3, %s, %z : (tensor<2x4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x4x3xf32>
  %0 = whittle.matmul %dq, %x : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  %1 = whittle.matmul %b, %dq3 : (tensor<2x5x4xf32>, tensor<2x4x3xf32>) -> tensor<2x5x3xf32>
  %2 = whittle.gemm %x3, %dq {trans_b = true} : (tensor<5x3xf32>, tensor<4x3xf32>) -> tensor<5x4xf32>
  %3 = whittle.gemm %x2, %dq {alpha = 2.0 : f64} : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %0, %1, %2, %3 : tensor<4x5xf32>, tensor<2x5x3xf32>, tensor<5x4xf32>, tensor<5x3xf32>
}

// -----

// Blocks along N (block_axis 1) do not match quantized_matmul's K blocks.
// CHECK-LABEL: func.func @blocked_along_n
// CHECK: whittle.dequantize
// CHECK: whittle.matmul
// CHECK-NOT: whittle.quantized_matmul
func.func @blocked_along_n(%x: tensor<3x2xf32>) -> tensor<3x32xf32> {
  %w = whittle.constant dense<7> : tensor<2x32xui4>
  %s = whittle.constant dense<0.5> : tensor<2x2xf32>
  %z = whittle.constant dense<8> : tensor<2x2xui4>
  %dq = whittle.dequantize %w, %s, %z {block_axis = 1 : i64, block_size = 16 : i64} : (tensor<2x32xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<2x32xf32>
  %y = whittle.matmul %x, %dq : (tensor<3x2xf32>, tensor<2x32xf32>) -> tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}

// -----

// Activations dequantized per channel (a scale per K) and a weight with a
// scale per row (along K): no single scale factors out of the sum, so the
// float quantized_matmul stays.
// CHECK-LABEL: func.func @qdq_scales_along_k
// CHECK: whittle.quantized_matmul
// CHECK: whittle.quantized_matmul
// CHECK-NOT: whittle.integer_matmul
func.func @qdq_scales_along_k(%x: tensor<5x4xf32>) -> (tensor<5x3xf32>, tensor<5x3xf32>) {
  %as = whittle.constant dense<[[0.5, 0.25, 0.125, 1.0]]> : tensor<1x4xf32>
  %az = whittle.constant dense<0> : tensor<1x4xi8>
  %aq = whittle.quantize %x, %as, %az : (tensor<5x4xf32>, tensor<1x4xf32>, tensor<1x4xi8>) -> tensor<5x4xi8>
  %adq = whittle.dequantize %aq, %as, %az : (tensor<5x4xi8>, tensor<1x4xf32>, tensor<1x4xi8>) -> tensor<5x4xf32>
  %w = whittle.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12]]> : tensor<4x3xi8>
  %ws = whittle.constant dense<0.5> : tensor<f32>
  %wz = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %w, %ws, %wz : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %y0 = whittle.matmul %adq, %dq : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  %ts = whittle.constant dense<0.0625> : tensor<f32>
  %tz = whittle.constant dense<0> : tensor<i8>
  %tq = whittle.quantize %x, %ts, %tz : (tensor<5x4xf32>, tensor<f32>, tensor<i8>) -> tensor<5x4xi8>
  %tdq = whittle.dequantize %tq, %ts, %tz : (tensor<5x4xi8>, tensor<f32>, tensor<i8>) -> tensor<5x4xf32>
  %rs = whittle.constant dense<[[0.5], [0.25], [0.125], [1.0]]> : tensor<4x1xf32>
  %rz = whittle.constant dense<0> : tensor<4x1xi8>
  %rdq = whittle.dequantize %w, %rs, %rz : (tensor<4x3xi8>, tensor<4x1xf32>, tensor<4x1xi8>) -> tensor<4x3xf32>
  %y1 = whittle.matmul %tdq, %rdq : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %y0, %y1 : tensor<5x3xf32>, tensor<5x3xf32>
}

// -----

// A transposed dequantized weight that is also used as it is (returned
// here) is not transposed into a second integer copy: the matmul stays on
// the dequantized float weight. A transpose feeding something other than a
// matmul stays too.
// CHECK-LABEL: func.func @transposed_weight_shared
// CHECK: %[[DQ:.*]] = whittle.dequantize
// CHECK: %[[T:.*]] = whittle.transpose %[[DQ]]
// CHECK: whittle.matmul %arg0, %[[T]]
// CHECK: %[[U:.*]] = whittle.transpose
// CHECK: whittle.add %[[U]]
// CHECK-NOT: whittle.quantized_matmul
func.func @transposed_weight_shared(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = whittle.constant dense<[[1, -2], [3, 4]]> : tensor<2x2xi8>
  %s = whittle.constant dense<0.5> : tensor<f32>
  %z = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %w, %s, %z : (tensor<2x2xi8>, tensor<f32>, tensor<i8>) -> tensor<2x2xf32>
  %t = whittle.transpose %dq {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = whittle.matmul %x, %t : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %v = whittle.constant dense<[[5, 6], [7, -8]]> : tensor<2x2xi8>
  %vdq = whittle.dequantize %v, %s, %z : (tensor<2x2xi8>, tensor<f32>, tensor<i8>) -> tensor<2x2xf32>
  %u = whittle.transpose %vdq {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %a = whittle.add %u, %u : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y, %dq, %a : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}
