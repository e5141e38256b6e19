// Numerical check of the block reductions, run through the barrier-aware
// emulation of whittle-emulate-gpu-launches: a sum of squares over rows of
// 100 (not a power of two: a partial last share) onto a non-zero output,
// a row maximum over rows of 300 (identity -inf, all-negative rows
// included), and a matrix-vector product. The operands are small
// multiples of 1/4, so every order of summation gives the exact result;
// each output is compared with plain loops.
// RUN: whittle-opt --whittle-tile-gpu-reductions --whittle-emulate-gpu-launches %s | %lower_vectors_to_llvm | %mlir_runner | FileCheck %s
// CHECK: squares mismatches 0
// CHECK: max mismatches 0
// CHECK: matvec mismatches 0

#row3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out3 = affine_map<(d0, d1, d2) -> (d0, d1)>

func.func @squares(%a: memref<2x3x100xf32>, %s: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#row3, #out3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a : memref<2x3x100xf32>) outs(%s : memref<2x3xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %sq = arith.mulf %x, %x : f32
    %r = arith.addf %acc, %sq : f32
    linalg.yield %r : f32
  }
  return
}

func.func @rowmax(%a: memref<8x300xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x300xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.maximumf %acc, %x : f32
    linalg.yield %r : f32
  }
  return
}

func.func @matvec(%a: memref<64x200xf32>, %x: memref<200xf32>, %y: memref<64xf32>) {
  linalg.matvec ins(%a, %x : memref<64x200xf32>, memref<200xf32>) outs(%y : memref<64xf32>)
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
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %c200 = arith.constant 200 : index
  %c300 = arith.constant 300 : index
  %f0 = arith.constant 0.0 : f32
  %f1 = arith.constant 1.5 : f32
  %ninf = arith.constant 0xFF800000 : f32

  // squares: s = 1.5 + sum a^2.
  %a = memref.alloc() : memref<2x3x100xf32>
  %s = memref.alloc() : memref<2x3xf32>
  %rs = memref.alloc() : memref<2x3xf32>
  %fa = memref.collapse_shape %a [[0, 1, 2]] : memref<2x3x100xf32> into memref<600xf32>
  %fs = memref.collapse_shape %s [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %frs = memref.collapse_shape %rs [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %da = memref.cast %fa : memref<600xf32> to memref<?xf32>
  %ds = memref.cast %fs : memref<6xf32> to memref<?xf32>
  %drs = memref.cast %frs : memref<6xf32> to memref<?xf32>
  call @fill(%da, %c1) : (memref<?xf32>, index) -> ()
  linalg.fill ins(%f1 : f32) outs(%s : memref<2x3xf32>)
  linalg.fill ins(%f1 : f32) outs(%rs : memref<2x3xf32>)
  call @squares(%a, %s) : (memref<2x3x100xf32>, memref<2x3xf32>) -> ()
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      scf.for %l = %c0 to %c100 step %c1 {
        %x = memref.load %a[%i, %j, %l] : memref<2x3x100xf32>
        %acc = memref.load %rs[%i, %j] : memref<2x3xf32>
        %p = arith.mulf %x, %x : f32
        %t = arith.addf %acc, %p : f32
        memref.store %t, %rs[%i, %j] : memref<2x3xf32>
      }
    }
  }
  %n0 = call @mismatches(%ds, %drs) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "squares mismatches "
  vector.print %n0 : i64

  // max: rows 0 and 4 all negative (the others mixed).
  %b = memref.alloc() : memref<8x300xf32>
  %m = memref.alloc() : memref<8xf32>
  %rm = memref.alloc() : memref<8xf32>
  %fb = memref.collapse_shape %b [[0, 1]] : memref<8x300xf32> into memref<2400xf32>
  %db = memref.cast %fb : memref<2400xf32> to memref<?xf32>
  %dm = memref.cast %m : memref<8xf32> to memref<?xf32>
  %drm = memref.cast %rm : memref<8xf32> to memref<?xf32>
  call @fill(%db, %c2) : (memref<?xf32>, index) -> ()
  %neg = arith.constant -2.0 : f32
  scf.for %l = %c0 to %c300 step %c1 {
    memref.store %neg, %b[%c0, %l] : memref<8x300xf32>
    memref.store %neg, %b[%c4, %l] : memref<8x300xf32>
  }
  %small = arith.constant -3.0 : f32
  memref.store %small, %b[%c4, %c100] : memref<8x300xf32>
  linalg.fill ins(%ninf : f32) outs(%m : memref<8xf32>)
  linalg.fill ins(%ninf : f32) outs(%rm : memref<8xf32>)
  call @rowmax(%b, %m) : (memref<8x300xf32>, memref<8xf32>) -> ()
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %l = %c0 to %c300 step %c1 {
      %x = memref.load %b[%i, %l] : memref<8x300xf32>
      %acc = memref.load %rm[%i] : memref<8xf32>
      %t = arith.maximumf %acc, %x : f32
      memref.store %t, %rm[%i] : memref<8xf32>
    }
  }
  %n1 = call @mismatches(%dm, %drm) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "max mismatches "
  vector.print %n1 : i64

  // matvec: y = A x.
  %w = memref.alloc() : memref<64x200xf32>
  %v = memref.alloc() : memref<200xf32>
  %y = memref.alloc() : memref<64xf32>
  %ry = memref.alloc() : memref<64xf32>
  %fw = memref.collapse_shape %w [[0, 1]] : memref<64x200xf32> into memref<12800xf32>
  %dw = memref.cast %fw : memref<12800xf32> to memref<?xf32>
  %dv = memref.cast %v : memref<200xf32> to memref<?xf32>
  %dy = memref.cast %y : memref<64xf32> to memref<?xf32>
  %dry = memref.cast %ry : memref<64xf32> to memref<?xf32>
  call @fill(%dw, %c3) : (memref<?xf32>, index) -> ()
  call @fill(%dv, %c4) : (memref<?xf32>, index) -> ()
  linalg.fill ins(%f0 : f32) outs(%y : memref<64xf32>)
  linalg.fill ins(%f0 : f32) outs(%ry : memref<64xf32>)
  call @matvec(%w, %v, %y) : (memref<64x200xf32>, memref<200xf32>, memref<64xf32>) -> ()
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %l = %c0 to %c200 step %c1 {
      %x = memref.load %w[%i, %l] : memref<64x200xf32>
      %z = memref.load %v[%l] : memref<200xf32>
      %acc = memref.load %ry[%i] : memref<64xf32>
      %p = arith.mulf %x, %z : f32
      %t = arith.addf %acc, %p : f32
      memref.store %t, %ry[%i] : memref<64xf32>
    }
  }
  %n2 = call @mismatches(%dy, %dry) : (memref<?xf32>, memref<?xf32>) -> i64
  vector.print str "matvec mismatches "
  vector.print %n2 : i64
  return
}
