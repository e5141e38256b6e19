// Numerical check of whittle.quantized_matmul's lowerings: 4-bit weights in blocks of
// 16 rows of K (MatMulNBits' form): the constant codes are packed two per
// byte in panels of 16 columns at compile time and unpacked by nibble,
// unsigned (ui4) and signed (i4, sign-extended), either into a float weight
// for a matmul or, with vector-kernel-registers, in the registers of the
// vector kernel (KERNEL); lowered to LLVM and executed. Expected values from
// numpy: x @ ((codes - zero_point) * scale), parameters repeated per block.
// RUN: whittle-opt --convert-whittle-to-linalg %s | FileCheck %s --check-prefix=IR
// RUN: whittle-opt --convert-whittle-to-linalg %s | %lower_to_llvm | %mlir_runner | FileCheck %s
// RUN: whittle-opt --convert-whittle-to-linalg=vector-kernel-registers=32 %s | FileCheck %s --check-prefix=KERNEL
// RUN: whittle-opt --convert-whittle-to-linalg=vector-kernel-registers=32 %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s

// KERNEL-LABEL: func.func @int4_unsigned
// KERNEL: arith.constant dense_resource<whittle_int4_panels> : tensor<4x2x8x16xi8>
// KERNEL: scf.forall (%[[P:.*]]) in (4)
// KERNEL: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// KERNEL: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step
// KERNEL: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// KERNEL: vector.transfer_read %{{.*}}[%[[P]], %[[G]], %{{.*}}, %{{.*}}]{{.*}} : tensor<4x2x8x16xi8>, vector<16xi8>
// KERNEL: arith.andi %{{.*}}, %{{.*}} : vector<16xi32>
// KERNEL: arith.shrui %{{.*}}, %{{.*}} : vector<16xi32>
// KERNEL: vector.fma
// KERNEL-NOT: tensor<32x64xf32>
// KERNEL-LABEL: func.func @int4_signed
// KERNEL: arith.shrui %{{.*}}, %{{.*}} : vector<16xi32>

