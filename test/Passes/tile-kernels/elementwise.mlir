// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256}),canonicalize,cse)' \
// RUN:   | FileCheck %s

// An elementwise chain (bias add + relu): one task per row, 32 lanes (four
// 8-wide vectors) per step along the 768 columns.

// CHECK-LABEL: func.func @bias_relu
// CHECK:       scf.forall (%[[I:.*]]) in (128)
// CHECK:         scf.for %[[J:.*]] = %c0 to %c768 step %c32
// CHECK:           vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK:           vector.transfer_read {{.*}} : tensor<32xf32>, vector<1x32xf32>
// CHECK:           arith.addf {{.*}} : vector<1x32xf32>
// CHECK:           arith.maximumf {{.*}} : vector<1x32xf32>
// CHECK:           vector.transfer_write {{.*}} : vector<1x32xf32>, tensor<1x32xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_relu(%x: tensor<128x768xf32>, %b: tensor<768xf32>) -> tensor<128x768xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x768xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<128x768xf32>, tensor<768xf32>) outs(%e : tensor<128x768xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<128x768xf32>
  return %r : tensor<128x768xf32>
}

// -----

// A row sum (softmax / layer norm denominator): rows in parallel, the
// reduction in vector steps.

// CHECK-LABEL: func.func @row_sum
// CHECK:       scf.forall (%{{.*}}) in (12, 128)
// CHECK:         scf.for {{.*}} to %c128 step %c32
// CHECK:           vector.transfer_read {{.*}} vector<1x1x32xf32>
// CHECK:           vector.multi_reduction <add>, {{.*}} [2] : vector<1x1x32xf32> to vector<1x1xf32>
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @row_sum(%x: tensor<12x128x128xf32>) -> tensor<12x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x128xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<12x128xf32>) -> tensor<12x128xf32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<12x128x128xf32>) outs(%f : tensor<12x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<12x128xf32>
  return %r : tensor<12x128xf32>
}
