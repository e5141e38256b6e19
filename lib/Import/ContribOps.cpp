//===- ContribOps.cpp - ONNX Runtime's com.microsoft fused ops ------------===//
//
// The ops ONNX Runtime's graph optimizer and its transformers tools write
// into the models they save (its fused MatMul/Gemm forms are with the other
// linear algebra, in LinearAlgebraOps.cpp). Each decomposes into whittle ops
// with the semantics of ORT's reference CPU kernels; the graph passes and the
// elementwise fusion recover the fused kernels, so nothing is lost by not
// keeping them whole.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// Multiplies by a scalar unless it is 1.
ParseResult scaleBy(NodeBinder &b, Value &v, float alpha) {
  if (alpha == 1.0f)
    return success();
  Value s = b.scalarConstant(NodeBinder::elementType(v), widenFloat(alpha));
  return b.create<MulOp>(v, v, s);
}

/// Gelu (exact) and FastGelu (tanh approximation), each with an optional
/// bias added first; BiasGelu is Gelu with a required bias.
template <bool Tanh, bool BiasRequired>
LogicalResult importGeluFamily(NodeBinder &b) {
  Value x, bias, y;
  if (b.tensor(0, x) ||
      (BiasRequired ? b.tensor(1, bias) : b.optionalTensor(1, bias)) ||
      (bias && b.create<AddOp>(x, x, bias)) ||
      b.create<GeluOp>(y, x, b.getBuilder().getBoolAttr(Tanh)))
    return failure();
  return b.setResults(y);
}

/// QuickGelu: x * sigmoid(alpha * x).
LogicalResult importQuickGelu(NodeBinder &b) {
  Value x, scaled, gate, y;
  float alpha;
  if (b.tensor(0, x) || b.attr("alpha", alpha, 1.702f))
    return failure();
  scaled = x;
  if (scaleBy(b, scaled, alpha) || b.create<SigmoidOp>(gate, scaled) ||
      b.create<MulOp>(y, x, gate))
    return failure();
  return b.setResults(y);
}

/// BiasAdd: X + bias + skip.
LogicalResult importBiasAdd(NodeBinder &b) {
  Value x, bias, skip, y;
  if (b.tensor(0, x) || b.tensor(1, bias) || b.tensor(2, skip) ||
      b.create<AddOp>(y, x, bias) || b.create<AddOp>(y, y, skip))
    return failure();
  return b.setResults(y);
}

