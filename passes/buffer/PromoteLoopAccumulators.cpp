//===- PromoteLoopAccumulators.cpp - Reductions accumulate in registers ---===//
//
// Linalg's loops reduce into memory: every iteration of a matmul's k loop
// loads C[i, j] and stores it back. LLVM cannot keep it in a register when
// it cannot prove that the loop's other accesses do not alias C, and on a
// GPU each of those accesses goes to global memory. Here the load and the
// store of a location that does not change across the loop become an
// iter_arg, read once before the loop and written once after it, where the
// buffers the loop reads are provably distinct from it: other function
// arguments (the model ABI: outputs never alias inputs), constants, or
// disjoint byte ranges of the workspace.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEPROMOTELOOPACCUMULATORS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Where a memref's elements live: its root buffer and, for a view of the
/// workspace at a constant offset, the byte range of that view.
struct Place {
  Value root;
  std::optional<std::pair<int64_t, int64_t>> bytes;
};

Place placeOf(Value value) {
  Place place;
  while (Operation *def = value.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      llvm::APInt offset;
      auto type = view.getType();
      if (!place.bytes && type.hasStaticShape() &&
          matchPattern(view.getByteShift(), m_ConstantInt(&offset))) {
        int64_t bits = type.getElementTypeBitWidth();
        int64_t size = type.getNumElements() * std::max<int64_t>(1, bits / 8);
        place.bytes = {offset.getSExtValue(), offset.getSExtValue() + size};
      }
      value = view.getSource();
      continue;
    }
    auto viewLike = dyn_cast<ViewLikeOpInterface>(def);
    if (!viewLike)
      break;
    value = viewLike.getViewSource();
  }
  place.root = value;
  return place;
}

/// False only when `a` and `b` provably share no element.
bool mayAlias(Value a, Value b) {
  Place pa = placeOf(a), pb = placeOf(b);
  if (pa.root != pb.root) {
    auto isDistinctBuffer = [](Value root) {
      return isa<BlockArgument>(root) ||
             root.getDefiningOp<memref::GetGlobalOp>() ||
             root.getDefiningOp<memref::AllocOp>() ||
             root.getDefiningOp<memref::AllocaOp>();
    };
    return !(isDistinctBuffer(pa.root) && isDistinctBuffer(pb.root));
  }
  if (pa.bytes && pb.bytes)
    return pa.bytes->first < pb.bytes->second &&
           pb.bytes->first < pa.bytes->second;
  return true;
}

struct PromoteAccumulator : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    Block *body = loop.getBody();
    SmallVector<memref::StoreOp> stores;
    SmallVector<memref::LoadOp> loads, nestedLoads;
    for (Operation &op : body->without_terminator()) {
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        stores.push_back(store);
      } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
        loads.push_back(load);
      } else if (!isMemoryEffectFree(&op)) {
        // A nested loop (an inner reduction already promoted) may read.
        bool readOnly = true;
        op.walk([&](Operation *nested) {
          if (auto load = dyn_cast<memref::LoadOp>(nested))
            nestedLoads.push_back(load);
          else if (!isa<scf::ForOp, scf::YieldOp>(nested) &&
                   !isMemoryEffectFree(nested))
            readOnly = false;
        });
        if (!readOnly)
          return failure();
      }
    }
    if (stores.size() != 1)
      return failure();
    memref::StoreOp store = stores.front();
    Value buffer = store.getMemRef();
    auto invariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
    if (!invariant(buffer) || !llvm::all_of(store.getIndices(), invariant))
      return failure();
    memref::LoadOp accumulator;
    for (memref::LoadOp load : loads) {
      if (load.getMemRef() == buffer &&
          llvm::equal(load.getIndices(), store.getIndices())) {
        if (accumulator || !load->isBeforeInBlock(store))
          return failure();
        accumulator = load;
      } else if (mayAlias(load.getMemRef(), buffer)) {
        return failure();
      }
    }
    if (!accumulator)
      return failure();
    for (memref::LoadOp load : nestedLoads)
      if (mayAlias(load.getMemRef(), buffer))
        return failure();

    Location loc = store.getLoc();
    SmallVector<Value> indices(store.getIndices());
    rewriter.setInsertionPoint(loop);
    Value initial =
        memref::LoadOp::create(rewriter, accumulator.getLoc(), buffer, indices);
    Value stored = store.getValueToStore();
    auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, initial, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        }));
    rewriter.replaceOp(accumulator, newLoop.getRegionIterArgs().back());
    rewriter.eraseOp(store);
    rewriter.setInsertionPointAfter(newLoop);
    memref::StoreOp::create(rewriter, loc, newLoop.getResults().back(), buffer,
                            indices);
    return success();
  }
};

struct WhittlePromoteLoopAccumulatorsPass
    : whittle::impl::WhittlePromoteLoopAccumulatorsBase<
          WhittlePromoteLoopAccumulatorsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PromoteAccumulator>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
