// RUN: whittle-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(whittle-tile-kernels{vector-width=256 vector-registers=32 min-matmul-flops=0}),canonicalize,cse)' \
// RUN:   | FileCheck %s

// A float matmul whose constant weight is int8 (whittle.quantized_matmul of
// a symmetric int8 weight): the weight is packed as bytes into
// [N/16, K, 16] panels, and each K step converts one 16-byte weight vector
// to f32 (sitofp) for the same 8 x 16 register tile as an f32 weight.
// CHECK-LABEL: func.func @int8_weight
// CHECK:       %[[W:.*]] = arith.constant dense_resource<whittle_packed> : tensor<2x16x16xi8>
// CHECK:       scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<8x16xf32>)
// CHECK:         vector.transfer_read %[[W]]{{.*}} : tensor<2x16x16xi8>, vector<1x16xi8>
// CHECK:         arith.sitofp %{{.*}} : vector<1x16xi8> to vector<1x16xf32>
// CHECK:         vector.contract
// CHECK-NOT:   whittle_int8
func.func @int8_weight(%x: tensor<8x16xf32>) -> tensor<8x32xf32> {
  %w = arith.constant dense<[[-67, -50, -101, 57, -26, -5, -88, -104, -110, -122, -25, 13, 107, -53, 77, 126, 68, -112, -71, 6, 10, -35, -57, 72, -83, 84, -100, -60, -73, 114, 110, -121], [85, 37, 79, -61, 77, -58, -78, -85, -48, -53, 33, 95, 60, 118, 91, 90, 98, -32, -105, 89, 28, -41, 44, -28, 2, -64, -82, -64, -6, -56, -105, 114], [112, 82, 94, 114, 13, 88, -51, -126, 105, -53, 19, 53, 98, -48, 90, 68, 3, -78, -22, -19, 26, -54, -17, -12, -86, -68, -49, -61, 81, 77, -116, -107], [-116, -9, 33, -56, 5, 9, 38, -7, 52, -40, -90, 45, -77, -110, -22, 106, -76, 35, 34, -15, -57, -80, -36, -16, 64, 23, -45, 35, 15, -77, 104, -45], [-102, 87, -112, 54, -69, -56, 68, 22, 30, 93, -67, -96, -43, 112, -82, -53, -10, -121, -117, -36, 51, -106, 102, 119, 117, -54, 61, 45, 118, -44, -123, -45], [-54, -45, 120, -88, 71, 39, -22, 93, 114, 95, 31, 47, 82, -108, -52, 31, -78, 101, -14, -53, -93, -63, -30, 26, 119, -87, -43, 19, -125, -34, -116, -11], [-84, -34, 73, 78, -35, -53, 19, -103, -15, 124, -74, -19, 107, -74, -98, -112, -112, -113, 61, -84, 25, 46, 121, -89, 28, -117, 12, -2, 22, -64, -45, -118], [-96, 86, 8, -53, 71, -23, 39, 125, -76, -5, -76, -66, -15, -22, -2, -118, -71, -20, -14, -64, 38, 100, -18, 85, -72, 0, -79, -119, -118, -62, -63, -65], [7, -74, 70, -68, -21, 95, -61, -91, -44, -114, 101, 110, -47, 17, -98, 126, 18, -24, 119, 103, 40, 40, 95, 75, 56, 63, -117, -1, -28, -104, -17, -74], [111, 96, 19, 103, 114, 109, -85, -41, -52, 41, -7, 77, 103, 37, -47, 81, -20, 8, -72, 40, 78, 48, 78, -59, -41, 109, -27, 117, 0, -108, 92, 121], [-56, 119, 33, 44, -79, -116, -26, 103, 31, -95, 69, 120, -59, 43, 92, -112, 95, -85, 49, 35, -9, 18, -7, 64, -24, 110, -28, -72, 77, -127, -73, 109], [-87, -124, 29, 97, -62, -98, -26, 80, 70, 73, -30, 97, -71, 13, -114, 97, 116, -76, -86, 44, 28, -43, 82, 101, 16, 71, 73, -7, 107, 7, -15, -121], [-107, -119, 51, 25, -99, -2, 16, 94, -62, 28, 71, -92, -117, -35, -107, 69, 98, 6, 104, -125, -51, 87, -39, 84, -108, -106, 118, 12, -11, -30, -75, 74], [123, -48, -28, -68, 67, -3, 92, 120, -25, -103, -108, -98, 107, 31, 77, 99, -34, 4, -16, -21, 92, 55, 71, -14, -110, 33, 98, 113, -77, 36, -50, 111], [87, -5, -19, -97, 77, 15, -85, -32, 96, -86, -82, 53, -89, -44, -1, 93, -41, -61, 11, 122, 104, -126, 54, -84, -126, 38, -48, -97, 12, -99, -3, 74], [56, 26, -4, 7, -108, 6, -65, -22, 89, -52, -36, -69, 69, -81, 125, 94, 33, -127, 46, -114, 29, 105, -47, 12, 106, 105, -8, 73, 106, 18, -49, 112]]> : tensor<16x32xi8>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x32xi8>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Only the weight may be int8: int8 activations of a float matmul leave it
// untiled (only its zero fill is vectorized).
// CHECK-LABEL: func.func @int8_activations
// CHECK-NOT:   whittle_packed
// CHECK-NOT:   vector.contract
// CHECK:       linalg.matmul ins(%arg0, %{{.*}} : tensor<8x16xi8>, tensor<16x32xf32>)
func.func @int8_activations(%x: tensor<8x16xi8>) -> tensor<8x32xf32> {
  %w = arith.constant dense<0.5> : tensor<16x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%x, %w : tensor<8x16xi8>, tensor<16x32xf32>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
