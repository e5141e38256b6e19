// RUN: whittle-opt --whittle-probe-matmuls %s | FileCheck %s

// A matmul and a gemm with constant fp32 weights become outputs named after
// their nodes (after the model's own outputs); a matmul of two activations
// does not.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4xf32>)
// CHECK-SAME: whittle.output_names = ["y", "__whittle_site_proj", "__whittle_site_head"]
// CHECK: %[[P:.*]] = whittle.matmul %arg0, %{{.*}} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[A:.*]] = whittle.matmul %[[P]], %arg1
// CHECK: %[[H:.*]] = whittle.gemm %{{.*}}, %{{.*}} {trans_b = true}
// CHECK: return %{{.*}}, %[[P]], %[[H]] :
func.func @main(%x: tensor<2x4xf32>, %t: tensor<3x3xf32>) -> tensor<2x3xf32> attributes {whittle.output_names = ["y"]} {
  %w = whittle.constant dense<0.5> : tensor<4x3xf32>
  %h = whittle.constant dense<0.25> : tensor<4x4xf32>
  %p = whittle.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> loc("proj")
  %a = whittle.matmul %p, %t : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32> loc("act")
  %g = whittle.gemm %x, %h {trans_b = true} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("head")
  %s = whittle.reduce_sum %g {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %y = whittle.add %a, %s : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
