// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 min-matmul-flops=0 int8-dot-product=vpdpbusd}),canonicalize,cse)' \
// RUN:   | FileCheck %s --check-prefixes=CHECK,BYTES,VNNI
// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 min-matmul-flops=0}),canonicalize,cse)' \
// RUN:   | FileCheck %s --check-prefixes=CHECK,BYTES,WIDEN
// RUN: whittle-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 min-matmul-flops=0 int8-dot-product=pmaddubsw}),canonicalize,cse)' \
// RUN:   | FileCheck %s --check-prefixes=CHECK,PMADD

// whittle.integer_matmul's raw product (u8 activations, a constant s8
// weight, i32 sums): the weight is packed into [N/16, K/4, 16 * 4] bytes, A is
// viewed as [M, K/4, 4], and each step of four K updates an 8 x 16 i32
// accumulator kept in registers: with vpdpbusd, one broadcast 4-byte word of
// A per row and two 32-byte groups of B; without a dot-product instruction, a
// widened contraction.

// CHECK-LABEL: func.func @u8s8
// CHECK-DAG:   %[[W:.*]] = arith.constant dense_resource<whittle_packed> : tensor<1x2x64xi8>
// BYTES-DAG:   %[[A:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [16, 2, 4] : tensor<16x8xi8> into tensor<16x2x4xi8>
// PMADD:       %[[WIDE:.*]] = scf.forall
// PMADD:         arith.extui {{.*}} : vector<1x8xi8> to vector<1x8xi16>
// PMADD:       %[[A:.*]] = tensor.expand_shape %[[WIDE]] {{\[}}[0], [1, 2]] output_shape [16, 2, 4] : tensor<16x8xi16> into tensor<16x2x4xi16>
// CHECK:       scf.for %[[I:.*]] = %c0 to %c16 step %c8
// CHECK:         scf.for %[[K:.*]] = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x1x16xi32>)
// BYTES:           vector.transfer_read %[[A]][%[[I]], %[[K]], %c0]{{.*}} : tensor<16x2x4xi8>, vector<8x1x4xi8>
// CHECK:           vector.transfer_read %[[W]][%c0, %[[K]], %c0]{{.*}} : tensor<1x2x64xi8>, vector<1x1x64xi8>
// PMADD-COUNT-4:   arith.extsi {{.*}} : vector<16xi8> to vector<16xi16>
// PMADD:           vector.transfer_read %[[A]][%[[I]], %[[K]], %c0]{{.*}} : tensor<16x2x4xi16>, vector<2xi16>
// PMADD:           vector.transfer_read %[[A]][%[[I]], %[[K]], %c2]{{.*}} : tensor<16x2x4xi16>, vector<2xi16>
// VNNI-COUNT-16:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"({{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// VNNI-NOT:        llvm.call_intrinsic
// WIDEN:           arith.extui {{.*}} : vector<8x4xi8> to vector<8x4xi32>
// WIDEN:           arith.extsi {{.*}} : vector<16x4xi8> to vector<16x4xi32>
// WIDEN:           vector.contract
// WIDEN-NOT:       llvm.call_intrinsic
// Full-range weights could saturate vpmaddubsw: on AVX2, A is widened to i16
// once, the bytes of each group of 8 columns are sign-extended to s16 K pairs
// (0, 1) and (2, 3), each pair of a row is broadcast as one i32, and vpmaddwd
// sums each pair into i32 exactly.
// PMADD-COUNT-32:  llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"({{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// PMADD-NOT:       llvm.call_intrinsic
// PMADD-NOT:       vector.contract
// CHECK:           scf.yield {{.*}} : vector<8x1x16xi32>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @u8s8(%x: tensor<16x8xi8>) -> tensor<16x16xi32> {
  %w = arith.constant dense<[[-60, -96, 2, -68, 125, 102, 113, 66, -21, -80, 121, -114, 71, 93, -127, 100], [8, -11, -76, 34, -113, -117, -115, -124, 67, -18, 88, -114, -15, 96, 125, -9], [48, -10, -16, 107, 20, -117, 85, -77, -33, 23, -67, 42, 88, -31, 27, 17], [127, 73, -111, 117, -4, 78, 84, -40, 59, 63, -84, 96, -73, -45, 73, 61], [122, -113, 112, -106, 29, 73, -41, -42, -12, -122, -26, -10, 79, 48, 52, 107], [9, -126, 68, -62, -23, 90, -100, 118, 58, -26, 83, 120, 54, 84, 49, -128], [41, 106, -114, -11, -38, -36, -82, 2, -112, -92, -86, -120, 103, -121, 15, -1], [9, -72, -34, 48, 20, -93, -43, -47, 2, -42, 11, 22, 104, 36, 126, 114]]> : tensor<8x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x8xi8>, tensor<8x16xi8>) outs(%f : tensor<16x16xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extui %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}

