//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// Upstream elementwise fusion fuses any elementwise producer into any generic
// consumer, including into contractions whose loops do not all index the
// fused operand: a layer norm fused into the following matmul is recomputed
// for every output column, and the matmul is no longer recognizable as one.
// Here a producer is fused only where each of its elements is read once, and
// only into its sole consumer unless it merely moves data: a producer that
// stays alive for other users would be recomputed by every fused copy, and
// through residual connections (each layer norm feeding the next one's
// input) the recomputed chain grows with the depth of the model.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEFUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Whether the body of `op` only yields its block arguments (a copy,
/// broadcast or transpose): fusing it into several consumers recomputes
/// nothing.
bool isDataMovement(linalg::GenericOp op) {
  Block *body = op.getBody();
  return body->without_terminator().empty() &&
         llvm::all_of(body->getTerminator()->getOperands(), [&](Value v) {
           return isa<BlockArgument>(v) &&
                  cast<BlockArgument>(v).getOwner() == body;
         });
}

bool isAllParallel(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumLoops() == linalgOp.getNumParallelLoops();
}

struct WhittleFuseElementwisePass
    : whittle::impl::WhittleFuseElementwiseBase<WhittleFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn fuseOnce = [this](OpOperand *fused) {
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (!consumer)
        return false;
      // A permutation of all consumer loops reads every element once; a
      // map that drops a loop re-reads (and would recompute) the producer.
      if (!consumer.getMatchingIndexingMap(fused).isPermutation())
        return false;
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      if (producer && !isDataMovement(producer))
        for (Operation *user : producer->getUsers())
          if (user != consumer)
            return false;
      ++numFused;
      return true;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, fuseOnce);
    // Reshapes move through elementwise ops only: a reshape folded into a
    // contraction turns a matmul into a higher-rank generic.
    linalg::ControlFusionFn reshapeControl = [](OpOperand *fused) {
      Operation *owner = fused->getOwner();
      return isAllParallel(
          isa<linalg::LinalgOp>(owner) ? owner : fused->get().getDefiningOp());
    };
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, reshapeControl);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
