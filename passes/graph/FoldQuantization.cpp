//===- FoldQuantization.cpp - dequantize(W) -> matmul => quantized_matmul -===//
//
// Weight-only and static QDQ graphs spell an int8 layer as a dequantize of
// a constant integer weight feeding a float matmul. Folding the dequantize
// into whittle.quantized_matmul keeps the weight integer through lowering,
// where integer kernels take it; what each dequantized element is does not
// change.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEFOLDQUANTIZATION
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

/// A constant, possibly reshaped (per-axis parameters are reshaped to
/// broadcast, and reshapes of large constants are not folded).
bool isConstant(Value v) {
  while (auto reshape = v.getDefiningOp<ReshapeOp>())
    v = reshape.getInput();
  return v.getDefiningOp<ConstantOp>() != nullptr;
}

/// The dequantize producing `rhs` when it dequantizes a constant 2-D integer
/// weight with constant parameters; null otherwise.
DequantizeOp constantWeightDequantize(Value rhs) {
  auto dq = rhs.getDefiningOp<DequantizeOp>();
  // Blocks run along K (the weight's rows) in quantized_matmul.
  if (!dq || dq.getInput().getType().getRank() != 2 ||
      (dq.getBlockSize() && dq.getBlockAxis() != 0))
    return {};
  for (Value v : {dq.getInput(), dq.getScale(), dq.getZeroPoint()})
    if (!isConstant(v))
      return {};
  return dq;
}

struct FoldDequantizedWeightIntoMatMul : OpRewritePattern<MatMulOp> {
  FoldDequantizedWeightIntoMatMul(MLIRContext *ctx, llvm::Statistic &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    DequantizeOp dq = constantWeightDequantize(op.getRhs());
    if (!dq || !isa<FloatType>(op.getLhs().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "no dequantized constant weight");
    rewriter.replaceOpWithNewOp<QuantizedMatMulOp>(
        op, op.getLhs(), dq.getInput(), dq.getScale(), dq.getZeroPoint(),
        dq.getBlockSize());
    ++folded;
    return success();
  }

  llvm::Statistic &folded;
};

struct FoldDequantizedWeightIntoGemm : OpRewritePattern<GemmOp> {
  FoldDequantizedWeightIntoGemm(MLIRContext *ctx, llvm::Statistic &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    DequantizeOp dq = constantWeightDequantize(op.getB());
    if (!dq || op.getTransA() || op.getTransB() ||
        op.getAlpha().convertToDouble() != 1.0 ||
        (op.getC() && op.getBeta().convertToDouble() != 1.0) ||
        !isa<FloatType>(op.getA().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "not a plain gemm of a "
                                             "dequantized constant weight");
    Value product = QuantizedMatMulOp::create(rewriter, op.getLoc(), op.getA(),
                                              dq.getInput(), dq.getScale(),
                                              dq.getZeroPoint());
    if (Value c = op.getC())
      product = AddOp::create(rewriter, op.getLoc(), product, c);
    if (product.getType() != op.getResult().getType())
      return rewriter.notifyMatchFailure(op, "bias changes the result shape");
    rewriter.replaceOp(op, product);
    ++folded;
    return success();
  }

  llvm::Statistic &folded;
};

struct WhittleFoldQuantizationPass
    : whittle::impl::WhittleFoldQuantizationBase<WhittleFoldQuantizationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns
        .add<FoldDequantizedWeightIntoMatMul, FoldDequantizedWeightIntoGemm>(
            &getContext(), numFolded);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
