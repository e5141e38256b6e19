// RUN: whittle-opt --convert-whittle-to-linalg --split-input-file %s | FileCheck %s

// Unsigned element types pick the unsigned arith ops; afterwards every type,
// the function signature included, is signless.
// CHECK-LABEL: func.func @unsigned_binary
// CHECK-SAME: (%{{.*}}: tensor<2x3xi8>, %{{.*}}: tensor<3xi8>) -> (tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>)
// CHECK: ^bb0(%{{.*}}: i8, %{{.*}}: i8, %{{.*}}: i8):
// CHECK: arith.divui
// CHECK: arith.minui
// CHECK: arith.maxui
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi ule
// CHECK: arith.cmpi ugt
// CHECK: arith.cmpi uge
// CHECK: return
// CHECK-NOT: ui8
func.func @unsigned_binary(%a: tensor<2x3xui8>, %b: tensor<3xui8>) -> (tensor<2x3xui8>, tensor<2x3xui8>, tensor<2x3xui8>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>) {
  %0 = whittle.div %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %1 = whittle.min %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %2 = whittle.max %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %3 = whittle.less %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xi1>
  %4 = whittle.less_equal %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xi1>
  %5 = whittle.greater %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xi1>
  %6 = whittle.greater_equal %a, %b : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xi1>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x3xui8>, tensor<2x3xui8>, tensor<2x3xui8>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>
}

// -----

// The same ops on signed types keep the signed variants.
// CHECK-LABEL: func.func @signed_binary
// CHECK: arith.divsi
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi sge
// CHECK-NOT: arith.divui
// CHECK-NOT: arith.minui
// CHECK-NOT: arith.maxui
// CHECK-NOT: arith.cmpi u
func.func @signed_binary(%a: tensor<3xi16>, %b: tensor<3xi16>) -> (tensor<3xi16>, tensor<3xi16>, tensor<3xi16>, tensor<3xi1>, tensor<3xi1>) {
  %0 = whittle.div %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %1 = whittle.min %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %2 = whittle.max %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %3 = whittle.less %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi1>
  %4 = whittle.greater_equal %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi1>
  return %0, %1, %2, %3, %4 : tensor<3xi16>, tensor<3xi16>, tensor<3xi16>, tensor<3xi1>, tensor<3xi1>
}

// -----

// Casts convert and extend by the signedness of the source and the target.
// CHECK-LABEL: func.func @unsigned_casts
// CHECK-SAME: (%{{.*}}: tensor<4xi16>, %{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xi8>)
// CHECK-SAME: -> (tensor<4xf32>, tensor<4xi64>, tensor<4xi32>, tensor<4xi32>, tensor<4xi8>)
// CHECK: arith.uitofp %{{.*}} : i16 to f32
// CHECK: arith.extui %{{.*}} : i16 to i64
// CHECK: arith.fptoui %{{.*}} : f32 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.trunci %{{.*}} : i16 to i8
func.func @unsigned_casts(%u: tensor<4xui16>, %f: tensor<4xf32>, %s: tensor<4xi8>) -> (tensor<4xf32>, tensor<4xi64>, tensor<4xui32>, tensor<4xui32>, tensor<4xui8>) {
  %0 = whittle.cast %u {to = f32} : (tensor<4xui16>) -> tensor<4xf32>
  %1 = whittle.cast %u {to = i64} : (tensor<4xui16>) -> tensor<4xi64>
  %2 = whittle.cast %f {to = ui32} : (tensor<4xf32>) -> tensor<4xui32>
  %3 = whittle.cast %s {to = ui32} : (tensor<4xi8>) -> tensor<4xui32>
  %4 = whittle.cast %u {to = ui8} : (tensor<4xui16>) -> tensor<4xui8>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xi64>, tensor<4xui32>, tensor<4xui32>, tensor<4xui8>
}

// -----