// -----

// K = 6 is not whole groups of four: left alone.
// CHECK-LABEL: func.func @k_not_multiple_of_4
// CHECK-NOT:   whittle_packed
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT:   vector.contract
// CHECK-NOT:   llvm.call_intrinsic
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @k_not_multiple_of_4(%x: tensor<16x6xi8>) -> tensor<16x16xi32> {
  %w = arith.constant dense<[[-100, -82, -85, 56, -42, 29, 0, -20, -110, -47, 92, 73, 62, 99, 9, -110], [-114, 58, 110, 35, 66, 88, -44, -38, -8, -10, -116, -38, 38, -40, -59, 56], [-35, 100, 84, 58, 53, 57, 100, -46, 76, 108, -1, 122, 14, 127, 53, 104], [108, 51, 105, 121, -15, 38, -43, 9, 117, 30, 27, 80, 31, -22, 122, 59], [-90, 46, -124, -31, -74, -98, -103, 11, -12, -74, -59, 8, -3, -21, -98, 88], [-112, -99, 57, 56, -40, -1, -116, -86, -70, -94, -116, -108, -118, 63, 2, -63]]> : tensor<6x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x6xi8>, tensor<6x16xi8>) outs(%f : tensor<16x16xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extui %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}

// -----

// A weight computed at run time cannot be packed at compile time.
// CHECK-LABEL: func.func @weight_not_constant
// CHECK-NOT:   whittle_packed
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT:   vector.contract
// CHECK-NOT:   llvm.call_intrinsic
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @weight_not_constant(%x: tensor<16x8xi8>, %w: tensor<8x16xi8>) -> tensor<16x16xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x8xi8>, tensor<8x16xi8>) outs(%f : tensor<16x16xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extui %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}

// -----

// Signed activations are not vpdpbusd's operands (integer_matmul's lowering
// shifts them to unsigned first).
// CHECK-LABEL: func.func @signed_activations
// CHECK-NOT:   whittle_packed
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT:   vector.contract
// CHECK-NOT:   llvm.call_intrinsic
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @signed_activations(%x: tensor<16x8xi8>) -> tensor<16x16xi32> {
  %w = arith.constant dense<[[-100, -82, -85, 56, -42, 29, 0, -20, -110, -47, 92, 73, 62, 99, 9, -110], [-114, 58, 110, 35, 66, 88, -44, -38, -8, -10, -116, -38, 38, -40, -59, 56], [-35, 100, 84, 58, 53, 57, 100, -46, 76, 108, -1, 122, 14, 127, 53, 104], [108, 51, 105, 121, -15, 38, -43, 9, 117, 30, 27, 80, 31, -22, 122, 59], [-90, 46, -124, -31, -74, -98, -103, 11, -12, -74, -59, 8, -3, -21, -98, 88], [-112, -99, 57, 56, -40, -1, -116, -86, -70, -94, -116, -108, -118, 63, 2, -63], [-48, -34, -128, 69, -106, -2, -51, -110, -126, 48, -71, 18, 44, 122, -113, 29], [101, -105, 7, 77, -50, 114, -13, -81, 33, -76, -116, 101, -63, 73, 121, 39]]> : tensor<8x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x8xi8>, tensor<8x16xi8>) outs(%f : tensor<16x16xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extsi %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}

// -----

// Weights with |w0| + |w1| <= 128 for every pair vpmaddubsw sums: its i16
// pair sums cannot saturate (u8 activations), so the tile uses it, then
// vpmaddwd by ones into i32.
// CHECK-LABEL: func.func @u8s8_small_weights
// PMADD-COUNT-16: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @u8s8_small_weights(%x: tensor<16x8xi8>) -> tensor<16x16xi32> {
  %w = arith.constant dense<[[54, 31, 4, -29, -17, -63, 22, 64, 54, -44, 21, -54, 33, -21, 51, 44], [-24, -21, -4, -51, -36, -31, -48, 34, -38, 10, -12, -7, 43, -42, 4, -11], [37, 7, 23, -53, -13, -63, 41, -50, 32, 61, -29, -58, -4, 44, -36, -64], [-33, -14, -13, 20, -62, -43, -30, -60, 64, -43, 63, -14, 43, -47, 37, -15], [-41, -27, -20, -54, -51, 5, -26, 4, -56, -33, 39, -4, -23, -53, 29, -42], [24, -36, 29, 51, -11, 38, -14, -60, 33, 20, -64, 46, -36, -10, -8, 49], [5, 19, -42, 14, 8, -38, -50, -58, 33, 45, 63, 24, -1, -48, 44, -5], [-40, 38, 31, 30, -29, 10, -21, 2, -57, -52, -20, 3, -22, -34, -27, -61]]> : tensor<8x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x8xi8>, tensor<8x16xi8>) outs(%f : tensor<16x16xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extui %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}
