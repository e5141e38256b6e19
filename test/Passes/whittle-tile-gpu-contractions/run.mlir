// Numerical check of the tiled kernels, run through the barrier-aware
// emulation of whittle-emulate-gpu-launches: a matmul with partial tiles
// in M, N and K, accumulating onto a non-zero output; a contraction with a
// fused prologue and two linearized M dims; batched scores with transposed
// keys. The operands are small multiples of 1/4, so every order of
// summation gives the exact result, and each output is compared with
// plain loops.
// The same on tensor cores (tf32, fp16 through WMMA, bf16 through mma.sync
// with its lane fragments gathered per warp in the emulation; tiles are
// always 64 x 64 there; quarters are exact in all three formats).
// RUN: whittle-opt --whittle-tile-gpu-contractions --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s
// RUN: whittle-opt --whittle-tile-gpu-contractions=precision=tf32 --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s
// RUN: whittle-opt --whittle-tile-gpu-contractions=precision=fp16 --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s
// RUN: whittle-opt --whittle-tile-gpu-contractions=precision=bf16 --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s
// RUN: whittle-opt --whittle-tile-gpu-contractions=precision=bf16 %s | FileCheck %s --check-prefix=BF16
// BF16: func.func @matmul
// BF16-COUNT-4: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// RUN: whittle-opt --whittle-tile-gpu-contractions=precision=fp16 %s | FileCheck %s --check-prefix=FP16
// FP16: func.func @wide
// FP16: gpu.subgroup_mma_compute {{.*}} : !gpu.mma_matrix<16x16xf16, "AOp">, !gpu.mma_matrix<16x16xf16, "BOp"> -> !gpu.mma_matrix<16x16xf32, "COp">
// CHECK: matmul mismatches 0
// CHECK: prologue mismatches 0
// CHECK: batched mismatches 0
// CHECK: wide mismatches 0

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#mean = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0)>
#w = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>

func.func @matmul(%a: memref<37x23xf32>, %b: memref<23x45xf32>, %c: memref<37x45xf32>) {
  linalg.matmul ins(%a, %b : memref<37x23xf32>, memref<23x45xf32>) outs(%c : memref<37x45xf32>)
  return
}

