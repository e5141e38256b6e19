// RUN: whittle-opt %s -canonicalize -split-input-file | FileCheck %s

// The shape subgraph the ONNX exporter emits for x.view(x.size(0), -1)
// folds to a constant once shapes are static.
// CHECK-LABEL: func.func @shape_subgraph
// CHECK-DAG: %[[C:.*]] = whittle.constant dense<[2, 12]> : tensor<2xi64>
// CHECK-DAG: %[[R:.*]] = whittle.reshape %arg0 {shape = array<i64: 2, 12>}
// CHECK: return %[[C]], %[[R]]
func.func @shape_subgraph(%x: tensor<2x3x4xf32>) -> (tensor<2xi64>, tensor<2x12xf32>) {
  %s = whittle.shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = whittle.constant dense<0> : tensor<i64>
  %g = whittle.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u = whittle.unsqueeze %g {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %i1 = whittle.constant dense<[1]> : tensor<1xi64>
  %i2 = whittle.constant dense<[2]> : tensor<1xi64>
  %d1 = whittle.gather %s, %i1 {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %d2 = whittle.gather %s, %i2 {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %p = whittle.mul %d1, %d2 : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %c = whittle.concat %u, %p {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %r = whittle.reshape %x {shape = array<i64: 2, 12>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  return %c, %r : tensor<2xi64>, tensor<2x12xf32>
}

// -----

// CHECK-LABEL: func.func @shape
// CHECK-DAG: whittle.constant dense<[3, 4]> : tensor<2xi64>
// CHECK-DAG: whittle.constant dense<2> : tensor<1xi64>
// CHECK-DAG: whittle.shape %arg1 : (tensor<?x4xf32>) -> tensor<2xi64>
// CHECK-NOT: whittle.shape
func.func @shape(%x: tensor<2x3x4xf32>, %y: tensor<?x4xf32>) -> (tensor<2xi64>, tensor<1xi64>, tensor<2xi64>, tensor<1xi64>) {
  %0 = whittle.shape %x {start = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  %1 = whittle.shape %x {end = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<1xi64>
  // Not folded: the requested dimension is dynamic.
  %2 = whittle.shape %y : (tensor<?x4xf32>) -> tensor<2xi64>
  // Folded: only the static dimension is requested.
  %3 = whittle.shape %y {start = 1 : i64} : (tensor<?x4xf32>) -> tensor<1xi64>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<1xi64>, tensor<2xi64>, tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @range
// CHECK-DAG: whittle.constant dense<[0, 3, 6]> : tensor<3xi64>
// CHECK-DAG: whittle.constant dense<[5, 3, 1]> : tensor<3xi32>
// CHECK-DAG: whittle.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK: whittle.range %arg0
func.func @range(%n: tensor<i64>) -> (tensor<3xi64>, tensor<3xi32>, tensor<3xf32>, tensor<?xi64>) {
  %c0 = whittle.constant dense<0> : tensor<i64>
  %c7 = whittle.constant dense<7> : tensor<i64>
  %c3 = whittle.constant dense<3> : tensor<i64>
  %0 = whittle.range %c0, %c7, %c3 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %i5 = whittle.constant dense<5> : tensor<i32>
  %i0 = whittle.constant dense<0> : tensor<i32>
  %im2 = whittle.constant dense<-2> : tensor<i32>
  %1 = whittle.range %i5, %i0, %im2 : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<3xi32>
  %f0 = whittle.constant dense<0.0> : tensor<f32>
  %f15 = whittle.constant dense<1.5> : tensor<f32>
  %fh = whittle.constant dense<0.5> : tensor<f32>
  %2 = whittle.range %f0, %f15, %fh : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3xf32>
  // Not folded: the start is not a constant.
  %3 = whittle.range %n, %c7, %c3 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<3xi32>, tensor<3xf32>, tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK-DAG: whittle.constant dense<1> : tensor<2x3xi64>
// CHECK-DAG: whittle.constant_of_shape %arg0 {value = 0.000000e+00 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
// CHECK-DAG: whittle.constant_of_shape %{{.*}} : (tensor<2xi64>) -> tensor<512x512xf32>
func.func @constant_of_shape(%s: tensor<2xi64>) -> (tensor<2x3xi64>, tensor<?x?xf32>, tensor<512x512xf32>) {
  %c = whittle.constant dense<[2, 3]> : tensor<2xi64>
  %0 = whittle.constant_of_shape %c {value = 1 : i64} : (tensor<2xi64>) -> tensor<2x3xi64>
  // Not folded: the shape is unknown.
  %1 = whittle.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  // Not folded: larger than the folding limit.
  %big = whittle.constant dense<512> : tensor<2xi64>
  %2 = whittle.constant_of_shape %big {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<512x512xf32>
  return %0, %1, %2 : tensor<2x3xi64>, tensor<?x?xf32>, tensor<512x512xf32>
}

// -----

// CHECK-LABEL: func.func @arith_broadcast
// CHECK-DAG: whittle.constant dense<{{\[}}[11, 22], [13, 24]]> : tensor<2x2xi64>
// CHECK-DAG: whittle.constant dense<{{\[}}[-9, -18], [-7, -16]]> : tensor<2x2xi64>
// CHECK-DAG: whittle.constant dense<{{\[}}[10, 40], [30, 80]]> : tensor<2x2xi64>
// CHECK-DAG: whittle.constant dense<[-3, 3, -3, 2]> : tensor<4xi64>
// CHECK-DAG: whittle.constant dense<[8, 1, -27, 0]> : tensor<4xi64>
// CHECK-DAG: whittle.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: whittle.constant dense<[2, 4]> : tensor<2xi64>
// CHECK-NOT: whittle.add
// CHECK-NOT: whittle.sub
// CHECK-NOT: whittle.mul
// CHECK-NOT: whittle.pow
// CHECK-NOT: whittle.min
// CHECK-NOT: whittle.max
func.func @arith_broadcast() -> (tensor<2x2xi64>, tensor<2x2xi64>, tensor<2x2xi64>, tensor<4xi64>, tensor<4xi64>, tensor<2xi64>, tensor<2xi64>) {
  %a = whittle.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = whittle.constant dense<[10, 20]> : tensor<2xi64>
  %0 = whittle.add %a, %b : (tensor<2x2xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %1 = whittle.sub %a, %b : (tensor<2x2xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %2 = whittle.mul %a, %b : (tensor<2x2xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  // Integer division truncates toward zero.
  %n = whittle.constant dense<[-7, 7, 7, 5]> : tensor<4xi64>
  %d = whittle.constant dense<[2, 2, -2, 2]> : tensor<4xi64>
  %3 = whittle.div %n, %d : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %base = whittle.constant dense<[2, 1, -3, 0]> : tensor<4xi64>
  %e = whittle.constant dense<3> : tensor<i64>
  %4 = whittle.pow %base, %e : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %x = whittle.constant dense<[1, 4]> : tensor<2xi64>
  %y = whittle.constant dense<[2, 2]> : tensor<2xi64>
  %5 = whittle.min %x, %y : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %6 = whittle.max %x, %y : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x2xi64>, tensor<2x2xi64>, tensor<2x2xi64>, tensor<4xi64>, tensor<4xi64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @arith_float
// CHECK-DAG: whittle.constant dense<[1.500000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK-DAG: whittle.constant dense<[2.500000e-01, 1.250000e+00]> : tensor<2xf32>
// CHECK-DAG: whittle.constant dense<[1.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-NOT: whittle.add
// CHECK-NOT: whittle.div
// CHECK-NOT: whittle.pow
func.func @arith_float() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %a = whittle.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %h = whittle.constant dense<0.5> : tensor<f32>
  %0 = whittle.add %a, %h : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %f = whittle.constant dense<[0.5, 2.5]> : tensor<2xf32>
  %t = whittle.constant dense<2.0> : tensor<2xf32>
  %1 = whittle.div %f, %t : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = whittle.pow %a, %t : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @no_fold_arith
// CHECK: whittle.div
// CHECK: whittle.pow
// CHECK: whittle.add %arg0
func.func @no_fold_arith(%x: tensor<2xi64>) -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %a = whittle.constant dense<[1, 2]> : tensor<2xi64>
  %z = whittle.constant dense<[1, 0]> : tensor<2xi64>
  // Not folded: integer division by zero.
  %0 = whittle.div %a, %z : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // Not folded: negative integer exponent.
  %m = whittle.constant dense<-1> : tensor<2xi64>
  %1 = whittle.pow %a, %m : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // Not folded: one operand is not a constant.
  %2 = whittle.add %x, %a : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2 : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @identities
// CHECK-NOT: whittle.add
// CHECK-NOT: whittle.sub
// CHECK-NOT: whittle.mul
// CHECK-NOT: whittle.div
// CHECK-NOT: whittle.pow
// CHECK-NOT: whittle.and
// CHECK-NOT: whittle.or
// CHECK-NOT: whittle.min
// CHECK: return %arg0, %arg0, %arg0, %arg0, %arg0, %arg0, %arg0, %arg1, %arg1, %arg0
func.func @identities(%x: tensor<2x3xf32>, %p: tensor<4xi1>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi1>, tensor<4xi1>, tensor<2x3xf32>) {
  %zero = whittle.constant dense<0.0> : tensor<f32>
  %one = whittle.constant dense<1.0> : tensor<3xf32>
  %0 = whittle.add %x, %zero : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = whittle.add %zero, %x : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = whittle.sub %x, %zero : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = whittle.mul %x, %one : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = whittle.mul %one, %x : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = whittle.div %x, %one : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %6 = whittle.pow %x, %one : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %true = whittle.constant dense<true> : tensor<i1>
  %false = whittle.constant dense<false> : tensor<4xi1>
  %7 = whittle.and %p, %true : (tensor<4xi1>, tensor<i1>) -> tensor<4xi1>
  %8 = whittle.or %false, %p : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %9 = whittle.min %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi1>, tensor<4xi1>, tensor<2x3xf32>
}

// -----

// x + 0 must not fold when broadcasting changes the type.
// CHECK-LABEL: func.func @no_fold_identity_broadcast
// CHECK: %[[Z:.*]] = whittle.constant dense<0.000000e+00> : tensor<2x3xf32>
// CHECK: whittle.add %arg0, %[[Z]] : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: whittle.mul %arg1, %{{.*}} : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
func.func @no_fold_identity_broadcast(%x: tensor<3xf32>, %i: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<3xi64>) {
  %zero = whittle.constant dense<0.0> : tensor<2x3xf32>
  %0 = whittle.add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // Not an identity: the splat is 2, not 1.
  %two = whittle.constant dense<2> : tensor<3xi64>
  %1 = whittle.mul %i, %two : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0, %1 : tensor<2x3xf32>, tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @logic_and_compare
// CHECK-DAG: whittle.constant dense<[true, false, false, false]> : tensor<4xi1>
// CHECK-DAG: whittle.constant dense<[true, true, true, false]> : tensor<4xi1>
// CHECK-DAG: whittle.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[true, true, false]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[false, false, true]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[false, true, true]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<false> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[false, true, true, true]> : tensor<4xi1>
func.func @logic_and_compare() -> (tensor<4xi1>, tensor<4xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<4xi1>) {
  %p = whittle.constant dense<[true, true, false, false]> : tensor<4xi1>
  %q = whittle.constant dense<[true, false, true, false]> : tensor<4xi1>
  %0 = whittle.and %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = whittle.or %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %a = whittle.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = whittle.constant dense<2> : tensor<i64>
  %2 = whittle.equal %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %3 = whittle.less %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %4 = whittle.less_equal %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %5 = whittle.greater %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %6 = whittle.greater_equal %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  // Comparisons with NaN are false.
  %nan = whittle.constant dense<[0x7FC00000, 1.0, 2.0]> : tensor<3xf32>
  %f = whittle.constant dense<0x7FC00000> : tensor<f32>
  %7 = whittle.equal %nan, %f : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
  %8 = whittle.not %0 : (tensor<4xi1>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xi1>, tensor<4xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @no_fold_compare
// CHECK: whittle.equal %arg0
func.func @no_fold_compare(%x: tensor<3xi64>) -> tensor<3xi1> {
  %b = whittle.constant dense<2> : tensor<i64>
  %0 = whittle.equal %x, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK-DAG: whittle.constant dense<[-1, 0, 5]> : tensor<3xi64>
// CHECK-DAG: whittle.constant dense<[-1.500000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: whittle.neg
// CHECK-NOT: whittle.not
// CHECK: return {{.*}}, %arg0, %arg1
func.func @unary(%x: tensor<4xf32>, %p: tensor<4xi1>) -> (tensor<3xi64>, tensor<2xf32>, tensor<4xf32>, tensor<4xi1>) {
  %a = whittle.constant dense<[1, 0, -5]> : tensor<3xi64>
  %0 = whittle.neg %a : (tensor<3xi64>) -> tensor<3xi64>
  %f = whittle.constant dense<[1.5, -2.0]> : tensor<2xf32>
  %1 = whittle.neg %f : (tensor<2xf32>) -> tensor<2xf32>
  %n = whittle.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  %2 = whittle.neg %n : (tensor<4xf32>) -> tensor<4xf32>
  %q = whittle.not %p : (tensor<4xi1>) -> tensor<4xi1>
  %3 = whittle.not %q : (tensor<4xi1>) -> tensor<4xi1>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<2xf32>, tensor<4xf32>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @cast
// CHECK-DAG: whittle.constant dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: whittle.constant dense<[1, -2, 0]> : tensor<3xi32>
// CHECK-DAG: whittle.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: whittle.constant dense<[1, 0]> : tensor<2xi64>
// CHECK-DAG: whittle.constant dense<[1.500000e+00, -2.500000e+00, 5.000000e-01]> : tensor<3xf16>
// CHECK-DAG: whittle.constant dense<[-1, 1]> : tensor<2xi8>
// CHECK: whittle.cast %{{.*}} {to = i32} : (tensor<2xf32>) -> tensor<2xi32>
// CHECK: return {{.*}}, %arg0
func.func @cast(%x: tensor<4xf32>) -> (tensor<3xf32>, tensor<3xi32>, tensor<3xi1>, tensor<2xi64>, tensor<3xf16>, tensor<2xi8>, tensor<2xi32>, tensor<4xf32>) {
  %i = whittle.constant dense<[1, -2, 3]> : tensor<3xi64>
  %0 = whittle.cast %i {to = f32} : (tensor<3xi64>) -> tensor<3xf32>
  // Float to int truncates toward zero.
  %f = whittle.constant dense<[1.5, -2.5, 0.5]> : tensor<3xf32>
  %1 = whittle.cast %f {to = i32} : (tensor<3xf32>) -> tensor<3xi32>
  // To bool: non-zero is true.
  %fb = whittle.constant dense<[1.5, 0.0, -0.0]> : tensor<3xf32>
  %2 = whittle.cast %fb {to = i1} : (tensor<3xf32>) -> tensor<3xi1>
  %b = whittle.constant dense<[true, false]> : tensor<2xi1>
  %3 = whittle.cast %b {to = i64} : (tensor<2xi1>) -> tensor<2xi64>
  %4 = whittle.cast %f {to = f16} : (tensor<3xf32>) -> tensor<3xf16>
  %w = whittle.constant dense<[-1, 257]> : tensor<2xi64>
  %5 = whittle.cast %w {to = i8} : (tensor<2xi64>) -> tensor<2xi8>
  // Not folded: NaN has no integer value.
  %nan = whittle.constant dense<[0x7FC00000, 1.0]> : tensor<2xf32>
  %6 = whittle.cast %nan {to = i32} : (tensor<2xf32>) -> tensor<2xi32>
  %7 = whittle.cast %x {to = f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<3xf32>, tensor<3xi32>, tensor<3xi1>, tensor<2xi64>, tensor<3xf16>, tensor<2xi8>, tensor<2xi32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @where
// CHECK-DAG: %[[C:.*]] = whittle.constant dense<{{\[}}[1, 20], [1, 20]]> : tensor<2x2xi64>
// CHECK-DAG: %[[W:.*]] = whittle.where %arg2, %arg0, %arg1
// CHECK: return %[[C]], %arg0, %arg1, %arg0, %[[W]]
func.func @where(%x: tensor<2xf32>, %y: tensor<2xf32>, %c: tensor<2xi1>) -> (tensor<2x2xi64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %cond = whittle.constant dense<[true, false]> : tensor<2xi1>
  %a = whittle.constant dense<1> : tensor<2x1xi64>
  %b = whittle.constant dense<[10, 20]> : tensor<2xi64>
  %0 = whittle.where %cond, %a, %b : (tensor<2xi1>, tensor<2x1xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %true = whittle.constant dense<true> : tensor<2xi1>
  %false = whittle.constant dense<false> : tensor<i1>
  %1 = whittle.where %true, %x, %y : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = whittle.where %false, %x, %y : (tensor<i1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %3 = whittle.where %c, %x, %x : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  // Not folded: the condition is not a constant.
  %4 = whittle.where %c, %x, %y : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0, %1, %2, %3, %4 : tensor<2x2xi64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @reductions
// CHECK-DAG: whittle.constant dense<{{\[}}[6], [15]]> : tensor<2x1xi64>
// CHECK-DAG: whittle.constant dense<[2.500000e+00, 3.500000e+00, 4.500000e+00]> : tensor<3xf32>
// CHECK-DAG: whittle.constant dense<[4, 5, 6]> : tensor<3xi64>
// CHECK-DAG: whittle.constant dense<21> : tensor<i64>
// CHECK-DAG: whittle.reduce_sum %arg0 {axes = array<i64: 0>}
// CHECK-NOT: whittle.reduce_mean
// CHECK: return {{.*}}, %arg0
func.func @reductions(%x: tensor<2x3xf32>) -> (tensor<2x1xi64>, tensor<3xf32>, tensor<3xi64>, tensor<i64>, tensor<1x3xf32>, tensor<2x3xf32>) {
  %a = whittle.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %f = whittle.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = whittle.reduce_sum %a {axes = array<i64: 1>} : (tensor<2x3xi64>) -> tensor<2x1xi64>
  %1 = whittle.reduce_mean %f {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xf32>) -> tensor<3xf32>
  %2 = whittle.reduce_max %a {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xi64>) -> tensor<3xi64>
  %3 = whittle.reduce_sum %a {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x3xi64>) -> tensor<i64>
  // Not folded: not a constant.
  %4 = whittle.reduce_sum %x {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  // Reducing nothing is the identity.
  %5 = whittle.reduce_mean %x {axes = array<i64>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x1xi64>, tensor<3xf32>, tensor<3xi64>, tensor<i64>, tensor<1x3xf32>, tensor<2x3xf32>
}

// -----

// reduce_min of constants: signed, unsigned and float minima; a non-constant
// input stays.
// CHECK-LABEL: func.func @reduce_min
// CHECK-DAG: whittle.constant dense<[-4, 2, 3]> : tensor<3xi64>
// CHECK-DAG: whittle.constant dense<[1, 200]> : tensor<2xui8>
// CHECK-DAG: whittle.constant dense<-2.500000e+00> : tensor<f32>
// CHECK-DAG: whittle.reduce_min %arg0
func.func @reduce_min(%x: tensor<2x3xf32>) -> (tensor<3xi64>, tensor<2xui8>, tensor<f32>, tensor<3xf32>) {
  %a = whittle.constant dense<[[1, 2, 3], [-4, 5, 6]]> : tensor<2x3xi64>
  %u = whittle.constant dense<[[1, 250], [255, 200]]> : tensor<2x2xui8>
  %f = whittle.constant dense<[[1.0, -2.5], [0.5, 3.0]]> : tensor<2x2xf32>
  %0 = whittle.reduce_min %a {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xi64>) -> tensor<3xi64>
  %1 = whittle.reduce_min %u {axes = array<i64: 0>, keepdims = false} : (tensor<2x2xui8>) -> tensor<2xui8>
  %2 = whittle.reduce_min %f {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x2xf32>) -> tensor<f32>
  %3 = whittle.reduce_min %x {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xf32>) -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<2xui8>, tensor<f32>, tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @gather
// CHECK-DAG: whittle.constant dense<[4, 2]> : tensor<2xi64>
// CHECK-DAG: whittle.constant dense<{{\[}}[3, 1], [6, 4]]> : tensor<2x2xi64>
// CHECK-DAG: whittle.gather %{{.*}}, %arg0
// (Constant out-of-range indices are rejected by the verifier:
// invalid.mlir.)
func.func @gather(%i: tensor<1xi64>) -> (tensor<2xi64>, tensor<2x2xi64>, tensor<1xi64>) {
  %s = whittle.constant dense<[2, 3, 4]> : tensor<3xi64>
  // Negative indices count from the end.
  %idx = whittle.constant dense<[-1, 0]> : tensor<2xi64>
  %0 = whittle.gather %s, %idx {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m = whittle.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %cols = whittle.constant dense<[2, 0]> : tensor<2xi32>
  %1 = whittle.gather %m, %cols {axis = 1 : i64} : (tensor<2x3xi64>, tensor<2xi32>) -> tensor<2x2xi64>
  // Not folded: the indices are not constant.
  %2 = whittle.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0, %1, %2 : tensor<2xi64>, tensor<2x2xi64>, tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-DAG: whittle.constant dense<{{\[}}[6, 4]]> : tensor<1x2xi64>
// CHECK-DAG: whittle.slice %arg0 {sizes = array<i64: 1, 3>
// CHECK: return {{.*}}, %arg0, %{{.*}}
func.func @slice(%x: tensor<2x3xf32>) -> (tensor<1x2xi64>, tensor<2x3xf32>, tensor<1x3xf32>) {
  %m = whittle.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %0 = whittle.slice %m {starts = array<i64: 1, 2>, sizes = array<i64: 1, 2>, steps = array<i64: 1, -2>} : (tensor<2x3xi64>) -> tensor<1x2xi64>
  // Covers everything with unit steps: the identity.
  %1 = whittle.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // Not folded: a part of a non-constant.
  %2 = whittle.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 1, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return %0, %1, %2 : tensor<1x2xi64>, tensor<2x3xf32>, tensor<1x3xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-DAG: whittle.constant dense<{{\[}}[1, 2, 7], [3, 4, 8]]> : tensor<2x3xi64>
// CHECK-DAG: whittle.constant dense<[1, 2, 3, 4, 5]> : tensor<5xi64>
// CHECK-DAG: whittle.concat %arg0, %{{.*}} {axis = 0 : i64}
// CHECK: return {{.*}}, %arg0, %{{.*}}
func.func @concat(%x: tensor<2xi64>) -> (tensor<2x3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<4xi64>) {
  %a = whittle.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = whittle.constant dense<[[7], [8]]> : tensor<2x1xi64>
  %0 = whittle.concat %a, %b {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  %c = whittle.constant dense<[1, 2]> : tensor<2xi64>
  %d = whittle.constant dense<[3, 4, 5]> : tensor<3xi64>
  %e = whittle.constant dense<> : tensor<0xi64>
  %1 = whittle.concat %c, %e, %d {axis = 0 : i64} : (tensor<2xi64>, tensor<0xi64>, tensor<3xi64>) -> tensor<5xi64>
  %2 = whittle.concat %x {axis = 0 : i64} : (tensor<2xi64>) -> tensor<2xi64>
  // Not folded: one input is not a constant.
  %3 = whittle.concat %x, %c {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  return %0, %1, %2, %3 : tensor<2x3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<4xi64>
}

// -----

// An input empty along the axis adds nothing (an empty key/value past before
// the new keys): the other input is the result. Two non-empty run-time inputs
// stay a concat.
// CHECK-LABEL: func.func @concat_empty_past
// CHECK-NOT: whittle.concat %{{.*}}, %arg0
// CHECK: %[[KEEP:.*]] = whittle.concat %arg0, %arg1 {axis = 2 : i64}
// CHECK: return %arg0, %[[KEEP]]
func.func @concat_empty_past(%k: tensor<1x2x5x4xf32>, %p: tensor<1x2x3x4xf32>) -> (tensor<1x2x5x4xf32>, tensor<1x2x8x4xf32>) {
  %past = whittle.constant dense<> : tensor<1x2x0x4xf32>
  %0 = whittle.concat %past, %k {axis = 2 : i64} : (tensor<1x2x0x4xf32>, tensor<1x2x5x4xf32>) -> tensor<1x2x5x4xf32>
  %1 = whittle.concat %k, %p {axis = 2 : i64} : (tensor<1x2x5x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x8x4xf32>
  return %0, %1 : tensor<1x2x5x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshapes
// CHECK-DAG: whittle.constant dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
// CHECK-DAG: whittle.constant dense<{{\[}}[1], [2]]> : tensor<2x1xi64>
// CHECK-DAG: whittle.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: %[[R:.*]] = whittle.reshape %arg0 {shape = array<i64: 4, 6>} : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK-NOT: whittle.squeeze
// CHECK-NOT: whittle.unsqueeze
// CHECK: return {{.*}}, %arg0, %arg0, %arg0, %[[R]]
func.func @reshapes(%x: tensor<2x3x4xf32>) -> (tensor<2x3xi64>, tensor<2x1xi64>, tensor<2xi64>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>) {
  %a = whittle.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
  %0 = whittle.reshape %a {shape = array<i64: 2, 3>} : (tensor<6xi64>) -> tensor<2x3xi64>
  %b = whittle.constant dense<[1, 2]> : tensor<2xi64>
  %1 = whittle.unsqueeze %b {axes = array<i64: 1>} : (tensor<2xi64>) -> tensor<2x1xi64>
  %2 = whittle.squeeze %1 {axes = array<i64: 1>} : (tensor<2x1xi64>) -> tensor<2xi64>
  %3 = whittle.reshape %x {shape = array<i64: 2, 3, 4>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %4 = whittle.squeeze %x {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %5 = whittle.unsqueeze %x {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // Chains of reshapes collapse into one.
  %u = whittle.unsqueeze %x {axes = array<i64: 0>} : (tensor<2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r = whittle.reshape %u {shape = array<i64: 6, 4>} : (tensor<1x2x3x4xf32>) -> tensor<6x4xf32>
  %6 = whittle.reshape %r {shape = array<i64: 4, 6>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x3xi64>, tensor<2x1xi64>, tensor<2xi64>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @expand_transpose
// CHECK-DAG: whittle.constant dense<{{\[}}[1, 1, 1], [2, 2, 2]]> : tensor<2x3xi64>
// CHECK-DAG: whittle.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-DAG: whittle.constant dense<7> : tensor<3x2xi64>
// CHECK-DAG: whittle.expand %arg0 {shape = array<i64: 2, 3>}
// CHECK-DAG: whittle.transpose %arg0 {perm = array<i64: 1, 0>}
// CHECK: return {{.*}}, %arg0, %arg1
func.func @expand_transpose(%x: tensor<1x3xf32>, %y: tensor<2x3xf32>) -> (tensor<2x3xi64>, tensor<3x2xi64>, tensor<3x2xi64>, tensor<2x3xf32>, tensor<3x1xf32>, tensor<1x3xf32>, tensor<2x3xf32>) {
  %a = whittle.constant dense<[[1], [2]]> : tensor<2x1xi64>
  %0 = whittle.expand %a {shape = array<i64: 2, 3>} : (tensor<2x1xi64>) -> tensor<2x3xi64>
  %m = whittle.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %1 = whittle.transpose %m {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  %s = whittle.constant dense<7> : tensor<2x3xi64>
  %2 = whittle.transpose %s {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  // Not folded: not constants.
  %3 = whittle.expand %x {shape = array<i64: 2, 3>} : (tensor<1x3xf32>) -> tensor<2x3xf32>
  %4 = whittle.transpose %x {perm = array<i64: 1, 0>} : (tensor<1x3xf32>) -> tensor<3x1xf32>
  // Identities.
  %5 = whittle.expand %x {shape = array<i64: 1>} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %6 = whittle.transpose %y {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x3xi64>, tensor<3x2xi64>, tensor<3x2xi64>, tensor<2x3xf32>, tensor<3x1xf32>, tensor<1x3xf32>, tensor<2x3xf32>
}

// -----

// The causal mask of a decoder: trilu of a splat.
// CHECK-LABEL: func.func @trilu
// CHECK-DAG: whittle.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK-DAG: whittle.constant dense<{{\[}}[0, 2, 3], [0, 0, 6]]> : tensor<2x3xi64>
// CHECK-DAG: whittle.trilu %arg0 : (tensor<3x3xf32>)
// CHECK: return {{.*}}, %arg0
func.func @trilu(%x: tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<2x3xi64>, tensor<3x3xf32>, tensor<3x3xf32>) {
  %ones = whittle.constant dense<1.0> : tensor<3x3xf32>
  %0 = whittle.trilu %ones {upper = false} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %m = whittle.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %1 = whittle.trilu %m {k = 1 : i64} : (tensor<2x3xi64>) -> tensor<2x3xi64>
  // Not folded: not a constant.
  %2 = whittle.trilu %x : (tensor<3x3xf32>) -> tensor<3x3xf32>
  // Keeps every element: the identity.
  %3 = whittle.trilu %x {k = -2 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0, %1, %2, %3 : tensor<3x3xf32>, tensor<2x3xi64>, tensor<3x3xf32>, tensor<3x3xf32>
}

// -----

// Weights (dense_resource blobs) and results beyond the size limit are never
// folded, so folding never duplicates them.
// CHECK-LABEL: func.func @no_fold_weights
// CHECK-DAG: %[[W:.*]] = whittle.constant dense_resource<weight> : tensor<2x2xf32>
// CHECK-DAG: whittle.transpose %[[W]]
// CHECK-DAG: whittle.add %[[W]], %[[W]]
// CHECK-DAG: %[[B:.*]] = whittle.constant dense<1.000000e+00> : tensor<256x257xf32>
// CHECK-DAG: whittle.transpose %[[B]]
// CHECK-DAG: whittle.reshape %[[W]] {shape = array<i64: 4>}
func.func @no_fold_weights() -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<257x256xf32>, tensor<4xf32>) {
  %w = whittle.constant dense_resource<weight> : tensor<2x2xf32>
  %0 = whittle.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = whittle.add %w, %w : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %big = whittle.constant dense<1.0> : tensor<256x257xf32>
  %2 = whittle.transpose %big {perm = array<i64: 1, 0>} : (tensor<256x257xf32>) -> tensor<257x256xf32>
  %3 = whittle.reshape %w {shape = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<257x256xf32>, tensor<4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weight: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// Two transposes compose into one; a chain that restores the order folds
// away.
// CHECK-LABEL: func.func @transpose_chain
// CHECK-NEXT: %[[T:.*]] = whittle.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x16x8xf32>
// CHECK-NEXT: return %[[T]], %arg0
func.func @transpose_chain(%x: tensor<2x8x4x16xf32>) -> (tensor<2x4x16x8xf32>, tensor<2x8x4x16xf32>) {
  %0 = whittle.transpose %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %1 = whittle.transpose %0 {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %2 = whittle.transpose %0 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
  return %1, %2 : tensor<2x4x16x8xf32>, tensor<2x8x4x16xf32>
}

// -----

// Reciprocal and square root of constants fold (an attention scale written
// 1/sqrt(d)); of a runtime value they stay.
// CHECK-LABEL: func.func @reciprocal_sqrt
// CHECK-DAG: %[[R:.*]] = whittle.constant dense<[2.500000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[S:.*]] = whittle.constant dense<8.000000e+00> : tensor<f32>
// CHECK: %[[X:.*]] = whittle.reciprocal %arg0
// CHECK: %[[Y:.*]] = whittle.sqrt %arg0
// CHECK: return %[[R]], %[[S]], %[[X]], %[[Y]]
func.func @reciprocal_sqrt(%x: tensor<4xf32>) -> (tensor<2xf32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>) {
  %a = whittle.constant dense<[4.0, -2.0]> : tensor<2xf32>
  %0 = whittle.reciprocal %a : (tensor<2xf32>) -> tensor<2xf32>
  %b = whittle.constant dense<64.0> : tensor<f32>
  %1 = whittle.sqrt %b : (tensor<f32>) -> tensor<f32>
  %2 = whittle.reciprocal %x : (tensor<4xf32>) -> tensor<4xf32>
  %3 = whittle.sqrt %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>
}
