//===- LegalizeForLLVM.cpp - Avoid runtime calls in the LLVM lowering -----===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLELEGALIZEFORLLVM
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// memref.copy between memrefs that are not both contiguous lowers to a call
/// of `memrefCopy` from the MLIR C runner utilities; write the loops instead.
/// The bare-pointer calling convention cannot describe a multi-dimensional
/// memref with a zero-sized dimension (its strides are degenerate), so such
/// arguments become memref<0xT> and are expanded back inside the function.
/// They hold no data, so the pointer is never dereferenced.
static void flattenEmptyArguments(func::FuncOp func) {
  if (func.isExternal())
    return;
  Block &entry = func.front();
  OpBuilder builder = OpBuilder::atBlockBegin(&entry);
  SmallVector<Type> inputs(func.getArgumentTypes());
  bool changed = false;
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() != 0 ||
        type.getRank() == 1 || !type.getLayout().isIdentity())
      continue;
    auto flat = MemRefType::get({0}, type.getElementType(), nullptr,
                                type.getMemorySpace());
    arg.setType(flat);
    inputs[arg.getArgNumber()] = flat;
    SmallVector<ReassociationIndices> all(1);
    for (int64_t d = 0; d < type.getRank(); ++d)
      all[0].push_back(d);
    Value expanded =
        memref::ExpandShapeOp::create(builder, func.getLoc(), type, arg, all);
    arg.replaceAllUsesExcept(expanded, expanded.getDefiningOp());
    changed = true;
  }
  if (changed)
    func.setFunctionType(
        builder.getFunctionType(inputs, func.getResultTypes()));
}

struct StridedCopyToLoops : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(copy.getSource().getType());
    auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
    if (!source || !target)
      return failure();
    if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
      return failure();
    Location loc = copy.getLoc();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t dim = 0; dim < source.getRank(); ++dim) {
      lbs.push_back(zero);
      ubs.push_back(
          memref::DimOp::create(rewriter, loc, copy.getSource(), dim));
      steps.push_back(one);
    }
    scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          Value v = memref::LoadOp::create(b, l, copy.getSource(), ivs);
          memref::StoreOp::create(b, l, v, copy.getTarget(), ivs);
        });
    rewriter.eraseOp(copy);
    return success();
  }
};

struct WhittleLegalizeForLLVMPass
    : whittle::impl::WhittleLegalizeForLLVMBase<WhittleLegalizeForLLVMPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](func::FuncOp func) { flattenEmptyArguments(func); });
    RewritePatternSet patterns(&getContext());
    patterns.add<StridedCopyToLoops>(&getContext());
    if (approximateMath)
      populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
