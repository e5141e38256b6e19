// Numerical check of whittle.integer_matmul's lowering (the raw u8 x s8
// product plus zero-point corrections), lowered to LLVM and executed;
// expected values from numpy's int64 matmul of the centered operands.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

// Unsigned activations with a run-time zero point, a constant signed weight
// with a zero zero point (ONNX Runtime's dynamic quantization).
func.func @u8_s8(%a: tensor<3x5xui8>, %za: tensor<ui8>) -> tensor<3x4xi32> {
  %w = whittle.constant dense<[[-88, 49, 60, -120], [-99, -13, -28, 99], [4, -21, -18, 42], [22, -84, 60, 65], [116, 73, -56, -47]]> : tensor<5x4xi8>
  %zw = whittle.constant dense<0> : tensor<i8>
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<3x5xui8>, tensor<5x4xi8>, tensor<ui8>, tensor<i8>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// Signed batched activations (shifted to unsigned) and a constant unsigned
// weight (shifted to signed) with one zero point per column.
func.func @s8_u8(%a: tensor<2x3x5xi8>) -> tensor<2x3x4xi32> {
  %w = whittle.constant dense<[[169, 133, 238, 237], [53, 155, 161, 63], [76, 124, 189, 74], [184, 167, 55, 99], [212, 215, 168, 1]]> : tensor<5x4xui8>
  %za = whittle.constant dense<-7> : tensor<i8>
  %zw = whittle.constant dense<[0, 128, 255, 3]> : tensor<4xui8>
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<2x3x5xi8>, tensor<5x4xui8>, tensor<i8>, tensor<4xui8>) -> tensor<2x3x4xi32>
  return %0 : tensor<2x3x4xi32>
}

// A weight that is not a constant: its column sums are computed at run time.
func.func @runtime_weight(%a: tensor<3x5xui8>, %w: tensor<5x4xi8>) -> tensor<3x4xi32> {
  %za = whittle.constant dense<131> : tensor<ui8>
  %zw = whittle.constant dense<5> : tensor<i8>
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<3x5xui8>, tensor<5x4xi8>, tensor<ui8>, tensor<i8>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// One zero point per row of the activations (dynamic quantization per
// row), a constant weight with one per column.
func.func @per_row(%a: tensor<3x5xui8>) -> tensor<3x4xi32> {
  %w = whittle.constant dense<[[46, -71, 81, 105], [-19, 116, 66, -45], [96, -30, -102, 23], [89, 40, -28, 102], [-6, -30, -91, -74]]> : tensor<5x4xi8>
  %za = whittle.constant dense<[[10], [200], [131]]> : tensor<3x1xui8>
  %zw = whittle.constant dense<[3, -4, 0, 127]> : tensor<4xi8>
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<3x5xui8>, tensor<5x4xi8>, tensor<3x1xui8>, tensor<4xi8>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

func.func @main() {
  %a = whittle.constant dense<[[207, 21, 45, 60, 46], [205, 222, 149, 10, 24], [85, 110, 159, 122, 67]]> : tensor<3x5xui8>
  %za = whittle.constant dense<131> : tensor<ui8>
  %r0 = call @u8_s8(%a, %za) : (tensor<3x5xui8>, tensor<ui8>) -> tensor<3x4xi32>
  %p0 = tensor.cast %r0 : tensor<3x4xi32> to tensor<*xi32>
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [-7564,   6719,   9688,   -24242]
  // CHECK-NEXT: [-30523,   4418,   300,   -1951]
  // CHECK-NEXT: [-1383,   -6485,   368,   7040]
  call @printMemrefI32(%p0) : (tensor<*xi32>) -> ()

  %s = whittle.constant dense<[[[38, 38, 50, 94, -54], [112, -128, -109, 121, 113], [-52, -93, -48, -117, 100]], [[41, 21, -66, -8, -80], [69, -7, -121, -63, 52], [5, -33, -64, -105, 27]]]> : tensor<2x3x5xi8>
  %r1 = call @s8_u8(%s) : (tensor<2x3x5xi8>) -> tensor<2x3x4xi32>
  %p1 = tensor.cast %r1 : tensor<2x3x4xi32> to tensor<*xi32>
  // CHECK: sizes = [2, 3, 4]
  // CHECK-NEXT: {{\[}}{{\[}}22942,   1062,   -24868,   27067],
  // CHECK-NEXT: [54938,   13168,   -19957,   25392],
  // CHECK-NEXT: [-12835,   2636,   24246,   -29375]],
  // CHECK-NEXT: {{\[}}[-10548,   -5158,   6997,   8773],
  // CHECK-NEXT: [6384,   3785,   12299,   4196],
  // CHECK-NEXT: [-14506,   -1278,   22644,   -12275]]]
  call @printMemrefI32(%p1) : (tensor<*xi32>) -> ()

  %w = whittle.constant dense<[[46, -71, 81, 105], [-19, 116, 66, -45], [96, -30, -102, 23], [89, 40, -28, 102], [-6, -30, -91, -74]]> : tensor<5x4xi8>
  %r2 = call @runtime_weight(%a, %w) : (tensor<3x5xui8>, tensor<5x4xi8>) -> tensor<3x4xi32>
  %p2 = tensor.cast %r2 : tensor<3x4xi32> to tensor<*xi32>
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [-7099,   -14486,   18771,   11380]
  // CHECK-NEXT: [-6499,   3357,   23514,   -110]
  // CHECK-NEXT: [1114,   2110,   -1332,   1137]
  call @printMemrefI32(%p2) : (tensor<*xi32>) -> ()

  %r3 = call @per_row(%a) : (tensor<3x5xui8>) -> tensor<3x4xi32>
  %p3 = tensor.cast %r3 : tensor<3x4xi32> to tensor<*xi32>
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [15460,   -11525,   8437,   -18352]
  // CHECK-NEXT: [-19768,   -153,   28395,   41536]
  // CHECK-NEXT: [890,   1102,   -1892,   14801]
  call @printMemrefI32(%p3) : (tensor<*xi32>) -> ()
  return
}

func.func private @printMemrefI32(tensor<*xi32>)
