// RUN: whittle-opt --whittle-tile-attention --split-input-file %s | FileCheck %s
// RUN: whittle-opt --convert-whittle-to-linalg=streaming-attention=1 --split-input-file %s | FileCheck %s --check-prefix=CONVERT

// Only f32 attentions have a streaming kernel: an f16 one stays for the
// conversion's reference lowering (with streaming-attention the conversion
// lowers it, and leaves the f32 one for this pass).
// CHECK-LABEL: func.func @f16
// CHECK: whittle.attention
// CONVERT-LABEL: func.func @f16
// CONVERT-NOT: whittle.attention
// CONVERT: linalg.batch_matmul
func.func @f16(%q: tensor<1x2x4x8xf16>, %k: tensor<1x2x4x8xf16>, %v: tensor<1x2x4x8xf16>) -> tensor<1x2x4x8xf16> {
  %0 = whittle.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>) -> tensor<1x2x4x8xf16>
  return %0 : tensor<1x2x4x8xf16>
}

// -----

// CONVERT-LABEL: func.func @f32
// CONVERT: whittle.attention %arg0, %arg1, %arg2 {scale = 5.000000e-01 : f64}
// CONVERT-NOT: linalg.batch_matmul
func.func @f32(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %0 = whittle.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}
