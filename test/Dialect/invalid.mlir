// RUN: whittle-opt %s -split-input-file -verify-diagnostics

func.func @invalid_0(%s: tensor<2x3xi64>) {
  // expected-error @+1 {{shape must be a 1-D tensor}}
  %0 = whittle.constant_of_shape %s {value = 0.0 : f32} : (tensor<2x3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @invalid_1(%s: tensor<?xi64>) {
  // expected-error @+2 {{shape operand must have a static length}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.constant_of_shape %s {value = 0.0 : f32} : (tensor<?xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @invalid_2(%s: tensor<2xi64>) {
  // expected-error @+2 {{value must be an integer or float scalar}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.constant_of_shape %s {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @invalid_3() {
  %s = whittle.constant dense<[2, -3]> : tensor<2xi64>
  // expected-error @+2 {{shape entries must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_4() {
  %s = whittle.constant dense<[2, 3]> : tensor<2xi64>
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  %0 = whittle.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @invalid_5(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<2xi64>' are incompatible}}
  %0 = whittle.shape %x : (tensor<2x3xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @invalid_6(%a: tensor<2xi64>) {
  // expected-error @+1 {{start, limit and delta must be scalars}}
  %0 = whittle.range %a, %a, %a : (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @invalid_7(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error @+1 {{start, limit and delta must have one element type}}
  %0 = whittle.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @invalid_8() {
  %s = whittle.constant dense<0> : tensor<i64>
  %l = whittle.constant dense<5> : tensor<i64>
  // expected-error @+2 {{range delta must not be zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.range %s, %l, %s : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @invalid_9() {
  %s = whittle.constant dense<0> : tensor<i64>
  %l = whittle.constant dense<5> : tensor<i64>
  %d = whittle.constant dense<2> : tensor<i64>
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<3xi64>' are incompatible}}
  %0 = whittle.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<5xi64>
  return
}

// -----

func.func @invalid_10(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{operand element types differ: 'f32' vs 'f16'}}
  %0 = whittle.add %a, %b : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_11(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.mul %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_12(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<2x3xf32>' are incompatible}}
  %0 = whittle.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @invalid_13(%a: tensor<2xi32>) {
  // expected-error @+1 {{operands must be i1 tensors}}
  %0 = whittle.and %a, %a : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @invalid_14(%a: tensor<2xi1>, %b: tensor<2xi8>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = whittle.or %a, %b : (tensor<2xi1>, tensor<2xi8>) -> tensor<2xi1>
  return
}

// -----

func.func @invalid_15(%a: tensor<2xf32>, %b: tensor<2xi32>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = whittle.equal %a, %b : (tensor<2xf32>, tensor<2xi32>) -> tensor<2xi1>
  return
}

// -----

func.func @invalid_16(%a: tensor<2xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = whittle.less %a, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_17(%a: tensor<2xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = whittle.sqrt %a : (tensor<2xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @invalid_18(%a: tensor<2xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = whittle.exp %a : (tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @invalid_19(%a: tensor<2xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = whittle.not %a : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_20(%a: tensor<2xf32>) {
  // expected-error @+1 {{min must not exceed max}}
  %0 = whittle.clip %a {min = 1.0 : f64, max = 0.0 : f64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_21(%a: tensor<2xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<2xi32>' are incompatible}}
  %0 = whittle.cast %a {to = i32} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_22(%c: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{x and y must have one element type}}
  %0 = whittle.where %c, %a, %b : (tensor<2xi1>, tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_23(%c: tensor<3xi1>, %a: tensor<2xf32>) {
  // expected-error @+2 {{operand shapes are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.where %c, %a, %a : (tensor<3xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_24(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contraction dimensions differ (3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @invalid_25(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+2 {{batch dimensions are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  return
}

// -----

func.func @invalid_26(%a: tensor<f32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{matmul operands must have rank >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.matmul %a, %b : (tensor<f32>, tensor<3xf32>) -> tensor<f32>
  return
}

// -----

func.func @invalid_27(%a: tensor<2x3xf32>, %b: tensor<3x5xf16>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = whittle.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf16>) -> tensor<2x5xf32>
  return
}

// -----

func.func @invalid_28(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{A and B must be 2-D}}
  %0 = whittle.gemm %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_29(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{gemm contraction dimensions differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.gemm %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @invalid_30(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: tensor<3xf32>) {
  // expected-error @+1 {{C is not broadcastable to the result shape}}
  %0 = whittle.gemm %a, %b, %c : (tensor<2x3xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @invalid_31(%x: tensor<1x4x9xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{only 2-D convolution (rank-4 input and weight) is supported}}
  %0 = whittle.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @invalid_32(%x: tensor<1x4x9x9xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{expects 2 strides, 2 dilations and 4 pads}}
  %0 = whittle.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @invalid_33(%x: tensor<1x4x9x9xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @+1 {{input channels 4 do not match weight channels 2 x group 1}}
  %0 = whittle.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @invalid_34(%x: tensor<1x4x9x9xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{group must be positive}}
  %0 = whittle.conv %x, %w {dilations = array<i64: 1, 1>, group = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @invalid_35(%x: tensor<1x4x9x9xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias must be 1-D with one entry per filter}}
  %0 = whittle.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @invalid_36(%x: tensor<1x4x2x2xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{convolution window does not fit the input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x1x1xf32>
  return
}

// -----

func.func @invalid_37(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes entry 2 is out of range for rank 2}}
  %0 = whittle.reduce_sum %a {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_38(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = whittle.reduce_max %a {axes = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return
}

// -----

func.func @invalid_39(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<2xf32>' are incompatible}}
  %0 = whittle.reduce_mean %a {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @invalid_41(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = whittle.softmax %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_42(%a: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{axis 3 is out of range for rank 2}}
  %0 = whittle.layer_norm %a, %s {axis = 3 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_43(%a: tensor<2x3xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{scale and bias must broadcast to the normalized shape}}
  %0 = whittle.layer_norm %a, %s {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_44(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape 6 elements into 8}}
  %0 = whittle.reshape %a {shape = array<i64: 4, 2>} : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @invalid_45(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{shape entries must be non-negative}}
  %0 = whittle.reshape %a {shape = array<i64: -1, 6>} : (tensor<2x3xf32>) -> tensor<1x6xf32>
  return
}

// -----

func.func @invalid_46(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %0 = whittle.transpose %a {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @invalid_47(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{perm size does not match the input rank}}
  %0 = whittle.transpose %a {perm = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_48(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %0 = whittle.transpose %a {perm = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_49(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{inputs differ in dimension 1}}
  %0 = whittle.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @invalid_50(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{inputs must share element type and rank}}
  %0 = whittle.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @invalid_51(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) {
  // expected-error @+1 {{inputs must share element type and rank}}
  %0 = whittle.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x6xf32>
  return
}

// -----

func.func @invalid_52(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis out of range}}
  %0 = whittle.concat %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_53(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{sizes add up to 2 but the dimension is 3}}
  %0:2 = whittle.split %a {axis = 1 : i64, sizes = array<i64: 1, 1>} : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @invalid_54(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{one size per result expected}}
  %0:2 = whittle.split %a {axis = 1 : i64, sizes = array<i64: 3>} : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  return
}

// -----

func.func @invalid_55(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{sizes must be non-negative}}
  %0:2 = whittle.split %a {axis = 1 : i64, sizes = array<i64: -1, 4>} : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x4xf32>)
  return
}

// -----

func.func @invalid_56(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis out of range}}
  %0 = whittle.split %a {axis = 2 : i64, sizes = array<i64: 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_57(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{starts, sizes and steps need one entry per dimension}}
  %0 = whittle.slice %a {sizes = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @invalid_58(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{step must not be zero}}
  %0 = whittle.slice %a {sizes = array<i64: 1, 1>, starts = array<i64: 0, 0>, steps = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return
}

// -----

func.func @invalid_59(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{slice of dimension 1 reads out of bounds}}
  %0 = whittle.slice %a {sizes = array<i64: 1, 2>, starts = array<i64: 0, 2>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  return
}

// -----

func.func @invalid_60(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{slice of dimension 1 reads out of bounds}}
  %0 = whittle.slice %a {sizes = array<i64: 1, 2>, starts = array<i64: 0, 0>, steps = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  return
}

// -----

func.func @invalid_61(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{size must be non-negative}}
  %0 = whittle.slice %a {sizes = array<i64: 1, -1>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  return
}

// -----

func.func @invalid_62(%a: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{axis out of range}}
  %0 = whittle.gather %a, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @invalid_63(%a: tensor<2x3xf32>, %i: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of integer values}}
  %0 = whittle.gather %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Constant indices past the axis (a position table shorter than the
// compiled sequence) are an error at compile time.
func.func @gather_constant_index_out_of_range(%a: tensor<2x3xf32>) {
  %i = whittle.constant dense<[0, 1, 2]> : tensor<3xi64>
  // expected-error @+1 {{index 2 is out of range for axis 0 of size 2}}
  %0 = whittle.gather %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<3x3xf32>
  return
}

// -----

func.func @invalid_64(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot squeeze dimension 1 of size 3}}
  %0 = whittle.squeeze %a {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @invalid_65(%a: tensor<2x1xf32>) {
  // expected-error @+1 {{axes entry 2 is out of range for rank 2}}
  %0 = whittle.squeeze %a {axes = array<i64: 2>} : (tensor<2x1xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @invalid_66(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes entry 3 is out of range for rank 3}}
  %0 = whittle.unsqueeze %a {axes = array<i64: 3>} : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  return
}

// -----

func.func @invalid_67(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = whittle.unsqueeze %a {axes = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x1x1x3xf32>
  return
}

// -----

func.func @invalid_68(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{input is not broadcastable to the target shape}}
  %0 = whittle.expand %a {shape = array<i64: 4, 3>} : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @invalid_69(%a: tensor<1x3xf32>) {
  // expected-error @+2 {{input is not broadcastable to the target shape}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = whittle.expand %a {shape = array<i64: -5, 3>} : (tensor<1x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @invalid_70(%a: tensor<3xf32>) {
  // expected-error @+1 {{input must have rank >= 2}}
  %0 = whittle.trilu %a : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @invalid_71(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = whittle.trilu %a : (tensor<2x3xf32>) -> tensor<2x3xf16>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x6x4x8xf32>, %k: tensor<1x4x4x8xf32>, %v: tensor<1x4x4x8xf32>) {
  // expected-error @+1 {{query heads (6) are not a multiple of key/value heads (4)}}
  %0 = whittle.attention %q, %k, %v {scale = 1.0 : f64} : (tensor<1x6x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x6x4x8xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x4x8xf32>, %k: tensor<1x4x4x16xf32>, %v: tensor<1x4x4x8xf32>) {
  // expected-error @+1 {{query and key head sizes differ}}
  %0 = whittle.attention %q, %k, %v {scale = 1.0 : f64} : (tensor<1x4x4x8xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return
}

// -----

func.func @attention_position_not_causal(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x5x8xf32>, %p: tensor<1xi64>) {
  // expected-error @+1 {{a position requires causal attention}}
  %0 = whittle.attention %q, %k, %k position %p {scale = 1.0 : f64} : (tensor<1x4x1x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>, tensor<1xi64>) -> tensor<1x4x1x8xf32>
  return
}

// -----

func.func @attention_position_shape(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x5x8xf32>, %p: tensor<2xi64>) {
  // expected-error @+1 {{position must be one i64 of shape [1]}}
  %0 = whittle.attention %q, %k, %k position %p {scale = 1.0 : f64, causal = true} : (tensor<1x4x1x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>, tensor<2xi64>) -> tensor<1x4x1x8xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<1x4x4x8xf32>, %k: tensor<1x4x5x8xf32>, %v: tensor<1x4x5x8xf32>, %m: tensor<1x1x1x4xf32>) {
  // expected-error @+1 {{mask does not broadcast to the scores' shape [batch, heads, queries, keys]}}
  %0 = whittle.attention %q, %k, %v, %m {scale = 1.0 : f64} : (tensor<1x4x4x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>, tensor<1x1x1x4xf32>) -> tensor<1x4x4x8xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<4x4x8xf32>, %k: tensor<1x4x4x8xf32>, %v: tensor<1x4x4x8xf32>) {
  // expected-error @+1 {{query and value must be 4-D}}
  %0 = whittle.attention %q, %k, %v {scale = 1.0 : f64} : (tensor<4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return
}

// -----

func.func @quantize_zero_point_type(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{result and zero point element types differ}}
  %0 = whittle.quantize %x, %s, %z : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xui8>
  return
}

// -----

func.func @quantize_param_shape(%x: tensor<4x3xf32>, %s: tensor<4x1xf32>, %z: tensor<1x4xi8>) {
  // expected-error @+1 {{scale and zero point must broadcast to the input's shape}}
  %0 = whittle.quantize %x, %s, %z : (tensor<4x3xf32>, tensor<4x1xf32>, tensor<1x4xi8>) -> tensor<4x3xi8>
  return
}

// -----

func.func @dequantize_grows(%x: tensor<3xi8>, %s: tensor<2x3xf32>, %z: tensor<i8>) {
  // expected-error @+1 {{scale and zero point must broadcast to the input's shape}}
  %0 = whittle.dequantize %x, %s, %z : (tensor<3xi8>, tensor<2x3xf32>, tensor<i8>) -> tensor<3xf32>
  return
}

// -----

func.func @dequantize_zero_point_type(%x: tensor<3xi8>, %s: tensor<f32>, %z: tensor<ui8>) {
  // expected-error @+1 {{input and zero point element types differ}}
  %0 = whittle.dequantize %x, %s, %z : (tensor<3xi8>, tensor<f32>, tensor<ui8>) -> tensor<3xf32>
  return
}

// -----

func.func @quantized_matmul_weight_rank(%x: tensor<5x4xf32>, %w: tensor<2x4x3xi8>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{the integer weight must be 2-D}}
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<2x4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x5x3xf32>
  return
}

// -----

func.func @integer_matmul_width(%a: tensor<5x4xi16>, %w: tensor<4x3xi8>, %za: tensor<i16>, %zw: tensor<i8>) {
  // expected-error @+1 {{operands must be 8-bit integers}}
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<5x4xi16>, tensor<4x3xi8>, tensor<i16>, tensor<i8>) -> tensor<5x3xi32>
  return
}

// -----

func.func @integer_matmul_row_zero_points(%a: tensor<5x4xui8>, %w: tensor<4x3xi8>, %za: tensor<5xui8>, %zw: tensor<i8>) {
  // expected-error @+1 {{the lhs zero point must be a scalar or one per row}}
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<5x4xui8>, tensor<4x3xi8>, tensor<5xui8>, tensor<i8>) -> tensor<5x3xi32>
  return
}

// -----

func.func @integer_matmul_column_zero_points(%a: tensor<5x4xui8>, %w: tensor<4x3xi8>, %za: tensor<ui8>, %zw: tensor<4xi8>) {
  // expected-error @+1 {{the rhs zero point must be a scalar or one per column}}
  %0 = whittle.integer_matmul %a, %w, %za, %zw : (tensor<5x4xui8>, tensor<4x3xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<5x3xi32>
  return
}

// -----

func.func @quantized_matmul_scale(%x: tensor<5x4xf32>, %w: tensor<4x3xi8>, %s: tensor<1x4xf32>, %z: tensor<i8>) {
  // expected-error @+1 {{scale and zero point must broadcast to the input's shape}}
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<5x4xf32>, tensor<4x3xi8>, tensor<1x4xf32>, tensor<i8>) -> tensor<5x3xf32>
  return
}

// -----

func.func @dequantize_blocks(%w: tensor<40x2xui4>, %s: tensor<2x2xf32>, %z: tensor<2x2xui4>) {
  // expected-error @+1 {{blocked scale and zero point need 3 values along dim 0, not 2}}
  %0 = whittle.dequantize %w, %s, %z {block_size = 16 : i64} : (tensor<40x2xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<40x2xf32>
  return
}
