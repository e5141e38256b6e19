// RUN: whittle-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=16}))' \
// RUN:   | FileCheck %s --check-prefix=AVX2
// RUN: whittle-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=512 vector-registers=32}))' \
// RUN:   | FileCheck %s --check-prefix=AVX512
// RUN: whittle-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=128 vector-registers=32 row-vectors=3 l1-cache=65536}))' \
// RUN:   | FileCheck %s --check-prefix=NEON
// RUN: whittle-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{micro-m=4 micro-n=8 tile-k=256 tile-n=128}))' \
// RUN:   | FileCheck %s --check-prefix=OVERRIDE
// RUN: whittle-opt %s -o /dev/null 2>&1 \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=512 vector-registers=32 report-tiles=true}))' \
// RUN:   | FileCheck %s --check-prefix=REMARK

// The tile sizes chosen for the 128x768x3072 matmul per target (also pass
// statistics in builds with LLVM statistics enabled), recorded on the
// forall. With AVX2, 16 registers hold 6 rows of two 8-lane vectors, and 4 is the
// largest divisor of 128 below that. With AVX-512, 16-lane vectors, nr = 32, and
// 8 rows. With NEON (AArch64's 32 128-bit registers), three 4-lane vectors per
// row: an 8 x 12 tile of 24 accumulators. All of A (128 x 768 floats, 384
// KB) fits in half of L2, so Kc = K: one pass over each accumulator tile.
// Non-zero options override the derivation.

// AVX2:     scf.forall
// AVX2:     whittle.gemm_tiles = {kc = 768 : i64, mc = 128 : i64, mr = 4 : i64, nc = 384 : i64, nr = 16 : i64, packed = false}

// AVX512:   whittle.gemm_tiles = {kc = 768 : i64, mc = 128 : i64, mr = 8 : i64, nc = 384 : i64, nr = 32 : i64, packed = false}

// NEON:     whittle.gemm_tiles = {kc = 768 : i64, mc = 128 : i64, mr = 8 : i64, nc = 384 : i64, nr = 12 : i64, packed = false}

// REMARK: remark: tile-kernels: mr=8 nr=32 mc=128 nc=384 kc=768

// OVERRIDE: whittle.gemm_tiles = {kc = 256 : i64, mc = 128 : i64, mr = 4 : i64, nc = 128 : i64, nr = 8 : i64, packed = false}
func.func @matmul_128x768x3072(%a: tensor<128x768xf32>, %b: tensor<768x3072xf32>) -> tensor<128x3072xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x3072xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<128x3072xf32>) -> tensor<128x3072xf32>
  %r = linalg.matmul ins(%a, %b : tensor<128x768xf32>, tensor<768x3072xf32>) outs(%f : tensor<128x3072xf32>) -> tensor<128x3072xf32>
  return %r : tensor<128x3072xf32>
}
