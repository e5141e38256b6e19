// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-fold-quantization))' --split-input-file %s | FileCheck %s

// Weight-only: a dequantized constant int8 weight (per-column parameters
// reshaped to broadcast) feeding a matmul becomes quantized_matmul on the
// integer weight.
// CHECK-LABEL: func.func @matmul_weight_only
// CHECK: %[[W:.*]] = whittle.constant dense<{{.*}}> : tensor<4x3xi8>
// CHECK: %[[S:.*]] = whittle.constant dense<{{.*}}> : tensor<1x3xf32>
// CHECK: %[[Q:.*]] = whittle.quantized_matmul %arg0, %[[W]], %[[S]], %{{.*}} : (tensor<2x5x4xf32>, tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<2x5x3xf32>
// CHECK-NOT: whittle.dequantize
// CHECK: return %[[Q]]
func.func @matmul_weight_only(%x: tensor<2x5x4xf32>) -> tensor<2x5x3xf32> {
  %w = whittle.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12]]> : tensor<4x3xi8>
  %s = whittle.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %z = whittle.constant dense<0> : tensor<1x3xi8>
  %sr = whittle.reshape %s {shape = array<i64: 1, 3>} : (tensor<3xf32>) -> tensor<1x3xf32>
  %dq = whittle.dequantize %w, %sr, %z : (tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<4x3xf32>
  %y = whittle.matmul %x, %dq : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// Static QDQ: the weight side folds, then the per-tensor dequantized
// activation codes and the weight make an exact integer matmul scaled by
// sa * sw. A gemm's C becomes an add.
// CHECK-LABEL: func.func @gemm_qdq
// CHECK-DAG: %[[S:.*]] = whittle.constant dense<1.562500e-02> : tensor<f32>
// CHECK-DAG: %[[WZ:.*]] = whittle.constant dense<6> : tensor<ui8>
// CHECK-DAG: %[[AS:.*]] = whittle.constant dense<3.125000e-02> : tensor<f32>
// CHECK-DAG: %[[AZ:.*]] = whittle.constant dense<128> : tensor<ui8>
// CHECK: %[[AQ:.*]] = whittle.quantize %arg0, %[[AS]], %[[AZ]]
// CHECK-NOT: whittle.dequantize
// CHECK: %[[P:.*]] = whittle.integer_matmul %[[AQ]], %{{.*}}, %[[AZ]], %[[WZ]] : (tensor<5x4xui8>, tensor<4x3xui8>, tensor<ui8>, tensor<ui8>) -> tensor<5x3xi32>
// CHECK: %[[F:.*]] = whittle.cast %[[P]] {to = f32}
// CHECK: %[[Q:.*]] = whittle.mul %[[F]], %[[S]] : (tensor<5x3xf32>, tensor<f32>) -> tensor<5x3xf32>
// CHECK: %[[Y:.*]] = whittle.add %[[Q]], %arg1 : (tensor<5x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
// CHECK-NOT: whittle.gemm
// CHECK: return %[[Y]]
func.func @gemm_qdq(%x: tensor<5x4xf32>, %c: tensor<3xf32>) -> tensor<5x3xf32> {
  %as = whittle.constant dense<0.03125> : tensor<f32>
  %az = whittle.constant dense<128> : tensor<ui8>
  %aq = whittle.quantize %x, %as, %az : (tensor<5x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<5x4xui8>
  %adq = whittle.dequantize %aq, %as, %az : (tensor<5x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<5x4xf32>
  %w = whittle.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]> : tensor<4x3xui8>
  %ws = whittle.constant dense<0.5> : tensor<f32>
  %wz = whittle.constant dense<6> : tensor<ui8>
  %dq = whittle.dequantize %w, %ws, %wz : (tensor<4x3xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x3xf32>
  %y = whittle.gemm %adq, %dq, %c : (tensor<5x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A weight shared by a matmul and a gather (tied embeddings): the matmul
// folds, the gather keeps its dequantized table.
// CHECK-LABEL: func.func @shared_weight
// CHECK: whittle.dequantize
// CHECK: whittle.gather
// CHECK: whittle.quantized_matmul
func.func @shared_weight(%x: tensor<2x4xf32>, %i: tensor<2xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = whittle.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]> : tensor<4x3xi8>
  %s = whittle.constant dense<0.5> : tensor<f32>
  %z = whittle.constant dense<0> : tensor<i8>
  %dq = whittle.dequantize %w, %s, %z : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %g = whittle.gather %dq, %i {axis = 0 : i64} : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %y = whittle.matmul %x, %dq : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %g, %y : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Blocked (MatMulNBits) weights: blocks along K carry over to the op.
// CHECK-LABEL: func.func @blocked_int4
// CHECK: whittle.quantized_matmul %arg0, %{{.*}} {block_size = 16 : i64} : (tensor<3x32xf32>, tensor<32x2xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<3x2xf32>
func.func @blocked_int4(%x: tensor<3x32xf32>) -> tensor<3x2xf32> {
  %w = whittle.constant dense<7> : tensor<32x2xui4>
  %s = whittle.constant dense<[[0.5, 1.0], [0.25, 2.0]]> : tensor<2x2xf32>
  %z = whittle.constant dense<8> : tensor<2x2xui4>
  %dq = whittle.dequantize %w, %s, %z {block_size = 16 : i64} : (tensor<32x2xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<32x2xf32>
  %y = whittle.matmul %x, %dq : (tensor<3x32xf32>, tensor<32x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Static QDQ with per-column weight parameters ([1, N] after import) and
// int8 activations: the weight zero point becomes one per column.
// CHECK-LABEL: func.func @matmul_qdq_per_column
// CHECK-DAG: %[[S:.*]] = whittle.constant dense<{{\[}}[3.125000e-02, 1.562500e-02, 7.812500e-03]]> : tensor<1x3xf32>
// CHECK-DAG: %[[ZR:.*]] = whittle.constant dense<[0, 1, -1]> : tensor<3xi8>
// CHECK: %[[P:.*]] = whittle.integer_matmul %{{.*}}, %{{.*}}, %{{.*}}, %[[ZR]] : (tensor<2x5x4xi8>, tensor<4x3xi8>, tensor<i8>, tensor<3xi8>) -> tensor<2x5x3xi32>
// CHECK: %[[F:.*]] = whittle.cast %[[P]] {to = f32}
// CHECK: whittle.mul %[[F]], %[[S]] : (tensor<2x5x3xf32>, tensor<1x3xf32>) -> tensor<2x5x3xf32>
// CHECK-NOT: whittle.quantized_matmul
func.func @matmul_qdq_per_column(%x: tensor<2x5x4xf32>) -> tensor<2x5x3xf32> {
  %as = whittle.constant dense<0.0625> : tensor<f32>
  %az = whittle.constant dense<-3> : tensor<i8>
  %aq = whittle.quantize %x, %as, %az : (tensor<2x5x4xf32>, tensor<f32>, tensor<i8>) -> tensor<2x5x4xi8>
  %adq = whittle.dequantize %aq, %as, %az : (tensor<2x5x4xi8>, tensor<f32>, tensor<i8>) -> tensor<2x5x4xf32>
  %w = whittle.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12]]> : tensor<4x3xi8>
  %s = whittle.constant dense<[[0.5, 0.25, 0.125]]> : tensor<1x3xf32>
  %z = whittle.constant dense<[[0, 1, -1]]> : tensor<1x3xi8>
  %dq = whittle.dequantize %w, %s, %z : (tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<4x3xf32>
  %y = whittle.matmul %adq, %dq : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// Quantization-aware training exports (PyTorch) quantize the float weight
// and dequantize it again, per output row, and a Gemm takes it transposed:
// the codes are computed here as QuantizeLinear defines them (0.5 -> 0,
// 1.5 -> 2, 2.5 -> 2: halves to even; 100 / 0.5 saturates to 127, -200 to
// -128) and stored transposed, the parameters per column.
// CHECK-LABEL: func.func @qat_gemm_trans_b
// CHECK-DAG: %[[S:.*]] = whittle.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 5.000000e-01]]> : tensor<1x3xf32>
// CHECK-DAG: %[[W:.*]] = whittle.constant dense_resource<transposed_weight> : tensor<2x3xi8>
// CHECK: %[[Y:.*]] = whittle.quantized_matmul %arg0, %[[W]], %[[S]], %{{.*}} : (tensor<4x2xf32>, tensor<2x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<4x3xf32>
// CHECK-NOT: whittle.quantize
// CHECK-NOT: whittle.gemm
// CHECK: return %[[Y]]
// CHECK: transposed_weight: "0x4000000000027F02FF80"
func.func @qat_gemm_trans_b(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = whittle.constant dense<[[0.5, 1.5], [2.5, -1.0], [100.0, -100.0]]> : tensor<3x2xf32>
  %s = whittle.constant dense<[1.0, 1.0, 0.5]> : tensor<3xf32>
  %z = whittle.constant dense<0> : tensor<3xi8>
  %sr = whittle.reshape %s {shape = array<i64: 3, 1>} : (tensor<3xf32>) -> tensor<3x1xf32>
  %zr = whittle.reshape %z {shape = array<i64: 3, 1>} : (tensor<3xi8>) -> tensor<3x1xi8>
  %q = whittle.quantize %w, %sr, %zr : (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xi8>) -> tensor<3x2xi8>
  %dq = whittle.dequantize %q, %sr, %zr : (tensor<3x2xi8>, tensor<3x1xf32>, tensor<3x1xi8>) -> tensor<3x2xf32>
  %y = whittle.gemm %x, %dq {trans_b = true} : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// The same export on 3-D activations transposes the dequantized weight for
// a MatMul; unsigned codes with a zero point: 0.25 / 0.5 -> 0 and 0.75 / 0.5
// -> 2 (halves to even) plus 128, -3 / 0.5 + 128 = 122, 200 / 0.5 + 128
// saturates to 255.
// CHECK-LABEL: func.func @qat_matmul_transpose
// CHECK: %[[W:.*]] = whittle.constant dense_resource<transposed_weight> : tensor<2x2xui8>
// CHECK: %[[Y:.*]] = whittle.quantized_matmul %arg0, %[[W]], %{{.*}}, %{{.*}} : (tensor<2x3x2xf32>, tensor<2x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x3x2xf32>
// CHECK-NOT: whittle.transpose
// CHECK: return %[[Y]]
// CHECK: transposed_weight: "0x40000000807A82FF"
func.func @qat_matmul_transpose(%x: tensor<2x3x2xf32>) -> tensor<2x3x2xf32> {
  %w = whittle.constant dense<[[0.25, 0.75], [-3.0, 200.0]]> : tensor<2x2xf32>
  %s = whittle.constant dense<0.5> : tensor<f32>
  %z = whittle.constant dense<128> : tensor<ui8>
  %q = whittle.quantize %w, %s, %z : (tensor<2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x2xui8>
  %dq = whittle.dequantize %q, %s, %z : (tensor<2x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x2xf32>
  %t = whittle.transpose %dq {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = whittle.matmul %x, %t : (tensor<2x3x2xf32>, tensor<2x2xf32>) -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}
