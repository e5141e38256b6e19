//===- AttentionOps.cpp - ONNX Runtime's attention ops --------------------===//
//
// com.microsoft Attention (BERT-style, with its own QKV projection) and
// MultiHeadAttention import straight into whittle.attention. Attention's past
// is rejected with a clear error; MultiHeadAttention's past_key/past_value
// are concatenated before the new keys (present outputs), and with --decode
// an empty past hands the cache to the decode steps.
// Their masks become the op's additive mask the way ONNX Runtime applies
// them: (1 - mask) * mask_filter_value for a raw 0/1 key mask, keys at or
// past each row's length for a 1-D mask index; `unidirectional` becomes
// causal.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// [B, S, N * H] -> [B, N, S, H].
ParseResult splitHeads(NodeBinder &b, Value &x, int64_t heads) {
  auto type = NodeBinder::typeOf(x);
  int64_t batch = type.getDimSize(0), seq = type.getDimSize(1),
          hidden = type.getDimSize(2);
  if (hidden % heads != 0)
    return b.error() << "hidden size " << hidden
                     << " is not a multiple of num_heads " << heads;
  OpBuilder &builder = b.getBuilder();
  return failure(
      b.create<ReshapeOp>(
          x, x,
          builder.getDenseI64ArrayAttr({batch, seq, heads, hidden / heads})) ||
      b.create<TransposeOp>(x, x, builder.getDenseI64ArrayAttr({0, 2, 1, 3})));
}

/// [B, N, S, H] -> [B, S, N * H].
ParseResult mergeHeads(NodeBinder &b, Value &x) {
  auto type = NodeBinder::typeOf(x);
  OpBuilder &builder = b.getBuilder();
  return failure(
      b.create<TransposeOp>(x, x, builder.getDenseI64ArrayAttr({0, 2, 1, 3})) ||
      b.create<ReshapeOp>(x, x,
                          builder.getDenseI64ArrayAttr(
                              {type.getDimSize(0), type.getDimSize(2),
                               type.getDimSize(1) * type.getDimSize(3)})));
}

/// The additive [B, 1, 1, T] mask of an integer key mask: a raw 0/1 mask
/// [B, T], or a 1-D [B] of valid lengths (right padding).
ParseResult keyMask(NodeBinder &b, Value mask, int64_t batch, int64_t keys,
                    Type elt, float filter, Value &out) {
  auto type = NodeBinder::typeOf(mask);
  OpBuilder &builder = b.getBuilder();
  Value keep;
  if (type.getRank() == 2 && type.getDimSize(0) == batch &&
      type.getDimSize(1) == keys) {
    Value zero = b.scalarConstant(type.getElementType(), 0), isZero;
    if (b.create<EqualOp>(isZero, mask, zero) || b.create<NotOp>(keep, isZero))
      return failure();
  } else if (type.getRank() == 1 && type.getDimSize(0) == batch) {
    SmallVector<APInt> range;
    unsigned width = type.getElementType().getIntOrFloatBitWidth();
    for (int64_t j = 0; j < keys; ++j)
      range.push_back(APInt(width, j));
    Value positions = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({1, keys}, type.getElementType()), range)));
    Value lengths;
    if (b.create<ReshapeOp>(lengths, mask,
                            builder.getDenseI64ArrayAttr({batch, 1})) ||
        b.create<LessOp>(keep, positions, lengths))
      return failure();
  } else {
    return b.error() << "mask of shape " << type
                     << " is not supported (only [batch, keys] 0/1 masks and "
                        "[batch] lengths)";
  }
  Value zero = b.scalarConstant(elt, 0.0),
        hidden = b.scalarConstant(elt, filter);
  return failure(
      b.create<WhereOp>(out, keep, zero, hidden) ||
      b.create<ReshapeOp>(out, out,
                          builder.getDenseI64ArrayAttr({batch, 1, 1, keys})));
}

/// Adds `bias` (when present) to an optional additive mask.
ParseResult addMask(NodeBinder &b, Value &mask, Value bias) {
  if (!bias)
    return success();
  if (!mask) {
    mask = bias;
    return success();
  }
  return b.create<AddOp>(mask, mask, bias);
}

