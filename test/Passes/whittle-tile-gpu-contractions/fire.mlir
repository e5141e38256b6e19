// RUN: whittle-opt --whittle-tile-gpu-contractions --cse --split-input-file %s | FileCheck %s

// A matmul whose sizes are not multiples of the tile: 64 x 64 output tiles
// (grid 2 x 2), 256 threads, two workgroup tiles of 16 x 64 and 16
// accumulators per thread; staged slices are guarded against M, N and K,
// and every BK = 16 slice is bracketed by barriers.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[C2]], %{{[a-z0-9_]+}} = %[[C2]], %{{[a-z0-9_]+}} = %[[C1]])
// CHECK-SAME: threads(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[C256]],
// CHECK-SAME: workgroup(%[[X:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[Y:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%[[ACC:.*]] : memref<16xf32, #gpu.address_space<private>>)
// CHECK: scf.for %[[K0:.*]] = %{{[a-z0-9_]+}} to %{{[a-z0-9_]+}} step %{{[a-z0-9_]+}} {
// CHECK: memref.store %{{[a-z0-9_]+}}, %[[X]]
// CHECK: memref.store %{{[a-z0-9_]+}}, %[[Y]]
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[Y]]
// CHECK: math.fma
// CHECK: gpu.barrier
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<100x40xf32>, %b: memref<40x70xf32>, %c: memref<100x70xf32>) {
  linalg.matmul ins(%a, %b : memref<100x40xf32>, memref<40x70xf32>) outs(%c : memref<100x70xf32>)
  return
}

// -----

// What elementwise fusion leaves: a layer norm computed inside the x
// operand, rows over two dimensions (batch 2 x 16 positions, linearized to
// M = 32, so 32 x 32 tiles with 2 x 2 outputs per thread), the weight
// indexed [K, N]. The prologue is evaluated while staging x.
// CHECK-LABEL: func.func @fused_prologue
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[X:.*]] : memref<16x32xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<16x32xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%{{[a-z0-9_]+}} : memref<4xf32, #gpu.address_space<private>>)
// CHECK: scf.for
// CHECK: scf.if
// CHECK: arith.subf
// CHECK: memref.store %{{[a-z0-9_]+}}, %[[X]]
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#mean = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0)>
#w = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @fused_prologue(%x: memref<2x16x64xf32>, %mean: memref<2x16x1xf32>, %w: memref<64x96xf32>, %o: memref<2x16x96xf32>) {
  linalg.generic {indexing_maps = [#x, #mean, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %mean, %w : memref<2x16x64xf32>, memref<2x16x1xf32>, memref<64x96xf32>) outs(%o : memref<2x16x96xf32>) {
  ^bb0(%a: f32, %m: f32, %b: f32, %acc: f32):
    %centered = arith.subf %a, %m : f32
    %p = arith.mulf %centered, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Attention's scores: batch dims (2 x 4 heads) on the grid's z axis, keys
// transposed by the indexing map, 16 x 16 tiles for 16 x 16 matrices.
// CHECK-LABEL: func.func @batched_transposed
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: gpu.launch blocks(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} = %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} = %[[C8]])
// CHECK-SAME: private(%{{[a-z0-9_]+}} : memref<1xf32, #gpu.address_space<private>>)
#q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @batched_transposed(%q: memref<2x4x16x16xf32>, %k: memref<2x4x16x16xf32>, %s: memref<2x4x16x16xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<2x4x16x16xf32>, memref<2x4x16x16xf32>) outs(%s : memref<2x4x16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}
