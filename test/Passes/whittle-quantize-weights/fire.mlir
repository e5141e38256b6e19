// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-quantize-weights{weights=int8}))' --split-input-file %s | FileCheck %s --check-prefix=INT8
// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-quantize-weights{weights=int8 activations=dynamic}))' --split-input-file %s | FileCheck %s --check-prefix=DYN
// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-quantize-weights{weights=int4 group-size=16}))' --split-input-file %s | FileCheck %s --check-prefix=INT4
// RUN: whittle-opt --pass-pipeline='builtin.module(func.func(whittle-quantize-weights{weights=int8 reduce-range=true}))' --split-input-file %s | FileCheck %s --check-prefix=REDUCED

// int8: symmetric per column, scale max|w| / 127 (8/127, 2/127, 6/127),
// codes round(w / scale) in [-127, 127], row-major [K, N]:
// [16, -127, 11], [64, 16, -127], [-127, 64, 64], [32, -32, 32].
// INT8-LABEL: func.func @matmul
// INT8: %[[W:.*]] = whittle.constant dense_resource<whittle_int8_weight> : tensor<4x3xi8>
// INT8: %[[Z:.*]] = whittle.constant dense<0> : tensor<1x3xi8>
// INT8: %[[S:.*]] = whittle.constant dense<{{\[\[}}0.0629921257, 0.0157480314, 0.0472440943]]> : tensor<1x3xf32>
// INT8: whittle.quantized_matmul %arg0, %[[W]], %[[S]], %[[Z]] : (tensor<2x5x4xf32>, tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<2x5x3xf32>
// INT8: whittle_int8_weight: "0x4000000010810B40108181404020E020"

// Dynamic activations: per row, the range (widened to include 0) gives a
// scale and a uint8 zero point; the codes meet the weight in an exact
// integer matmul, scaled per row and then per column.
// DYN-LABEL: func.func @matmul
// DYN: %[[MAX:.*]] = whittle.reduce_max %arg0 {axes = array<i64: 2>} : (tensor<2x5x4xf32>) -> tensor<2x5x1xf32>
// DYN: %[[MIN:.*]] = whittle.reduce_min %arg0 {axes = array<i64: 2>}
// DYN: %[[RANGE:.*]] = whittle.sub
// DYN: %[[DIV:.*]] = whittle.div %[[RANGE]]
// DYN: %[[SCALE:.*]] = whittle.max %[[DIV]]
// DYN: %[[ZP:.*]] = whittle.quantize %{{.*}}, %[[SCALE]], %{{.*}} : (tensor<2x5x1xf32>, tensor<2x5x1xf32>, tensor<ui8>) -> tensor<2x5x1xui8>
// DYN: %[[Q:.*]] = whittle.quantize %arg0, %[[SCALE]], %[[ZP]] : (tensor<2x5x4xf32>, tensor<2x5x1xf32>, tensor<2x5x1xui8>) -> tensor<2x5x4xui8>
// DYN: %[[P:.*]] = whittle.integer_matmul %[[Q]], %{{.*}}, %[[ZP]], %{{.*}} : (tensor<2x5x4xui8>, tensor<4x3xi8>, tensor<2x5x1xui8>, tensor<i8>) -> tensor<2x5x3xi32>
// DYN: %[[F:.*]] = whittle.cast %[[P]] {to = f32}
// DYN: %[[R:.*]] = whittle.mul %[[F]], %[[SCALE]]
// DYN: whittle.mul %[[R]], %{{.*}} : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32>
// DYN-NOT: whittle.matmul

// int4 with K = 4 < 16: one (partial) group per column.
// reduce-range: scale max|w| / 63, codes in [-63, 63] (as the float scale
// rounds them): [8, -63, 5], [31, 8, -63], [-63, 31, 31], [16, -16, 16].
// REDUCED-LABEL: func.func @matmul
// REDUCED: whittle.constant dense<{{\[\[}}0.126984134, 0.0317460336, 0.095238097]]> : tensor<1x3xf32>
// REDUCED: whittle_int8_weight: "0x4000000008C1051F08C1C11F1F10F010"