func.func @prologue(%x: memref<2x3x20xf32>, %m: memref<2x3x1xf32>, %w: memref<20x17xf32>, %o: memref<2x3x17xf32>) {
  linalg.generic {indexing_maps = [#x, #mean, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %m, %w : memref<2x3x20xf32>, memref<2x3x1xf32>, memref<20x17xf32>) outs(%o : memref<2x3x17xf32>) {
  ^bb0(%a: f32, %mu: f32, %b: f32, %acc: f32):
    %centered = arith.subf %a, %mu : f32
    %p = arith.mulf %centered, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

func.func @batched(%q: memref<2x3x9x5xf32>, %k: memref<2x3x11x5xf32>, %s: memref<2x3x9x11xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<2x3x9x5xf32>, memref<2x3x11x5xf32>) outs(%s : memref<2x3x9x11xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

func.func @wide(%a: memref<70x23xf32>, %b: memref<23x130xf32>, %c: memref<70x130xf32>) {
  linalg.matmul ins(%a, %b : memref<70x23xf32>, memref<23x130xf32>) outs(%c : memref<70x130xf32>)
  return
}

// Fills a flat view with ((seed + 7 i) mod 11 - 5) / 4.
func.func @fill(%buf: memref<?xf32>, %seed: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c11 = arith.constant 11 : index
  %c5 = arith.constant 5 : index
  %quarter = arith.constant 0.25 : f32
  %n = memref.dim %buf, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %t = arith.muli %i, %c7 : index
    %u = arith.addi %t, %seed : index
    %r = arith.remui %u, %c11 : index
    %v = arith.subi %r, %c5 : index
    %vi = arith.index_cast %v : index to i64
    %vf = arith.sitofp %vi : i64 to f32
    %x = arith.mulf %vf, %quarter : f32
    memref.store %x, %buf[%i] : memref<?xf32>
  }
  return
}

// The number of elements where |a - b| > 1e-4.
func.func @mismatches(%a: memref<?xf32>, %b: memref<?xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %tol = arith.constant 1.0e-4 : f32
  %n = memref.dim %a, %c0 : memref<?xf32>
  %count = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z) -> i64 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = memref.load %b[%i] : memref<?xf32>
    %d = arith.subf %x, %y : f32
    %ad = math.absf %d : f32
    %bad = arith.cmpf ugt, %ad, %tol : f32
    %inc = arith.select %bad, %one, %z : i64
    %next = arith.addi %acc, %inc : i64
    scf.yield %next : i64
  }
  return %count : i64
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c9 = arith.constant 9 : index
  %c11 = arith.constant 11 : index
  %c17 = arith.constant 17 : index
  %c20 = arith.constant 20 : index
  %c23 = arith.constant 23 : index
  %c37 = arith.constant 37 : index
  %c45 = arith.constant 45 : index

  // matmul: c = 1 + a b.
  %a = memref.alloc() : memref<37x23xf32>
  %b = memref.alloc() : memref<23x45xf32>
  %c = memref.alloc() : memref<37x45xf32>
  %r = memref.alloc() : memref<37x45xf32>
  %fa = memref.collapse_shape %a [[0, 1]] : memref<37x23xf32> into memref<851xf32>
  %fb = memref.collapse_shape %b [[0, 1]] : memref<23x45xf32> into memref<1035xf32>
  %fc = memref.collapse_shape %c [[0, 1]] : memref<37x45xf32> into memref<1665xf32>
  %fr = memref.collapse_shape %r [[0, 1]] : memref<37x45xf32> into memref<1665xf32>
  %da = memref.cast %fa : memref<851xf32> to memref<?xf32>
  %db = memref.cast %fb : memref<1035xf32> to memref<?xf32>
  %dc = memref.cast %fc : memref<1665xf32> to memref<?xf32>
  %dr = memref.cast %fr : memref<1665xf32> to memref<?xf32>
  call @fill(%da, %c1) : (memref<?xf32>, index) -> ()
  call @fill(%db, %c2) : (memref<?xf32>, index) -> ()
  %f1 = arith.constant 1.0 : f32
  linalg.fill ins(%f1 : f32) outs(%c : memref<37x45xf32>)
  linalg.fill ins(%f1 : f32) outs(%r : memref<37x45xf32>)
  call @matmul(%a, %b, %c) : (memref<37x23xf32>, memref<23x45xf32>, memref<37x45xf32>) -> ()
  scf.for %i = %c0 to %c37 step %c1 {
    scf.for %j = %c0 to %c45 step %c1 {
      scf.for %l = %c0 to %c23 step %c1 {
        %x = memref.load %a[%i, %l] : memref<37x23xf32>
        %y = memref.load %b[%l, %j] : memref<23x45xf32>
        %acc = memref.load %r[%i, %j] : memref<37x45xf32>
        %p = arith.mulf %x, %y : f32
        %s = arith.addf %acc, %p : f32
        memref.store %s, %r[%i, %j] : memref<37x45xf32>
      }
    }
  }
  %n0 = call @mismatches(%dc, %dr) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "matmul mismatches "
  vector.print %n0 : i64

  // prologue: o = (x - mean) w.
  %x = memref.alloc() : memref<2x3x20xf32>
  %m = memref.alloc() : memref<2x3x1xf32>
  %w = memref.alloc() : memref<20x17xf32>
  %o = memref.alloc() : memref<2x3x17xf32>
  %ro = memref.alloc() : memref<2x3x17xf32>
  %fx = memref.collapse_shape %x [[0, 1, 2]] : memref<2x3x20xf32> into memref<120xf32>
  %fm = memref.collapse_shape %m [[0, 1, 2]] : memref<2x3x1xf32> into memref<6xf32>
  %fw = memref.collapse_shape %w [[0, 1]] : memref<20x17xf32> into memref<340xf32>
  %fo = memref.collapse_shape %o [[0, 1, 2]] : memref<2x3x17xf32> into memref<102xf32>
  %fro = memref.collapse_shape %ro [[0, 1, 2]] : memref<2x3x17xf32> into memref<102xf32>
  %dx = memref.cast %fx : memref<120xf32> to memref<?xf32>
  %dm = memref.cast %fm : memref<6xf32> to memref<?xf32>
  %dw = memref.cast %fw : memref<340xf32> to memref<?xf32>
  %do = memref.cast %fo : memref<102xf32> to memref<?xf32>
  %dro = memref.cast %fro : memref<102xf32> to memref<?xf32>
  call @fill(%dx, %c3) : (memref<?xf32>, index) -> ()
  call @fill(%dm, %c5) : (memref<?xf32>, index) -> ()
  call @fill(%dw, %c9) : (memref<?xf32>, index) -> ()
  %f0 = arith.constant 0.0 : f32
  linalg.fill ins(%f0 : f32) outs(%o : memref<2x3x17xf32>)
  linalg.fill ins(%f0 : f32) outs(%ro : memref<2x3x17xf32>)
  call @prologue(%x, %m, %w, %o) : (memref<2x3x20xf32>, memref<2x3x1xf32>, memref<20x17xf32>, memref<2x3x17xf32>) -> ()
  scf.for %i0 = %c0 to %c2 step %c1 {
    scf.for %i1 = %c0 to %c3 step %c1 {
      scf.for %j = %c0 to %c17 step %c1 {
        scf.for %l = %c0 to %c20 step %c1 {
          %xv = memref.load %x[%i0, %i1, %l] : memref<2x3x20xf32>
          %mv = memref.load %m[%i0, %i1, %c0] : memref<2x3x1xf32>
          %wv = memref.load %w[%l, %j] : memref<20x17xf32>
          %acc = memref.load %ro[%i0, %i1, %j] : memref<2x3x17xf32>
          %cv = arith.subf %xv, %mv : f32
          %p = arith.mulf %cv, %wv : f32
          %s = arith.addf %acc, %p : f32
          memref.store %s, %ro[%i0, %i1, %j] : memref<2x3x17xf32>
        }
      }
    }
  }
  %n1 = call @mismatches(%do, %dro) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "prologue mismatches "
  vector.print %n1 : i64

  // batched: s = q k^T per (batch, head).
  %q = memref.alloc() : memref<2x3x9x5xf32>
  %k = memref.alloc() : memref<2x3x11x5xf32>
  %s = memref.alloc() : memref<2x3x9x11xf32>
  %rs = memref.alloc() : memref<2x3x9x11xf32>
  %fq = memref.collapse_shape %q [[0, 1, 2, 3]] : memref<2x3x9x5xf32> into memref<270xf32>
  %fk = memref.collapse_shape %k [[0, 1, 2, 3]] : memref<2x3x11x5xf32> into memref<330xf32>
  %fs = memref.collapse_shape %s [[0, 1, 2, 3]] : memref<2x3x9x11xf32> into memref<594xf32>
  %frs = memref.collapse_shape %rs [[0, 1, 2, 3]] : memref<2x3x9x11xf32> into memref<594xf32>
  %dq = memref.cast %fq : memref<270xf32> to memref<?xf32>
  %dk = memref.cast %fk : memref<330xf32> to memref<?xf32>
  %ds = memref.cast %fs : memref<594xf32> to memref<?xf32>
  %drs = memref.cast %frs : memref<594xf32> to memref<?xf32>
  call @fill(%dq, %c5) : (memref<?xf32>, index) -> ()
  call @fill(%dk, %c11) : (memref<?xf32>, index) -> ()
  linalg.fill ins(%f0 : f32) outs(%s : memref<2x3x9x11xf32>)
  linalg.fill ins(%f0 : f32) outs(%rs : memref<2x3x9x11xf32>)
  call @batched(%q, %k, %s) : (memref<2x3x9x5xf32>, memref<2x3x11x5xf32>, memref<2x3x9x11xf32>) -> ()
  scf.for %i0 = %c0 to %c2 step %c1 {
    scf.for %i1 = %c0 to %c3 step %c1 {
      scf.for %i = %c0 to %c9 step %c1 {
        scf.for %j = %c0 to %c11 step %c1 {
          scf.for %l = %c0 to %c5 step %c1 {
            %qv = memref.load %q[%i0, %i1, %i, %l] : memref<2x3x9x5xf32>
            %kv = memref.load %k[%i0, %i1, %j, %l] : memref<2x3x11x5xf32>
            %acc = memref.load %rs[%i0, %i1, %i, %j] : memref<2x3x9x11xf32>
            %p = arith.mulf %qv, %kv : f32
            %sum = arith.addf %acc, %p : f32
            memref.store %sum, %rs[%i0, %i1, %i, %j] : memref<2x3x9x11xf32>
          }
        }
      }
    }
  }
  %n2 = call @mismatches(%ds, %drs) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "batched mismatches "
  vector.print %n2 : i64

  // wide: c = -1 + a b with 64 x 64 tiles.
  %c70 = arith.constant 70 : index
  %c130 = arith.constant 130 : index
  %wa = memref.alloc() : memref<70x23xf32>
  %wb = memref.alloc() : memref<23x130xf32>
  %wc = memref.alloc() : memref<70x130xf32>
  %wr = memref.alloc() : memref<70x130xf32>
  %fwa = memref.collapse_shape %wa [[0, 1]] : memref<70x23xf32> into memref<1610xf32>
  %fwb = memref.collapse_shape %wb [[0, 1]] : memref<23x130xf32> into memref<2990xf32>
  %fwc = memref.collapse_shape %wc [[0, 1]] : memref<70x130xf32> into memref<9100xf32>
  %fwr = memref.collapse_shape %wr [[0, 1]] : memref<70x130xf32> into memref<9100xf32>
  %dwa = memref.cast %fwa : memref<1610xf32> to memref<?xf32>
  %dwb = memref.cast %fwb : memref<2990xf32> to memref<?xf32>
  %dwc = memref.cast %fwc : memref<9100xf32> to memref<?xf32>
  %dwr = memref.cast %fwr : memref<9100xf32> to memref<?xf32>
  call @fill(%dwa, %c2) : (memref<?xf32>, index) -> ()
  call @fill(%dwb, %c9) : (memref<?xf32>, index) -> ()
  %fm1 = arith.constant -1.0 : f32
  linalg.fill ins(%fm1 : f32) outs(%wc : memref<70x130xf32>)
  linalg.fill ins(%fm1 : f32) outs(%wr : memref<70x130xf32>)
  call @wide(%wa, %wb, %wc) : (memref<70x23xf32>, memref<23x130xf32>, memref<70x130xf32>) -> ()
  scf.for %i = %c0 to %c70 step %c1 {
    scf.for %j = %c0 to %c130 step %c1 {
      scf.for %l = %c0 to %c23 step %c1 {
        %wx = memref.load %wa[%i, %l] : memref<70x23xf32>
        %wy = memref.load %wb[%l, %j] : memref<23x130xf32>
        %wacc = memref.load %wr[%i, %j] : memref<70x130xf32>
        %wp = arith.mulf %wx, %wy : f32
        %wt = arith.addf %wacc, %wp : f32
        memref.store %wt, %wr[%i, %j] : memref<70x130xf32>
      }
    }
  }
  %n3 = call @mismatches(%dwc, %dwr) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "wide mismatches "
  vector.print %n3 : i64
  return
}
