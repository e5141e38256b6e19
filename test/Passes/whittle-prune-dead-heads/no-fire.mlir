// RUN: whittle-opt --whittle-prune-dead-heads --split-input-file --allow-unregistered-dialect %s | FileCheck %s

// Head 0's query and key weights are zero: its softmax is uniform and it
// outputs the mean of V, so it stays.
// CHECK-LABEL: func.func @zero_query_key_decoy
// CHECK: whittle.attention {{.*}} -> tensor<1x2x2x2xf32>
func.func @zero_query_key_decoy(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = whittle.constant dense<[[0.000, 0.000, 0.640, 0.105, 0.000, 0.000, 1.304, 0.947, -0.704, -1.265, -0.623, 0.041], [0.000, 0.000, -1.246, -0.732, 0.000, 0.000, 0.412, 1.043, -0.129, 1.366, -0.665, 0.352], [0.000, 0.000, -0.743, -0.922, 0.000, 0.000, -1.010, -0.209, -0.159, 0.541, 0.215, 0.355], [0.000, 0.000, 0.784, 1.493, 0.000, 0.000, 1.346, 0.781, 0.264, -0.314, 1.458, 1.960]]> : tensor<4x12xf32>
  %b = whittle.constant dense<[0.000, 0.000, 0.357, -1.208, 0.000, 0.000, -1.288, 0.395, 0.430, 0.696, -1.184, -0.662]> : tensor<12xf32>
  %wo = whittle.constant dense<[[-0.436, -1.170, 1.739, -0.496], [0.329, -0.259, 1.583, 1.320], [0.633, -2.204, 0.052, 0.684], [1.004, -0.618, 1.822, -1.320]]> : tensor<4x4xf32>
  %bo = whittle.constant dense<[-0.662, 0.935, 0.049, 2.002]> : tensor<4xf32>
  %qkv = whittle.gemm %x, %w, %b : (tensor<2x4xf32>, tensor<4x12xf32>, tensor<12xf32>) -> tensor<2x12xf32>
  %qkv3 = whittle.reshape %qkv {shape = array<i64: 1, 2, 12>} : (tensor<2x12xf32>) -> tensor<1x2x12xf32>
  %s:3 = whittle.split %qkv3 {axis = 2 : i64, sizes = array<i64: 4, 4, 4>} : (tensor<1x2x12xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  %q4 = whittle.reshape %s#0 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %k4 = whittle.reshape %s#1 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %v4 = whittle.reshape %s#2 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %q = whittle.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %k = whittle.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %v = whittle.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %a = whittle.attention %q, %k, %v {causal = true, scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 2, 4>} : (tensor<1x2x2x2xf32>) -> tensor<2x4xf32>
  %o = whittle.gemm %m, %wo, %bo : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}

// -----

// One non-zero weight among head 1's output rows keeps it.
// CHECK-LABEL: func.func @one_nonzero_weight
// CHECK: whittle.attention {{.*}} -> tensor<1x2x2x2xf32>
func.func @one_nonzero_weight(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = whittle.constant dense<[[0.126, -0.132, 0.640, 0.105, -0.536, 0.362, 1.304, 0.947, -0.704, -1.265, -0.623, 0.041], [-2.325, -0.219, -1.246, -0.732, -0.544, -0.316, 0.412, 1.043, -0.129, 1.366, -0.665, 0.352], [0.903, 0.094, -0.743, -0.922, -0.458, 0.220, -1.010, -0.209, -0.159, 0.541, 0.215, 0.355], [-0.654, -0.130, 0.784, 1.493, -1.259, 1.514, 1.346, 0.781, 0.264, -0.314, 1.458, 1.960]]> : tensor<4x12xf32>
  %b = whittle.constant dense<[1.802, 1.315, 0.357, -1.208, -0.004, 0.656, -1.288, 0.395, 0.430, 0.696, -1.184, -0.662]> : tensor<12xf32>
  %wo = whittle.constant dense<[[-0.436, -1.170, 1.739, -0.496], [0.329, -0.259, 1.583, 1.320], [0.000, 0.000, 0.000, 0.000], [0.000, 0.001, 0.000, 0.000]]> : tensor<4x4xf32>
  %bo = whittle.constant dense<[-0.662, 0.935, 0.049, 2.002]> : tensor<4xf32>
  %qkv = whittle.gemm %x, %w, %b : (tensor<2x4xf32>, tensor<4x12xf32>, tensor<12xf32>) -> tensor<2x12xf32>
  %qkv3 = whittle.reshape %qkv {shape = array<i64: 1, 2, 12>} : (tensor<2x12xf32>) -> tensor<1x2x12xf32>
  %s:3 = whittle.split %qkv3 {axis = 2 : i64, sizes = array<i64: 4, 4, 4>} : (tensor<1x2x12xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  %q4 = whittle.reshape %s#0 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %k4 = whittle.reshape %s#1 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %v4 = whittle.reshape %s#2 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %q = whittle.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %k = whittle.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %v = whittle.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %a = whittle.attention %q, %k, %v {causal = true, scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 2, 4>} : (tensor<1x2x2x2xf32>) -> tensor<2x4xf32>
  %o = whittle.gemm %m, %wo, %bo : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}

// -----

// The projection's V piece has another reader: the head's channels cannot
// be cut from it, so nothing is pruned.
// CHECK-LABEL: func.func @shared_projection
// CHECK: whittle.attention {{.*}} -> tensor<1x2x2x2xf32>
func.func @shared_projection(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = whittle.constant dense<[[0.126, -0.132, 0.640, 0.105, -0.536, 0.362, 1.304, 0.947, -0.704, -1.265, -0.623, 0.041], [-2.325, -0.219, -1.246, -0.732, -0.544, -0.316, 0.412, 1.043, -0.129, 1.366, -0.665, 0.352], [0.903, 0.094, -0.743, -0.922, -0.458, 0.220, -1.010, -0.209, -0.159, 0.541, 0.215, 0.355], [-0.654, -0.130, 0.784, 1.493, -1.259, 1.514, 1.346, 0.781, 0.264, -0.314, 1.458, 1.960]]> : tensor<4x12xf32>
  %b = whittle.constant dense<[1.802, 1.315, 0.357, -1.208, -0.004, 0.656, -1.288, 0.395, 0.430, 0.696, -1.184, -0.662]> : tensor<12xf32>
  %wo = whittle.constant dense<[[-0.436, -1.170, 1.739, -0.496], [0.329, -0.259, 1.583, 1.320], [0.000, 0.000, 0.000, 0.000], [0.000, 0.000, 0.000, 0.000]]> : tensor<4x4xf32>
  %bo = whittle.constant dense<[-0.662, 0.935, 0.049, 2.002]> : tensor<4xf32>
  %qkv = whittle.gemm %x, %w, %b : (tensor<2x4xf32>, tensor<4x12xf32>, tensor<12xf32>) -> tensor<2x12xf32>
  %qkv3 = whittle.reshape %qkv {shape = array<i64: 1, 2, 12>} : (tensor<2x12xf32>) -> tensor<1x2x12xf32>
  %s:3 = whittle.split %qkv3 {axis = 2 : i64, sizes = array<i64: 4, 4, 4>} : (tensor<1x2x12xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  %q4 = whittle.reshape %s#0 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %k4 = whittle.reshape %s#1 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %v4 = whittle.reshape %s#2 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %q = whittle.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %k = whittle.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %v = whittle.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %a = whittle.attention %q, %k, %v {causal = true, scale = 0.5 : f64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 2, 4>} : (tensor<1x2x2x2xf32>) -> tensor<2x4xf32>
  %o = whittle.gemm %m, %wo, %bo : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %e = whittle.add %o, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  "test.keep"(%s#2) : (tensor<1x2x4xf32>) -> ()
  return %e : tensor<2x4xf32>
}

// -----

// An intermediate of the activation is read outside the FFN: its channels
// cannot shrink, so no neuron goes.
// CHECK-LABEL: func.func @neuron_chain_read_elsewhere
// CHECK: whittle.matmul {{.*}} -> tensor<1x3x6xf32>
// CHECK: whittle.matmul {{.*}} : (tensor<1x3x6xf32>, tensor<6x4xf32>)
func.func @neuron_chain_read_elsewhere(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %wu = whittle.constant dense<[[0.346, 0.822, 0.330, -1.303, 0.905, 0.446], [-0.537, 0.581, 0.365, 0.294, 0.028, 0.547], [-0.736, -0.163, -0.482, 0.599, 0.040, -0.292], [-0.782, -0.257, 0.008, -0.276, 1.294, 1.007]]> : tensor<4x6xf32>
  %bu = whittle.constant dense<[-2.711, -1.889, -0.175, -0.422, 0.214, 0.217]> : tensor<6xf32>
  %wd = whittle.constant dense<[[2.118, -1.112, -0.378, 2.043], [0.000, 0.000, 0.000, 0.000], [0.167, 0.109, -1.227, -0.683], [-0.072, -0.945, -0.098, 0.095], [0.000, 0.000, 0.000, 0.000], [0.321, -0.818, 0.732, -0.501]]> : tensor<6x4xf32>
  %bd = whittle.constant dense<[0.879, -1.072, 0.914, -0.020]> : tensor<4xf32>
  %half = whittle.constant dense<0.5> : tensor<f32>
  %one = whittle.constant dense<1.0> : tensor<f32>
  %r2 = whittle.constant dense<0.7071> : tensor<f32>
  %u0 = whittle.matmul %x, %wu : (tensor<1x3x4xf32>, tensor<4x6xf32>) -> tensor<1x3x6xf32>
  %u = whittle.add %u0, %bu : (tensor<1x3x6xf32>, tensor<6xf32>) -> tensor<1x3x6xf32>
  %s = whittle.mul %u, %r2 : (tensor<1x3x6xf32>, tensor<f32>) -> tensor<1x3x6xf32>
  %e = whittle.erf %s : (tensor<1x3x6xf32>) -> tensor<1x3x6xf32>
  %p = whittle.add %e, %one : (tensor<1x3x6xf32>, tensor<f32>) -> tensor<1x3x6xf32>
  %g0 = whittle.mul %u, %p : (tensor<1x3x6xf32>, tensor<1x3x6xf32>) -> tensor<1x3x6xf32>
  %g = whittle.mul %g0, %half : (tensor<1x3x6xf32>, tensor<f32>) -> tensor<1x3x6xf32>
  %y0 = whittle.matmul %g, %wd : (tensor<1x3x6xf32>, tensor<6x4xf32>) -> tensor<1x3x4xf32>
  %y = whittle.add %y0, %bd : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  "test.keep"(%e) : (tensor<1x3x6xf32>) -> ()
  return %y : tensor<1x3x4xf32>
}

// -----

// Only query head 3 of key/value head 1's group is dead: removing it would
// leave groups of unequal size, so the layer stays whole.
// CHECK-LABEL: func.func @grouped_partial_group
// CHECK: whittle.attention {{.*}} -> tensor<1x4x2x2xf32>
func.func @grouped_partial_group(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  %wq = whittle.constant dense<[[-1.29, 0.35, -1.69, -2.04, -0.30, -0.90, 0.16, 2.24], [-0.83, -0.62, 0.21, 0.49, -0.18, -0.21, 0.70, 0.52], [-1.03, -0.08, 0.04, -1.05, 0.26, -0.86, 0.97, 0.19], [0.09, -0.59, -0.12, -2.00, -1.13, 0.36, -2.13, 0.85]]> : tensor<4x8xf32>
  %wk = whittle.constant dense<[[-1.75, 0.76, -0.85, 0.78], [0.13, -1.54, 1.25, 1.44], [-0.07, -0.27, -0.16, -0.98], [1.10, -0.54, -0.05, -0.79]]> : tensor<4x4xf32>
  %wv = whittle.constant dense<[[-0.63, -1.28, 1.26, -0.15], [0.97, 0.01, -0.69, -0.33], [-0.56, 0.01, -0.38, -0.30], [-1.38, -0.81, 1.65, -0.67]]> : tensor<4x4xf32>
  %wo = whittle.constant dense<[[-1.05, 0.34, 1.41, -1.45], [-0.21, -0.63, -1.76, 0.73], [-0.02, 0.07, -0.75, 0.45], [-0.54, -0.14, -1.11, -1.22], [1.34, -0.51, 0.29, -0.03], [-0.44, -0.51, 0.63, -0.30], [0.00, 0.00, 0.00, 0.00], [0.00, 0.00, 0.00, 0.00]]> : tensor<8x4xf32>
  %q0 = whittle.matmul %x, %wq : (tensor<1x2x4xf32>, tensor<4x8xf32>) -> tensor<1x2x8xf32>
  %k0 = whittle.matmul %x, %wk : (tensor<1x2x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4xf32>
  %v0 = whittle.matmul %x, %wv : (tensor<1x2x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4xf32>
  %q1 = whittle.reshape %q0 {shape = array<i64: 1, 2, 4, 2>} : (tensor<1x2x8xf32>) -> tensor<1x2x4x2xf32>
  %k1 = whittle.reshape %k0 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %v1 = whittle.reshape %v0 {shape = array<i64: 1, 2, 2, 2>} : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
  %q = whittle.transpose %q1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %k = whittle.transpose %k1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %v = whittle.transpose %v1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %a = whittle.attention %q, %k, %v {causal = true, scale = 0.5 : f64} : (tensor<1x4x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32>
  %at = whittle.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x2xf32>) -> tensor<1x2x4x2xf32>
  %m = whittle.reshape %at {shape = array<i64: 1, 2, 8>} : (tensor<1x2x4x2xf32>) -> tensor<1x2x8xf32>
  %o = whittle.matmul %m, %wo : (tensor<1x2x8xf32>, tensor<8x4xf32>) -> tensor<1x2x4xf32>
  return %o : tensor<1x2x4xf32>
}

// -----

// The same zero up column under a sigmoid, which maps 0 to 1/2: the neuron
// still adds half its down row, so it stays.
// CHECK-LABEL: func.func @zero_up_column_sigmoid
// CHECK: whittle.matmul {{.*}} : (tensor<1x3x6xf32>, tensor<6x4xf32>)
func.func @zero_up_column_sigmoid(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %wu = whittle.constant dense<[[-0.802, -1.324, 0.000, 0.420, 1.136, 0.110], [-0.553, -0.785, 0.000, 1.635, 0.273, -1.233], [-0.958, 1.600, 0.000, -1.732, -0.084, -1.163], [-0.629, -0.488, 0.000, 0.553, -0.063, -0.589]]> : tensor<4x6xf32>
  %bu = whittle.constant dense<[0.410, 0.830, 0.000, -0.257, -0.981, -0.173]> : tensor<6xf32>
  %wd = whittle.constant dense<[[-1.289, 0.021, -0.038, -0.304], [-1.048, -0.396, -1.091, -1.355], [0.225, -1.109, 1.170, 0.717], [-1.998, 0.272, -1.102, 0.033], [0.044, -1.988, -0.233, -0.256], [0.962, -1.181, 0.738, -1.099]]> : tensor<6x4xf32>
  %half = whittle.constant dense<0.5> : tensor<f32>
  %one = whittle.constant dense<1.0> : tensor<f32>
  %r2 = whittle.constant dense<0.7071> : tensor<f32>
  %u0 = whittle.matmul %x, %wu : (tensor<1x3x4xf32>, tensor<4x6xf32>) -> tensor<1x3x6xf32>
  %u = whittle.add %u0, %bu : (tensor<1x3x6xf32>, tensor<6xf32>) -> tensor<1x3x6xf32>
  %g = whittle.sigmoid %u : (tensor<1x3x6xf32>) -> tensor<1x3x6xf32>
  %y = whittle.matmul %g, %wd : (tensor<1x3x6xf32>, tensor<6x4xf32>) -> tensor<1x3x4xf32>
  return %y : tensor<1x3x4xf32>
}
