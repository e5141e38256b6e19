// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file --verify-diagnostics %s

func.func @matmul(%a: tensor<?x4xf32>, %b: tensor<4x5xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{whittle.matmul: dynamic shapes are not supported in code generation}}
  %0 = whittle.matmul %a, %b : (tensor<?x4xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @softmax(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{whittle.softmax: dynamic shapes are not supported in code generation}}
  %0 = whittle.softmax %x {axis = 1 : i64} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

func.func @add(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{whittle.add: dynamic shapes are not supported in code generation}}
  %0 = whittle.add %a, %b : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
