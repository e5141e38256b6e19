// RUN: whittle-opt --whittle-tile-gpu-contractions --split-input-file %s | FileCheck %s

// A matrix-vector product has no operand reuse to stage.
// CHECK-LABEL: func.func @matvec
// CHECK-NOT: gpu.launch
// CHECK: linalg.matvec
func.func @matvec(%a: memref<64x64xf32>, %x: memref<64xf32>, %y: memref<64xf32>) {
  linalg.matvec ins(%a, %x : memref<64x64xf32>, memref<64xf32>) outs(%y : memref<64xf32>)
  return
}

// -----

// Integer contractions keep the thread-per-output path.
// CHECK-LABEL: func.func @integer
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
func.func @integer(%a: memref<64x64xi32>, %b: memref<64x64xi32>, %c: memref<64x64xi32>) {
  linalg.matmul ins(%a, %b : memref<64x64xi32>, memref<64x64xi32>) outs(%c : memref<64x64xi32>)
  return
}

// -----

// A reduction that is not a sum of products (a row maximum).
// CHECK-LABEL: func.func @row_max
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @row_max(%a: memref<64x64xf32>, %m: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x64xf32>) outs(%m : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.maximumf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A sum of squares: both factors vary along the same dimensions, so there
// is no N side.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @sum_of_squares(%a: memref<64x64xf32>, %m: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x64xf32>) outs(%m : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %sq = arith.mulf %x, %x : f32
    %r = arith.addf %acc, %sq : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A product scaled by the accumulator is not out + x * y.
// CHECK-LABEL: func.func @accumulator_in_factor
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @accumulator_in_factor(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %xa = arith.mulf %x, %acc : f32
    %p = arith.mulf %xa, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}
