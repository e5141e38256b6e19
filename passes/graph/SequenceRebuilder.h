//===- SequenceRebuilder.h - A model at another sequence length -*- C++ -*-===//
//
// Rebuilds a function whose values carry one sequence axis (from its token
// input) with T rows on that axis instead of MAX, checking that every op is
// position-wise along it. The decode steps (T tokens over a key/value cache)
// and the length variants of a bounded sequence (T rows, the first n of
// them real) are both built on it; they differ in their arguments and in
// what an attention becomes.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_GRAPH_SEQUENCEREBUILDER_H
#define WHITTLE_PASSES_GRAPH_SEQUENCEREBUILDER_H

#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <memory>
#include <optional>
#include <string>

namespace whittle {

class SequenceRebuilder {
public:
  /// `flag` prefixes diagnostics ("--decode").
  SequenceRebuilder(mlir::func::FuncOp source, int64_t steps, int64_t maxTokens,
                    llvm::StringRef flag)
      : source(source), steps(steps), maxTokens(maxTokens), flag(flag.str()) {}
  virtual ~SequenceRebuilder() = default;

protected:
  /// Starts `func` (already created with its entry block) at its end.
  void begin(mlir::func::FuncOp target);

  /// Rebuilds the source's ops up to its return, which it stores in
  /// `sourceReturn`. Arguments must be mapped (and their axes set) first.
  mlir::LogicalResult rebuildBody();

  /// What an attention becomes; its operands are rebuilt already.
  virtual mlir::LogicalResult visitAttention(AttentionOp op) = 0;

  /// The position of the first of the T rows: a [1] i64 value, or null for
  /// position 0.
  virtual mlir::Value firstPosition() { return {}; }

  std::optional<int64_t> axisOf(mlir::Value mapped) const {
    auto it = seqAxis.find(mapped);
    if (it == seqAxis.end())
      return std::nullopt;
    return it->second;
  }
  static int64_t rankOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).getRank();
  }
  mlir::InFlightDiagnostic notPositionWise(mlir::Operation *op);
  mlir::InFlightDiagnostic error(mlir::Operation *op);

  /// Positions first .. first+T-1 as [T] i64, clamped to the last row of a
  /// MAX-row table (rows past it only feed padding rows).
  mlir::Value positions(mlir::Location loc);

  /// `value` (no sequence axis) broadcast against a result of rank
  /// `resultRank` whose sequence axis is `axis`: if it has MAX rows there,
  /// it is a table over positions and only the T rows' entries are kept.
  mlir::Value alignTable(mlir::Value value, int64_t resultRank, int64_t axis,
                         mlir::Location loc);

  mlir::func::FuncOp source, func;
  int64_t steps, maxTokens;
  std::string flag;
  /// Ops may pick fixed positions of the sequence (a pooler's first token):
  /// their results no longer carry it, and `minLength` rows must be real.
  bool allowPicks = false;
  int64_t minLength = 1;
  mlir::func::ReturnOp sourceReturn;
  std::unique_ptr<mlir::OpBuilder> b;
  mlir::IRMapping map;
  llvm::DenseMap<mlir::Value, int64_t> seqAxis;

private:
  mlir::LogicalResult visit(mlir::Operation *op);
  mlir::LogicalResult reinfer(mlir::Operation *op);
  mlir::LogicalResult finish(mlir::Operation *op, mlir::Operation *clone,
                             int64_t axis);
  mlir::LogicalResult pick(mlir::Operation *op, int64_t lastRow);

  mlir::Value positionIndices;
};

} // namespace whittle

#endif // WHITTLE_PASSES_GRAPH_SEQUENCEREBUILDER_H
