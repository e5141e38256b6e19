//===- NormalizationOps.cpp - LayerNorm, RMSNorm and their skip forms -----===//
//
// LayerNormalization becomes whittle.layer_norm when only its normalized
// output is read; with its statistics read, and for the RMS forms, it is the
// ONNX function body in elementwise ops and reductions (which the
// elementwise fusion later fuses back into one kernel per row).
//
// ONNX Runtime writes these in graphs it optimizes and saves:
// LayerNormalization in the default domain below opset 17 (its own schema,
// same semantics as ONNX's opset-17 op), SimplifiedLayerNormalization
// (RMSNorm) in the default domain, and com.microsoft's
// Skip[Simplified]LayerNormalization, which add a residual (and a bias)
// first and can return that sum as their fourth output.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

struct Normalized {
  Value y, mean, invStdDev;
};

/// y = (x - mean) * invStdDev * scale + bias over the dims from `axis` on,
/// the statistics in `stash` precision; with `rms`, no centering (mean is
/// null) and invStdDev = 1 / sqrt(mean(x²) + epsilon).
FailureOr<Normalized> normalizeDecomposed(NodeBinder &b, Value x, Value scale,
                                          Value bias, int64_t axis,
                                          float epsilon, Type stash, bool rms) {
  OpBuilder &builder = b.getBuilder();
  Type elt = NodeBinder::elementType(x);
  int64_t rank = NodeBinder::rank(x);
  auto axes = builder.getDenseI64ArrayAttr(
      llvm::to_vector(llvm::seq<int64_t>(axis, rank)));
  auto keepDims = builder.getBoolAttr(true);
  Normalized r;
  Value xs = x, centered, squared, variance, shifted, stdDev, y;
  if (elt != stash && b.create<CastOp>(xs, x, TypeAttr::get(stash)))
    return failure();
  centered = xs;
  if (!rms && (b.create<ReduceMeanOp>(r.mean, xs, axes, keepDims) ||
               b.create<SubOp>(centered, xs, r.mean)))
    return failure();
  if (b.create<MulOp>(squared, centered, centered) ||
      b.create<ReduceMeanOp>(variance, squared, axes, keepDims))
    return failure();
  Value eps = b.scalarConstant(stash, widenFloat(epsilon));
  if (b.create<AddOp>(shifted, variance, eps) ||
      b.create<SqrtOp>(stdDev, shifted) ||
      b.create<ReciprocalOp>(r.invStdDev, stdDev) ||
      b.create<MulOp>(y, centered, r.invStdDev))
    return failure();
  if (elt != stash && b.create<CastOp>(y, y, TypeAttr::get(elt)))
    return failure();
  if (b.create<MulOp>(y, y, scale) || (bias && b.create<AddOp>(y, y, bias)))
    return failure();
  r.y = y;
  return r;
}

ParseResult stashType(NodeBinder &b, Type &stash) {
  int64_t code;
  if (b.attr("stash_type", code, onnx::TensorProto::FLOAT))
    return failure();
  stash = convertElementType(*b.getContext(), code);
  if (!stash || !isa<FloatType>(stash))
    return b.error() << "stash_type " << elementTypeName(code)
                     << " is not a floating-point type";
  return success();
}

LogicalResult importLayerNorm(NodeBinder &b) {
  Value x, scale, bias, y;
  int64_t axis;
  float epsilon;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.optionalTensor(2, bias) ||
      b.attr("axis", axis, -1) || b.attr("epsilon", epsilon, 1e-5f) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis))
    return failure();
  if (b.isConsumed(1) || b.isConsumed(2)) {
    Type stash;
    if (stashType(b, stash))
      return failure();
    auto r = normalizeDecomposed(b, x, scale, bias, axis, epsilon, stash,
                                 /*rms=*/false);
    if (failed(r))
      return failure();
    return b.setResults({r->y, r->mean, r->invStdDev});
  }
  OpBuilder &builder = b.getBuilder();
  if (b.create<LayerNormOp>(y, x, scale, bias, builder.getI64IntegerAttr(axis),
                            builder.getF64FloatAttr(widenFloat(epsilon))))
    return failure();
  return b.setResults(y);
}

/// SimplifiedLayerNormalization: RMSNorm, outputs (Y, inv_std_var).
LogicalResult importSimplifiedLayerNorm(NodeBinder &b) {
  Value x, scale;
  int64_t axis;
  float epsilon;
  Type stash;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.attr("axis", axis, -1) ||
      b.attr("epsilon", epsilon, 1e-5f) || stashType(b, stash) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis))
    return failure();
  auto r = normalizeDecomposed(b, x, scale, Value(), axis, epsilon, stash,
                               /*rms=*/true);
  if (failed(r))
    return failure();
  return b.setResults({r->y, r->invStdDev});
}

