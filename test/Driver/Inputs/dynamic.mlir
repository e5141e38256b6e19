// A dynamically shaped input: used by errors.test.
func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> attributes {whittle.input_names = ["x"]} {
  return %x : tensor<?xf32>
}