/// q [B, N, S, H], k, v [B, N, L, H|Hv] -> attention -> `y` [B, S, N*Hv].
ParseResult attendHeads(NodeBinder &b, Value q, Value k, Value v, Value mask,
                        float scale, bool causal, Value &y) {
  int64_t headSize = NodeBinder::typeOf(q).getDimSize(3);
  double s = scale != 0.0f ? widenFloat(scale)
                           : 1.0 / std::sqrt(static_cast<double>(headSize));
  OpBuilder &builder = b.getBuilder();
  return failure(b.create<AttentionOp>(y, q, k, v, mask, Value(),
                                       builder.getF64FloatAttr(s),
                                       builder.getBoolAttr(causal)) ||
                 mergeHeads(b, y));
}

/// q, k, v [B, S|L, N*H] -> attention -> [B, S, N*Hv].
LogicalResult attend(NodeBinder &b, Value q, Value k, Value v, Value mask,
                     int64_t heads, float scale, bool causal) {
  Value y;
  if (splitHeads(b, q, heads) || splitHeads(b, k, heads) ||
      splitHeads(b, v, heads) ||
      attendHeads(b, q, k, v, mask, scale, causal, y))
    return failure();
  return b.setResults(y);
}

ParseResult staticRank3(NodeBinder &b, Value v, StringRef what) {
  auto type = NodeBinder::typeOf(v);
  if (type.getRank() != 3 || !type.hasStaticShape())
    return b.error() << what << " must be a static [batch, sequence, hidden] "
                     << "tensor (packed layouts are not supported); got "
                     << type;
  return success();
}

/// com.microsoft Attention (input, weights, bias?, mask_index?, past?,
/// attention_bias?, past_sequence_length?).
LogicalResult importAttention(NodeBinder &b) {
  Value x, w, bias, maskIndex, past, attentionBias;
  int64_t heads;
  bool unidirectional;
  float scale, filter;
  std::optional<SmallVector<int64_t>> qkvSizes;
  int64_t doRotary;
  if (b.tensor(0, x) || b.tensor(1, w) || b.optionalTensor(2, bias) ||
      b.optionalTensor(3, maskIndex) || b.optionalTensor(4, past) ||
      b.optionalTensor(5, attentionBias) || b.attr("num_heads", heads, 0) ||
      b.attr("unidirectional", unidirectional, false) ||
      b.attr("scale", scale, 0.0f) ||
      b.attr("mask_filter_value", filter, -10000.0f) ||
      b.attr("qkv_hidden_sizes", qkvSizes) ||
      b.attr("do_rotary", doRotary, 0) || staticRank3(b, x, "the input"))
    return failure();
  if (heads <= 0)
    return b.error() << "num_heads must be positive";
  if (past || b.isConsumed(1))
    return b.error() << "past and present key/value (decoding with a cache) "
                        "are not supported";
  if (doRotary)
    return b.error() << "do_rotary is not supported";
  auto wType = NodeBinder::typeOf(w);
  if (wType.getRank() != 2 || !wType.hasStaticShape())
    return b.error() << "weights must be a static 2-D tensor";
  int64_t total = wType.getDimSize(1);
  SmallVector<int64_t> sizes =
      qkvSizes.value_or(SmallVector<int64_t>(3, total / 3));
  if (sizes.size() != 3 || sizes[0] != sizes[1] ||
      sizes[0] + sizes[1] + sizes[2] != total)
    return b.error() << "qkv_hidden_sizes do not split the weights' " << total
                     << " columns into Q, K (equal) and V";
  OpBuilder &builder = b.getBuilder();
  Value qkv;
  if (b.create<MatMulOp>(qkv, x, w) ||
      (bias && b.create<AddOp>(qkv, qkv, bias)))
    return failure();
  auto parts = b.buildN<SplitOp>(3, qkv, builder.getI64IntegerAttr(2),
                                 builder.getDenseI64ArrayAttr(sizes));
  if (failed(parts))
    return failure();
  auto xType = NodeBinder::typeOf(x);
  Type elt = xType.getElementType();
  Value mask;
  if (maskIndex && keyMask(b, maskIndex, xType.getDimSize(0),
                           xType.getDimSize(1), elt, filter, mask))
    return failure();
  if (addMask(b, mask, attentionBias))
    return failure();
  return attend(b, (*parts)[0], (*parts)[1], (*parts)[2], mask, heads, scale,
                unidirectional);
}

