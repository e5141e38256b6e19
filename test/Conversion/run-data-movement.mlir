// Numerical check of gather with negative indices, slice with negative
// steps, concat, and float -> int / bool casts, lowered to LLVM and executed.
// Expected values come from numpy.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

func.func @gather(%d: tensor<3x4xf32>, %i: tensor<2x2xi64>) -> tensor<3x2x2xf32> {
  %0 = whittle.gather %d, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
  return %0 : tensor<3x2x2xf32>
}

// x[:, 2:0:-1, 3::-2], then concatenated with itself along the last axis.
func.func @slice_concat(%x: tensor<2x3x4xf32>) -> tensor<2x2x4xf32> {
  %0 = whittle.slice %x {starts = array<i64: 0, 2, 3>, sizes = array<i64: 2, 2, 2>, steps = array<i64: 1, -1, -2>} : (tensor<2x3x4xf32>) -> tensor<2x2x2xf32>
  %1 = whittle.neg %0 : (tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %2 = whittle.concat %0, %1 {axis = 2 : i64} : (tensor<2x2x2xf32>, tensor<2x2x2xf32>) -> tensor<2x2x4xf32>
  return %2 : tensor<2x2x4xf32>
}

func.func @casts(%x: tensor<6xf32>) -> (tensor<6xi32>, tensor<6xi32>) {
  %0 = whittle.cast %x {to = i32} : (tensor<6xf32>) -> tensor<6xi32>
  %1 = whittle.cast %x {to = i1} : (tensor<6xf32>) -> tensor<6xi1>
  %2 = whittle.cast %1 {to = i32} : (tensor<6xi1>) -> tensor<6xi32>
  return %0, %2 : tensor<6xi32>, tensor<6xi32>
}

func.func @main() {
  %d = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]> : tensor<3x4xf32>
  %i = arith.constant dense<[[-1, 0], [2, -4]]> : tensor<2x2xi64>
  %0 = call @gather(%d, %i) : (tensor<3x4xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
  %u0 = tensor.cast %0 : tensor<3x2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [3, 2, 2]
  // CHECK-NEXT: [3,    0],
  // CHECK-NEXT: [2,    0]],
  // CHECK-NEXT: [7,    4],
  // CHECK-NEXT: [6,    4]],
  // CHECK-NEXT: [11,    8],
  // CHECK-NEXT: [10,    8]]]
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()

  %x = arith.constant dense<[[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]], [[12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0]]]> : tensor<2x3x4xf32>
  %1 = call @slice_concat(%x) : (tensor<2x3x4xf32>) -> tensor<2x2x4xf32>
  %u1 = tensor.cast %1 : tensor<2x2x4xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 2, 4]
  // CHECK-NEXT: [11,    9,    -11,    -9],
  // CHECK-NEXT: [7,    5,    -7,    -5]],
  // CHECK-NEXT: [23,    21,    -23,    -21],
  // CHECK-NEXT: [19,    17,    -19,    -17]]]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()

  %c = arith.constant dense<[-2.7, -0.5, 0.0, 0.9, 2.5, 127.9]> : tensor<6xf32>
  %2:2 = call @casts(%c) : (tensor<6xf32>) -> (tensor<6xi32>, tensor<6xi32>)
  %u2 = tensor.cast %2#0 : tensor<6xi32> to tensor<*xi32>
  %u3 = tensor.cast %2#1 : tensor<6xi32> to tensor<*xi32>
  // CHECK: sizes = [6]
  // CHECK-NEXT: [-2,  0,  0,  0,  2,  127]
  call @printMemrefI32(%u2) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [6]
  // CHECK-NEXT: [1,  1,  0,  1,  1,  1]
  call @printMemrefI32(%u3) : (tensor<*xi32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)
