//===- LinalgBodySlice.h - Part of a linalg body, evaluated alone -*- C++
//-*-===//
//
// The GPU kernels built from linalg ops (shared-memory contractions, block
// reductions) evaluate one operand of the body's combining op at an
// iteration point of their own choosing: the pure ops it is computed from,
// with the inputs it reads loaded through their indexing maps.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_BUFFER_LINALGBODYSLICE_H
#define WHITTLE_PASSES_BUFFER_LINALGBODYSLICE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <vector>

namespace whittle {

/// `value` of a linalg body and what computing it takes.
struct BodySlice {
  mlir::Value value;
  /// The body ops it is computed from, in body order.
  llvm::SetVector<mlir::Operation *> ops;
  /// The DPS input numbers it reads.
  llvm::SmallSetVector<unsigned, 4> inputs;
  /// The loop dimensions it varies with (through indexing maps or
  /// linalg.index).
  llvm::SmallDenseSet<unsigned> dims;
};

/// The slice of `op`'s body computing `value`. Fails when it reads the
/// accumulator (an init operand), needs an op with regions or side effects,
/// or an input's indexing map has a result other than a dimension or a
/// constant.
mlir::FailureOr<BodySlice> sliceBody(mlir::linalg::LinalgOp op,
                                     mlir::Value value);

/// Emits `slice` at the loop point `dims` (dimension -> index value): loads
/// its inputs and clones its ops. Returns the value.
mlir::Value evaluateSlice(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::linalg::LinalgOp op, const BodySlice &slice,
                          const llvm::DenseMap<unsigned, mlir::Value> &dims);

/// The indices of `map`'s results (dimensions or constants) at `dims`.
llvm::SmallVector<mlir::Value>
indicesAt(mlir::OpBuilder &b, mlir::Location loc, mlir::AffineMap map,
          const llvm::DenseMap<unsigned, mlir::Value> &dims);

/// Splits the row-major linear index `linear` over `dims` (of sizes
/// `sizes[dim]`) into `values`.
void delinearize(mlir::OpBuilder &b, mlir::Location loc, mlir::Value linear,
                 llvm::ArrayRef<unsigned> dims,
                 llvm::ArrayRef<mlir::Value> sizes,
                 llvm::DenseMap<unsigned, mlir::Value> &values);

/// A reduction on buffers into one f32 output, `out = combiner(out, value)`
/// (either operand order), the accumulator used by the combiner alone.
struct AccumulatorFold {
  mlir::Operation *combiner;
  mlir::Value value;
  /// The loop dimensions the output is indexed by (its map has only
  /// dimensions).
  llvm::SmallDenseSet<unsigned> outputDims;
};
mlir::FailureOr<AccumulatorFold>
matchAccumulatorFold(mlir::linalg::LinalgOp op);

/// The sizes of `op`'s loops, as index values built at `b`.
llvm::SmallVector<mlir::Value> loopSizes(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::linalg::LinalgOp op);

/// The product of `sizes[dim]` over `dims` (1 for none), folded where
/// constant.
mlir::Value productOf(mlir::OpBuilder &b, mlir::Location loc,
                      llvm::ArrayRef<unsigned> dims,
                      llvm::ArrayRef<mlir::Value> sizes);

/// The linalg ops directly in a function body of `module` that `match`
/// accepts, with what it found.
template <typename Match>
auto matchTopLevelLinalgOps(mlir::Operation *module, Match match) {
  using Found = typename decltype(match(
      std::declval<mlir::linalg::LinalgOp>()))::value_type;
  std::vector<std::pair<mlir::linalg::LinalgOp, Found>> found;
  module->walk([&](mlir::linalg::LinalgOp op) {
    if (!llvm::isa<mlir::func::FuncOp>(op->getParentOp()))
      return;
    if (auto result = match(op); mlir::succeeded(result))
      found.emplace_back(op, std::move(*result));
  });
  return found;
}

} // namespace whittle

#endif // WHITTLE_PASSES_BUFFER_LINALGBODYSLICE_H
