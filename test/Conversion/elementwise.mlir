// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// Broadcasting is in the indexing maps; nothing is materialized.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<1x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x3xf32>, tensor<1x3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK: arith.addf
// CHECK-NOT: whittle.
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %0 = whittle.add %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-DAG: #[[$TRAIL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @int_ops
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$TRAIL]], #{{.*}}]
// CHECK: arith.divsi
// CHECK: linalg.generic
// CHECK-NOT: math.ipowi
// CHECK: arith.shrui
// CHECK: linalg.generic
// CHECK: arith.muli
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: linalg.generic
// CHECK: math.absi
// CHECK: linalg.generic
// CHECK: arith.minsi
func.func @int_ops(%a: tensor<2x3xi32>, %b: tensor<3xi32>) -> tensor<2x3xi32> {
  %0 = whittle.div %a, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  %1 = whittle.pow %0, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  %2 = whittle.mul %1, %a : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  %3 = whittle.sub %2, %a : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  %4 = whittle.abs %3 : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %5 = whittle.min %4, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  return %5 : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func.func @float_unary
// CHECK: math.sqrt
// CHECK: arith.constant 1.0{{.*}} : f32
// CHECK-NEXT: arith.divf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: arith.maximumf
// CHECK: arith.negf
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @float_unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = whittle.sqrt %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = whittle.reciprocal %0 : (tensor<4xf32>) -> tensor<4xf32>
  %2 = whittle.exp %1 : (tensor<4xf32>) -> tensor<4xf32>
  %3 = whittle.log %2 : (tensor<4xf32>) -> tensor<4xf32>
  %4 = whittle.erf %3 : (tensor<4xf32>) -> tensor<4xf32>
  %5 = whittle.tanh %4 : (tensor<4xf32>) -> tensor<4xf32>
  %6 = whittle.sigmoid %5 : (tensor<4xf32>) -> tensor<4xf32>
  %7 = whittle.relu %6 : (tensor<4xf32>) -> tensor<4xf32>
  %8 = whittle.neg %7 : (tensor<4xf32>) -> tensor<4xf32>
  %9 = whittle.abs %8 : (tensor<4xf32>) -> tensor<4xf32>
  %10 = whittle.clip %9 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return %10 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_erf
// CHECK: linalg.generic
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[RSQRT2:.*]] = arith.constant 0.707106769 : f32
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %[[RSQRT2]]
// CHECK: %[[E:.*]] = math.erf %[[S]]
// CHECK: %[[HX:.*]] = arith.mulf %[[HALF]], %{{.*}}
// CHECK: %[[P:.*]] = arith.addf %[[ONE]], %[[E]]
// CHECK: arith.mulf %[[HX]], %[[P]]
func.func @gelu_erf(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = whittle.gelu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// f16 gelu computes in f32.
// CHECK-LABEL: func.func @gelu_tanh_f16
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f16):
// CHECK: arith.extf %[[IN]] : f16 to f32
// CHECK: arith.constant 4.471500e-02 : f32
// CHECK: math.tanh
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @gelu_tanh_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = whittle.gelu %x {tanh_approximation = true} : (tensor<4xf16>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// CHECK-LABEL: func.func @compare_where
// CHECK: arith.cmpf olt
// CHECK: arith.cmpi sge
// CHECK: arith.xori
// CHECK: arith.andi
// CHECK: arith.ori
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>)
// CHECK: arith.select
func.func @compare_where(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<2x3xi64>, %j: tensor<1x1xi64>) -> tensor<2x3xf32> {
  %0 = whittle.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %1 = whittle.greater_equal %i, %j : (tensor<2x3xi64>, tensor<1x1xi64>) -> tensor<2x3xi1>
  %2 = whittle.not %1 : (tensor<2x3xi1>) -> tensor<2x3xi1>
  %3 = whittle.and %0, %2 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %4 = whittle.or %3, %0 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %5 = whittle.where %4, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// -----

// Float min/max propagate NaN as ONNX requires.
// CHECK-LABEL: func.func @min_max
// CHECK: arith.minimumf
// CHECK: arith.maximumf
func.func @min_max(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = whittle.min %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = whittle.max %0, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @pow
// CHECK: math.powf
// A constant exponent of 2 is a multiplication.
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{[^,]*}} : tensor<4xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[X]], %[[X]]
func.func @pow(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = whittle.pow %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %two = whittle.constant dense<2.0> : tensor<f32>
  %1 = whittle.pow %0, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: arith.extsi %{{.*}} : i8 to i64
// CHECK: arith.cmpi ne
// CHECK: arith.uitofp %{{.*}} : i1 to f16
// CHECK: arith.extf %{{.*}} : f16 to f64
// CHECK: arith.cmpf une
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.trunci %{{.*}} : i64 to i16
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xf32>, tensor<4xi16>) {
  %0 = whittle.cast %x {to = i8} : (tensor<4xf32>) -> tensor<4xi8>
  %1 = whittle.cast %0 {to = i64} : (tensor<4xi8>) -> tensor<4xi64>
  %2 = whittle.cast %1 {to = i1} : (tensor<4xi64>) -> tensor<4xi1>
  %3 = whittle.cast %2 {to = f16} : (tensor<4xi1>) -> tensor<4xf16>
  %4 = whittle.cast %3 {to = f64} : (tensor<4xf16>) -> tensor<4xf64>
  %5 = whittle.cast %4 {to = i1} : (tensor<4xf64>) -> tensor<4xi1>
  %6 = whittle.cast %1 {to = f32} : (tensor<4xi64>) -> tensor<4xf32>
  %7 = whittle.cast %1 {to = i16} : (tensor<4xi64>) -> tensor<4xi16>
  return %5, %6, %7 : tensor<4xi1>, tensor<4xf32>, tensor<4xi16>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: %[[D:.*]] = arith.subi %[[J]], %[[I]]
// CHECK: %[[K:.*]] = arith.constant -1 : index
// CHECK: %[[KEEP:.*]] = arith.cmpi sle, %[[D]], %[[K]]
// CHECK: arith.select %[[KEEP]]
func.func @trilu(%x: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %0 = whittle.trilu %x {k = -1 : i64, upper = false} : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  return %0 : tensor<2x3x3xf32>
}
