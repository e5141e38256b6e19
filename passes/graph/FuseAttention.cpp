//===- FuseAttention.cpp - softmax(scale Q K^T + mask) V -> attention -----===//
//
// One pattern, rooted at the P V matmul, that recognizes attention however
// the exporter ordered or spelled it. It fires only when the rewrite cannot
// change what the graph computes beyond rounding: each value it removes has
// no other use, the softmax runs over the keys, the mask is added before
// the softmax, and scales are scalar constants (so they commute with the
// matmul).
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEFUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// The value of a splat floating-point constant, if `v` is one.
std::optional<double> scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// Peels Mul/Div by scalar constants off `v` (each peeled op must have one
/// use), multiplying them into `scale`.
Value peelScales(Value v, double &scale) {
  while (Operation *op = v.getDefiningOp()) {
    if (!isa<MulOp, DivOp>(op) || !op->hasOneUse())
      break;
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    // A constant that broadcasts the other operand to a larger shape is
    // more than a scale.
    auto keepsShape = [&](Value x) { return x.getType() == v.getType(); };
    if (auto c = scalarConstant(rhs); c && keepsShape(lhs)) {
      if (isa<DivOp>(op)) {
        if (*c == 0.0)
          break;
        scale /= *c;
      } else {
        scale *= *c;
      }
      v = lhs;
      continue;
    }
    if (auto c = scalarConstant(lhs); c && isa<MulOp>(op) && keepsShape(rhs)) {
      scale *= *c;
      v = rhs;
      continue;
    }
    break;
  }
  return v;
}

/// For a [B, Hkv * g, T, D] value spelled repeat_kv (reshape or unsqueeze to
/// [B, Hkv, 1, T, D], expand to g, reshape back; Tile imports as the same
/// expand), or a [B, 1, T, D] value expanded to every head, the unrepeated
/// [B, Hkv, T, D] value; else `v`.
Value peelRepeatHeads(Value v) {
  // Multi-query: one key/value head broadcast to every query head.
  if (auto expand = v.getDefiningOp<ExpandOp>();
      expand && expand->hasOneUse()) {
    auto in = typeOf(expand.getInput()), out = typeOf(v);
    if (in.getRank() == 4 && out.getRank() == 4 && in.hasStaticShape() &&
        out.hasStaticShape() && in.getDimSize(1) == 1 &&
        in.getDimSize(0) == out.getDimSize(0) &&
        in.getDimSize(2) == out.getDimSize(2) &&
        in.getDimSize(3) == out.getDimSize(3))
      return expand.getInput();
  }
  auto back = v.getDefiningOp<ReshapeOp>();
  if (!back || !back->hasOneUse())
    return v;
  auto expand = back.getInput().getDefiningOp<ExpandOp>();
  if (!expand || !expand->hasOneUse())
    return v;
  Value src = expand.getInput();
  Operation *split = src.getDefiningOp();
  if (!split || !split->hasOneUse() || !isa<ReshapeOp, UnsqueezeOp>(split))
    return v;
  Value base = split->getOperand(0);
  auto baseType = typeOf(base), splitType = typeOf(src),
       expandType = typeOf(expand.getResult()), outType = typeOf(v);
  if (baseType.getRank() != 4 || splitType.getRank() != 5 ||
      !baseType.hasStaticShape() || !outType.hasStaticShape())
    return v;
  ArrayRef<int64_t> b = baseType.getShape(), s = splitType.getShape(),
                    e = expandType.getShape(), o = outType.getShape();
  bool splitOk =
      s[0] == b[0] && s[1] == b[1] && s[2] == 1 && s[3] == b[2] && s[4] == b[3];
  bool expandOk = e[0] == s[0] && e[1] == s[1] && e[3] == s[3] && e[4] == s[4];
  bool backOk =
      o[0] == e[0] && o[1] == e[1] * e[2] && o[2] == e[3] && o[3] == e[4];
  return splitOk && expandOk && backOk ? base : v;
}