// IR-LABEL: func.func @int4_unsigned
// IR: arith.constant dense_resource<whittle_int4_panels> : tensor<4x2x8x16xi8>
// IR: arith.andi %{{.*}}, %{{.*}} : i32
// IR: arith.shrui %{{.*}}, %{{.*}} : i32
// IR: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4]] : tensor<2x2x8x4x16xf32> into tensor<32x64xf32>
func.func @int4_unsigned(%x: tensor<2x32xf32>) -> tensor<2x2xf32> {
  %w = whittle.constant dense<[[ 0,  8], [ 5,  6], [14,  3], [ 8,  5], [ 4, 12], [ 2,  5], [ 1,  2], [ 4, 11], [ 9,  7], [ 2, 12], [12,  3], [ 0,  5], [ 2, 12], [ 8,  8], [ 4,  8], [15,  3], [12,  0], [ 5, 14], [13,  1], [13, 13], [ 7,  5], [15, 15], [10,  6], [ 3, 14], [ 4,  8], [10,  3], [ 5, 11], [ 3, 10], [15, 10], [10,  7], [15,  3], [ 5, 10]]> : tensor<32x2xui4>
  %s = whittle.constant dense<[[0.5, 0.25], [0.125, 1.0]]> : tensor<2x2xf32>
  %z = whittle.constant dense<[[8, 3], [0, 15]]> : tensor<2x2xui4>
  %0 = whittle.quantized_matmul %x, %w, %s, %z {block_size = 16 : i64} : (tensor<2x32xf32>, tensor<32x2xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// IR-LABEL: func.func @int4_signed
// IR: arith.shrui %{{.*}}, %{{.*}} : i32
func.func @int4_signed(%x: tensor<2x32xf32>) -> tensor<2x2xf32> {
  %w = whittle.constant dense<[[ 2, -7], [-6,  3], [ 5,  2], [ 6, -2], [-3,  4], [-8, -5], [-5, -2], [-6,  4], [ 5, -2], [-8,  3], [-7,  1], [-6,  7], [ 2,  7], [ 1,  3], [-2,  4], [-7, -6], [-3,  3], [-1,  5], [ 7, -2], [-2,  0], [ 2, -1], [ 1,  7], [ 3, -3], [-2, -2], [-6, -8], [ 4, -2], [-3,  2], [ 1,  6], [ 1,  6], [ 1, -3], [-3,  7], [ 1, -5]]> : tensor<32x2xi4>
  %s = whittle.constant dense<[[0.25, 0.5], [1.0, 0.125]]> : tensor<2x2xf32>
  %z = whittle.constant dense<[[0, -2], [7, -8]]> : tensor<2x2xi4>
  %0 = whittle.quantized_matmul %x, %w, %s, %z {block_size = 16 : i64} : (tensor<2x32xf32>, tensor<32x2xi4>, tensor<2x2xf32>, tensor<2x2xi4>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// 8-bit weights with a zero point per column, unsigned (shifted to signed at
// compile time) and signed: (x · q − rowsum(x) · z) · s with q int8.
// IR-LABEL: func.func @int8_unsigned_zero_points
// IR: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x3xi8>)
func.func @int8_unsigned_zero_points(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = whittle.constant dense<[[200, 3, 128], [17, 255, 90], [0, 64, 130], [129, 8, 250]]> : tensor<4x3xui8>
  %s = whittle.constant dense<[[0.5, 0.25, 0.125]]> : tensor<1x3xf32>
  %z = whittle.constant dense<[[128, 10, 255]]> : tensor<1x3xui8>
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<2x4xf32>, tensor<4x3xui8>, tensor<1x3xf32>, tensor<1x3xui8>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

func.func @int8_signed_zero_points(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = whittle.constant dense<[[-100, 3, 127], [17, -128, 90], [0, 64, -30], [29, 8, -5]]> : tensor<4x3xi8>
  %s = whittle.constant dense<[[0.5, 0.25, 0.125]]> : tensor<1x3xf32>
  %z = whittle.constant dense<[[3, -7, 0]]> : tensor<1x3xi8>
  %0 = whittle.quantized_matmul %x, %w, %s, %z : (tensor<2x4xf32>, tensor<4x3xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

func.func @main() {
  %x = arith.constant dense<[[ 1.0 ,  1.5, -2.0 ,  1.5,  0.0 ,  0.0 ,  0.5, -1.0 ,  2.0 , -2.0 , -1.0 , -0.5,  0.5, -0.5, -1.5, -2.0 , -2.0 , -2.0 , -1.5,  2.0 , -1.5,  0.5,  1.0 , -1.0 , -1.0 , -0.5, -1.0 ,  2.0 , -1.5,  2.0 ,  1.5,  1.5], [-1.5, -0.5,  0.5,  0.0 ,  0.5,  1.0 ,  0.5, -2.0 ,  2.0 ,  0.5,  2.0 , -1.0 , -0.5,  1.5, -1.5, -2.0 , -0.5,  1.0 , -1.5,  1.5, -0.5, -1.0 ,  0.0 ,  2.0 ,  1.5,  1.5, -1.0 , -2.0 ,  1.5,  1.0 ,  1.0 , -2.0 ]]> : tensor<2x32xf32>
  %r0 = call @int4_unsigned(%x) : (tensor<2x32xf32>) -> tensor<2x2xf32>
  %p0 = tensor.cast %r0 : tensor<2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: [-11,   25.875]
  // CHECK-NEXT: [15.75,   -7.75]
  call @printMemrefF32(%p0) : (tensor<*xf32>) -> ()
  %r1 = call @int4_signed(%x) : (tensor<2x32xf32>) -> tensor<2x2xf32>
  %p1 = tensor.cast %r1 : tensor<2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: [25.25,   -15.75]
  // CHECK-NEXT: [-36.5,   -0.5]
  call @printMemrefF32(%p1) : (tensor<*xf32>) -> ()
  %x8 = arith.constant dense<[[1.0, -2.0, 0.5, 3.0], [0.25, 1.5, -1.0, 2.0]]> : tensor<2x4xf32>
  %r2 = call @int8_unsigned_zero_points(%x8) : (tensor<2x4xf32>) -> tensor<2x3xf32>
  %p2 = tensor.cast %r2 : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: [116.5,   -119,   15.6875]
  // CHECK-NEXT: [-9.25,   76.9375,   -20.5312]
  call @printMemrefF32(%p2) : (tensor<*xf32>) -> ()
  %r3 = call @int8_signed_zero_points(%x8) : (tensor<2x4xf32>) -> tensor<2x3xf32>
  %p3 = tensor.cast %r3 : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: [-27.25,   83.125,   -10.375]
  // CHECK-NEXT: [25.125,   -55,   23.3438]
  call @printMemrefF32(%p3) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