/// com.microsoft MultiHeadAttention (query, key, value, bias?,
/// key_padding_mask?, attention_bias?, past_key?, past_value?).
LogicalResult importMultiHeadAttention(NodeBinder &b) {
  Value q, k, v, bias, keyPadding, attentionBias, pastKey, pastValue;
  int64_t heads;
  bool unidirectional;
  float scale, filter;
  if (b.tensor(0, q) || b.tensor(1, k) || b.tensor(2, v) ||
      b.optionalTensor(3, bias) || b.optionalTensor(4, keyPadding) ||
      b.optionalTensor(5, attentionBias) || b.optionalTensor(6, pastKey) ||
      b.optionalTensor(7, pastValue) || b.attr("num_heads", heads, 0) ||
      b.attr("unidirectional", unidirectional, false) ||
      b.attr("scale", scale, 0.0f) ||
      b.attr("mask_filter_value", filter, -10000.0f) ||
      staticRank3(b, q, "query") || staticRank3(b, k, "key") ||
      staticRank3(b, v, "value"))
    return failure();
  if (heads <= 0)
    return b.error() << "num_heads must be positive";
  if (bool(pastKey) != bool(pastValue))
    return b.error() << "past_key and past_value must be given together";
  int64_t pastLength = 0;
  for (Value past : {pastKey, pastValue}) {
    if (!past)
      continue;
    auto type = NodeBinder::typeOf(past);
    if (type.getRank() != 4 || !type.hasStaticShape() ||
        type.getDimSize(1) != heads)
      return b.error() << "past key/value must be a static [batch, " << heads
                       << " heads, past, head size] tensor; got " << type;
    pastLength = type.getDimSize(2);
  }
  // Causal queries after a past see the past and the new keys up to their
  // own; that alignment is not what whittle.attention's causal flag means.
  if (unidirectional && pastLength > 0)
    return b.error() << "unidirectional with a non-empty past (" << pastLength
                     << " positions) is not supported";
  if (bias) {
    // bias = [bias_q, bias_k, bias_v] along the last dim.
    int64_t hq = NodeBinder::typeOf(q).getDimSize(2),
            hk = NodeBinder::typeOf(k).getDimSize(2),
            hv = NodeBinder::typeOf(v).getDimSize(2);
    auto parts =
        b.buildN<SplitOp>(3, bias, b.getBuilder().getI64IntegerAttr(0),
                          b.getBuilder().getDenseI64ArrayAttr({hq, hk, hv}));
    if (failed(parts) || b.create<AddOp>(q, q, (*parts)[0]) ||
        b.create<AddOp>(k, k, (*parts)[1]) ||
        b.create<AddOp>(v, v, (*parts)[2]))
      return failure();
  }
  auto qType = NodeBinder::typeOf(q);
  Value mask;
  if (keyPadding && keyMask(b, keyPadding, qType.getDimSize(0),
                            pastLength + NodeBinder::typeOf(k).getDimSize(1),
                            qType.getElementType(), filter, mask))
    return failure();
  if (addMask(b, mask, attentionBias))
    return failure();
  // present_key/value: the past (if any) then the new keys and values, in
  // [B, N, P + L, H]; the attention runs over them.
  Value qh = q, kh = k, vh = v, y;
  if (splitHeads(b, qh, heads) || splitHeads(b, kh, heads) ||
      splitHeads(b, vh, heads))
    return failure();
  OpBuilder &builder = b.getBuilder();
  if (pastKey && (b.create<ConcatOp>(kh, ValueRange{pastKey, kh},
                                     builder.getI64IntegerAttr(2)) ||
                  b.create<ConcatOp>(vh, ValueRange{pastValue, vh},
                                     builder.getI64IntegerAttr(2))))
    return failure();
  if (attendHeads(b, qh, kh, vh, mask, scale, unidirectional, y))
    return failure();
  return b.setResults({y, kh, vh});
}

