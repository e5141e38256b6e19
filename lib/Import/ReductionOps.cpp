//===- ReductionOps.cpp - Reductions and Softmax --------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// Reductions whose axes come from the `axes` input (ReduceSum from opset
/// 13, the others from 18) or from the attribute; `noop_with_empty_axes`
/// exists wherever axes is an input. Reads x, the normalized axes and
/// keepdims.
template <bool AxesAsInput>
ParseResult parseReduction(NodeBinder &b, Value &x,
                           SmallVectorImpl<int64_t> &normalized,
                           bool &keepdims) {
  int64_t keep, noop = 0;
  if (b.tensor(0, x) || b.attr("keepdims", keep, 1) ||
      (AxesAsInput && b.attr("noop_with_empty_axes", noop, 0)))
    return failure();
  keepdims = keep != 0;
  SmallVector<int64_t> axes;
  if (AxesAsInput) {
    Value v;
    if (b.optionalTensor(1, v) || (v && b.constantInts(v, "axes", axes)))
      return failure();
  } else {
    std::optional<SmallVector<int64_t>> attr;
    if (b.attr("axes", attr))
      return failure();
    if (attr)
      axes = *attr;
  }
  int64_t rank = NodeBinder::rank(x);
  if (axes.empty() && !noop)
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  return b.normalizeAxes(axes, rank, normalized);
}

template <typename OpTy, bool AxesAsInput>
LogicalResult importReduce(NodeBinder &b) {
  Value x, y;
  SmallVector<int64_t> axes;
  bool keepdims;
  OpBuilder &builder = b.getBuilder();
  if (parseReduction<AxesAsInput>(b, x, axes, keepdims) ||
      b.create<OpTy>(y, x, builder.getDenseI64ArrayAttr(axes),
                     builder.getBoolAttr(keepdims)))
    return failure();
  return b.setResults(y);
}

/// The reductions ONNX defines on top of a sum: L1 (of |x|), L2 (sqrt of
/// the sum of squares), SumSquare, LogSum, and LogSumExp (shifted by the
/// maximum, so that large inputs do not overflow).
enum class ComposedReduction { L1, L2, SumSquare, LogSum, LogSumExp };

template <ComposedReduction Kind, bool AxesAsInput>
LogicalResult importComposedReduction(NodeBinder &b) {
  Value x, t, y;
  SmallVector<int64_t> axes;
  bool keepdims;
  if (parseReduction<AxesAsInput>(b, x, axes, keepdims))
    return failure();
  OpBuilder &builder = b.getBuilder();
  auto axesAttr = builder.getDenseI64ArrayAttr(axes);
  auto sum = [&](Value in, Value &out, bool keep) {
    return b.create<ReduceSumOp>(out, in, axesAttr, builder.getBoolAttr(keep));
  };
  switch (Kind) {
  case ComposedReduction::L1:
    if (b.create<AbsOp>(t, x) || sum(t, y, keepdims))
      return failure();
    break;
  case ComposedReduction::L2:
  case ComposedReduction::SumSquare:
    if (b.create<MulOp>(t, x, x) || sum(t, y, keepdims) ||
        (Kind == ComposedReduction::L2 && b.create<SqrtOp>(y, y)))
      return failure();
    break;
  case ComposedReduction::LogSum:
    if (sum(x, y, keepdims) || b.create<LogOp>(y, y))
      return failure();
    break;
  case ComposedReduction::LogSumExp: {
    Value shift, shiftOut;
    if (b.create<ReduceMaxOp>(shift, x, axesAttr, builder.getBoolAttr(true)) ||
        b.create<ReduceMaxOp>(shiftOut, x, axesAttr,
                              builder.getBoolAttr(keepdims)) ||
        b.create<SubOp>(t, x, shift) || b.create<ExpOp>(t, t) ||
        sum(t, y, keepdims) || b.create<LogOp>(y, y) ||
        b.create<AddOp>(y, y, shiftOut))
      return failure();
    break;
  }
  }
  return b.setResults(y);
}

