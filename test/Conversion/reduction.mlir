// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$KEEP1:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$KEEP1]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[ACC]] : tensor<3xf32>)
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1, 2]] output_shape [1, 3, 1] : tensor<3xf32> into tensor<1x3x1xf32>
func.func @reduce_sum(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %0 = whittle.reduce_sum %x {axes = array<i64: 0, 2>} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_mean
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK: arith.constant 4.000000e+00 : f32
// CHECK: arith.divf
// CHECK-NOT: tensor.expand_shape
func.func @reduce_mean(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %0 = whittle.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_max
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: arith.constant -2147483648 : i32
// CHECK: arith.maxsi
func.func @reduce_max(%x: tensor<3x4xf32>, %y: tensor<3x4xi32>) -> (tensor<3x1xf32>, tensor<1x4xi32>) {
  %0 = whittle.reduce_max %x {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %1 = whittle.reduce_max %y {axes = array<i64: 0>} : (tensor<3x4xi32>) -> tensor<1x4xi32>
  return %0, %1 : tensor<3x1xf32>, tensor<1x4xi32>
}

// -----

// CHECK-LABEL: func.func @reduce_no_axes
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reduce_no_axes(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = whittle.reduce_sum %x {axes = array<i64>} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// max, exp(x - max), sum, divide.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$ROWS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: arith.maximumf
// CHECK: %[[EXP:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]], #[[$ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[EXP]] :
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]], #[[$ID]]]
// CHECK-SAME: ins(%[[EXP]], %[[SUM]] :
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %0 = whittle.softmax %x {axis = 1 : i64} : (tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----

// f16 softmax exponentiates and sums in f32.
// CHECK-LABEL: func.func @softmax_f16
// CHECK: arith.maximumf %{{.*}} : f16
// CHECK: arith.extf
// CHECK: math.exp %{{.*}} : f32
// CHECK: -> tensor<2x8xf32>
// CHECK: arith.truncf
func.func @softmax_f16(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  %0 = whittle.softmax %x {axis = 1 : i64} : (tensor<2x8xf16>) -> tensor<2x8xf16>
  return %0 : tensor<2x8xf16>
}

// -----

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$STAT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf16>, %[[S:.*]]: tensor<8xf16>, %[[B:.*]]: tensor<8xf16>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$STAT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.extf
// CHECK: %[[MEAN:.*]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<2x3xf32>)
// CHECK: arith.constant 8.000000e+00 : f32
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$STAT]], #[[$STAT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]] :
// CHECK: %[[RSTD:.*]] = linalg.generic
// CHECK-SAME: ins(%[[SQ]] : tensor<2x3xf32>)
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: math.rsqrt
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$STAT]], #[[$STAT]], #[[$LAST]], #[[$LAST]], #[[$ID]]]
// CHECK-SAME: ins(%[[X]], %[[MEAN]], %[[RSTD]], %[[S]], %[[B]] :
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @layer_norm(%x: tensor<2x3x8xf16>, %s: tensor<8xf16>, %b: tensor<8xf16>) -> tensor<2x3x8xf16> {
  %0 = whittle.layer_norm %x, %s, %b {axis = 2 : i64} : (tensor<2x3x8xf16>, tensor<8xf16>, tensor<8xf16>) -> tensor<2x3x8xf16>
  return %0 : tensor<2x3x8xf16>
}

// -----

// CumSum as a masked reduction over a second copy of the axis (d2): the
// reverse exclusive form adds input[j] for j > i.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum_reverse_exclusive
// CHECK: linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[I:.*]] = linalg.index 1
// CHECK: %[[J:.*]] = linalg.index 2
// CHECK: %[[ADMIT:.*]] = arith.cmpi ugt, %[[J]], %[[I]]
// CHECK: arith.select %[[ADMIT]]
// CHECK: arith.addi
func.func @cumsum_reverse_exclusive(%x: tensor<2x5xi64>) -> tensor<2x5xi64> {
  %0 = whittle.cumsum %x {axis = 1 : i64, exclusive = true, reverse = true} : (tensor<2x5xi64>) -> tensor<2x5xi64>
  return %0 : tensor<2x5xi64>
}
