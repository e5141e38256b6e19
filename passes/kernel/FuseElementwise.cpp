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
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
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

/// Follows `v` up through reshapes while each value has this one use; the
/// root must be computed here (not an argument or a constant), so that
/// writing over it is invisible to anyone else.
bool isDeadAfterUse(Value v) {
  while (true) {
    if (!v.hasOneUse())
      return false;
    Operation *def = v.getDefiningOp();
    if (!def || matchPattern(v, m_Constant()))
      return false;
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      return true;
    v = def->getOperand(0);
  }
}

/// An elementwise generic writing a fresh tensor writes over an input of
/// the same type and indexing instead, when it is that input's last reader:
/// bufferization then computes it in place, and the activation it replaces
/// needs no second buffer (a matmul's output and its bias + GELU share one).
struct ReuseDeadInputAsInit : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNumDpsInits() != 1 || !isAllParallel(op) ||
        !op.hasPureTensorSemantics())
      return failure();
    OpOperand *init = op.getDpsInitOperand(0);
    if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
        op.payloadUsesValueFromOperand(init))
      return failure();
    AffineMap initMap = op.getMatchingIndexingMap(init);
    OpOperand *reused = nullptr;
    for (OpOperand *in : op.getDpsInputOperands())
      if (in->get().getType() == init->get().getType() &&
          op.getMatchingIndexingMap(in) == initMap &&
          isDeadAfterUse(in->get())) {
        reused = in;
        break;
      }
    if (!reused)
      return failure();
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands())
      if (in != reused) {
        inputs.push_back(in->get());
        maps.push_back(op.getMatchingIndexingMap(in));
      }
    maps.push_back(initMap);
    Block *oldBody = op.getBody();
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), op.getResultTypes(), inputs,
        ValueRange{reused->get()}, maps, op.getIteratorTypesArray(),
        [&](OpBuilder &b, Location, ValueRange args) {
          IRMapping mapping;
          unsigned next = 0;
          for (OpOperand *in : op.getDpsInputOperands()) {
            BlockArgument old = oldBody->getArgument(in->getOperandNumber());
            mapping.map(old, in == reused ? args.back() : args[next++]);
          }
          mapping.map(oldBody->getArguments().back(), args.back());
          for (Operation &inner : *oldBody)
            b.clone(inner, mapping);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

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
    // After fusion (so that the fused generics are the ones reusing).
    RewritePatternSet reuse(ctx);
    reuse.add<ReuseDeadInputAsInit>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(reuse))))
      return signalPassFailure();
  }
};

} // namespace
