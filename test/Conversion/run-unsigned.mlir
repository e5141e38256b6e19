// Numerical check of unsigned integer types, where signed lowering would give
// other results (200u8 is -56 as i8), and of integer pow; lowered to LLVM and
// executed. Results are widened (extui) to i32/i64 to print them.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

func.func @u8_binary(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = whittle.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = whittle.max %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %2 = whittle.min %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %3 = whittle.greater %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  %w0 = whittle.cast %0 {to = i32} : (tensor<4xui8>) -> tensor<4xi32>
  %w1 = whittle.cast %1 {to = i32} : (tensor<4xui8>) -> tensor<4xi32>
  %w2 = whittle.cast %2 {to = i32} : (tensor<4xui8>) -> tensor<4xi32>
  %w3 = whittle.cast %3 {to = i32} : (tensor<4xi1>) -> tensor<4xi32>
  return %w0, %w1, %w2, %w3 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

func.func @u8_unary(%a: tensor<4xui8>, %f: tensor<4xf32>) -> (tensor<i32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi32>) {
  %0 = whittle.reduce_max %a {axes = array<i64: 0>, keepdims = false} : (tensor<4xui8>) -> tensor<ui8>
  %1 = whittle.clip %a {min = 10.0 : f64, max = 250.0 : f64} : (tensor<4xui8>) -> tensor<4xui8>
  %2 = whittle.cast %a {to = f32} : (tensor<4xui8>) -> tensor<4xf32>
  %3 = whittle.cast %f {to = ui8} : (tensor<4xf32>) -> tensor<4xui8>
  %w0 = whittle.cast %0 {to = i32} : (tensor<ui8>) -> tensor<i32>
  %w1 = whittle.cast %1 {to = i32} : (tensor<4xui8>) -> tensor<4xi32>
  %w3 = whittle.cast %3 {to = i32} : (tensor<4xui8>) -> tensor<4xi32>
  return %w0, %w1, %2, %w3 : tensor<i32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi32>
}

// 3^20 does not fit in i32; int8 -1 sign-extends to uint32 0xffffffff.
func.func @wide(%s: tensor<2xi8>) -> (tensor<2xi64>, tensor<2xi64>) {
  %base = whittle.constant dense<[3, 2]> : tensor<2xui32>
  %exp = whittle.constant dense<[20, 31]> : tensor<2xui32>
  %0 = whittle.pow %base, %exp : (tensor<2xui32>, tensor<2xui32>) -> tensor<2xui32>
  %1 = whittle.cast %s {to = ui32} : (tensor<2xi8>) -> tensor<2xui32>
  %w0 = whittle.cast %0 {to = i64} : (tensor<2xui32>) -> tensor<2xi64>
  %w1 = whittle.cast %1 {to = i64} : (tensor<2xui32>) -> tensor<2xi64>
  return %w0, %w1 : tensor<2xi64>, tensor<2xi64>
}

func.func @signed_pow(%a: tensor<6xi32>, %b: tensor<6xi32>) -> tensor<6xi32> {
  %0 = whittle.pow %a, %b : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
  return %0 : tensor<6xi32>
}

func.func @main() {
  %a = whittle.constant dense<[200, 255, 7, 130]> : tensor<4xui8>
  %b = whittle.constant dense<[3, 2, 7, 100]> : tensor<4xui8>
  %r:4 = call @u8_binary(%a, %b) : (tensor<4xui8>, tensor<4xui8>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>)
  %p0 = tensor.cast %r#0 : tensor<4xi32> to tensor<*xi32>
  %p1 = tensor.cast %r#1 : tensor<4xi32> to tensor<*xi32>
  %p2 = tensor.cast %r#2 : tensor<4xi32> to tensor<*xi32>
  %p3 = tensor.cast %r#3 : tensor<4xi32> to tensor<*xi32>
  // CHECK: sizes = [4]
  // CHECK-NEXT: [66,  127,  1,  1]
  call @printMemrefI32(%p0) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [200,  255,  7,  130]
  call @printMemrefI32(%p1) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [3,  2,  7,  100]
  call @printMemrefI32(%p2) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [1,  1,  0,  1]
  call @printMemrefI32(%p3) : (tensor<*xi32>) -> ()

  %f = arith.constant dense<[250.0, 3.5, 128.0, 0.0]> : tensor<4xf32>
  %u:4 = call @u8_unary(%a, %f) : (tensor<4xui8>, tensor<4xf32>) -> (tensor<i32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi32>)
  %q0 = tensor.cast %u#0 : tensor<i32> to tensor<*xi32>
  %q1 = tensor.cast %u#1 : tensor<4xi32> to tensor<*xi32>
  %q2 = tensor.cast %u#2 : tensor<4xf32> to tensor<*xf32>
  %q3 = tensor.cast %u#3 : tensor<4xi32> to tensor<*xi32>
  // CHECK: sizes = []
  // CHECK-NEXT: [255]
  call @printMemrefI32(%q0) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [200,  250,  10,  130]
  call @printMemrefI32(%q1) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [200,  255,  7,  130]
  call @printMemrefF32(%q2) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [250,  3,  128,  0]
  call @printMemrefI32(%q3) : (tensor<*xi32>) -> ()

  %s = arith.constant dense<[-1, 5]> : tensor<2xi8>
  %w:2 = call @wide(%s) : (tensor<2xi8>) -> (tensor<2xi64>, tensor<2xi64>)
  %v0 = tensor.cast %w#0 : tensor<2xi64> to tensor<*xi64>
  %v1 = tensor.cast %w#1 : tensor<2xi64> to tensor<*xi64>
  // CHECK: sizes = [2]
  // CHECK-NEXT: [3486784401,  2147483648]
  call @printMemrefI64(%v0) : (tensor<*xi64>) -> ()
  // CHECK: sizes = [2]
  // CHECK-NEXT: [4294967295,  5]
  call @printMemrefI64(%v1) : (tensor<*xi64>) -> ()

  // A negative exponent truncates 1 / x^n: 0 unless x is 1 or -1.
  %x = arith.constant dense<[2, 3, -2, 2, 1, -1]> : tensor<6xi32>
  %n = arith.constant dense<[10, 3, 3, -1, -2, -3]> : tensor<6xi32>
  %pw = call @signed_pow(%x, %n) : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
  %pp = tensor.cast %pw : tensor<6xi32> to tensor<*xi32>
  // CHECK: sizes = [6]
  // CHECK-NEXT: [1024,  27,  -8,  0,  1,  -1]
  call @printMemrefI32(%pp) : (tensor<*xi32>) -> ()
  return
}

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefI64(tensor<*xi64>)
func.func private @printMemrefF32(tensor<*xf32>)
