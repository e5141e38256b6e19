// Numerical check of reductions, trilu, where and integer division (which
// truncates toward zero), lowered to LLVM and executed.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

func.func @reduce(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<1x3xf32>, tensor<f32>) {
  %0 = whittle.reduce_mean %x {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  %1 = whittle.reduce_max %x {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %2 = whittle.reduce_sum %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x3xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<2x1xf32>, tensor<1x3xf32>, tensor<f32>
}

func.func @trilu_where(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = whittle.trilu %x {k = 0 : i64, upper = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %t = whittle.constant dense<3.0> : tensor<f32>
  %1 = whittle.greater %x, %t : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xi1>
  %2 = whittle.neg %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = whittle.where %1, %2, %0 : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

func.func @int_div(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = whittle.div %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %r:3 = call @reduce(%x) : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<1x3xf32>, tensor<f32>)
  %u0 = tensor.cast %r#0 : tensor<2x1xf32> to tensor<*xf32>
  %u1 = tensor.cast %r#1 : tensor<1x3xf32> to tensor<*xf32>
  %u2 = tensor.cast %r#2 : tensor<f32> to tensor<*xf32>
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[2],
  // CHECK-NEXT: [5]]
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 3]
  // CHECK-NEXT: {{\[}}[4,   5,   6]]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  // CHECK: sizes = []
  // CHECK-NEXT: [21]
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()

  // upper triangle, then x > 3 replaced by -x.
  %t = call @trilu_where(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %u3 = tensor.cast %t : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[1,   2,   3],
  // CHECK-NEXT: [-4,   -5,   -6]]
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()

  %a = arith.constant dense<[-7, 7, -8]> : tensor<3xi32>
  %b = arith.constant dense<[2, -2, 3]> : tensor<3xi32>
  %d = call @int_div(%a, %b) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %u4 = tensor.cast %d : tensor<3xi32> to tensor<*xi32>
  // CHECK: sizes = [3]
  // CHECK-NEXT: [-3,  -3,  -2]
  call @printMemrefI32(%u4) : (tensor<*xi32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)