/// Whether every element of constant `v` is non-zero (dense or resource
/// constants of any int or float type; -0.0 counts as zero).
bool allNonZero(Value v) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  Type elt = attr.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (isa<FloatType>(elt))
      return llvm::none_of(dense.getValues<APFloat>(),
                           [](const APFloat &x) { return x.isZero(); });
    return llvm::none_of(dense.getValues<APInt>(),
                         [](const APInt &x) { return x.isZero(); });
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  unsigned bytes = elt.getIntOrFloatBitWidth() / 8;
  if (!blob || bytes == 0)
    return false;
  ArrayRef<char> data = blob->getData();
  for (size_t i = 0; i + bytes <= data.size(); i += bytes) {
    bool nonZero = false;
    for (unsigned b = 0; b < bytes; ++b) {
      uint8_t byte = static_cast<uint8_t>(data[i + b]);
      // The sign bit alone (the top byte's 0x80) is -0.0 for floats.
      if (isa<FloatType>(elt) && b == bytes - 1)
        byte &= 0x7f;
      nonZero |= byte != 0;
    }
    if (!nonZero)
      return false;
  }
  return true;
}

/// Whether `v` is [.., tq, tk] with only unit dims in front (one plane of
/// queries x keys, shared by every batch and head).
bool isQueryKeyPlane(Value v, int64_t tq, int64_t tk) {
  auto type = typeOf(v);
  return type.getRank() >= 2 && type.hasStaticShape() &&
         type.getDimSize(type.getRank() - 2) == tq &&
         type.getDimSize(type.getRank() - 1) == tk &&
         product(type.getShape()) == tq * tk;
}

/// Whether `cond` is the boolean causal pattern over [.., tq, tk] with
/// leading unit dims: query i sees key j iff j <= i + (tk - tq). Recognized
/// as a constant, or as a lower Trilu of an all-non-zero constant (cast to
/// bool), as exporters write tril(ones) and registered causal buffers. With
/// `hides`, the pattern's negation (true for the hidden keys), as
/// masked_fill(~tril, -inf) writes it: a constant, or a Not of the pattern.
bool isCausalCondition(Value cond, int64_t tq, int64_t tk, bool hides = false) {
  if (!isQueryKeyPlane(cond, tq, tk))
    return false;
  // Leading unit dims only reshape the pattern.
  while (Operation *op = cond.getDefiningOp()) {
    if (!isa<UnsqueezeOp, ReshapeOp>(op) ||
        product(typeOf(op->getOperand(0)).getShape()) != tq * tk)
      break;
    cond = op->getOperand(0);
  }
  auto shape = typeOf(cond).getShape();
  if (shape.size() < 2 || shape[shape.size() - 2] != tq || shape.back() != tk)
    return false;
  DenseElementsAttr dense;
  if (matchPattern(cond, m_Constant(&dense)) &&
      dense.getElementType().isInteger(1)) {
    int64_t n = 0;
    for (bool value : dense.getValues<bool>()) {
      int64_t i = n / tk, j = n % tk;
      if (value != ((j <= i + (tk - tq)) != hides))
        return false;
      ++n;
    }
    return true;
  }
  if (hides) {
    auto negation = cond.getDefiningOp<NotOp>();
    return negation && isCausalCondition(negation.getInput(), tq, tk);
  }
  Value x = cond;
  if (auto cast = x.getDefiningOp<CastOp>()) {
    if (!cast.getTo().isInteger(1))
      return false;
    x = cast.getInput();
  } else if (!typeOf(x).getElementType().isInteger(1)) {
    return false;
  }
  auto trilu = x.getDefiningOp<TriluOp>();
  return trilu && !trilu.getUpper() && trilu.getK() == tk - tq &&
         allNonZero(trilu.getInput());
}

