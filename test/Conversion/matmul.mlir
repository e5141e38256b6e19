// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// CHECK-LABEL: func.func @matmul_2d
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x5xf32>) outs(%[[FILL]] : tensor<3x5xf32>)
func.func @matmul_2d(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = whittle.matmul %a, %b : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// A batched activation times a weight folds the batch into the rows.
// CHECK-LABEL: func.func @matmul_projection
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[FLAT]], %{{.*}} : tensor<6x4xf32>, tensor<4x5xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
func.func @matmul_projection(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = whittle.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_batch
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x4x3x8xf32> into tensor<8x3x8xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x4x8x3xf32> into tensor<8x8x3xf32>
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x3x8xf32>, tensor<8x8x3xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3]] output_shape [2, 4, 3, 3]
func.func @matmul_batch(%a: tensor<2x4x3x8xf32>, %b: tensor<2x4x8x3xf32>) -> tensor<2x4x3x3xf32> {
  %0 = whittle.matmul %a, %b : (tensor<2x4x3x8xf32>, tensor<2x4x8x3xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// Broadcast batch dims read index 0 in the operand maps.
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_broadcast(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  %0 = whittle.matmul %a, %b : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %0 : tensor<2x5x3x6xf32>
}

// -----

// 1-D operands are promoted to matrices and the unit dim dropped again.
// CHECK-LABEL: func.func @matmul_vectors
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xi8> into tensor<4x1xi8>
// CHECK: arith.constant 0 : i8
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xi8>, tensor<4x1xi8>) outs(%{{.*}} : tensor<3x1xi8>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<3x1xi8> into tensor<3xi8>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x4xi8>, tensor<4x1xi8>)
// CHECK: tensor.collapse_shape %{{.*}} [] : tensor<1x1xi8> into tensor<i8>
func.func @matmul_vectors(%m: tensor<3x4xi8>, %v: tensor<4xi8>) -> (tensor<3xi8>, tensor<i8>) {
  %0 = whittle.matmul %m, %v : (tensor<3x4xi8>, tensor<4xi8>) -> tensor<3xi8>
  %1 = whittle.matmul %v, %v : (tensor<4xi8>, tensor<4xi8>) -> tensor<i8>
  return %0, %1 : tensor<3xi8>, tensor<i8>
}

// -----

// Transposes fold into the matmul indexing maps; alpha and beta * C are an
// epilogue generic with C broadcast.
// CHECK-DAG: #[[$AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @gemm_trans_alpha_beta
// CHECK: %[[P:.*]] = linalg.matmul indexing_maps = [#[[$AT]], #[[$BT]], #[[$MN]]] ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<5x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$C]], #{{.*}}]
// CHECK-SAME: ins(%[[P]], %{{.*}} : tensor<3x5xf32>, tensor<5xf32>)
// CHECK: arith.constant 2.000000e+00
// CHECK: arith.mulf
// CHECK: arith.constant 5.000000e-01
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @gemm_trans_alpha_beta(%a: tensor<4x3xf32>, %b: tensor<5x4xf32>, %c: tensor<5xf32>) -> tensor<3x5xf32> {
  %0 = whittle.gemm %a, %b, %c {trans_a = true, trans_b = true, alpha = 2.0 : f64, beta = 0.5 : f64} : (tensor<4x3xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// With alpha == 1 the product accumulates into the broadcast C.
// CHECK-DAG: #[[$CCOL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @gemm_accumulate_c
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[$CCOL]], #{{.*}}]
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x5xf32>) outs(%[[INIT]] : tensor<3x5xf32>)
func.func @gemm_accumulate_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3x1xf32>) -> tensor<3x5xf32> {
  %0 = whittle.gemm %a, %b, %c : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @conv
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 2] high[0, 0, 1, 2]
// CHECK: %[[BIAS:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<8xf32>) outs(%{{.*}} : tensor<1x8x5x3xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
// CHECK-SAME: ins(%[[PAD]], %{{.*}} : tensor<1x3x7x9xf32>, tensor<8x3x3x3xf32>) outs(%[[BIAS]] : tensor<1x8x5x3xf32>)
func.func @conv(%x: tensor<1x3x5x5xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x5x3xf32> {
  %0 = whittle.conv %x, %w, %b {strides = array<i64: 1, 2>, dilations = array<i64: 1, 2>, pads = array<i64: 1, 2, 1, 2>} : (tensor<1x3x5x5xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x5x3xf32>
  return %0 : tensor<1x8x5x3xf32>
}

// -----

// CHECK-LABEL: func.func @conv_groups
// CHECK-NOT: tensor.pad
// CHECK: linalg.fill
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 5, 5] : tensor<1x4x5x5xf32> into tensor<1x2x2x5x5xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x3x3x3xf32> into tensor<1x6x3x3xf32>
func.func @conv_groups(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %0 = whittle.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}