LogicalResult importSoftmax(NodeBinder &b) {
  Value x, y;
  int64_t axis;
  if (b.tensor(0, x) || b.attr("axis", axis, -1) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis) ||
      b.create<SoftmaxOp>(y, x, b.getBuilder().getI64IntegerAttr(axis)))
    return failure();
  return b.setResults(y);
}

/// LogSoftmax: (x - max) - log(sum(exp(x - max))) along the axis, not
/// log(softmax), which would turn probabilities that underflow into -inf.
LogicalResult importLogSoftmax(NodeBinder &b) {
  Value x, max, shifted, sum, y;
  int64_t axis;
  if (b.tensor(0, x) || b.attr("axis", axis, -1) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis))
    return failure();
  OpBuilder &builder = b.getBuilder();
  auto axes = builder.getDenseI64ArrayAttr({axis});
  auto keep = builder.getBoolAttr(true);
  if (b.create<ReduceMaxOp>(max, x, axes, keep) ||
      b.create<SubOp>(shifted, x, max) || b.create<ExpOp>(sum, shifted) ||
      b.create<ReduceSumOp>(sum, sum, axes, keep) ||
      b.create<LogOp>(sum, sum) || b.create<SubOp>(y, shifted, sum))
    return failure();
  return b.setResults(y);
}

/// Positions 0..n-1 along `axis` of a tensor of `type`, an i64 constant
/// shaped to broadcast against it.
Value axisPositions(NodeBinder &b, RankedTensorType type, int64_t axis) {
  int64_t n = type.getDimSize(axis);
  SmallVector<int64_t> shape(type.getRank(), 1), positions(n);
  shape[axis] = n;
  for (int64_t i = 0; i < n; ++i)
    positions[i] = i;
  return b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
      RankedTensorType::get(shape, b.getBuilder().getI64Type()),
      ArrayRef<int64_t>(positions))));
}

/// The position of the first (or, with `last`, the last) element along
/// `axis` that equals x's reduction by ReduceOpTy; a NaN counts as equal to
/// a NaN result, so that the first NaN is found as numpy finds it.
template <typename ReduceOpTy>
ParseResult argExtreme(NodeBinder &b, Value x, int64_t axis, bool last,
                       bool keepdims, Value &index) {
  auto type = NodeBinder::typeOf(x);
  int64_t n = type.getDimSize(axis);
  if (ShapedType::isDynamic(n))
    return b.error() << "the reduced axis must have a static size";
  OpBuilder &builder = b.getBuilder();
  auto axes = builder.getDenseI64ArrayAttr({axis});
  Value position = axisPositions(b, type, axis);
  Value extreme, hit, xIsNumber, extremeIsNumber, bothNaN, candidates;
  if (b.create<ReduceOpTy>(extreme, x, axes, builder.getBoolAttr(true)) ||
      b.create<EqualOp>(hit, x, extreme) ||
      b.create<EqualOp>(xIsNumber, x, x) ||
      b.create<EqualOp>(extremeIsNumber, extreme, extreme) ||
      b.create<OrOp>(bothNaN, xIsNumber, extremeIsNumber) ||
      b.create<NotOp>(bothNaN, bothNaN) || b.create<OrOp>(hit, hit, bothNaN) ||
      b.create<WhereOp>(
          candidates, hit, position,
          b.scalarConstant(builder.getI64Type(), last ? -1.0 : double(n))))
    return failure();
  auto keep = builder.getBoolAttr(keepdims);
  return last ? b.create<ReduceMaxOp>(index, candidates, axes, keep)
              : b.create<ReduceMinOp>(index, candidates, axes, keep);
}

