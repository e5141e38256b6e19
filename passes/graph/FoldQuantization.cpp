//===- FoldQuantization.cpp - dequantize(W) -> matmul => quantized_matmul -===//
//
// Weight-only and static QDQ graphs spell an int8 layer as a dequantize of
// a constant integer weight feeding a float matmul (quantization-aware
// training exports spell the weight as a quantize of the float weight, and
// PyTorch's may transpose it after the dequantize). Folding the dequantize
// into whittle.quantized_matmul keeps the weight integer through lowering,
// where integer kernels take it; what each dequantized element is does not
// change. Where the activations are themselves dequantized 8-bit codes
// (static QDQ), the product becomes an exact whittle.integer_matmul of the
// codes, scaled once.
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

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

/// `v` without the reshapes in front of it (they keep the row-major order).
Value throughReshapes(Value v) {
  while (auto reshape = v.getDefiningOp<ReshapeOp>())
    v = reshape.getInput();
  return v;
}

/// Fake-quantized weights (QAT exports: QuantizeLinear of a float weight,
/// then DequantizeLinear) quantize a constant: the codes are computed here,
/// as ONNX's QuantizeLinear defines them (the f32 quotient rounded half to
/// even, plus the zero point, saturated), so that the dequantize of the
/// integer weight folds like any other.
struct QuantizeConstant : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    unsigned bits = type.getElementTypeBitWidth();
    if ((bits != 8 && bits != 4) || !type.hasStaticShape() ||
        !inputType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op,
                                         "not an f32 -> 8- or 4-bit quantize");
    auto x = readFloatConstant(throughReshapes(op.getInput()));
    auto scale = readFloatConstant(throughReshapes(op.getScale()));
    auto zeroPoint = readIntegerConstant(throughReshapes(op.getZeroPoint()));
    if (!x || !scale || !zeroPoint)
      return rewriter.notifyMatchFailure(op, "operands are not constants");
    // Parameters broadcast against the input (aligned at the last dim).
    ArrayRef<int64_t> shape = type.getShape();
    auto paramIndex = [&](Value param, int64_t flat) {
      ArrayRef<int64_t> pshape = cast<ShapedType>(param.getType()).getShape();
      int64_t index = 0, stride = 1;
      for (int64_t d = int64_t(shape.size()) - 1,
                   p = int64_t(pshape.size()) - 1;
           d >= 0; --d, --p) {
        int64_t coord = flat % shape[d];
        flat /= shape[d];
        if (p >= 0) {
          if (pshape[p] != 1)
            index += coord * stride;
          stride *= pshape[p];
        }
      }
      return index;
    };
    bool isUnsigned = type.getElementType().isUnsignedInteger();
    double lo = isUnsigned ? 0 : -std::ldexp(1.0, bits - 1),
           hi = isUnsigned ? std::ldexp(1.0, bits) - 1
                           : std::ldexp(1.0, bits - 1) - 1;
    SmallVector<int64_t> codes(x->size());
    for (int64_t i = 0, e = x->size(); i < e; ++i) {
      float quotient =
          float((*x)[i]) / float((*scale)[paramIndex(op.getScale(), i)]);
      double q = double(std::nearbyint(quotient)) +
                 double((*zeroPoint)[paramIndex(op.getZeroPoint(), i)]);
      // A NaN quotient (0 / 0) saturates low, as ONNX Runtime's kernel
      // (max then min of the SSE quotient) leaves it.
      codes[i] = std::isnan(q) ? int64_t(lo) : int64_t(std::clamp(q, lo, hi));
    }
    rewriter.replaceOp(op, makeSmallIntConstant(rewriter, op.getLoc(), type,
                                                codes, "quantized_weight"));
    return success();
  }
};

/// dequantize(W)ᵀ as dequantize(Wᵀ) for `dq` = dequantize(W, s, z) of a
/// constant 2-D 8-bit weight with parameters per tensor, per row or per
/// column: the codes transposed into a new constant, the parameters'
/// shapes swapped. Null when `dq` is not of that form or has other users
/// (whose weight would then be stored twice).
Value transposedDequantize(PatternRewriter &rewriter, DequantizeOp dq) {
  if (!dq || !dq->hasOneUse() || dq.getBlockSize())
    return {};
  auto type = cast<RankedTensorType>(dq.getInput().getType());
  std::optional<SmallVector<int64_t>> codes =
      readIntegerConstant(throughReshapes(dq.getInput()));
  if (type.getRank() != 2 || type.getElementTypeBitWidth() != 8 || !codes)
    return {};
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<Value> params;
  for (Value param : {dq.getScale(), dq.getZeroPoint()}) {
    auto ptype = cast<RankedTensorType>(param.getType());
    if (ptype.getNumElements() == 1) {
      params.push_back(param);
      continue;
    }
    if (ptype.getRank() != 2 ||
        (ptype.getDimSize(0) != 1 && ptype.getDimSize(1) != 1))
      return {};
    params.push_back(
        ReshapeOp::create(rewriter, dq.getLoc(), param,
                          rewriter.getDenseI64ArrayAttr(
                              {ptype.getDimSize(1), ptype.getDimSize(0)})));
  }
  SmallVector<int64_t> transposed(codes->size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      transposed[c * rows + r] = (*codes)[r * cols + c];
  Value weight = makeSmallIntConstant(
      rewriter, dq.getLoc(),
      RankedTensorType::get({cols, rows}, type.getElementType()), transposed,
      "transposed_weight");
  return DequantizeOp::create(rewriter, dq.getLoc(), weight, params[0],
                              params[1]);
}

/// matmul(x, transpose(dequantize(W))) (PyTorch's export of a fake-
/// quantized Linear on 3-D activations): the transpose moves into the
/// constant codes.
struct TransposeDequantizedWeight : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getPerm() != ArrayRef<int64_t>{1, 0} ||
        !llvm::all_of(op->getUsers(), [](Operation *user) {
          return isa<MatMulOp, GemmOp>(user);
        }))
      return rewriter.notifyMatchFailure(op, "not a matmul weight transpose");
    Value replacement =
        transposedDequantize(rewriter, constantWeightDequantize(op.getInput()));
    if (!replacement)
      return rewriter.notifyMatchFailure(op, "no dequantized constant weight");
    rewriter.replaceOp(op, replacement);
    return success();
  }
};

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
    // Gemm(A, dequantize(W), transB) (PyTorch's export of a Linear on 2-D
    // activations): the transpose moves into the constant codes.
    if (dq && op.getTransB() && !op.getTransA()) {
      Value transposed = transposedDequantize(rewriter, dq);
      if (!transposed)
        return rewriter.notifyMatchFailure(op, "weight not transposable");
      rewriter.modifyOpInPlace(op, [&] {
        op.getBMutable().assign(transposed);
        op.setTransB(false);
      });
      return success();
    }
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
    patterns.add<QuantizeConstant, TransposeDequantizedWeight>(&getContext());
    patterns.add<FoldQuantizedActivationsIntoIntegerMatMul>(&getContext(),
                                                            numIntegerFolded);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
