// Numerical check of softmax, layer norm and both gelu forms, lowered to LLVM
// and executed. Expected values come from numpy.
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s

func.func @softmax(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = whittle.softmax %x {axis = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

func.func @layer_norm(%x: tensor<2x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = whittle.layer_norm %x, %s, %b {axis = 1 : i64} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

func.func @gelu(%x: tensor<7xf32>) -> (tensor<7xf32>, tensor<7xf32>) {
  %0 = whittle.gelu %x : (tensor<7xf32>) -> tensor<7xf32>
  %1 = whittle.gelu %x {tanh_approximation = true} : (tensor<7xf32>) -> tensor<7xf32>
  return %0, %1 : tensor<7xf32>, tensor<7xf32>
}

func.func @main() {
  // The 1000 checks the max subtraction (a naive exp overflows).
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 1000.0, 1.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<3x4xf32>
  %0 = call @softmax(%x) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %u0 = tensor.cast %0 : tensor<3x4xf32> to tensor<*xf32>
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [0.0320586,   0.0871443,   0.236883,   0.643914]
  // CHECK-NEXT: [0,   0,   1,   0]
  // CHECK-NEXT: [0.25,   0.25,   0.25,   0.25]
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()

  %lx = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-2.0, 0.0, 2.0, 8.0]]> : tensor<2x4xf32>
  %ls = arith.constant dense<[1.0, 0.5, 2.0, -1.0]> : tensor<4xf32>
  %lb = arith.constant dense<[0.0, 1.0, 0.0, 0.5]> : tensor<4xf32>
  %1 = call @layer_norm(%lx, %ls, %lb) : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %u1 = tensor.cast %1 : tensor<2x4xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: [-1.34164,   0.776394,   0.894424,   -0.841635]
  // CHECK-NEXT: [-1.06904,   0.732739,   0,   -1.10357]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()

  %g = arith.constant dense<[-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]> : tensor<7xf32>
  %2:2 = call @gelu(%g) : (tensor<7xf32>) -> (tensor<7xf32>, tensor<7xf32>)
  %u2 = tensor.cast %2#0 : tensor<7xf32> to tensor<*xf32>
  %u3 = tensor.cast %2#1 : tensor<7xf32> to tensor<*xf32>
  // CHECK: sizes = [7]
  // CHECK-NEXT: [-0.0040{{[0-9]+}},  -0.15865{{[0-9]*}},  -0.15426{{[0-9]*}},  0,  0.34573{{[0-9]*}},  0.84134{{[0-9]*}},  2.9959{{[0-9]*}}]
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [7]
  // CHECK-NEXT: [-0.0036{{[0-9]+}},  -0.15880{{[0-9]*}},  -0.15428{{[0-9]*}},  0,  0.34571{{[0-9]*}},  0.84119{{[0-9]*}},  2.9963{{[0-9]*}}]
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