/// ArgMax / ArgMin (keepdims, select_last_index).
template <typename ReduceOpTy> LogicalResult importArgReduce(NodeBinder &b) {
  Value x, y;
  int64_t axis, keepdims, last;
  if (b.tensor(0, x) || b.attr("axis", axis, 0) ||
      b.attr("keepdims", keepdims, 1) || b.attr("select_last_index", last, 0) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis) ||
      argExtreme<ReduceOpTy>(b, x, axis, last != 0, keepdims != 0, y))
    return failure();
  return b.setResults(y);
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere.
LogicalResult importHardmax(NodeBinder &b) {
  Value x, index, y;
  int64_t axis;
  if (b.tensor(0, x) || b.attr("axis", axis, -1) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis) ||
      argExtreme<ReduceMaxOp>(b, x, axis, false, true, index) ||
      b.create<EqualOp>(y, axisPositions(b, NodeBinder::typeOf(x), axis),
                        index) ||
      b.create<CastOp>(y, y, TypeAttr::get(NodeBinder::elementType(x))))
    return failure();
  return b.setResults(y);
}

/// TopK for a constant k: k rounds of the extreme among the positions not
/// yet taken and the first position that holds it (ties go to the lower
/// index, as ONNX asks), the rounds concatenated in order (so the result is
/// sorted whatever `sorted` says). Taken positions are masked with the
/// type's lowest (highest) value and excluded from the index search, so
/// that genuine extreme values keep their place. Cost: k passes over the
/// axis, meant for the small k of expert routing and sampling.
LogicalResult importTopK(NodeBinder &b) {
  Value x, kInput;
  int64_t axis, largest;
  SmallVector<int64_t> k;
  if (b.tensor(0, x) || b.tensor(1, kInput) || b.attr("axis", axis, -1) ||
      b.attr("largest", largest, 1) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis) ||
      b.constantInts(kInput, "k", k))
    return failure();
  auto type = NodeBinder::typeOf(x);
  int64_t n = type.getDimSize(axis);
  if (k.size() != 1 || ShapedType::isDynamic(n) || k[0] < 0 || k[0] > n)
    return b.error() << "k must be one constant in [0, " << n
                     << "] along an axis of static size";
  if (k[0] == 0)
    return b.error() << "k = 0 (an empty result) is not supported";
  OpBuilder &builder = b.getBuilder();
  Type elt = type.getElementType(), i64 = builder.getI64Type();
  auto axes = builder.getDenseI64ArrayAttr({axis});
  auto keep = builder.getBoolAttr(true);
  Value position = axisPositions(b, type, axis);
  double worst;
  if (isa<FloatType>(elt))
    worst = (largest ? -1 : 1) * std::numeric_limits<double>::infinity();
  else if (elt.isUnsignedInteger())
    worst = largest ? 0.0 : std::ldexp(1.0, elt.getIntOrFloatBitWidth()) - 1;
  else
    worst =
        (largest ? -1 : 1) * std::ldexp(1.0, elt.getIntOrFloatBitWidth() - 1) -
        (largest ? 0 : 1);
  Value worstValue = b.scalarConstant(elt, worst);
  Value taken, remaining = x;
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k[0]; ++round) {
    Value extreme, hit, free, candidates, index, pick;
    if ((largest ? b.create<ReduceMaxOp>(extreme, remaining, axes, keep)
                 : b.create<ReduceMinOp>(extreme, remaining, axes, keep)) ||
        b.create<EqualOp>(hit, remaining, extreme))
      return failure();
    if (taken &&
        (b.create<NotOp>(free, taken) || b.create<AndOp>(hit, hit, free)))
      return failure();
    if (b.create<WhereOp>(candidates, hit, position,
                          b.scalarConstant(i64, double(n))) ||
        b.create<ReduceMinOp>(index, candidates, axes, keep) ||
        b.create<EqualOp>(pick, position, index))
      return failure();
    values.push_back(extreme);
    indices.push_back(index);
    if (taken ? bool(b.create<OrOp>(taken, taken, pick))
              : (taken = pick, false))
      return failure();
    if (b.create<WhereOp>(remaining, taken, worstValue, x))
      return failure();
  }
  Value outValues = values.front(), outIndices = indices.front();
  auto axisAttr = builder.getI64IntegerAttr(axis);
  if (values.size() > 1 &&
      (b.create<ConcatOp>(outValues, ValueRange(values), axisAttr) ||
       b.create<ConcatOp>(outIndices, ValueRange(indices), axisAttr)))
    return failure();
  return b.setResults({outValues, outIndices});
}

