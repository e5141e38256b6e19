// --emit=mlir prints the whittle graph after canonicalization and CSE.
// RUN: whittle-compile %s --emit=mlir | FileCheck %s --check-prefix=MLIR
// RUN: rm -rf %t && mkdir -p %t
// RUN: whittle-compile %s --emit=mlir -o %t/g.mlir && FileCheck %s --check-prefix=MLIR < %t/g.mlir
// MLIR-LABEL: func.func @main
// MLIR: %[[A:.*]] = whittle.add %arg0, %arg0
// MLIR-NOT: whittle.add
// MLIR: whittle.mul %[[A]], %[[A]]

// --emit=obj writes a relocatable object with the ABI symbols.
// RUN: whittle-compile %s --emit=obj -o %t/g.o
// RUN: llvm-readelf -h %t/g.o | FileCheck %s --check-prefix=OBJ
// OBJ: Type: REL
// OBJ: Machine: Advanced Micro Devices X86-64
// RUN: llvm-nm %t/g.o | FileCheck %s --check-prefix=OBJSYMS
// OBJSYMS: T whittle_model_run

// The default is a library plus a header named after the output's stem.
// RUN: whittle-compile %s -o %t/my-model.so
// RUN: test -f %t/my-model.so && test -f %t/my-model.h
// RUN: ls -A %t | FileCheck %s --check-prefix=NOTEMP
// NOTEMP-NOT: tmp

// CPUs and optimization levels, and the MLIR pass-manager options.
// RUN: whittle-compile %s --mcpu=x86-64-v3 -O3 -o %t/v3.so
// RUN: whittle-compile %s --mcpu=x86-64 -O0 -o %t/v1.so
// RUN: whittle-compile %s --mcpu=sapphirerapids --emit=llvm -o - | FileCheck %s --check-prefix=SPR
// SPR: "target-cpu"="sapphirerapids"
// RUN: whittle-compile %s --mlir-timing -o %t/t.so 2>&1 | FileCheck %s --check-prefix=TIMING
// TIMING: Execution time report
// RUN: whittle-compile %s --mlir-print-ir-after=whittle-plan-memory -o %t/p.so 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PLAN
// PLAN: IR Dump After WhittlePlanMemory
// PLAN: whittle.workspace_size

// RUN: %python %whittle_src/test/python/run_model.py %t/v1.so --input x=1,2,3,4 \
// RUN:   | FileCheck %s --check-prefix=NUM
// RUN: %python %whittle_src/test/python/run_model.py %t/v3.so --input x=1,2,3,4 \
// RUN:   | FileCheck %s --check-prefix=NUM
// NUM: output y f32 4: 4 16 36 64

func.func @main(%x: tensor<4xf32>) -> tensor<4xf32>
    attributes {whittle.input_names = ["x"], whittle.output_names = ["y"]} {
  %0 = whittle.add %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = whittle.add %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = whittle.mul %0, %1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
