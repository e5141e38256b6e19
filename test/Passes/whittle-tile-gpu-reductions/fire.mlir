// RUN: whittle-opt --whittle-tile-gpu-reductions --cse --split-input-file %s | FileCheck %s

// A softmax's exponential sum (the row maximum fused in as an input): one
// block per row (2 x 4 x 16 = 128 rows), 128 threads for 100-wide rows;
// strided shares, then a 7-level tree through workgroup memory with a
// barrier per level, then thread 0 adds the row to the output.
// CHECK-LABEL: func.func @exp_sum
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C100:.*]] = arith.constant 100 : index
// CHECK: gpu.launch blocks(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[C128]], %{{[a-z0-9_]+}} = %[[C1]], %{{[a-z0-9_]+}} = %[[C1]])
// CHECK-SAME: threads(%[[TX:[a-z0-9_]+]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[C128]],
// CHECK-SAME: workgroup(%[[P:.*]] : memref<128xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[ZERO:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: %[[SHARE:.*]] = scf.for %{{.*}} = %[[TX]] to %[[C100]] step %[[C128]] iter_args(%[[S:.*]] = %[[ZERO]]) -> (f32) {
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf %[[S]]
// CHECK: memref.store %[[SHARE]], %[[P]][%[[TX]]]
// CHECK-NEXT: gpu.barrier
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C7:.*]] = arith.constant 7 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C7]] step %[[C1]] {
// CHECK: scf.if
// CHECK: arith.addf
// CHECK: gpu.barrier
// CHECK: arith.cmpi eq, %[[TX]], %[[C0]]
// CHECK: memref.load %[[P]][%[[C0]]]
// CHECK-NOT: linalg.generic
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#red = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @exp_sum(%s: memref<2x4x16x100xf32>, %m: memref<2x4x16xf32>, %sum: memref<2x4x16xf32>) {
  linalg.generic {indexing_maps = [#row, #red, #red], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %m : memref<2x4x16x100xf32>, memref<2x4x16xf32>) outs(%sum : memref<2x4x16xf32>) {
  ^bb0(%x: f32, %max: f32, %acc: f32):
    %d = arith.subf %x, %max : f32
    %e = math.exp %d : f32
    %r = arith.addf %acc, %e : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A row maximum, identity -inf, 256 threads for 768-wide rows.
// CHECK-LABEL: func.func @row_max
// CHECK: threads(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %c256,
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
func.func @row_max(%a: memref<8x768xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x768xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.maximumf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A matrix-vector product (a decode step's projection): one block per
// output, the product evaluated in each thread's share.
// CHECK-LABEL: func.func @matvec
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matvec(%a: memref<64x512xf32>, %x: memref<512xf32>, %y: memref<64xf32>) {
  linalg.matvec ins(%a, %x : memref<64x512xf32>, memref<512xf32>) outs(%y : memref<64xf32>)
  return
}
