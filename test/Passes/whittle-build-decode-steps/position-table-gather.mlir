// RUN: whittle-opt --whittle-build-decode-steps="max-tokens=4 chunk=2" %s | whittle-opt --canonicalize | FileCheck %s
// GPT-2's position embedding as exported: the rows arange(MAX) of a larger
// table (8 positions, a resource as weights are, so no folder sees through
// it). A step gathers this step's entries of the row indices and then those
// rows of the large table; it never rebuilds the MAX-row table (the clone of
// that table left without users goes at the next canonicalization).

// CHECK-LABEL: func.func @decode_step_2(
// CHECK-SAME: %[[TOK:.*]]: tensor<1x2xi64>, %[[POS:.*]]: tensor<1xi64>
// CHECK-NOT: (tensor<8x8xf32>, tensor<1x4xi64>)
// CHECK: %[[IDX:.*]] = whittle.min
// CHECK: %[[ROWS:.*]] = whittle.gather %{{.*}}, %[[IDX]] {axis = 1 : i64} : (tensor<1x4xi64>, tensor<2xi64>) -> tensor<1x2xi64>
// CHECK: %[[PE:.*]] = whittle.gather %{{.*}}, %[[ROWS]] {axis = 0 : i64} : (tensor<8x8xf32>, tensor<1x2xi64>) -> tensor<1x2x8xf32>
// CHECK: whittle.add %{{.*}}, %[[PE]] : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
// CHECK-LABEL: func.func @decode_step_1(
// CHECK-NOT: (tensor<8x8xf32>, tensor<1x4xi64>)
// CHECK: whittle.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<8x8xf32>, tensor<1x1xi64>) -> tensor<1x1x8xf32>

module {
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x16xf32>
    attributes {whittle.input_names = ["input_ids"], whittle.output_names = ["logits"]} {
  %wte = whittle.constant dense<0.5> : tensor<16x8xf32>
  %wpe = whittle.constant dense_resource<wpe> : tensor<8x8xf32>
  %positions = whittle.constant dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>
  %w = whittle.constant dense<0.25> : tensor<8x16xf32>
  %e = whittle.gather %wte, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  %p = whittle.gather %wpe, %positions {axis = 0 : i64} : (tensor<8x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  %x = whittle.add %e, %p : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = whittle.matmul %x, %w : (tensor<1x4x8xf32>, tensor<8x16xf32>) -> tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}
}

{-#
  dialect_resources: {
    builtin: {
      wpe: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000004000000040000000400000004000000040000000400000004000000040000040400000404000004040000040400000404000004040000040400000404000008040000080400000804000008040000080400000804000008040000080400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000C0400000C0400000C0400000C0400000C0400000C0400000C0400000C0400000E0400000E0400000E0400000E0400000E0400000E0400000E0400000E0400000004100000041000000410000004100000041000000410000004100000041"
    }
  }
#-}