/// Where(causal, x, fill) with a fill that no finite score reaches:
/// equivalent to excluding the hidden keys (causal = true) whenever a row
/// keeps a key, which the causal pattern guarantees for the scores.
Value peelCausalSelect(Value v, int64_t tq, int64_t tk, bool &causal) {
  auto where = v.getDefiningOp<WhereOp>();
  if (!where || !where->hasOneUse())
    return v;
  // Where(keep, scores, fill), or Where(hide, fill, scores) (masked_fill).
  for (bool hides : {false, true}) {
    Value fillValue = hides ? where.getX() : where.getY();
    Value scores = hides ? where.getY() : where.getX();
    std::optional<double> fill = scalarConstant(fillValue);
    if (fill && *fill <= -1e4 &&
        isCausalCondition(where.getCondition(), tq, tk, hides) &&
        scores.getType() == v.getType()) {
      causal = true;
      return scores;
    }
  }
  return v;
}

/// Whether constant `v` is an additive causal mask over [.., tq, tk] with
/// leading unit dims: 0 where query i sees key j (j <= i + (tk - tq)) and
/// at most -1e4 elsewhere, as Llama-style exporters build it
/// (triu(full(finfo.min), 1)). Adding it hides the same keys as causal =
/// true whenever a row keeps a visible key with a finite score.
bool isCausalAdditiveMask(Value v, int64_t tq, int64_t tk) {
  if (!isQueryKeyPlane(v, tq, tk))
    return false;
  std::optional<SmallVector<double>> values = readFloatConstant(v);
  if (!values || int64_t(values->size()) != tq * tk)
    return false;
  for (int64_t n = 0; n < tq * tk; ++n) {
    int64_t i = n / tk, j = n % tk;
    double x = (*values)[n];
    if (j <= i + (tk - tq) ? x != 0.0 : !(x <= -1e4))
      return false;
  }
  return true;
}

/// A mask that is, or adds, a constant additive causal mask becomes causal
/// = true; returns what is left of the mask (null when nothing is).
Value peelCausalAdditiveMask(Value mask, int64_t tq, int64_t tk, bool &causal) {
  if (isCausalAdditiveMask(mask, tq, tk)) {
    causal = true;
    return Value();
  }
  auto add = mask.getDefiningOp<AddOp>();
  if (!add)
    return mask;
  for (auto [causalSide, rest] : {std::pair(add.getRhs(), add.getLhs()),
                                  std::pair(add.getLhs(), add.getRhs())})
    if (isCausalAdditiveMask(causalSide, tq, tk) &&
        isa<FloatType>(typeOf(rest).getElementType())) {
      causal = true;
      return rest;
    }
  return mask;
}

/// A boolean mask applied by selection: Where(keep, scores, fill) or
/// masked_fill's Where(hide, fill, scores), with a scalar fill that no
/// finite score reaches. It equals adding Where(keep, 0, fill) (resp.
/// Where(hide, fill, 0)) to the scores whenever a row keeps a key with a
/// finite score; with fill -inf or finfo.min, also for rows that keep none.
struct SelectMask {
  mutable WhereOp where;
  bool scoresWhenTrue = true;

  Value scores() const { return scoresWhenTrue ? where.getX() : where.getY(); }
  Value fill() const { return scoresWhenTrue ? where.getY() : where.getX(); }

  /// The additive form, built only once the whole pattern has matched.
  Value buildAdditive(PatternRewriter &rewriter) const {
    Location loc = where.getLoc();
    auto fillType = typeOf(fill());
    Value zero = ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            fillType, rewriter.getFloatAttr(fillType.getElementType(), 0.0)));
    Value cond = where.getCondition();
    return scoresWhenTrue ? WhereOp::create(rewriter, loc, cond, zero, fill())
                          : WhereOp::create(rewriter, loc, cond, fill(), zero);
  }
};

std::optional<SelectMask> matchSelectMask(Value v) {
  auto where = v.getDefiningOp<WhereOp>();
  if (!where || !where->hasOneUse())
    return std::nullopt;
  auto condType = typeOf(where.getCondition());
  if (!condType.getElementType().isInteger(1) || condType.getRank() > 4)
    return std::nullopt;
  for (bool scoresWhenTrue : {true, false}) {
    SelectMask m{where, scoresWhenTrue};
    std::optional<double> fill = scalarConstant(m.fill());
    if (fill && *fill <= -1e4 && typeOf(m.fill()).getRank() == 0 &&
        m.scores().getType() == v.getType())
      return m;
  }
  return std::nullopt;
}

