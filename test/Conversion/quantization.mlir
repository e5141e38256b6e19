// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// Quantize: a true division by the scale (halfway cases round as ONNX's
// reference does), round half to even, the zero point added, saturation to
// the integer type's range, then the conversion. A per-channel scale is read
// through its broadcast map.
// CHECK-DAG: #[[$CHAN:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @quantize_per_channel
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$CHAN]], #[[$CHAN]], #{{.*}}]
// CHECK: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[Z:.*]]: i8, %{{.*}}: i8):
// CHECK: %[[ZF:.*]] = arith.sitofp %[[Z]] : i8 to f32
// CHECK: %[[D:.*]] = arith.divf %[[X]], %[[S]] : f32
// CHECK: %[[R:.*]] = math.roundeven %[[D]] : f32
// CHECK: %[[A:.*]] = arith.addf %[[R]], %[[ZF]] : f32
// CHECK: arith.constant -1.280000e+02 : f32
// CHECK: arith.maxnumf
// CHECK: arith.constant 1.270000e+02 : f32
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK-NOT: whittle.
func.func @quantize_per_channel(%x: tensor<4x3xf32>, %s: tensor<1x3xf32>, %z: tensor<1x3xi8>) -> tensor<4x3xi8> {
  %0 = whittle.quantize %x, %s, %z : (tensor<4x3xf32>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

// Unsigned: the range is [0, 255] and the conversions are unsigned.
// CHECK-LABEL: func.func @quantize_unsigned
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: arith.fptoui %{{.*}} : f32 to i8
func.func @quantize_unsigned(%x: tensor<6xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<6xui8> {
  %0 = whittle.quantize %x, %s, %z : (tensor<6xf32>, tensor<f32>, tensor<ui8>) -> tensor<6xui8>
  return %0 : tensor<6xui8>
}

// -----

// Dequantize: both integers converted to float, then (x - zp) * scale.
// CHECK-LABEL: func.func @dequantize
// CHECK: ^bb0(%[[X:.*]]: i8, %[[S:.*]]: f32, %[[Z:.*]]: i8, %{{.*}}: f32):
// CHECK: %[[XF:.*]] = arith.uitofp %[[X]] : i8 to f32
// CHECK: %[[ZF:.*]] = arith.uitofp %[[Z]] : i8 to f32
// CHECK: %[[D:.*]] = arith.subf %[[XF]], %[[ZF]] : f32
// CHECK: arith.mulf %[[D]], %[[S]] : f32
func.func @dequantize(%x: tensor<2x3xui8>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<2x3xf32> {
  %0 = whittle.dequantize %x, %s, %z : (tensor<2x3xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @round_and_min
// CHECK: math.roundeven
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32)
// CHECK: arith.minimumf
func.func @round_and_min(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2xf32>) {
  %0 = whittle.round %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = whittle.reduce_min %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2xf32>
}

// -----

// quantized_matmul's reference form: the integer weight dequantized element
// for element as whittle.dequantize does, then a float matmul.
// CHECK-LABEL: func.func @quantized_matmul(
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.matmul
// CHECK-NOT: whittle.
func.func @quantized_matmul(%x: tensor<5x4xf32>, %w: tensor<4x3xi8>, %s: tensor<1x3xf32>, %z: tensor<1x3xi8>) -> tensor<5x3xf32> {
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

// Blocked dequantize: parameter row i / block_size for weight row i.
// CHECK-DAG: #[[$BLOCK:.*]] = affine_map<(d0, d1) -> (d0 floordiv 16, d1)>
// CHECK-LABEL: func.func @dequantize_blocked
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$BLOCK]], #[[$BLOCK]], #{{.*}}]
// CHECK: arith.uitofp %{{.*}} : i4 to f32
func.func @dequantize_blocked(%w: tensor<40x2xui4>, %s: tensor<3x2xf32>, %z: tensor<3x2xui4>) -> tensor<40x2xf32> {
  %0 = whittle.dequantize %w, %s, %z {block_size = 16 : i64} : (tensor<40x2xui4>, tensor<3x2xf32>, tensor<3x2xui4>) -> tensor<40x2xf32>
  return %0 : tensor<40x2xf32>
}

// -----

// A ragged N (a vocabulary) is padded to a multiple of 64 columns after
// dequantization, so the matmul still gets register tiles; the product is
// sliced back.
// CHECK-LABEL: func.func @quantized_matmul_ragged_n
// CHECK: %[[DQ:.*]] = linalg.generic
// CHECK: %[[PAD:.*]] = tensor.pad %[[DQ]] low[0, 0] high[0, 59]
// CHECK: linalg.matmul ins(%{{.*}}, %[[PAD]] : tensor<5x4xf32>, tensor<4x64xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [5, 5] [1, 1] : tensor<5x64xf32> to tensor<5x5xf32>
func.func @quantized_matmul_ragged_n(%x: tensor<5x4xf32>, %w: tensor<4x5xi8>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<5x5xf32> {
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<4x5xi8>, tensor<f32>, tensor<i8>) -> tensor<5x5xf32>
  return %0 : tensor<5x5xf32>
}

// -----

// N already a multiple of 64: no padding, no slice.
// CHECK-LABEL: func.func @quantized_matmul_aligned_n
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x4xf32>, tensor<4x64xf32>)
// CHECK-NOT: tensor.extract_slice
func.func @quantized_matmul_aligned_n(%x: tensor<5x4xf32>, %w: tensor<4x64xi8>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<5x64xf32> {
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<4x64xi8>, tensor<f32>, tensor<i8>) -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}

// -----

// A constant int8 weight with a zero zero point (symmetric, per column):
// x · (q · s) = (x · q) · s, a linalg.matmul of the f32 activations and the
// int8 weight itself (tile-kernels converts it in registers), then the
// scale. An argument weight keeps the reference form (see @quantized_matmul
// above).
// CHECK-LABEL: func.func @quantized_matmul_symmetric
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<4x3xi8>
// CHECK: %[[P:.*]] = linalg.matmul ins(%arg0, %[[W]] : tensor<5x4xf32>, tensor<4x3xi8>)
// CHECK: linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<5x3xf32>, tensor<1x3xf32>)
// CHECK: arith.mulf
// CHECK-NOT: arith.sitofp
func.func @quantized_matmul_symmetric(%x: tensor<5x4xf32>) -> tensor<5x3xf32> {
  %w = whittle.constant dense<[[1, -2, 3], [4, 5, -6], [7, 8, 9], [-10, 11, 12]]> : tensor<4x3xi8>
  %s = whittle.constant dense<[[0.5, 0.25, 0.125]]> : tensor<1x3xf32>
  %z = whittle.constant dense<0> : tensor<1x3xi8>
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}