LogicalResult importCumSum(NodeBinder &b) {
  Value x, axisInput, y;
  int64_t exclusive, reverse;
  SmallVector<int64_t> axis;
  if (b.tensor(0, x) || b.tensor(1, axisInput) ||
      b.attr("exclusive", exclusive, 0) || b.attr("reverse", reverse, 0) ||
      b.constantInts(axisInput, "axis", axis))
    return failure();
  if (axis.size() != 1)
    return b.error() << "axis must hold one value, not " << axis.size();
  int64_t normalized;
  OpBuilder &builder = b.getBuilder();
  if (b.normalizeAxis(axis[0], NodeBinder::rank(x), normalized) ||
      b.create<CumSumOp>(y, x, builder.getI64IntegerAttr(normalized),
                         builder.getBoolAttr(exclusive != 0),
                         builder.getBoolAttr(reverse != 0)))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerReductionOps(OpRegistry &r) {
  const char *notes = "axes must be constant";
  const char *notes18 = "axes input must be constant; noop_with_empty_axes";
  r.add("", "ReduceSum", 13, importReduce<ReduceSumOp, true>, "reduce_sum",
        notes18);
  auto composed = [&](const char *name, auto at13, auto at18,
                      const char *lowering) {
    r.add("", name, 13, at13, lowering, notes);
    r.add("", name, 18, at18, lowering, notes18);
  };
  using CR = ComposedReduction;
  composed("ReduceL1", importComposedReduction<CR::L1, false>,
           importComposedReduction<CR::L1, true>, "abs + reduce_sum");
  composed("ReduceL2", importComposedReduction<CR::L2, false>,
           importComposedReduction<CR::L2, true>, "mul + reduce_sum + sqrt");
  composed("ReduceSumSquare", importComposedReduction<CR::SumSquare, false>,
           importComposedReduction<CR::SumSquare, true>, "mul + reduce_sum");
  composed("ReduceLogSum", importComposedReduction<CR::LogSum, false>,
           importComposedReduction<CR::LogSum, true>, "reduce_sum + log");
  composed("ReduceLogSumExp", importComposedReduction<CR::LogSumExp, false>,
           importComposedReduction<CR::LogSumExp, true>,
           "reduce_max + exp + reduce_sum + log");
  r.add("", "ReduceMean", 13, importReduce<ReduceMeanOp, false>, "reduce_mean",
        notes);
  r.add("", "ReduceMean", 18, importReduce<ReduceMeanOp, true>, "reduce_mean",
        notes18);
  r.add("", "ReduceMax", 13, importReduce<ReduceMaxOp, false>, "reduce_max",
        notes);
  r.add("", "ReduceMax", 18, importReduce<ReduceMaxOp, true>, "reduce_max",
        notes18);
  r.add("", "ReduceMin", 13, importReduce<ReduceMinOp, false>, "reduce_min",
        notes);
  r.add("", "ReduceMin", 18, importReduce<ReduceMinOp, true>, "reduce_min",
        notes18);
  for (int64_t since : {11, 14})
    r.add("", "CumSum", since, importCumSum, "cumsum",
          "axis must be constant; exclusive, reverse");
  r.add("", "ArgMax", 13, importArgReduce<ReduceMaxOp>,
        "reduce_max + equal + where + reduce_min",
        "keepdims, select_last_index; the axis must have a static size");
  r.add("", "ArgMin", 13, importArgReduce<ReduceMinOp>,
        "reduce_min + equal + where + reduce_min",
        "keepdims, select_last_index; the axis must have a static size");
  r.add("", "TopK", 11, importTopK, "k rounds of reduce + equal + where",
        "k constant and at least 1; axis of static size; sorted output");
  r.add("", "Hardmax", 13, importHardmax, "argmax + equal + cast");
  r.add("", "LogSoftmax", 13, importLogSoftmax,
        "reduce_max + sub + exp + reduce_sum + log + sub");
  r.add("", "Softmax", 13, importSoftmax, "softmax",
        "single-axis semantics of opset 13 (older models are upgraded)");
}
