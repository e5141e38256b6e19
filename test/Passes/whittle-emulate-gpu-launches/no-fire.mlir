// RUN: whittle-opt %s --whittle-emulate-gpu-launches --split-input-file --verify-diagnostics | FileCheck %s

// Without launches nothing changes.
// CHECK-LABEL: func.func @host
// CHECK-NEXT: return
func.func @host(%a: memref<4xf32>) {
  return
}

// -----

// A barrier under a condition (which threads reach it?) is not emulated.
func.func @conditional_barrier(%a: memref<4xf32>, %c: i1) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a barrier inside this op cannot be emulated}}
    scf.if %c {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

// A loop around a barrier must run the same trips in every thread; one
// whose trip count each thread loads is not emulated.
func.func @loaded_trip_count(%a: memref<4xf32>, %n: memref<4xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  // expected-error @below {{a value computed before a barrier is used after it; the launch cannot be emulated}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    // expected-note @below {{the value}}
    %trips = memref.load %n[%tx] : memref<4xindex>
    scf.for %i = %c0 to %trips step %c1 {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

// Only the mma.sync form the kernels use (m16n8k16, bf16, f32) is emulated.
func.func @other_mma(%a: vector<2xf16>, %c: vector<2xf16>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    gpu.barrier
    // expected-error @below {{only mma.sync m16n8k16 row.col with bf16 inputs and f32 accumulators can be emulated}}
    %d = nvvm.mma.sync A[%a, %a] B[%a] C[%c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 8>} : (vector<2xf16>, vector<2xf16>, vector<2xf16>) -> !llvm.struct<(vector<2xf16>, vector<2xf16>)>
    %e = llvm.extractvalue %d[0] : !llvm.struct<(vector<2xf16>, vector<2xf16>)>
    gpu.terminator
  }
  return
}