/// com.microsoft SkipLayerNormalization (input, skip, gamma, beta?, bias?)
/// and SkipSimplifiedLayerNormalization (input, skip, gamma, bias?): the
/// norm of input + skip (+ bias) over the last axis; outputs (output, mean,
/// inv_std_var, input_skip_bias_sum).
template <bool Rms> LogicalResult importSkipLayerNorm(NodeBinder &b) {
  Value x, skip, gamma, beta, bias, sum;
  float epsilon;
  if (b.tensor(0, x) || b.tensor(1, skip) || b.tensor(2, gamma) ||
      (!Rms && b.optionalTensor(3, beta)) ||
      b.optionalTensor(Rms ? 3 : 4, bias) || b.attr("epsilon", epsilon, 1e-12f))
    return failure();
  if (NodeBinder::rank(x) < 1)
    return b.error() << "the input must have rank >= 1";
  if (b.create<AddOp>(sum, x, skip) ||
      (bias && b.create<AddOp>(sum, sum, bias)))
    return failure();
  int64_t axis = NodeBinder::rank(x) - 1;
  // The contrib op keeps its statistics in float32 whatever the input type.
  Type f32 = b.getBuilder().getF32Type();
  if (!Rms && !b.isConsumed(1) && !b.isConsumed(2)) {
    Value y;
    OpBuilder &builder = b.getBuilder();
    if (b.create<LayerNormOp>(y, sum, gamma, beta,
                              builder.getI64IntegerAttr(axis),
                              builder.getF64FloatAttr(widenFloat(epsilon))))
      return failure();
    return b.setResults({y, Value(), Value(), sum});
  }
  auto r = normalizeDecomposed(b, sum, gamma, beta, axis, epsilon, f32, Rms);
  if (failed(r))
    return failure();
  if (Rms && b.isConsumed(1))
    return b.error() << "output #1 (mean) is not defined for the simplified "
                        "(RMS) form";
  return b.setResults({r->y, r->mean, r->invStdDev, sum});
}

/// com.microsoft EmbedLayerNormalization (input_ids, segment_ids?,
/// word_embedding, position_embedding, segment_embedding?, gamma, beta,
/// mask?, position_ids?): the layer norm of the summed word, position and
/// segment embeddings. Outputs (output, mask_index, embedding_sum); the mask
/// index is the number of non-zero mask entries per batch row.
LogicalResult importEmbedLayerNorm(NodeBinder &b) {
  Value ids, segmentIds, words, positionTable, segments, gamma, beta, mask,
      positionIds;
  float epsilon;
  if (b.tensor(0, ids) || b.optionalTensor(1, segmentIds) ||
      b.tensor(2, words) || b.tensor(3, positionTable) ||
      b.optionalTensor(4, segments) || b.tensor(5, gamma) ||
      b.tensor(6, beta) || b.optionalTensor(7, mask) ||
      b.optionalTensor(8, positionIds) || b.attr("epsilon", epsilon, 1e-12f))
    return failure();
  auto idsType = NodeBinder::typeOf(ids);
  if (idsType.getRank() != 2 || ShapedType::isDynamic(idsType.getDimSize(1)))
    return b.error() << "input_ids must be [batch, seq] with a static seq; "
                        "set --input-shape for dynamic inputs";
  if (static_cast<bool>(segmentIds) != static_cast<bool>(segments))
    return b.error() << "segment_ids and segment_embedding come together";
  OpBuilder &builder = b.getBuilder();
  IntegerAttr axis0 = builder.getI64IntegerAttr(0);
  int64_t seq = idsType.getDimSize(1);
  if (!positionIds) {
    SmallVector<APInt> range;
    for (int64_t i = 0; i < seq; ++i)
      range.push_back(APInt(64, i));
    positionIds = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({1, seq}, builder.getI64Type()), range)));
  }
  Value sum, positions, segment, y;
  if (b.create<GatherOp>(sum, words, ids, axis0) ||
      b.create<GatherOp>(positions, positionTable, positionIds, axis0) ||
      b.create<AddOp>(sum, sum, positions) ||
      (segments && (b.create<GatherOp>(segment, segments, segmentIds, axis0) ||
                    b.create<AddOp>(sum, sum, segment))))
    return failure();
  if (b.create<LayerNormOp>(y, sum, gamma, beta, builder.getI64IntegerAttr(2),
                            builder.getF64FloatAttr(widenFloat(epsilon))))
    return failure();
  Value maskIndex;
  if (b.isConsumed(1)) {
    if (!mask)
      return b.error() << "output #1 (mask_index) needs the mask input";
    Value m = mask;
    Type i32 = builder.getI32Type();
    if (NodeBinder::elementType(m) != i32 &&
        b.create<CastOp>(m, m, TypeAttr::get(i32)))
      return failure();
    // The number of non-zero entries per row.
    Value zero = b.scalarConstant(i32, 0), isZero, nonZero;
    if (b.create<EqualOp>(isZero, m, zero) ||
        b.create<NotOp>(nonZero, isZero) ||
        b.create<CastOp>(m, nonZero, TypeAttr::get(i32)) ||
        b.create<ReduceSumOp>(maskIndex, m, builder.getDenseI64ArrayAttr({1}),
                              builder.getBoolAttr(false)))
      return failure();
  }
  return b.setResults({y, maskIndex, sum});
}

} // namespace

void whittle::registerNormalizationOps(OpRegistry &r) {
  const char *ln = "Mean/InvStdDev outputs: decomposed into elementwise ops";
  r.add("", "LayerNormalization", 1, importLayerNorm, "layer_norm",
        "below opset 17: ONNX Runtime's schema (same semantics); " +
            std::string(ln));
  r.add("", "LayerNormalization", 17, importLayerNorm, "layer_norm", ln);
  r.add("", "SimplifiedLayerNormalization", 1, importSimplifiedLayerNorm,
        "elementwise + reduce_mean",
        "ONNX Runtime's RMSNorm; inv_std_var output supported");
  r.add("com.microsoft", "SkipLayerNormalization", 1,
        importSkipLayerNorm<false>, "add + layer_norm",
        "optional beta and bias; all four outputs");
  r.add("com.microsoft", "SkipSimplifiedLayerNormalization", 1,
        importSkipLayerNorm<true>, "add + elementwise + reduce_mean",
        "RMS form; outputs output, inv_std_var, input_skip_bias_sum");
  r.add("com.microsoft", "EmbedLayerNormalization", 1, importEmbedLayerNorm,
        "gather + add + layer_norm",
        "word + position (+ segment) embeddings; mask_index and "
        "embedding_sum outputs");
}
