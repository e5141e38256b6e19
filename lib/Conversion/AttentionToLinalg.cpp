//===- AttentionToLinalg.cpp - whittle.attention, unfused -----------------===//
//
// The reference lowering of whittle.attention: the scores are materialized
// as Q K^T (grouped key/value heads expanded to the query heads), scaled,
// masked (additively, and by a -inf select when causal), softmaxed over the
// keys and multiplied by V. It is built from whittle ops, which the same
// conversion lowers further, so attention costs exactly what the unfused
// graph it came from did; the streaming (online-softmax) kernel replaces it.
//
//===----------------------------------------------------------------------===//

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace whittle;

namespace {

/// [B, Hkv, T, D] -> [B, Hkv * group, T, D]: each key/value head repeated
/// for the `group` query heads that read it.
Value repeatHeads(PatternRewriter &rewriter, Location loc, Value x,
                  int64_t group) {
  if (group == 1)
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t b = type.getDimSize(0), h = type.getDimSize(1),
          t = type.getDimSize(2), d = type.getDimSize(3);
  Value r = ReshapeOp::create(rewriter, loc, x,
                              rewriter.getDenseI64ArrayAttr({b, h, 1, t, d}));
  r = ExpandOp::create(rewriter, loc, r,
                       rewriter.getDenseI64ArrayAttr({b, h, group, t, d}));
  return ReshapeOp::create(rewriter, loc, r,
                           rewriter.getDenseI64ArrayAttr({b, h * group, t, d}));
}

struct AttentionOpLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto qType = op.getQuery().getType();
    auto kType = op.getKey().getType();
    if (!qType.hasStaticShape() || !kType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    Type elt = qType.getElementType();
    int64_t tq = qType.getDimSize(2), tk = kType.getDimSize(2);
    int64_t group = qType.getDimSize(1) / kType.getDimSize(1);
    Value k = repeatHeads(rewriter, loc, op.getKey(), group);
    Value v = repeatHeads(rewriter, loc, op.getValue(), group);

    // Folds into K's own transpose when it has one ([B, T, H, D] keys).
    Value kt = rewriter.createOrFold<TransposeOp>(
        loc, k, rewriter.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value s = MatMulOp::create(rewriter, loc, op.getQuery(), kt);
    auto scalarType = RankedTensorType::get({}, elt);
    if (op.getScale().convertToDouble() != 1.0) {
      Value scale = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              scalarType,
              rewriter.getFloatAttr(elt, op.getScale().convertToDouble())));
      s = MulOp::create(rewriter, loc, s, scale);
    }
    if (Value mask = op.getMask())
      s = AddOp::create(rewriter, loc, s, mask);
    // Keys hidden by causality: a [tq, tk] condition, known at run time
    // only when the queries sit at a position of a longer sequence.
    Value keep;
    if (Value position = op.getPosition()) {
      // Query i sees keys j <= position + i.
      auto i64 = rewriter.getI64Type();
      SmallVector<int64_t> rowIds(tq), keyIds(tk);
      std::iota(rowIds.begin(), rowIds.end(), 0);
      std::iota(keyIds.begin(), keyIds.end(), 0);
      Value rows = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(RankedTensorType::get({tq, 1}, i64),
                                 ArrayRef<int64_t>(rowIds)));
      Value keys = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(RankedTensorType::get({1, tk}, i64),
                                 ArrayRef<int64_t>(keyIds)));
      Value limit = AddOp::create(rewriter, loc, rows, position);
      keep = LessEqualOp::create(rewriter, loc, keys, limit);
    } else if (op.getCausal()) {
      // Query i sees keys j <= i + (tk - tq).
      SmallVector<bool> visible;
      visible.reserve(tq * tk);
      for (int64_t i = 0; i < tq; ++i)
        for (int64_t j = 0; j < tk; ++j)
          visible.push_back(j <= i + (tk - tq));
      keep = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({tq, tk}, rewriter.getI1Type()), visible));
    }
    if (keep) {
      Value minusInf = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              scalarType, rewriter.getFloatAttr(
                              elt, -std::numeric_limits<double>::infinity())));
      s = WhereOp::create(rewriter, loc, keep, s, minusInf);
    }
    Value p =
        SoftmaxOp::create(rewriter, loc, s, rewriter.getI64IntegerAttr(3));
    rewriter.replaceOpWithNewOp<MatMulOp>(op, p, v);
    return success();
  }
};

} // namespace

void whittle::populateAttentionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionOpLowering>(patterns.getContext());
}
