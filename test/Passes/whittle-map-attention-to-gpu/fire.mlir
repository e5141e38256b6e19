// RUN: whittle-opt --whittle-map-attention-to-gpu --cse --split-input-file %s | FileCheck %s

// Causal grouped-query attention with a key-padding mask: one block per
// (64-query block, query head, batch) = (2, 4, 2), 64 threads; K and V rows
// staged per 64-key block in shared memory, q, the output accumulator and
// the block's scores private; the key loop stops at the block's last
// diagonal and carries the running maximum and sum; key/value head h / 2;
// the mask read at [b, 0, 0, key].
// CHECK-LABEL: func.func @causal_gqa
// CHECK-DAG: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG: %[[M:.*]] = bufferization.to_buffer %arg3 read_only
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4x100x16xf32>
// CHECK: gpu.launch blocks(%{{[a-z0-9_]+}}, %[[HEAD:[a-z0-9_]+]], %[[BAT:[a-z0-9_]+]]) in (%{{[a-z0-9_]+}} = %c2, %{{[a-z0-9_]+}} = %c4, %{{[a-z0-9_]+}} = %c2)
// CHECK-SAME: threads(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %c64,
// CHECK-SAME: workgroup(%[[KT:.*]] : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[VT:.*]] : memref<64x16xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%{{.*}} : memref<16xf32, #gpu.address_space<private>>, %{{.*}} : memref<16xf32, #gpu.address_space<private>>, %{{.*}} : memref<64xf32, #gpu.address_space<private>>)
// CHECK: %[[KV:.*]] = arith.divui %[[HEAD]], %c2
// CHECK: %[[END:.*]] = arith.minui
// CHECK: scf.for %{{.*}} = %c0 to %[[END]] step %c64 iter_args(%{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32)
// CHECK: memref.store %{{.*}}, %[[KT]]
// CHECK: memref.store %{{.*}}, %[[VT]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[M]][%[[BAT]], %c0, %c0,
// CHECK: math.exp
// CHECK: gpu.barrier
// CHECK: arith.divf
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: whittle.attention
func.func @causal_gqa(%q: tensor<2x4x100x16xf32>, %k: tensor<2x2x100x16xf32>, %v: tensor<2x2x100x16xf32>, %m: tensor<2x1x1x100xf32>) -> tensor<2x4x100x16xf32> {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.25 : f64, causal = true} : (tensor<2x4x100x16xf32>, tensor<2x2x100x16xf32>, tensor<2x2x100x16xf32>, tensor<2x1x1x100xf32>) -> tensor<2x4x100x16xf32>
  return %0 : tensor<2x4x100x16xf32>
}

// -----

// Wide heads: 64-key blocks of 128 + 128 floats would overflow 32 KiB of
// shared memory, so the key blocks shrink to 32.
// CHECK-LABEL: func.func @wide_heads
// CHECK: workgroup(%{{.*}} : memref<32x128xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<32x128xf32, #gpu.address_space<workgroup>>)
func.func @wide_heads(%q: tensor<1x2x8x128xf32>, %k: tensor<1x2x8x128xf32>, %v: tensor<1x2x8x128xf32>) -> tensor<1x2x8x128xf32> {
  %0 = whittle.attention %q, %k, %v {scale = 0.125 : f64} : (tensor<1x2x8x128xf32>, tensor<1x2x8x128xf32>, tensor<1x2x8x128xf32>) -> tensor<1x2x8x128xf32>
  return %0 : tensor<1x2x8x128xf32>
}
