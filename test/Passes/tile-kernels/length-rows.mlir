// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32}))' \
// RUN:   | FileCheck %s

// A length variant's matmul over sequence rows (whittle.seq_rows, from
// whittle-build-length-variants): the register tile's row loop stops at the
// run's length, read from the length argument inside the tile and rounded
// up to whole register tiles of 8 rows.
// CHECK-LABEL: func.func @variant(
// CHECK-SAME: %[[LEN:[a-z0-9]+]]: tensor<1xi64>
// CHECK: scf.forall
// CHECK: %[[N:.*]] = tensor.extract %[[LEN]]
// CHECK: %[[NI:.*]] = arith.index_cast %[[N]]
// CHECK: %[[TILES:.*]] = arith.ceildivsi %[[NI]], %{{.*}}
// CHECK: %[[ROWS:.*]] = arith.muli %[[TILES]]
// CHECK: %[[STOP:.*]] = arith.minsi %[[ROWS]]
// CHECK: %[[UB:.*]] = arith.maxsi %[[STOP]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[UB]] step %{{.*}}
func.func @variant(%x: tensor<64x256xf32>, %w: tensor<256x512xf32>, %length: tensor<1xi64>) -> tensor<64x512xf32>
    attributes {whittle.length_arg = 2 : i64} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = linalg.matmul {whittle.seq_rows} ins(%x, %w : tensor<64x256xf32>, tensor<256x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// Without the mark (rows that are not sequence positions), every row is
// computed.
// CHECK-LABEL: func.func @unmarked(
// CHECK-NOT: tensor.extract %
// CHECK-NOT: arith.ceildivsi
func.func @unmarked(%x: tensor<64x256xf32>, %w: tensor<256x512xf32>, %length: tensor<1xi64>) -> tensor<64x512xf32>
    attributes {whittle.length_arg = 2 : i64} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = linalg.matmul ins(%x, %w : tensor<64x256xf32>, tensor<256x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
