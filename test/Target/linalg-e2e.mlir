// Linalg on tensors (no whittle ops) compiled to a library and run through
// the C ABI. The output is written in place: no workspace.
// RUN: rm -rf %t && mkdir -p %t
// RUN: whittle-compile %s -o %t/mlp.so
// RUN: %python %whittle_src/test/python/run_model.py %t/mlp.so \
// RUN:   --input x=0.1,0.2,-0.3,0.05,0,0.01,-0.02,-0.1 | FileCheck %s
// RUN: whittle-compile %s -O0 --no-vectorize --no-parallel -o %t/mlp0.so
// RUN: %python %whittle_src/test/python/run_model.py %t/mlp0.so \
// RUN:   --input x=0.1,0.2,-0.3,0.05,0,0.01,-0.02,-0.1 | FileCheck %s

// CHECK: abi 1
// CHECK-NEXT: whittle-model 1
// CHECK-NEXT: name mlp
// CHECK-NEXT: input x f32 2x4
// CHECK-NEXT: output y f32 2x3
// CHECK-NEXT: workspace 0
// tanh(x @ w + b), computed with numpy:
// CHECK: output y f32 2x3: -0.1974 -0.8178 0.3799 -0.537 -0.9366 -0.3095

#map = affine_map<(d0, d1) -> (d0, d1)>
#mapb = affine_map<(d0, d1) -> (d1)>
module attributes {whittle.model_name = "mlp"} {
  func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> attributes {whittle.input_names = ["x"], whittle.output_names = ["y"]} {
    %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>
    %b = arith.constant dense<[0.5, -0.5, 1.0]> : tensor<3xf32>
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x3xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
    %m = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
    %e2 = tensor.empty() : tensor<2x3xf32>
    %a = linalg.generic {indexing_maps = [#map, #mapb, #map], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%e2 : tensor<2x3xf32>) {
    ^bb0(%i: f32, %j: f32, %o: f32):
      %s = arith.addf %i, %j : f32
      %t = math.tanh %s : f32
      linalg.yield %t : f32
    } -> tensor<2x3xf32>
    return %a : tensor<2x3xf32>
  }
}