struct FuseAttentionPattern : OpRewritePattern<MatMulOp> {
  FuseAttentionPattern(MLIRContext *ctx, llvm::Statistic &fused,
                       llvm::Statistic &grouped)
      : OpRewritePattern(ctx), fused(fused), grouped(grouped) {}

  LogicalResult matchAndRewrite(MatMulOp pv,
                                PatternRewriter &rewriter) const override {
    auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "lhs is not a one-use softmax");
    auto probs = typeOf(softmax.getResult());
    if (probs.getRank() != 4 || softmax.getAxis() != 3 ||
        !isa<FloatType>(probs.getElementType()))
      return rewriter.notifyMatchFailure(pv, "softmax is not over the keys of "
                                             "4-D scores");
    Value s = softmax.getInput();
    if (!s.hasOneUse())
      return failure();

    // scores (+ mask): the mask is the side that is not the scores chain.
    double scale = 1.0;
    bool causal = false;
    Value mask;
    MatMulOp qk;
    int64_t tq = probs.getDimSize(2), tk = probs.getDimSize(3);
    // Scales, then a causal select (GPT-2 masks before its padding add),
    // then scales again, down to Q K^T.
    auto scoresOf = [&](Value v, double &sc, bool &isCausal) -> MatMulOp {
      Value peeled = peelScales(v, sc);
      Value unselected = peelCausalSelect(peeled, tq, tk, isCausal);
      if (unselected != peeled)
        peeled = peelScales(unselected, sc);
      auto mm = peeled.getDefiningOp<MatMulOp>();
      return mm && mm->hasOneUse() ? mm : MatMulOp();
    };
    // A causal select may also enclose the mask's add (Where over
    // scores + mask, as some exporters order it).
    bool outerCausal = false;
    s = peelCausalSelect(s, tq, tk, outerCausal);
    // Else a boolean mask by selection (masked_fill): over the scores only.
    std::optional<SelectMask> selectMask;
    if (!outerCausal)
      if ((selectMask = matchSelectMask(s)))
        s = selectMask->scores();
    if (auto add = s.getDefiningOp<AddOp>(); add && !selectMask) {
      double scLhs = 1.0, scRhs = 1.0;
      bool cLhs = false, cRhs = false;
      if (MatMulOp mm = scoresOf(add.getLhs(), scLhs, cLhs)) {
        qk = mm, mask = add.getRhs(), scale = scLhs, causal = cLhs;
      } else if (MatMulOp mm = scoresOf(add.getRhs(), scRhs, cRhs)) {
        qk = mm, mask = add.getLhs(), scale = scRhs, causal = cRhs;
      }
    }
    if (!qk) {
      mask = Value();
      scale = 1.0;
      causal = false;
      qk = scoresOf(s, scale, causal);
    }
    if (!qk)
      return rewriter.notifyMatchFailure(pv, "no Q K^T matmul under the "
                                             "softmax");
    causal |= outerCausal;

    // Q, with its scales; K^T: scales, then a transpose of K.
    Value q = peelScales(qk.getLhs(), scale);
    Value kt = peelScales(qk.getRhs(), scale);
    auto transpose = kt.getDefiningOp<TransposeOp>();
    if (!transpose || !transpose->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "K^T is not a transpose");
    ArrayRef<int64_t> perm = transpose.getPerm();
    Value k = transpose.getInput();
    bool fromBTHD = perm == ArrayRef<int64_t>{0, 2, 3, 1};
    if (perm != ArrayRef<int64_t>{0, 1, 3, 2} && !fromBTHD)
      return rewriter.notifyMatchFailure(pv, "K^T transposes other dims");
    // A scale on K before the transpose.
    if (!fromBTHD)
      k = peelScales(k, scale);
    Value v = pv.getRhs();

