// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// CHECK-LABEL: func.func @reshape
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
// Not expressible by one collapse or expand: through 1-D.
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
func.func @reshape(%a: tensor<2x3x4xf32>, %b: tensor<6x4xf32>) -> (tensor<6x4xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>) {
  %0 = whittle.reshape %a {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = whittle.reshape %b {shape = array<i64: 2, 3, 4>} : (tensor<6x4xf32>) -> tensor<2x3x4xf32>
  %2 = whittle.reshape %a {shape = array<i64: 4, 6>} : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
  return %0, %1, %2 : tensor<6x4xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK: %[[S:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<2x1x4xf32> into tensor<2x4xf32>
// CHECK: tensor.expand_shape %[[S]] {{\[}}[0, 1], [2, 3]] output_shape [1, 2, 1, 4] : tensor<2x4xf32> into tensor<1x2x1x4xf32>
func.func @squeeze_unsqueeze(%b: tensor<2x1x4xf32>) -> tensor<1x2x1x4xf32> {
  %0 = whittle.squeeze %b {axes = array<i64: 1>} : (tensor<2x1x4xf32>) -> tensor<2x4xf32>
  %1 = whittle.unsqueeze %0 {axes = array<i64: 0, 2>} : (tensor<2x4xf32>) -> tensor<1x2x1x4xf32>
  return %1 : tensor<1x2x1x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%a: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = whittle.transpose %a {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x4xf32>, %[[B:.*]]: tensor<2x1x4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x7x4xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0] [2, 3, 4] [1, 1, 1]
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[B]] into %[[I0]][0, 3, 0] [2, 1, 4] [1, 1, 1]
// CHECK: tensor.insert_slice %[[A]] into %[[I1]][0, 4, 0] [2, 3, 4] [1, 1, 1]
func.func @concat(%a: tensor<2x3x4xf32>, %b: tensor<2x1x4xf32>) -> tensor<2x7x4xf32> {
  %0 = whittle.concat %a, %b, %a {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32>) -> tensor<2x7x4xf32>
  return %0 : tensor<2x7x4xf32>
}

// -----

// CHECK-LABEL: func.func @split
// CHECK: %[[S0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0] [2, 2, 4] [1, 1, 1] : tensor<2x3x4xf32> to tensor<2x2x4xf32>
// CHECK: %[[S1:.*]] = tensor.extract_slice %{{.*}}[0, 2, 0] [2, 1, 4] [1, 1, 1] : tensor<2x3x4xf32> to tensor<2x1x4xf32>
// CHECK: return %[[S0]], %[[S1]]
func.func @split(%a: tensor<2x3x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x1x4xf32>) {
  %0:2 = whittle.split %a {axis = 1 : i64, sizes = array<i64: 2, 1>} : (tensor<2x3x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x1x4xf32>)
  return %0#0, %0#1 : tensor<2x2x4xf32>, tensor<2x1x4xf32>
}

// -----

// An empty piece at the end becomes an empty tensor, not an out-of-bounds
// extract_slice.
// CHECK-LABEL: func.func @split_empty_piece
// CHECK: %[[S0:.*]] = tensor.extract_slice %{{.*}}[0, 0] [2, 3] [1, 1]
// CHECK-NOT: tensor.extract_slice
// CHECK: %[[S1:.*]] = tensor.empty() : tensor<2x0xf32>
// CHECK: return %[[S0]], %[[S1]]
func.func @split_empty_piece(%a: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x0xf32>) {
  %0:2 = whittle.split %a {axis = 1 : i64, sizes = array<i64: 3, 0>} : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x0xf32>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x0xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK: tensor.extract_slice %{{.*}}[1, 0] [2, 2] [1, 2] : tensor<3x4xf32> to tensor<2x2xf32>
// CHECK-NOT: linalg.generic
func.func @slice(%a: tensor<3x4xf32>) -> tensor<2x2xf32> {
  %0 = whittle.slice %a {starts = array<i64: 1, 0>, sizes = array<i64: 2, 2>, steps = array<i64: 1, 2>} : (tensor<3x4xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// A negative step reads with the positive stride, then reverses in the map.
// CHECK-DAG: #[[$REV:.*]] = affine_map<(d0, d1, d2) -> (d0, -d1 + 1, -d2 + 1)>
// CHECK-LABEL: func.func @slice_negative_step
// CHECK: %[[S:.*]] = tensor.extract_slice %{{.*}}[0, 1, 1] [2, 2, 2] [1, 1, 2] : tensor<2x3x4xf32> to tensor<2x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$REV]], #{{.*}}]
// CHECK-SAME: ins(%[[S]] : tensor<2x2x2xf32>)
func.func @slice_negative_step(%a: tensor<2x3x4xf32>) -> tensor<2x2x2xf32> {
  %0 = whittle.slice %a {starts = array<i64: 0, 2, 3>, sizes = array<i64: 2, 2, 2>, steps = array<i64: 1, -1, -2>} : (tensor<2x3x4xf32>) -> tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}

// -----

// CHECK-DAG: #[[$IDX:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[DATA:.*]]: tensor<4x5xf32>, %[[IDS:.*]]: tensor<2x3xi64>)
// CHECK: linalg.generic {indexing_maps = [#[[$IDX]], #{{.*}}]
// CHECK-SAME: ins(%[[IDS]] : tensor<2x3xi64>) outs(%{{.*}} : tensor<4x2x3xf32>)
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[I:.*]] = arith.index_cast %[[IN]] : i64 to index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[I]], %[[C0]]
// CHECK: %[[ADD:.*]] = arith.addi %[[I]], %[[C5]]
// CHECK: %[[W:.*]] = arith.select %[[NEG]], %[[ADD]], %[[I]]
// CHECK: %[[LO:.*]] = arith.maxsi %[[W]], %[[C0]]
// CHECK: %[[CL:.*]] = arith.minsi %[[LO]], %[[C4]]
// CHECK: %[[D0:.*]] = linalg.index 0
// CHECK: tensor.extract %[[DATA]][%[[D0]], %[[CL]]] : tensor<4x5xf32>
func.func @gather(%data: tensor<4x5xf32>, %ids: tensor<2x3xi64>) -> tensor<4x2x3xf32> {
  %0 = whittle.gather %data, %ids {axis = 1 : i64} : (tensor<4x5xf32>, tensor<2x3xi64>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// CHECK-DAG: #[[$BC:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, d3)>
// CHECK-LABEL: func.func @expand
// CHECK: linalg.generic {indexing_maps = [#[[$BC]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}} : tensor<2x1x4xf32>) outs(%{{.*}} : tensor<3x2x3x4xf32>)
func.func @expand(%b: tensor<2x1x4xf32>) -> tensor<3x2x3x4xf32> {
  %0 = whittle.expand %b {shape = array<i64: 3, 2, 3, 4>} : (tensor<2x1x4xf32>) -> tensor<3x2x3x4xf32>
  return %0 : tensor<3x2x3x4xf32>
}

// -----

// Weights keep their resource blob; nothing is copied.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: arith.constant dense_resource<weight> : tensor<2x2xf32>
// CHECK-DAG: arith.constant dense<0.000000e+00> : tensor<2x3xf32>
// CHECK-DAG: arith.constant dense<[3, 4]> : tensor<2xi64>
func.func @constants(%x: tensor<5x3x4xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<2xi64>) {
  %w = whittle.constant dense_resource<weight> : tensor<2x2xf32>
  %sh = whittle.constant dense<[2, 3]> : tensor<2xi64>
  %z = whittle.constant_of_shape %sh {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<2x3xf32>
  %s = whittle.shape %x {start = 1 : i64} : (tensor<5x3x4xf32>) -> tensor<2xi64>
  return %w, %z, %s : tensor<2x2xf32>, tensor<2x3xf32>, tensor<2xi64>
}

{-#
  dialect_resources: {
    builtin: {
      weight: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @range
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[D:.*]]: tensor<f32>)
// CHECK-DAG: %[[START:.*]] = tensor.extract %[[S]][]
// CHECK-DAG: %[[DELTA:.*]] = tensor.extract %[[D]][]
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[F:.*]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK: %[[M:.*]] = arith.mulf %[[F]], %[[DELTA]]
// CHECK: arith.addf %[[START]], %[[M]]
func.func @range(%s: tensor<f32>, %d: tensor<f32>) -> tensor<4xf32> {
  %l = whittle.constant dense<4.0> : tensor<f32>
  %0 = whittle.range %s, %l, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// GatherElements: one element per index, the index (wrapped, clamped) in
// place of the axis coordinate and the other coordinates the result's own.
// CHECK-LABEL: func.func @gather_elements
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<2x4xi64>)
// CHECK: %[[I:.*]] = arith.index_cast
// CHECK: %[[W:.*]] = arith.select
// CHECK: %[[C:.*]] = arith.minsi
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[C]], %[[J]]] : tensor<3x4xf32>
func.func @gather_elements(%d: tensor<3x4xf32>, %i: tensor<2x4xi64>) -> tensor<2x4xf32> {
  %0 = whittle.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x4xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