/// A slice of the last dim: [start, start + size).
ParseResult sliceLast(NodeBinder &b, Value x, int64_t start, int64_t size,
                      Value &out) {
  auto type = NodeBinder::typeOf(x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts(rank, 0), sizes(type.getShape()), steps(rank, 1);
  starts.back() = start;
  sizes.back() = size;
  OpBuilder &builder = b.getBuilder();
  return b.create<SliceOp>(out, x, builder.getDenseI64ArrayAttr(starts),
                           builder.getDenseI64ArrayAttr(sizes),
                           builder.getDenseI64ArrayAttr(steps));
}

ParseResult reshapeTo(NodeBinder &b, Value &v, ArrayRef<int64_t> shape) {
  return b.create<ReshapeOp>(v, v, b.getBuilder().getDenseI64ArrayAttr(shape));
}

/// com.microsoft RotaryEmbedding (input, position_ids, cos_cache,
/// sin_cache): rotates the first rotary_embedding_dim features of every head
/// by the cached angles of its position, in half-split (rotate_half) or
/// interleaved pairs. The input is [B, S, N*D] (num_heads given or implied
/// by the caches) or [B, N, S, D]; position_ids is [B, S], or [1] holding
/// the first position.
LogicalResult importRotaryEmbedding(NodeBinder &b) {
  Value x, positions, cosCache, sinCache;
  bool interleaved, packed;
  int64_t numHeads, rotaryDim;
  float scale;
  if (b.tensor(0, x) || b.tensor(1, positions) || b.tensor(2, cosCache) ||
      b.tensor(3, sinCache) || b.attr("interleaved", interleaved, false) ||
      b.attr("num_heads", numHeads, 0) ||
      b.attr("rotary_embedding_dim", rotaryDim, 0) ||
      b.attr("scale", scale, 1.0f) ||
      b.attr("is_packed_batching", packed, false))
    return failure();
  auto xType = NodeBinder::typeOf(x);
  auto cacheType = NodeBinder::typeOf(cosCache);
  if (!xType.hasStaticShape() || !cacheType.hasStaticShape())
    return b.error() << "needs static input and cache shapes; set "
                        "--input-shape for dynamic inputs";
  if (packed)
    return b.error() << "is_packed_batching is not supported";
  if (scale != 1.0f)
    return b.error() << "scale " << scale << " is not supported (only 1)";
  if (cacheType.getRank() != 2 || NodeBinder::typeOf(sinCache) != cacheType)
    return b.error() << "cos_cache and sin_cache must both be [max_position, "
                        "rotary_dim / 2]";
  int64_t half = cacheType.getDimSize(1);
  bool fourD = xType.getRank() == 4;
  if (!fourD && xType.getRank() != 3)
    return b.error() << "the input must be [batch, seq, hidden] or [batch, "
                        "heads, seq, head_size]";
  int64_t batch = xType.getDimSize(0);
  int64_t seq = xType.getDimSize(fourD ? 2 : 1);
  int64_t headSize;
  if (fourD) {
    headSize = xType.getDimSize(3);
  } else {
    int64_t hidden = xType.getDimSize(2);
    if (numHeads <= 0)
      numHeads = rotaryDim > 0 ? 0 : hidden / (2 * half);
    if (numHeads <= 0 || hidden % numHeads != 0)
      return b.error() << "cannot tell the head size of a [" << batch << ", "
                       << seq << ", " << hidden << "] input; set num_heads";
    headSize = hidden / numHeads;
  }
  if (rotaryDim == 0)
    rotaryDim = 2 * half;
  if (rotaryDim != 2 * half || rotaryDim > headSize)
    return b.error() << "rotary_embedding_dim " << rotaryDim
                     << " does not match the caches (" << half
                     << " angles) and the head size " << headSize;

  // Angles per (batch, position): gather the caches at the positions.
  auto posType = NodeBinder::typeOf(positions);
  Value pos = positions;
  if (posType.getNumElements() == 1) {
    // A start offset: positions offset + [0, seq).
    SmallVector<int64_t> range(seq);
    for (int64_t i = 0; i < seq; ++i)
      range[i] = i;
    Type idx = posType.getElementType();
    Value steps = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({1, seq}, idx),
        llvm::to_vector(llvm::map_range(range, [&](int64_t v) {
          return APInt(idx.getIntOrFloatBitWidth(), v, /*isSigned=*/true);
        })))));
    if (reshapeTo(b, pos, {1, 1}) || b.create<AddOp>(pos, pos, steps))
      return failure();
  } else if (posType.getRank() != 2 || posType.getDimSize(1) != seq) {
    return b.error() << "position_ids must be [batch, seq] or [1]";
  }
  int64_t posBatch = NodeBinder::typeOf(pos).getDimSize(0);
  Value cos, sin;
  OpBuilder &builder = b.getBuilder();
  if (b.create<GatherOp>(cos, cosCache, pos, builder.getI64IntegerAttr(0)) ||
      b.create<GatherOp>(sin, sinCache, pos, builder.getI64IntegerAttr(0)))
    return failure();
  // [B, S, half] -> broadcastable against the head layout.
  SmallVector<int64_t> angleShape =
      fourD ? SmallVector<int64_t>{posBatch, 1, seq, half}
            : SmallVector<int64_t>{posBatch, seq, 1, half};
  if (reshapeTo(b, cos, angleShape) || reshapeTo(b, sin, angleShape))
    return failure();

  Value heads = x;
  if (!fourD && reshapeTo(b, heads, {batch, seq, numHeads, headSize}))
    return failure();
  Value rot = heads, pass;
  if (rotaryDim < headSize &&
      (sliceLast(b, heads, 0, rotaryDim, rot) ||
       sliceLast(b, heads, rotaryDim, headSize - rotaryDim, pass)))
    return failure();
  // x1, x2: the two halves (or the even and odd lanes) of each rotated pair.
  auto rotShape = llvm::to_vector(NodeBinder::typeOf(rot).getShape());
  Value x1, x2;
  if (interleaved) {
    SmallVector<int64_t> pairs(rotShape);
    pairs.back() = half;
    pairs.push_back(2);
    Value p = rot;
    if (reshapeTo(b, p, pairs) || sliceLast(b, p, 0, 1, x1) ||
        sliceLast(b, p, 1, 1, x2))
      return failure();
    SmallVector<int64_t> flat(rotShape);
    flat.back() = half;
    if (reshapeTo(b, x1, flat) || reshapeTo(b, x2, flat))
      return failure();
  } else if (sliceLast(b, rot, 0, half, x1) ||
             sliceLast(b, rot, half, half, x2)) {
    return failure();
  }
  // y1 = x1 cos - x2 sin, y2 = x2 cos + x1 sin.
  Value a, c, y1, y2, y;
  if (b.create<MulOp>(a, x1, cos) || b.create<MulOp>(c, x2, sin) ||
      b.create<SubOp>(y1, a, c) || b.create<MulOp>(a, x2, cos) ||
      b.create<MulOp>(c, x1, sin) || b.create<AddOp>(y2, a, c))
    return failure();
  int64_t last = static_cast<int64_t>(rotShape.size()) - 1;
  if (interleaved) {
    SmallVector<int64_t> lanes(rotShape);
    lanes.back() = half;
    lanes.push_back(1);
    if (reshapeTo(b, y1, lanes) || reshapeTo(b, y2, lanes) ||
        b.create<ConcatOp>(y, ValueRange{y1, y2},
                           builder.getI64IntegerAttr(last + 1)) ||
        reshapeTo(b, y, rotShape))
      return failure();
  } else if (b.create<ConcatOp>(y, ValueRange{y1, y2},
                                builder.getI64IntegerAttr(last))) {
    return failure();
  }
  if (pass && b.create<ConcatOp>(y, ValueRange{y, pass},
                                 builder.getI64IntegerAttr(last)))
    return failure();
  if (!fourD && reshapeTo(b, y, xType.getShape()))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerContribOps(OpRegistry &r) {
  const char *ms = "com.microsoft";
  r.add(ms, "Gelu", 1, importGeluFamily<false, false>, "gelu", "erf form");
  r.add(ms, "FastGelu", 1, importGeluFamily<true, false>, "add + gelu",
        "tanh form; optional bias");
  r.add(ms, "BiasGelu", 1, importGeluFamily<false, true>, "add + gelu",
        "erf form");
  r.add(ms, "QuickGelu", 1, importQuickGelu, "mul + sigmoid",
        "x·sigmoid(alpha·x), alpha default 1.702");
  r.add(ms, "BiasAdd", 1, importBiasAdd, "add", "X + bias + skip");
  r.add(ms, "RotaryEmbedding", 1, importRotaryEmbedding,
        "gather + slice + mul + concat",
        "half-split and interleaved; [B,S,N*D] or [B,N,S,D]; position_ids "
        "[B,S] or a start offset; partial rotary_embedding_dim; static "
        "shapes, scale 1");
}
