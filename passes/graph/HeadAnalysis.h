//===- HeadAnalysis.h - Linear layers and attention heads -------*- C++ -*-===//
//
// What the head-level graph passes (prune-dead-heads, probe-heads) need to
// know about the layers around a whittle.attention: the linear layers with
// constant weights that produce Q, K, V and consume the merged heads.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_GRAPH_HEADANALYSIS_H
#define WHITTLE_PASSES_GRAPH_HEADANALYSIS_H

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SetVector.h"

#include <optional>

namespace whittle {

/// x [.., in] times a constant weight [in, C], plus an optional constant
/// bias [C]: a Gemm (no transposes, unit alpha/beta) or a MatMul with an
/// optional Add.
struct Linear {
  mlir::Operation *matmul = nullptr; // GemmOp or MatMulOp
  mutable AddOp biasAdd;             // the bias of a MatMul, if any
  mlir::Value input, weightValue, biasValue;
  llvm::SmallVector<double> weight, bias;
  int64_t in = 0, channels = 0;

  /// The value carrying the C output channels last.
  mlir::Value result() const {
    return biasAdd ? mlir::Value(biasAdd.getResult()) : matmul->getResult(0);
  }

  bool rowIsZero(int64_t row) const {
    for (int64_t c = 0; c < channels; ++c)
      if (weight[row * channels + c] != 0.0)
        return false;
    return true;
  }
  bool columnIsZero(int64_t col) const {
    for (int64_t r = 0; r < in; ++r)
      if (weight[r * channels + col] != 0.0)
        return false;
    return bias.empty() || bias[col] == 0.0;
  }

  /// A copy keeping the weight rows `rows` (all when empty) and the output
  /// channels `cols` (all when empty), applied to `x`.
  mlir::Value rebuild(mlir::PatternRewriter &rewriter, mlir::Value x,
                      llvm::ArrayRef<int64_t> rows,
                      llvm::ArrayRef<int64_t> cols) const;
};

/// The linear layer whose output channels `v` carries.
std::optional<Linear> linearProducing(mlir::Value v);

/// The linear layer that is the only reader of `x`.
std::optional<Linear> linearReading(mlir::Value x);

/// The output side of an attention: its result transposed back to
/// [B, T, H, Dv], the heads merged by a reshape ([.., H * Dv]), and one
/// linear layer reading that (weight [H * Dv, d]).
struct AttentionOutput {
  TransposeOp transpose;
  ReshapeOp merge;
  Linear linear;
};
std::optional<AttentionOutput> traceAttentionOutput(AttentionOp op);

/// A feed-forward block ending in `down`: the up (and gate) projections
/// with its input width as channels, and the position-wise chain between
/// them (elementwise ops whose other operands are scalars, reshapes that
/// keep the channels last), each value read only inside the block.
struct FeedForward {
  llvm::SmallVector<Linear> ups;
  llvm::SetVector<mlir::Operation *> chain;
};
std::optional<FeedForward> traceFeedForward(const Linear &down);

} // namespace whittle

#endif // WHITTLE_PASSES_GRAPH_HEADANALYSIS_H
