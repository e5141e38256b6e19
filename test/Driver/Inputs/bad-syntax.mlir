// Not valid MLIR: used by errors.test.
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = whittle.add %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32
  return %0 : tensor<4xf32>
}
