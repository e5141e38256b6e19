// RUN: whittle-opt --whittle-tile-gpu-reductions --split-input-file %s | FileCheck %s

// Rows shorter than 64 stay with one thread each.
// CHECK-LABEL: func.func @short_rows
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @short_rows(%a: memref<512x16xf32>, %m: memref<512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<512x16xf32>) outs(%m : memref<512xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Subtraction is not associative.
// CHECK-LABEL: func.func @subtract
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @subtract(%a: memref<8x128xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x128xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.subf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The accumulator used twice (a running value that is not a plain fold).
// CHECK-LABEL: func.func @accumulator_reused
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @accumulator_reused(%a: memref<8x128xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x128xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.mulf %acc, %x : f32
    %r = arith.addf %acc, %s : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Integer reductions keep the loop path.
// CHECK-LABEL: func.func @integer_sum
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @integer_sum(%a: memref<8x128xi32>, %m: memref<8xi32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x128xi32>) outs(%m : memref<8xi32>) {
  ^bb0(%x: i32, %acc: i32):
    %r = arith.addi %acc, %x : i32
    linalg.yield %r : i32
  }
  return
}
