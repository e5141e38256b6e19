// Numerical check of the GPU flash kernel of whittle.attention (its launches
// emulated on the CPU), on the inputs and expected values of
// test/Conversion/run-attention.mlir (the reference lowering): grouped
// heads (2 query heads on 1 key/value head), a broadcast additive mask,
// causal with Tq = Tk and with Tq < Tk (the last query sees every key).
// Expected values come from numpy (softmax(scale * q k^T + mask) v, keys
// repeated per group, -inf above the shifted diagonal).
// RUN: whittle-opt --whittle-map-attention-to-gpu --one-shot-bufferize=bufferize-function-boundaries --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s

func.func @causal(%q: tensor<1x2x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>, %m: tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32> {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.5 : f64, causal = true} : (tensor<1x2x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32>
  return %0 : tensor<1x2x3x2xf32>
}

func.func @masked(%q: tensor<1x2x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>, %m: tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32> {
  %0 = whittle.attention %q, %k, %v, %m {scale = 0.5 : f64} : (tensor<1x2x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32>
  return %0 : tensor<1x2x3x2xf32>
}

func.func @causal_shifted(%q: tensor<1x2x2x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x2x2x2xf32> {
  %0 = whittle.attention %q, %k, %v {scale = 1.0 : f64, causal = true} : (tensor<1x2x2x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

func.func @main() {
  %q = arith.constant dense<[[[[0.1, 0.2], [0.3, -0.4], [1.0, 0.5]], [[-0.5, 0.25], [0.7, 0.1], [0.0, -1.0]]]]> : tensor<1x2x3x2xf32>
  %q2 = arith.constant dense<[[[[0.3, -0.4], [1.0, 0.5]], [[0.7, 0.1], [0.0, -1.0]]]]> : tensor<1x2x2x2xf32>
  %k = arith.constant dense<[[[[0.2, 0.1], [-0.3, 0.6], [0.9, -0.2]]]]> : tensor<1x1x3x2xf32>
  %v = arith.constant dense<[[[[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]]]]> : tensor<1x1x3x2xf32>
  %m = arith.constant dense<[[[[0.0, -1.0, 0.5]]]]> : tensor<1x1x1x3xf32>
  %0 = call @causal(%q, %k, %v, %m) : (tensor<1x2x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32>
  %u0 = tensor.cast %0 : tensor<1x2x3x2xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 2, 3, 2]
  // CHECK-NEXT: {{\[\[\[\[}}1,     2],
  // CHECK-NEXT: [1.4719,     1.29214],
  // CHECK-NEXT: [0.875262,     0.634575]],
  // CHECK-NEXT: {{\[\[}}1,     2],
  // CHECK-NEXT: [1.48098,     1.27853],
  // CHECK-NEXT: [0.879839,     0.684681]]]]
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()
  %1 = call @masked(%q, %k, %v, %m) : (tensor<1x2x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x1x3xf32>) -> tensor<1x2x3x2xf32>
  %u1 = tensor.cast %1 : tensor<1x2x3x2xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 2, 3, 2]
  // CHECK-NEXT: {{\[\[\[\[}}0.975576,     0.671369],
  // CHECK-NEXT: [0.891001,     0.669258],
  // CHECK-NEXT: [0.875262,     0.634575]],
  // CHECK-NEXT: {{\[\[}}1.07957,     0.680459],
  // CHECK-NEXT: [0.880808,     0.649268],
  // CHECK-NEXT: [0.879839,     0.684681]]]]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %2 = call @causal_shifted(%q2, %k, %v) : (tensor<1x2x2x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x2x2x2xf32>
  %u2 = tensor.cast %2 : tensor<1x2x2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 2, 2, 2]
  // CHECK-NEXT: {{\[\[\[\[}}1.82676,     0.759853],
  // CHECK-NEXT: [1.19674,     0.471095]],
  // CHECK-NEXT: {{\[\[}}1.85111,     0.723328],
  // CHECK-NEXT: [1.18202,     0.585489]]]]
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