    auto qType = typeOf(q), vType = typeOf(v);
    if (qType.getRank() != 4 || vType.getRank() != 4 ||
        typeOf(k).getRank() != 4 || !qType.hasStaticShape() ||
        !vType.hasStaticShape() || !typeOf(k).hasStaticShape())
      return rewriter.notifyMatchFailure(pv, "not 4-D static Q, K, V");
    // A [B, T, H, D] key is transposed to [B, H, T, D] (and the transpose
    // to [B, H, D, T] goes) once the match is certain; until then only its
    // type is needed. Such a key is never a repeat_kv.
    RankedTensorType kbthd = typeOf(k);
    auto keyType = [&](Value key) {
      if (!fromBTHD || key != transpose.getInput())
        return typeOf(key);
      return RankedTensorType::get({kbthd.getDimSize(0), kbthd.getDimSize(2),
                                    kbthd.getDimSize(1), kbthd.getDimSize(3)},
                                   kbthd.getElementType());
    };
    Value kBase = fromBTHD ? k : peelRepeatHeads(k), vBase = peelRepeatHeads(v);
    // Grouped heads only when both K and V were repeated alike.
    if (keyType(kBase).getDimSize(1) != typeOf(vBase).getDimSize(1))
      kBase = k, vBase = v;
    auto kType = keyType(kBase);
    vType = typeOf(vBase);
    if (qType.getDimSize(0) != kType.getDimSize(0) ||
        kType.getDimSize(0) != vType.getDimSize(0) ||
        qType.getDimSize(3) != kType.getDimSize(3) ||
        kType.getDimSize(1) != vType.getDimSize(1) ||
        kType.getDimSize(2) != vType.getDimSize(2) ||
        qType.getDimSize(1) % kType.getDimSize(1) != 0 ||
        qType.getElementType() != kType.getElementType() ||
        qType.getElementType() != vType.getElementType())
      return rewriter.notifyMatchFailure(pv, "Q, K, V shapes do not form "
                                             "attention");
    if (selectMask) {
      // Its condition must broadcast to the scores like any mask.
      SmallVector<int64_t> scores = {qType.getDimSize(0), qType.getDimSize(1),
                                     qType.getDimSize(2), kType.getDimSize(2)},
                           shape;
      if (failed(broadcastShapes(
              scores, typeOf(selectMask->where.getCondition()).getShape(),
              shape)) ||
          ArrayRef<int64_t>(shape) != ArrayRef<int64_t>(scores))
        return rewriter.notifyMatchFailure(pv, "selection mask does not "
                                               "broadcast to the scores");
    }
    // Llama's runtime mask: padding + a constant causal triangle. The add
    // may be shared by every layer; it stays for its other users.
    if (mask)
      mask = peelCausalAdditiveMask(mask, tq, tk, causal);
    if (mask) {
      auto m = typeOf(mask);
      SmallVector<int64_t> scores = {qType.getDimSize(0), qType.getDimSize(1),
                                     qType.getDimSize(2), kType.getDimSize(2)},
                           shape;
      if (m.getElementType() != qType.getElementType() || m.getRank() > 4 ||
          failed(broadcastShapes(scores, m.getShape(), shape)) ||
          ArrayRef<int64_t>(shape) != ArrayRef<int64_t>(scores))
        return rewriter.notifyMatchFailure(pv, "mask does not broadcast to "
                                               "the scores");
    }
    // Nothing may fail from here on: the rewrite starts.
    if (selectMask)
      mask = selectMask->buildAdditive(rewriter);
    if (fromBTHD && kBase == transpose.getInput())
      kBase = TransposeOp::create(rewriter, transpose.getLoc(), kBase,
                                  rewriter.getDenseI64ArrayAttr({0, 2, 1, 3}));
    // Named after the softmax: the ONNX node that identifies the site.
    auto attention = AttentionOp::create(
        rewriter, softmax.getLoc(), q, kBase, vBase, mask, Value(),
        rewriter.getF64FloatAttr(scale), rewriter.getBoolAttr(causal));
    rewriter.replaceOp(pv, attention.getResult());
    ++fused;
    if (kType.getDimSize(1) != qType.getDimSize(1))
      ++grouped;
    return success();
  }

  llvm::Statistic &fused;
  llvm::Statistic &grouped;
};

struct FuseAttentionPass
    : whittle::impl::WhittleFuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext(), numFused, numGrouped);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
