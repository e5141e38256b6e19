// Textual outputs leave the weights out unless --emit-weights: --emit=mlir
// elides the resource blobs and large elements attributes, --emit=llvm keeps
// the weights as the external declarations the library's weights object
// defines. Both say so in a leading comment.

// RUN: whittle-compile %s --emit=mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: whittle-compile %s --emit=mlir -o - | FileCheck %s --check-prefix=NOBYTES
// MLIR: // Weights elided; incomplete module (whittle-compile --emit-weights prints them):
// MLIR-NEXT: // 1 resource blobs (256 bytes) left out of dialect_resources
// MLIR-NEXT: // 1 elements attributes over 64 elements printed as dense_resource<__elided__>
// MLIR: whittle.constant dense_resource<w> : tensor<64xf32>
// MLIR: whittle.constant dense_resource<__elided__> : tensor<65xf32>
// NOBYTES-NOT: 0x040000000000803F
// NOBYTES-NOT: 2.000000e+00
// The elided module still parses.
// RUN: whittle-compile %s --emit=mlir -o - | whittle-opt > /dev/null

// RUN: whittle-compile %s --emit=mlir --emit-weights -o - | FileCheck %s --check-prefix=MLIRW
// MLIRW-NOT: Weights elided
// MLIRW: whittle.constant dense<{{\[}}2.000000e+00, 2.000000e+00,
// MLIRW: w: "0x040000000000803F0000A03F0000C03F

// RUN: whittle-compile %s --emit=llvm -o - | FileCheck %s --check-prefix=LLVM
// RUN: whittle-compile %s --emit=llvm -O0 -o - | FileCheck %s --check-prefix=LLVM
// RUN: whittle-compile %s --emit=llvm -O0 -o - | FileCheck %s --check-prefix=NOBYTES
// LLVM: ; Weights elided: 2 weights (516 bytes) are external declarations, defined by the
// LLVM-NEXT: ; library's weights object. Incomplete module; whittle-compile --emit-weights prints them.
// LLVM-DAG: = external hidden {{.*}}constant [64 x float], align 64
// LLVM-DAG: = external hidden {{.*}}constant [65 x float], align 64

// RUN: whittle-compile %s --emit=llvm --emit-weights -O0 -o - | FileCheck %s --check-prefix=LLVMW
// LLVMW-NOT: Weights elided
// LLVMW-NOT: external hidden
// LLVMW-DAG: constant [64 x float] [float 1.000000e+00, float 1.250000e+00,
// LLVMW-DAG: constant [65 x float] [float 2.000000e+00, float 2.000000e+00,

// Libraries always carry the weights; --emit-weights changes nothing there.
// RUN: rm -rf %t && mkdir -p %t
// RUN: whittle-compile %s -o %t/w.so
// RUN: whittle-compile %s --emit-weights -o %t/w2.so
// RUN: %python %whittle_src/test/python/run_model.py %t/w.so | FileCheck %s --check-prefix=NUM
// RUN: %python %whittle_src/test/python/run_model.py %t/w2.so | FileCheck %s --check-prefix=NUM
// NUM: output y f32 64: -0.25 0.25 0.75
// NUM: output z f32 65: 1.5 1.75 2

module {
  func.func @main(%x: tensor<64xf32>, %u: tensor<65xf32>)
      -> (tensor<64xf32>, tensor<65xf32>)
      attributes {whittle.input_names = ["x", "u"],
                  whittle.output_names = ["y", "z"]} {
    %w = whittle.constant dense_resource<w> : tensor<64xf32>
    %v = whittle.constant dense<[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0]> : tensor<65xf32>
    %0 = whittle.add %x, %w : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
    %1 = whittle.add %u, %v : (tensor<65xf32>, tensor<65xf32>) -> tensor<65xf32>
    return %0, %1 : tensor<64xf32>, tensor<65xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000A03F0000C03F0000E03F0000004000001040000020400000304000004040000050400000604000007040000080400000884000009040000098400000A0400000A8400000B0400000B8400000C0400000C8400000D0400000D8400000E0400000E8400000F0400000F84000000041000004410000084100000C4100001041000014410000184100001C4100002041000024410000284100002C4100003041000034410000384100003C4100004041000044410000484100004C4100005041000054410000584100005C4100006041000064410000684100006C4100007041000074410000784100007C4100008041000082410000844100008641"
    }
  }
#-}
