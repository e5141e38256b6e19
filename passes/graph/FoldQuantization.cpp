//===- FoldQuantization.cpp - dequantize(W) -> matmul => quantized_matmul -===//
//
// Weight-only and static QDQ graphs spell an int8 layer as a dequantize of
// a constant integer weight feeding a float matmul. Folding the dequantize
// into whittle.quantized_matmul keeps the weight integer through lowering,
// where integer kernels take it; what each dequantized element is does not
// change. Where the activations are themselves dequantized 8-bit codes
// (static QDQ), the product becomes an exact whittle.integer_matmul of the
// codes, scaled once.
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

/// One value per tensor: rank 0 or a single element.
bool isPerTensor(Value v) {
  return cast<ShapedType>(v.getType()).getNumElements() == 1;
}

/// `v` (one element) as a rank-0 tensor.
Value toScalar(PatternRewriter &rewriter, Location loc, Value v) {
  if (cast<ShapedType>(v.getType()).getRank() == 0)
    return v;
  return ReshapeOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr({}));
}

/// Static QDQ: quantized_matmul(dequantize(q, sa, za), W, sw, zw) with one
/// activation scale and zero point and weight parameters per tensor or per
/// column equals sa·sw · Σ (q − za)(W − zw): an exact integer matmul of the
/// codes, scaled once. (The float form rounds every product and partial sum;
/// the integer one is exact until the final scaling.)
struct FoldQuantizedActivationsIntoIntegerMatMul
    : OpRewritePattern<QuantizedMatMulOp> {
  FoldQuantizedActivationsIntoIntegerMatMul(MLIRContext *ctx,
                                            llvm::Statistic &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(QuantizedMatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto dq = op.getLhs().getDefiningOp<DequantizeOp>();
    auto rhsType = op.getRhs().getType();
    auto is8Bit = [](Value v) {
      return cast<ShapedType>(v.getType()).getElementTypeBitWidth() == 8;
    };
    if (!dq || dq.getBlockSize() || op.getBlockSize() ||
        !is8Bit(dq.getInput()) || !is8Bit(op.getRhs()) ||
        !isPerTensor(dq.getScale()) || !isPerTensor(dq.getZeroPoint()) ||
        dq.getInput().getType().getRank() < 2 ||
        !op.getResult().getType().getElementType().isF32() ||
        dq.getScale().getType().getElementType() !=
            op.getScale().getType().getElementType())
      return rewriter.notifyMatchFailure(
          op, "activations are not 8-bit codes dequantized per tensor");
    // Weight parameters must not vary along K.
    int64_t n = rhsType.getDimSize(1);
    for (Value param : {op.getScale(), op.getZeroPoint()}) {
      auto shape = cast<ShapedType>(param.getType()).getShape();
      if (!isPerTensor(param) &&
          !(shape.size() == 2 && shape[0] == 1 && shape[1] == n))
        return rewriter.notifyMatchFailure(
            op, "weight scale or zero point varies along K");
    }
    Location loc = op.getLoc();
    Value weightZp = op.getZeroPoint();
    weightZp = isPerTensor(weightZp)
                   ? toScalar(rewriter, loc, weightZp)
                   : ReshapeOp::create(rewriter, loc, weightZp,
                                       rewriter.getDenseI64ArrayAttr({n}))
                         .getResult();
    Value product = IntegerMatMulOp::create(
        rewriter, loc, dq.getInput(), op.getRhs(),
        toScalar(rewriter, loc, dq.getZeroPoint()), weightZp);
    Value scaled = CastOp::create(rewriter, loc, product,
                                  TypeAttr::get(rewriter.getF32Type()));
    Value scale = MulOp::create(
        rewriter, loc, toScalar(rewriter, loc, dq.getScale()), op.getScale());
    rewriter.replaceOpWithNewOp<MulOp>(op, scaled, scale);
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
    patterns.add<FoldQuantizedActivationsIntoIntegerMatMul>(&getContext(),
                                                            numIntegerFolded);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