/// com.microsoft GroupQueryAttention (query, key, value, past_key?,
/// past_value?, seqlens_k, total_sequence_length, cos_cache?, sin_cache?),
/// prefill: no past or an empty one, every batch row's keys valid up to
/// seqlens_k + 1, causal. present_key/value are the new keys and values in
/// [B, Hkv, S, H].
LogicalResult importGroupQueryAttention(NodeBinder &b) {
  Value q, k, v, pastKey, pastValue, seqlens, total, cosCache;
  int64_t heads, kvHeads, doRotary, window;
  float scale, softcap;
  if (b.tensor(0, q) || b.optionalTensor(1, k) || b.optionalTensor(2, v) ||
      b.optionalTensor(3, pastKey) || b.optionalTensor(4, pastValue) ||
      b.tensor(5, seqlens) || b.tensor(6, total) ||
      b.optionalTensor(7, cosCache) || b.attr("num_heads", heads, 0) ||
      b.attr("kv_num_heads", kvHeads, 0) || b.attr("scale", scale, 0.0f) ||
      b.attr("do_rotary", doRotary, 0) ||
      b.attr("local_window_size", window, -1) ||
      b.attr("softcap", softcap, 0.0f))
    return failure();
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return b.error() << "num_heads (" << heads
                     << ") must be a positive multiple of kv_num_heads ("
                     << kvHeads << ")";
  if (!k || !v)
    return b.error() << "packed QKV (no key/value inputs) is not supported";
  if (bool(pastKey) != bool(pastValue))
    return b.error() << "past_key and past_value must be given together";
  // An empty past (what --decode makes of a past input: the session's cache
  // replaces it) is a prefill. A non-empty one places each batch row's new
  // keys after its own past length (seqlens_k + 1 - new length), which a
  // static graph does not know.
  for (Value past : {pastKey, pastValue}) {
    if (!past)
      continue;
    auto type = NodeBinder::typeOf(past);
    if (type.getRank() != 4 || !type.hasStaticShape() ||
        type.getDimSize(1) != kvHeads)
      return b.error() << "past key/value must be a static [batch, " << kvHeads
                       << " kv heads, past, head size] tensor; got " << type;
    if (type.getDimSize(2) != 0)
      return b.error() << "a non-empty past key/value (" << type.getDimSize(2)
                       << " positions) is not supported; compile the "
                          "decoder with --decode, whose cache replaces it";
  }
  if (doRotary || cosCache)
    return b.error() << "do_rotary is not supported; rotate with "
                        "RotaryEmbedding first";
  if (window != -1 || softcap != 0.0f)
    return b.error() << "local_window_size and softcap are not supported";
  if (staticRank3(b, q, "query") || staticRank3(b, k, "key") ||
      staticRank3(b, v, "value"))
    return failure();
  auto qType = NodeBinder::typeOf(q);
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  // Keys j <= seqlens_k[b] are valid: lengths seqlens_k + 1.
  Value one = b.scalarConstant(NodeBinder::elementType(seqlens), 1), lengths,
        mask;
  if (b.create<AddOp>(lengths, seqlens, one) ||
      keyMask(b, lengths, batch, seq, qType.getElementType(),
              -std::numeric_limits<float>::infinity(), mask))
    return failure();
  Value qh = q, kh = k, vh = v, y;
  if (splitHeads(b, qh, heads) || splitHeads(b, kh, kvHeads) ||
      splitHeads(b, vh, kvHeads))
    return failure();
  int64_t headSize = NodeBinder::typeOf(qh).getDimSize(3);
  double s = scale != 0.0f ? widenFloat(scale)
                           : 1.0 / std::sqrt(static_cast<double>(headSize));
  OpBuilder &builder = b.getBuilder();
  if (b.create<AttentionOp>(y, qh, kh, vh, mask, Value(),
                            builder.getF64FloatAttr(s),
                            builder.getBoolAttr(true)) ||
      mergeHeads(b, y))
    return failure();
  return b.setResults({y, kh, vh});
}

} // namespace

void whittle::registerAttentionOps(OpRegistry &r) {
  r.add("com.microsoft", "Attention", 1, importAttention,
        "matmul + split + attention",
        "prefill (no past); mask_index as [batch, keys] 0/1 or [batch] "
        "lengths; attention_bias; unidirectional; qkv_hidden_sizes");
  r.add("com.microsoft", "MultiHeadAttention", 1, importMultiHeadAttention,
        "attention",
        "separate [B, S, hidden] query/key/value (no packed layouts); "
        "past_key/past_value [B, N, P, H] with present outputs (with "
        "unidirectional only an empty past, as --decode makes it); bias; "
        "key_padding_mask as [batch, keys] or [batch] lengths; "
        "attention_bias; unidirectional");
  r.add("com.microsoft", "GroupQueryAttention", 1, importGroupQueryAttention,
        "attention",
        "prefill (no past, or an empty one as --decode makes it): causal, "
        "keys valid up to seqlens_k; present key/value outputs; no "
        "do_rotary, local window or softcap");
}
