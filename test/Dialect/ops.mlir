// RUN: whittle-opt %s | whittle-opt | FileCheck %s
// RUN: whittle-opt %s --mlir-print-op-generic | whittle-opt | FileCheck %s

// CHECK-LABEL: func.func @constants
// CHECK: whittle.constant dense<[1, 2, 3]> : tensor<3xi64>
// CHECK-NEXT: whittle.constant dense<1.000000e+00> : tensor<2x2xf32>
// CHECK-NEXT: whittle.constant dense_resource<__elided__> : tensor<4x4xf32>
// CHECK-NEXT: whittle.constant_of_shape %{{[a-z0-9_]+}} {value = 0.000000e+00 : f32} : (tensor<3xi64>) -> tensor<1x2x3xf32>
// CHECK-NEXT: whittle.constant_of_shape %{{[a-z0-9_]+}} {value = 1 : i64} : (tensor<3xi64>) -> tensor<?x?x?xi64>
func.func @constants() {
  %0 = whittle.constant dense<[1, 2, 3]> : tensor<3xi64>
  %1 = whittle.constant dense<1.000000e+00> : tensor<2x2xf32>
  %2 = whittle.constant dense_resource<__elided__> : tensor<4x4xf32>
  %3 = whittle.constant_of_shape %0 {value = 0.000000e+00 : f32} : (tensor<3xi64>) -> tensor<1x2x3xf32>
  %4 = whittle.constant_of_shape %0 {value = 1 : i64} : (tensor<3xi64>) -> tensor<?x?x?xi64>
  return
}

// CHECK-LABEL: func.func @shape_range
// CHECK: whittle.shape %{{[a-z0-9_]+}} : (tensor<2x?x4xf32>) -> tensor<3xi64>
// CHECK-NEXT: whittle.shape %{{[a-z0-9_]+}} {end = -1 : i64, start = 1 : i64} : (tensor<2x?x4xf32>) -> tensor<1xi64>
// CHECK-NEXT: whittle.range %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
func.func @shape_range(%x: tensor<2x?x4xf32>, %s: tensor<i64>, %l: tensor<i64>, %d: tensor<i64>) {
  %0 = whittle.shape %x : (tensor<2x?x4xf32>) -> tensor<3xi64>
  %1 = whittle.shape %x {end = -1 : i64, start = 1 : i64} : (tensor<2x?x4xf32>) -> tensor<1xi64>
  %2 = whittle.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// CHECK-LABEL: func.func @binary
// CHECK: whittle.add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.sub %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.mul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.div %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.pow %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.min %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.max %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.equal %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT: whittle.less %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT: whittle.less_equal %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT: whittle.greater %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT: whittle.greater_equal %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT: whittle.and %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
// CHECK-NEXT: whittle.or %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
// CHECK-NEXT: whittle.add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi64>
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %p: tensor<4xi1>, %q: tensor<1xi1>, %i: tensor<?x4xi64>) {
  %0 = whittle.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = whittle.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = whittle.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %3 = whittle.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = whittle.pow %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %5 = whittle.min %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %6 = whittle.max %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %7 = whittle.equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %8 = whittle.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %9 = whittle.less_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %10 = whittle.greater %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %11 = whittle.greater_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %12 = whittle.and %p, %q : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
  %13 = whittle.or %p, %q : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
  %14 = whittle.add %i, %i : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi64>
  return
}