// Signed casts keep the signed conversions.
// CHECK-LABEL: func.func @signed_casts
// CHECK: arith.sitofp %{{.*}} : i16 to f32
// CHECK: arith.extsi %{{.*}} : i16 to i64
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK-NOT: arith.uitofp
// CHECK-NOT: arith.extui
// CHECK-NOT: arith.fptoui
func.func @signed_casts(%s: tensor<4xi16>, %f: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi64>, tensor<4xi32>) {
  %0 = whittle.cast %s {to = f32} : (tensor<4xi16>) -> tensor<4xf32>
  %1 = whittle.cast %s {to = i64} : (tensor<4xi16>) -> tensor<4xi64>
  %2 = whittle.cast %f {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xi64>, tensor<4xi32>
}

// -----

// Constants keep their values with a signless type; relu and abs of
// unsigned values are copies; clip uses unsigned bounds.
// CHECK-LABEL: func.func @unsigned_unary
// CHECK-DAG: arith.constant dense<[-56, 3]> : tensor<2xi8>
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[X]] : i8
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[Y:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[Y]] : i8
// CHECK: %[[LO:.*]] = arith.constant 10 : i8
// CHECK-NEXT: arith.maxui %{{.*}}, %[[LO]] : i8
// CHECK: %[[HI:.*]] = arith.constant -6 : i8
// CHECK-NEXT: arith.minui %{{.*}}, %[[HI]] : i8
// CHECK-NOT: ui8
func.func @unsigned_unary(%x: tensor<2xui8>) -> (tensor<2xui8>, tensor<2xui8>, tensor<2xui8>, tensor<2xui8>) {
  %c = whittle.constant dense<[200, 3]> : tensor<2xui8>
  %0 = whittle.relu %x : (tensor<2xui8>) -> tensor<2xui8>
  %1 = whittle.abs %x : (tensor<2xui8>) -> tensor<2xui8>
  %2 = whittle.clip %x {min = 10.0 : f64, max = 250.0 : f64} : (tensor<2xui8>) -> tensor<2xui8>
  return %c, %0, %1, %2 : tensor<2xui8>, tensor<2xui8>, tensor<2xui8>, tensor<2xui8>
}

// -----

// The max reduction of unsigned values starts at 0, not the signed minimum.
// CHECK-LABEL: func.func @unsigned_reduce_max
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: linalg.fill ins(%[[ZERO]] : i32)
// CHECK: arith.maxui
func.func @unsigned_reduce_max(%x: tensor<2x3xui32>) -> tensor<2xui32> {
  %0 = whittle.reduce_max %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xui32>) -> tensor<2xui32>
  return %0 : tensor<2xui32>
}

// -----

// CHECK-LABEL: func.func @signed_reduce_max
// CHECK: %[[LOWEST:.*]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[LOWEST]] : i32)
// CHECK: arith.maxsi
func.func @signed_reduce_max(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  %0 = whittle.reduce_max %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// Integer pow is square-and-multiply over the exponent's bits, with no
// math.ipowi (which needs a runtime function). Signed exponents handle the
// negative case; unsigned ones need not.
// CHECK-LABEL: func.func @integer_pow
// CHECK: linalg.generic
// CHECK: arith.trunci %{{.*}} : i32 to i1
// CHECK: arith.select
// CHECK: arith.shrui
// CHECK: arith.cmpi slt
// CHECK: linalg.generic
// CHECK: arith.shrui
// CHECK-NOT: arith.cmpi slt
// CHECK-NOT: math.ipowi
// CHECK: return
func.func @integer_pow(%a: tensor<3xi32>, %b: tensor<3xi32>, %c: tensor<3xui64>, %d: tensor<3xui64>) -> (tensor<3xi32>, tensor<3xui64>) {
  %0 = whittle.pow %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %1 = whittle.pow %c, %d : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  return %0, %1 : tensor<3xi32>, tensor<3xui64>
}

// -----

// Weight blobs keep their bytes; only the type becomes signless.
// CHECK-LABEL: func.func @unsigned_blob
// CHECK: arith.constant dense_resource<blob> : tensor<2xi16>
func.func @unsigned_blob() -> tensor<2xui16> {
  %0 = whittle.constant dense_resource<blob> : tensor<2xui16>
  return %0 : tensor<2xui16>
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x0200000001000200"
    }
  }
#-}
