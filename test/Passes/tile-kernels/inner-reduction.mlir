// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32}),canonicalize,cse)' \
// RUN:   | FileCheck %s

// A row maximum (the range of a dynamically quantized activation): each row
// is one task whose K loop keeps 32 partial maxima in a vector iter_arg, and
// one horizontal reduction after the loop merges them with the init.
// CHECK-LABEL: func.func @row_max
// CHECK:       scf.forall (%[[ROW:.*]]) in (8)
// CHECK:         %[[PARTIAL:.*]] = scf.for %[[K:.*]] = %c0 to %c768 step %c32 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<1x32xf32>)
// CHECK-NEXT:      %[[X:.*]] = vector.transfer_read %arg0[%[[ROW]], %[[K]]]{{.*}} : tensor<8x768xf32>, vector<1x32xf32>
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[X]], %[[ACC]] : vector<1x32xf32>
// CHECK-NEXT:      scf.yield %[[M]] : vector<1x32xf32>
// CHECK:         vector.multi_reduction <maximumf>, %[[PARTIAL]], %{{.*}} [1] : vector<1x32xf32> to vector<1xf32>
func.func @row_max(%x: tensor<8x768xf32>) -> tensor<8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x768xf32>) outs(%f : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// The minimum of a whole vector (no outer dims): the same loop, no forall.
// CHECK-LABEL: func.func @all_min
// CHECK-NOT:   scf.forall
// CHECK:       %[[PARTIAL:.*]] = scf.for {{.*}} step %c32 iter_args({{.*}}) -> (vector<32xf32>)
// CHECK:         arith.minimumf {{.*}} : vector<32xf32>
// CHECK:       vector.multi_reduction <minimumf>, %[[PARTIAL]], %{{.*}} [0] : vector<32xf32> to f32
func.func @all_min(%x: tensor<128xf32>) -> tensor<f32> {
  %inf = arith.constant 0x7F800000 : f32
  %e = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%inf : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : tensor<128xf32>) outs(%f : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.minimumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A float sum depends on its order: it keeps the one it had, each step of 32
// reduced across lanes into the running total, so that results do not move
// by an ulp (a dynamically quantized model rounds after its layer norms).
// CHECK-LABEL: func.func @row_sum
// CHECK:       scf.forall
// CHECK:         scf.for {{.*}} step %c32 iter_args(%{{.*}} = %{{.*}}) -> (tensor<1xf32>)
// CHECK:           vector.multi_reduction <add>, {{.*}} [1] : vector<1x32xf32> to vector<1xf32>
// CHECK-NOT:     -> (vector<1x32xf32>)
func.func @row_sum(%x: tensor<8x768xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x768xf32>) outs(%f : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}
