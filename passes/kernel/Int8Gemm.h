//===- Int8Gemm.h - The u8 x s8 -> i32 GEMM kernel of tile-kernels -*- C++ -*-//
//
// An integer contraction (unsigned 8-bit activations times signed 8-bit
// weights, accumulated in i32, as whittle.integer_matmul lowers) gets the
// same loop nest as an f32 GEMM, over groups of four consecutive K: the
// weight is packed at compile time into [N/nr, K/4, nr * 4] bytes, so that
// one vector load holds four K values of each of its columns, the layout of
// the dot-product instructions (x86 vpdpbusd, which adds four u8 x s8
// products into each i32 lane without intermediate saturation).
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_KERNEL_INT8GEMM_H
#define WHITTLE_PASSES_KERNEL_INT8GEMM_H

#include "PackedWeights.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace whittle::int8gemm {

/// The instruction the register tile uses.
enum class DotProduct {
  /// Widen to i32 and multiply (any target).
  None,
  /// x86 vpdpbusd (AVX-512 VNNI, AVX-VNNI) at the tile's vector width.
  Vpdpbusd,
  /// AArch64 sdot (s8 x s8): the activations enter shifted by -128 (their
  /// top bit flipped) and packWeights adds 128 * colsum(B) back.
  Sdot,
  /// x86 AVX2 vpmaddubsw (u8 x s8 pairs summed into i16, saturating) then
  /// vpmaddwd by ones into i32: exact only when |w0| + |w1| <= 128 for
  /// every pair of weights summed, which packWeights checks.
  Pmaddubsw,
  /// x86 AVX2 vpmaddwd on operands widened to s16 (u8 x s8 pairs summed
  /// into i32, exact for any weights), where vpmaddubsw could saturate.
  /// Each group of `lanes` columns is packed as its K pairs (0, 1) then its
  /// K pairs (2, 3), so that one sign extension of 16 bytes gives the s16
  /// pairs of `lanes` columns.
  Pmaddwd,
};

/// Whether `op` is C[m, n] += zext(A[m, k]) * sext(B[k, n]) on i8 operands
/// and an i32 accumulator, with static shapes.
bool isU8S8Contraction(mlir::linalg::LinalgOp op);

/// Packs the constant weight of the u8 x s8 contraction `op` (K a multiple
/// of 4) into [ceil(N / padTo) * padTo / nr, K/4, nr * 4] (zero columns pad
/// N; byte ni * 4 + kk of a row is K = 4 * k4 + kk of column ni) and rewrites
/// `op` over it with loops (m, nb, k4, ni, kk):
/// A viewed as [M, K/4, 4], C as [M, nb, nr]. Returns the new generic (its
/// result is already in place of `op`'s) or failure when B is not a
/// constant, K is not a multiple of 4, or a padded N has no fill to start
/// from. `bytesPacked` grows by the packed size. For a kernel that takes
/// signed activations (`dot` Sdot) the result gains 128 * colsum(B), by an
/// elementwise op. `dot` Pmaddubsw becomes Pmaddwd when the weights could
/// saturate its 16-bit pair sums; that kernel reads A widened to i16 by an
/// elementwise op. Elementwise ops created are appended to `elementwise`.
/// `lanes` is the i32 lanes of the kernel's vectors.
mlir::FailureOr<mlir::linalg::GenericOp>
packWeights(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op, int64_t nr,
            int64_t padTo, int64_t lanes, DotProduct &dot,
            uint64_t &bytesPacked,
            llvm::SmallVectorImpl<mlir::linalg::LinalgOp> &elementwise,
            PackedWeightCache &cache);

/// The register tile of the packed contraction: `a` [mr, 1, 4] bytes,
/// `b` [1, 1, nr * 4] bytes, `acc` [mr, 1, nr] i32 tensor slices. Returns
/// `acc` after one step of four K. `lanes` is the i32 lanes of a vector.
mlir::Value emitRegisterTile(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value a, mlir::Value bPanel, mlir::Value acc,
                             int64_t lanes, DotProduct dot);

} // namespace whittle::int8gemm

#endif // WHITTLE_PASSES_KERNEL_INT8GEMM_H