// INT4-LABEL: func.func @matmul
// INT4: whittle.quantized_matmul %arg0, %{{.*}} {block_size = 16 : i64} : (tensor<2x5x4xf32>, tensor<4x3xui4>, tensor<1x3xf32>, tensor<1x3xui4>) -> tensor<2x5x3xf32>
func.func @matmul(%x: tensor<2x5x4xf32>) -> tensor<2x5x3xf32> {
  %w = whittle.constant dense<[[1.0, -2.0, 0.5], [4.0, 0.25, -6.0], [-8.0, 1.0, 3.0], [2.0, -0.5, 1.5]]> : tensor<4x3xf32>
  %y = whittle.matmul %x, %w : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// int4 in groups of 16 rows of K: per group and column a scale
// (max - min) / 15 over a range including 0 and a zero point; here rows
// 0-15 hold -1.5 (scale 0.1, zero point 15, codes 0) and rows 16-31 hold
// 3.0 (scale 0.2, zero point 0, codes 15). A gemm with trans_b is
// transposed at compile time and keeps its bias.
// INT4-LABEL: func.func @gemm_trans_b
// INT4-DAG: %[[Q:.*]] = whittle.constant dense_resource<whittle_int4_weight> : tensor<32x2xui4>
// INT4-DAG: %[[Z:.*]] = whittle.constant dense_resource<whittle_int4_zero_point> : tensor<2x2xui4>
// INT4-DAG: %[[S:.*]] = whittle.constant dense<{{\[\[}}1.000000e-01, 1.000000e-01], [2.000000e-01, 2.000000e-01]]> : tensor<2x2xf32>
// INT4: %[[P:.*]] = whittle.quantized_matmul %arg0, %[[Q]], %[[S]], %[[Z]] {block_size = 16 : i64} : (tensor<3x32xf32>, tensor<32x2xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<3x2xf32>
// INT4: whittle.add %[[P]], %arg1
// INT4: whittle_int4_weight: "0x4000000000000000000000000000000000000000000000000000000000000000000000000F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F"
// INT4: whittle_int4_zero_point: "0x400000000F0F0000"
// INT8-LABEL: func.func @gemm_trans_b
// INT8: whittle.quantized_matmul %arg0, %{{.*}} : (tensor<3x32xf32>, tensor<32x2xi8>, tensor<1x2xf32>, tensor<1x2xi8>) -> tensor<3x2xf32>
func.func @gemm_trans_b(%x: tensor<3x32xf32>, %c: tensor<2xf32>) -> tensor<3x2xf32> {
  %w = whittle.constant dense<[[-1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [-1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]]> : tensor<2x32xf32>
  %y = whittle.gemm %x, %w, %c {trans_b = true} : (tensor<3x32xf32>, tensor<2x32xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// An embedding table of 512 x 128 (at least 65536 elements): int8 rows
// (here every row max|w| = 0.5, codes 127) and a scale per row, both
// gathered, the rows dequantized after the gather. The position table of 4
// rows stays fp32 (too small for a scale per row).
// INT8-LABEL: func.func @embedding
// INT8-DAG: %[[Q:.*]] = whittle.constant dense_resource<whittle_int8_embedding> : tensor<512x128xi8>
// INT8-DAG: %[[S:.*]] = whittle.constant dense<0.00393700786> : tensor<512x1xf32>
// INT8: %[[G:.*]] = whittle.gather %[[Q]], %arg0 {axis = 0 : i64} : (tensor<512x128xi8>, tensor<1x6xi64>) -> tensor<1x6x128xi8>
// INT8: %[[GS:.*]] = whittle.gather %[[S]], %arg0 {axis = 0 : i64} : (tensor<512x1xf32>, tensor<1x6xi64>) -> tensor<1x6x1xf32>
// INT8: %[[F:.*]] = whittle.cast %[[G]] {to = f32}
// INT8: whittle.mul %[[F]], %[[GS]] : (tensor<1x6x128xf32>, tensor<1x6x1xf32>) -> tensor<1x6x128xf32>
// INT8: whittle.gather %{{.*}}, %arg1 {axis = 0 : i64} : (tensor<4x128xf32>, tensor<6xi64>) -> tensor<6x128xf32>
func.func @embedding(%ids: tensor<1x6xi64>, %pos: tensor<6xi64>) -> (tensor<1x6x128xf32>, tensor<6x128xf32>) {
  %table = whittle.constant dense<0.5> : tensor<512x128xf32>
  %wpe = whittle.constant dense<0.25> : tensor<4x128xf32>
  %0 = whittle.gather %table, %ids {axis = 0 : i64} : (tensor<512x128xf32>, tensor<1x6xi64>) -> tensor<1x6x128xf32>
  %1 = whittle.gather %wpe, %pos {axis = 0 : i64} : (tensor<4x128xf32>, tensor<6xi64>) -> tensor<6x128xf32>
  return %0, %1 : tensor<1x6x128xf32>, tensor<6x128xf32>
}