// CHECK-LABEL: func.func @unary
// CHECK: whittle.sqrt %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.reciprocal %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.exp %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.log %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.erf %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.tanh %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.sigmoid %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.relu %{{[a-z0-9_]+}} : (tensor<4xi32>) -> tensor<4xi32>
// CHECK-NEXT: whittle.neg %{{[a-z0-9_]+}} : (tensor<4xi32>) -> tensor<4xi32>
// CHECK-NEXT: whittle.abs %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.not %{{[a-z0-9_]+}} : (tensor<4xi1>) -> tensor<4xi1>
// CHECK-NEXT: whittle.gelu %{{[a-z0-9_]+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.gelu %{{[a-z0-9_]+}} {tanh_approximation = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.clip %{{[a-z0-9_]+}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.clip %{{[a-z0-9_]+}} {min = -1.000000e+00 : f64} : (tensor<4xi32>) -> tensor<4xi32>
// CHECK-NEXT: whittle.cast %{{[a-z0-9_]+}} {to = f16} : (tensor<2x3xf32>) -> tensor<2x3xf16>
// CHECK-NEXT: whittle.cast %{{[a-z0-9_]+}} {to = i1} : (tensor<4xi32>) -> tensor<4xi1>
// CHECK-NEXT: whittle.where %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4xi1>, tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
// CHECK-NEXT: whittle.where %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
func.func @unary(%a: tensor<2x3xf32>, %i: tensor<4xi32>, %p: tensor<4xi1>, %c: tensor<2x1xi1>, %s: tensor<f32>) {
  %0 = whittle.sqrt %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = whittle.reciprocal %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = whittle.exp %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = whittle.log %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = whittle.erf %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = whittle.tanh %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = whittle.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = whittle.relu %i : (tensor<4xi32>) -> tensor<4xi32>
  %8 = whittle.neg %i : (tensor<4xi32>) -> tensor<4xi32>
  %9 = whittle.abs %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = whittle.not %p : (tensor<4xi1>) -> tensor<4xi1>
  %11 = whittle.gelu %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %12 = whittle.gelu %a {tanh_approximation = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %13 = whittle.clip %a {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %14 = whittle.clip %i {min = -1.000000e+00 : f64} : (tensor<4xi32>) -> tensor<4xi32>
  %15 = whittle.cast %a {to = f16} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %16 = whittle.cast %i {to = i1} : (tensor<4xi32>) -> tensor<4xi1>
  %17 = whittle.where %p, %i, %i : (tensor<4xi1>, tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %18 = whittle.where %c, %a, %s : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return
}

// CHECK-LABEL: func.func @linalg
// CHECK: whittle.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<8x2x3xf32>, tensor<3x5xf32>) -> tensor<8x2x5xf32>
// CHECK-NEXT: whittle.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<8x2x3xf32>, tensor<3xf32>) -> tensor<8x2xf32>
// CHECK-NEXT: whittle.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
// CHECK-NEXT: whittle.gemm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: whittle.gemm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {alpha = 5.000000e-01 : f64, beta = 2.000000e+00 : f64, trans_a = true} : (tensor<4x3xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: whittle.conv %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x5x5xf32>
// CHECK-NEXT: whittle.conv %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {dilations = array<i64: 2, 2>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x5x5xf32>
func.func @linalg(%a: tensor<8x2x3xf32>, %b: tensor<3x5xf32>, %v: tensor<3xf32>, %m: tensor<4x3xf32>, %n: tensor<4x5xf32>, %c: tensor<5xf32>, %x: tensor<1x4x9x9xf32>, %w: tensor<8x2x3x3xf32>, %wb: tensor<8xf32>) {
  %0 = whittle.matmul %a, %b : (tensor<8x2x3xf32>, tensor<3x5xf32>) -> tensor<8x2x5xf32>
  %1 = whittle.matmul %a, %v : (tensor<8x2x3xf32>, tensor<3xf32>) -> tensor<8x2xf32>
  %2 = whittle.matmul %v, %b : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  %3 = whittle.gemm %m, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  %4 = whittle.gemm %m, %n, %c {alpha = 5.000000e-01 : f64, beta = 2.000000e+00 : f64, trans_a = true} : (tensor<4x3xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  %5 = whittle.conv %x, %w, %wb {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x5x5xf32>
  %6 = whittle.conv %x, %w {dilations = array<i64: 2, 2>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x5x5xf32>
  return
}

// CHECK-LABEL: func.func @reductions
// CHECK: whittle.reduce_sum %{{[a-z0-9_]+}} {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
// CHECK-NEXT: whittle.reduce_mean %{{[a-z0-9_]+}} {axes = array<i64: 2>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: whittle.reduce_max %{{[a-z0-9_]+}} {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xi64>) -> tensor<3xi64>
// CHECK-NEXT: whittle.softmax %{{[a-z0-9_]+}} {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: whittle.layer_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {axis = 2 : i64, epsilon = 9.9999999999999998E-13 : f64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: whittle.layer_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
func.func @reductions(%a: tensor<2x3x4xf32>, %i: tensor<2x3xi64>, %s: tensor<4xf32>, %b: tensor<4xf32>) {
  %0 = whittle.reduce_sum %a {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %1 = whittle.reduce_mean %a {axes = array<i64: 2>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  %2 = whittle.reduce_max %i {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xi64>) -> tensor<3xi64>
  %3 = whittle.softmax %a {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %4 = whittle.layer_norm %a, %s, %b {axis = 2 : i64, epsilon = 9.9999999999999998E-13 : f64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %5 = whittle.layer_norm %a, %s {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return
}

// CHECK-LABEL: func.func @attention
// CHECK: whittle.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {scale = 1.250000e-01 : f64} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>, tensor<2x1x1x16xf32>) -> tensor<2x8x16x32xf32>
// CHECK-NEXT: whittle.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {causal = true, scale = 1.000000e+00 : f64} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>) -> tensor<2x8x16x32xf32>
func.func @attention(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>, %v: tensor<2x2x16x32xf32>, %m: tensor<2x1x1x16xf32>) {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.125 : f64} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>, tensor<2x1x1x16xf32>) -> tensor<2x8x16x32xf32>
  %1 = whittle.attention %q, %k, %v {scale = 1.0 : f64, causal = true} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>) -> tensor<2x8x16x32xf32>
  return
}

// Queries at a run-time position over a key/value cache (a decode step).
// CHECK-LABEL: func.func @attention_position
// CHECK: whittle.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} position %{{[a-z0-9_]+}} {causal = true, scale = 1.250000e-01 : f64} : (tensor<1x8x1x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1xi64>) -> tensor<1x8x1x64xf32>
// CHECK-NEXT: whittle.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} position %{{[a-z0-9_]+}} {causal = true
func.func @attention_position(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x40x64xf32>, %v: tensor<1x2x40x64xf32>, %m: tensor<1x1x1x40xf32>, %p: tensor<1xi64>) {
  %0 = whittle.attention %q, %k, %v position %p {scale = 0.125 : f64, causal = true} : (tensor<1x8x1x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1xi64>) -> tensor<1x8x1x64xf32>
  %1 = whittle.attention %q, %k, %v, %m position %p {scale = 0.125 : f64, causal = true} : (tensor<1x8x1x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1x1x1x40xf32>, tensor<1xi64>) -> tensor<1x8x1x64xf32>
  return
}

// CHECK-LABEL: func.func @data_movement
// CHECK: whittle.reshape %{{[a-z0-9_]+}} {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT: whittle.transpose %{{[a-z0-9_]+}} {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: whittle.concat %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
// CHECK-NEXT: whittle.split %{{[a-z0-9_]+}} {axis = 2 : i64, sizes = array<i64: 1, 3>} : (tensor<2x3x4xf32>) -> (tensor<2x3x1xf32>, tensor<2x3x3xf32>)
// CHECK-NEXT: whittle.slice %{{[a-z0-9_]+}} {sizes = array<i64: 1, 2, 2>, starts = array<i64: 1, 2, 0>, steps = array<i64: 1, -1, 2>} : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
// CHECK-NEXT: whittle.gather %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x2x4xf32>
// CHECK-NEXT: whittle.squeeze %{{[a-z0-9_]+}} {axes = array<i64: 1>} : (tensor<2x1x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: whittle.unsqueeze %{{[a-z0-9_]+}} {axes = array<i64: 0, 3>} : (tensor<2x3x4xf32>) -> tensor<1x2x3x1x4xf32>
// CHECK-NEXT: whittle.expand %{{[a-z0-9_]+}} {shape = array<i64: 3, 1, 5, 1>} : (tensor<2x1x4xf32>) -> tensor<3x2x5x4xf32>
// CHECK-NEXT: whittle.trilu %{{[a-z0-9_]+}} {k = 1 : i64, upper = false} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: whittle.trilu %{{[a-z0-9_]+}} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: whittle.reshape %{{[a-z0-9_]+}} {shape = array<i64: 2, -9223372036854775808>} : (tensor<?x4xf32>) -> tensor<2x?xf32>
func.func @data_movement(%a: tensor<2x3x4xf32>, %b: tensor<2x5x4xf32>, %i: tensor<2x2xi64>, %u: tensor<2x1x4xf32>, %d: tensor<?x4xf32>) {
  %0 = whittle.reshape %a {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = whittle.transpose %a {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %2 = whittle.concat %a, %b {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %3:2 = whittle.split %a {axis = 2 : i64, sizes = array<i64: 1, 3>} : (tensor<2x3x4xf32>) -> (tensor<2x3x1xf32>, tensor<2x3x3xf32>)
  %4 = whittle.slice %a {sizes = array<i64: 1, 2, 2>, starts = array<i64: 1, 2, 0>, steps = array<i64: 1, -1, 2>} : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
  %5 = whittle.gather %a, %i {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x2x4xf32>
  %6 = whittle.squeeze %u {axes = array<i64: 1>} : (tensor<2x1x4xf32>) -> tensor<2x4xf32>
  %7 = whittle.unsqueeze %a {axes = array<i64: 0, 3>} : (tensor<2x3x4xf32>) -> tensor<1x2x3x1x4xf32>
  %8 = whittle.expand %u {shape = array<i64: 3, 1, 5, 1>} : (tensor<2x1x4xf32>) -> tensor<3x2x5x4xf32>
  %9 = whittle.trilu %a {k = 1 : i64, upper = false} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %10 = whittle.trilu %a : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %11 = whittle.reshape %d {shape = array<i64: 2, -9223372036854775808>} : (tensor<?x4xf32>) -> tensor<2x?xf32>
  return
}


// Quantization: the result takes the zero point's (quantize) or the scale's
// (dequantize) element type; parameters broadcast per tensor or per channel.
// CHECK-LABEL: func.func @quantization
// CHECK: whittle.quantize %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
// CHECK: whittle.dequantize %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<2x3xf32>
// CHECK: whittle.round %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: whittle.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<5x2xf32>, tensor<2x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<5x3xf32>
// CHECK: whittle.reduce_min %{{.*}} {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
func.func @quantization(%x: tensor<2x3xf32>, %s: tensor<f32>, %z: tensor<ui8>, %q: tensor<2x3xi8>, %cs: tensor<1x3xf32>, %cz: tensor<1x3xi8>, %a: tensor<5x2xf32>) {
  %0 = whittle.quantize %x, %s, %z : (tensor<2x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  %1 = whittle.dequantize %q, %cs, %cz : (tensor<2x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<2x3xf32>
  %2 = whittle.round %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = whittle.quantized_matmul %a, %q, %cs, %cz : (tensor<5x2xf32>, tensor<2x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<5x3xf32>
  %3 = whittle.reduce_min %x {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// Integer matmul: 8-bit operands of either sign, an i32 result, a scalar
// left zero point and a scalar or per-column right one.
// CHECK-LABEL: func.func @integer_matmul
// CHECK: whittle.integer_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x5x3xui8>, tensor<3x4xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<2x5x4xi32>
func.func @integer_matmul(%a: tensor<2x5x3xui8>, %w: tensor<3x4xi8>, %za: tensor<ui8>, %zw: tensor<4xi8>) -> tensor<2x5x4xi32> {
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<2x5x3xui8>, tensor<3x4xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<2x5x4xi32>
  return %0 : tensor<2x5x4xi32>
}
