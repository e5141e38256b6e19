//===- DataMovementOps.cpp - Reshapes, slices, gathers and friends --------===//
//
// Shape operands (Reshape's shape, Slice's bounds, axes inputs) must be
// constants at import, once --input-shape has fixed the input shapes and
// the shape subgraphs have folded; the whittle ops carry them as attributes
// with ONNX's special values (0, -1, clamped bounds) already resolved.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

LogicalResult importReshape(NodeBinder &b) {
  Value x, shapeValue, y;
  int64_t allowZero;
  SmallVector<int64_t> requested;
  if (b.tensor(0, x) || b.tensor(1, shapeValue) ||
      b.attr("allowzero", allowZero, 0) ||
      b.constantInts(shapeValue, "shape", requested))
    return failure();
  auto inType = NodeBinder::typeOf(x);
  SmallVector<int64_t> shape;
  int inferredIndex = -1;
  for (auto [i, dim] : llvm::enumerate(requested)) {
    if (dim == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= inType.getRank())
        return b.error() << "shape entry " << i
                         << " copies a dimension the input does not have";
      shape.push_back(inType.getDimSize(i));
    } else if (dim == -1) {
      if (inferredIndex >= 0)
        return b.error() << "shape has more than one -1 entry";
      inferredIndex = i;
      shape.push_back(ShapedType::kDynamic);
    } else if (dim < 0) {
      return b.error() << "invalid shape entry " << dim;
    } else {
      shape.push_back(dim);
    }
  }
  if (inferredIndex >= 0 && inType.hasStaticShape()) {
    int64_t known = 1;
    bool dynamic = false;
    for (auto [i, dim] : llvm::enumerate(shape)) {
      if (static_cast<int>(i) == inferredIndex)
        continue;
      dynamic |= ShapedType::isDynamic(dim);
      known *= ShapedType::isDynamic(dim) ? 1 : dim;
    }
    if (!dynamic) {
      if (known == 0 || inType.getNumElements() % known != 0)
        return b.error() << "cannot reshape " << inType << " to shape ["
                         << formatShape(requested) << "]";
      shape[inferredIndex] = inType.getNumElements() / known;
    }
  }
  if (b.create<ReshapeOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(shape)))
    return failure();
  return b.setResults(y);
}

LogicalResult importTranspose(NodeBinder &b) {
  Value x, y;
  std::optional<SmallVector<int64_t>> perm;
  if (b.tensor(0, x) || b.attr("perm", perm))
    return failure();
  SmallVector<int64_t> p;
  if (perm)
    p = *perm;
  else
    for (int64_t i = NodeBinder::rank(x) - 1; i >= 0; --i)
      p.push_back(i);
  if (b.create<TransposeOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(p)))
    return failure();
  return b.setResults(y);
}

LogicalResult importConcat(NodeBinder &b) {
  SmallVector<Value> inputs;
  Value y;
  int64_t axis;
  if (b.tensors(inputs) || b.attr("axis", axis, 0) ||
      b.normalizeAxis(axis, NodeBinder::rank(inputs.front()), axis) ||
      b.create<ConcatOp>(y, ValueRange(inputs),
                         b.getBuilder().getI64IntegerAttr(axis)))
    return failure();
  return b.setResults(y);
}

/// Split by the `split` input, else evenly by the number of outputs (or,
/// from opset 18, by `num_outputs` with a smaller last piece).
template <bool HasNumOutputs> LogicalResult importSplit(NodeBinder &b) {
  Value x, splitValue;
  int64_t axis;
  std::optional<int64_t> numOutputs;
  if (b.tensor(0, x) || b.optionalTensor(1, splitValue) ||
      b.attr("axis", axis, 0) ||
      (HasNumOutputs && b.attr("num_outputs", numOutputs)) ||
      b.normalizeAxis(axis, NodeBinder::rank(x), axis))
    return failure();
  int64_t outputs = b.numOutputs();
  int64_t dim = NodeBinder::typeOf(x).getDimSize(axis);
  SmallVector<int64_t> sizes;
  if (splitValue) {
    if (b.constantInts(splitValue, "split", sizes))
      return failure();
  } else {
    if (ShapedType::isDynamic(dim))
      return b.error() << "cannot split dynamic dimension " << axis
                       << " without split sizes; set --input-shape for "
                          "dynamic inputs";
    if (numOutputs) {
      int64_t n = *numOutputs;
      if (n < 1)
        return b.error() << "num_outputs must be positive";
      int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    } else {
      if (outputs < 1 || dim % outputs != 0)
        return b.error() << "dimension " << dim << " does not split evenly "
                         << "into " << outputs << " outputs";
      sizes.assign(outputs, dim / outputs);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return b.error() << "split produces " << sizes.size()
                     << " pieces but the node has " << outputs << " outputs";
  OpBuilder &builder = b.getBuilder();
  auto results =
      b.buildN<SplitOp>(sizes.size(), x, builder.getI64IntegerAttr(axis),
                        builder.getDenseI64ArrayAttr(sizes));
  if (failed(results))
    return failure();
  return b.setResults(*results);
}

LogicalResult importSlice(NodeBinder &b) {
  Value x, y;
  if (b.tensor(0, x))
    return failure();
  SmallVector<int64_t> bounds[4]; // starts, ends, axes, steps
  const char *names[4] = {"starts", "ends", "axes", "steps"};
  for (int i = 0; i < 4; ++i) {
    Value v;
    if ((i < 2 ? b.tensor(i + 1, v) : b.optionalTensor(i + 1, v)) ||
        (v && b.constantInts(v, names[i], bounds[i])))
      return failure();
  }
  auto inType = NodeBinder::typeOf(x);
  int64_t rank = inType.getRank();
  size_t n = bounds[0].size();
  if (bounds[2].empty())
    bounds[2] = llvm::to_vector(llvm::seq<int64_t>(0, n));
  if (bounds[3].empty())
    bounds[3].assign(n, 1);
  if (bounds[1].size() != n || bounds[2].size() != n || bounds[3].size() != n)
    return b.error() << "starts, ends, axes and steps differ in length";

  SmallVector<int64_t> starts(rank, 0), sizes(inType.getShape()),
      steps(rank, 1);
  llvm::SmallBitVector seen(rank);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis;
    if (b.normalizeAxis(bounds[2][i], rank, axis))
      return failure();
    if (seen.test(axis))
      return b.error() << "axis " << axis << " is sliced twice";
    seen.set(axis);
    int64_t dim = inType.getDimSize(axis);
    if (ShapedType::isDynamic(dim))
      return b.error() << "cannot slice dynamic dimension " << axis
                       << "; set --input-shape for dynamic inputs";
    int64_t start = bounds[0][i], end = bounds[1][i], step = bounds[3][i];
    if (step == 0)
      return b.error() << "slice step must not be zero";
    // ONNX clamps out-of-range bounds (INT64_MAX means "to the end").
    if (start < 0)
      start = start < -dim ? 0 : start + dim;
    if (end < 0)
      end = end < -dim ? -1 : end + dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      size = start > end ? (start - end - step - 1) / -step : 0;
    }
    starts[axis] = size == 0 ? 0 : start;
    sizes[axis] = size;
    steps[axis] = step;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (ShapedType::isDynamic(sizes[d]))
      return b.error() << "dimension " << d
                       << " of the input is dynamic; set --input-shape for "
                          "dynamic inputs";
  OpBuilder &builder = b.getBuilder();
  if (b.create<SliceOp>(y, x, builder.getDenseI64ArrayAttr(starts),
                        builder.getDenseI64ArrayAttr(sizes),
                        builder.getDenseI64ArrayAttr(steps)))
    return failure();
  return b.setResults(y);
}

/// Gather and GatherElements: data, integer indices and an axis.
template <typename OpTy> LogicalResult importGather(NodeBinder &b) {
  Value data, indices, y;
  int64_t axis;
  if (b.tensor(0, data) || b.tensor(1, indices) || b.attr("axis", axis, 0) ||
      b.normalizeAxis(axis, NodeBinder::rank(data), axis) ||
      b.create<OpTy>(y, data, indices, b.getBuilder().getI64IntegerAttr(axis)))
    return failure();
  return b.setResults(y);
}

/// Size: the element count, a constant of a static shape.
LogicalResult importSize(NodeBinder &b) {
  Value x;
  if (b.tensor(0, x))
    return failure();
  auto type = NodeBinder::typeOf(x);
  if (!type.hasStaticShape())
    return b.error() << "Size of a tensor of dynamic shape " << type;
  int64_t count = type.getNumElements();
  return b.setResults(b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
      RankedTensorType::get({}, b.getBuilder().getI64Type()),
      ArrayRef<int64_t>(count)))));
}

LogicalResult importSqueeze(NodeBinder &b) {
  Value x, axesValue, y;
  if (b.tensor(0, x) || b.optionalTensor(1, axesValue))
    return failure();
  auto inType = NodeBinder::typeOf(x);
  SmallVector<int64_t> axes;
  if (axesValue) {
    SmallVector<int64_t> ints;
    if (b.constantInts(axesValue, "axes", ints) ||
        b.normalizeAxes(ints, inType.getRank(), axes))
      return failure();
  } else {
    for (int64_t d = 0; d < inType.getRank(); ++d) {
      if (ShapedType::isDynamic(inType.getDimSize(d)))
        return b.error() << "squeeze without axes needs a static shape; set "
                            "--input-shape for dynamic inputs";
      if (inType.getDimSize(d) == 1)
        axes.push_back(d);
    }
  }
  if (b.create<SqueezeOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(axes)))
    return failure();
  return b.setResults(y);
}

LogicalResult importUnsqueeze(NodeBinder &b) {
  Value x, axesValue, y;
  SmallVector<int64_t> ints, axes;
  if (b.tensor(0, x) || b.tensor(1, axesValue) ||
      b.constantInts(axesValue, "axes", ints) ||
      b.normalizeAxes(ints, NodeBinder::rank(x) + ints.size(), axes) ||
      b.create<UnsqueezeOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(axes)))
    return failure();
  return b.setResults(y);
}

LogicalResult importExpand(NodeBinder &b) {
  Value x, shapeValue, y;
  SmallVector<int64_t> shape;
  if (b.tensor(0, x) || b.tensor(1, shapeValue) ||
      b.constantInts(shapeValue, "shape", shape))
    return failure();
  for (int64_t d : shape)
    if (d < 0)
      return b.error() << "invalid shape entry " << d;
  if (b.create<ExpandOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(shape)))
    return failure();
  return b.setResults(y);
}

/// Tile as broadcasting: a dim of extent 1 is expanded to its repeat count;
/// any other repeated dim gets a unit dim in front, expanded and merged
/// back ([.., d, ..] -> [.., 1, d, ..] -> [.., r, d, ..] -> [.., r * d, ..]),
/// so that repeat_kv spelled with Tile reads as the Expand it is.
LogicalResult importTile(NodeBinder &b) {
  Value x, repeatsValue, y;
  SmallVector<int64_t> repeats;
  if (b.tensor(0, x) || b.tensor(1, repeatsValue) ||
      b.constantInts(repeatsValue, "repeats", repeats))
    return failure();
  auto type = NodeBinder::typeOf(x);
  int64_t rank = type.getRank();
  if (int64_t(repeats.size()) != rank)
    return b.error() << "repeats has " << repeats.size()
                     << " entries for an input of rank " << rank;
  bool split = false;
  for (auto [r, d] : llvm::zip(repeats, type.getShape())) {
    if (r < 1)
      return b.error() << "repeat " << r
                       << " is not supported (must be at least 1)";
    split |= r > 1 && d != 1;
  }
  OpBuilder &builder = b.getBuilder();
  if (!split) {
    // Only unit dims repeat: a broadcast (1 keeps a dim as it is).
    SmallVector<int64_t> shape;
    for (auto [r, d] : llvm::zip(repeats, type.getShape()))
      shape.push_back(d == 1 ? r : 1);
    if (b.create<ExpandOp>(y, x, builder.getDenseI64ArrayAttr(shape)))
      return failure();
    return b.setResults(y);
  }
  if (!type.hasStaticShape())
    return b.error() << "repeating a dim of extent other than 1 needs a "
                        "static input shape";
  SmallVector<int64_t> withUnits, expanded, result;
  for (auto [r, d] : llvm::zip(repeats, type.getShape())) {
    if (r > 1 && d != 1) {
      withUnits.append({1, d});
      expanded.append({r, d});
    } else {
      withUnits.push_back(d);
      expanded.push_back(d * r);
    }
    result.push_back(d * r);
  }
  Value unitDims, broadcast;
  if (b.create<ReshapeOp>(unitDims, x,
                          builder.getDenseI64ArrayAttr(withUnits)) ||
      b.create<ExpandOp>(broadcast, unitDims,
                         builder.getDenseI64ArrayAttr(expanded)) ||
      b.create<ReshapeOp>(y, broadcast, builder.getDenseI64ArrayAttr(result)))
    return failure();
  return b.setResults(y);
}

LogicalResult importFlatten(NodeBinder &b) {
  Value x, y;
  int64_t axis;
  if (b.tensor(0, x) || b.attr("axis", axis, 1))
    return failure();
  auto inType = NodeBinder::typeOf(x);
  int64_t rank = inType.getRank();
  if (axis < -rank || axis > rank)
    return b.error() << "axis " << axis << " is out of range for rank " << rank;
  int64_t a = axis < 0 ? axis + rank : axis;
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t d = from; d < to; ++d) {
      if (ShapedType::isDynamic(inType.getDimSize(d)))
        return ShapedType::kDynamic;
      p *= inType.getDimSize(d);
    }
    return p;
  };
  SmallVector<int64_t> shape = {product(0, a), product(a, rank)};
  if (b.create<ReshapeOp>(y, x, b.getBuilder().getDenseI64ArrayAttr(shape)))
    return failure();
  return b.setResults(y);
}

LogicalResult importTrilu(NodeBinder &b) {
  Value x, kValue, y;
  bool upper;
  if (b.tensor(0, x) || b.optionalTensor(1, kValue) ||
      b.attr("upper", upper, true))
    return failure();
  int64_t k = 0;
  if (kValue) {
    SmallVector<int64_t> ints;
    if (b.constantInts(kValue, "k", ints))
      return failure();
    if (ints.size() != 1)
      return b.error() << "the k input must be a scalar";
    k = ints.front();
  }
  OpBuilder &builder = b.getBuilder();
  if (b.create<TriluOp>(y, x, builder.getI64IntegerAttr(k),
                        builder.getBoolAttr(upper)))
    return failure();
  return b.setResults(y);
}

/// Pad: per padded axis, a gather of the source position of every output
/// position (negative pads crop), then for the constant mode a select of
/// the value where that position lies outside the input. Every mode is a
/// constant index vector: edge clamps, reflect mirrors, wrap wraps.
LogicalResult importPad(NodeBinder &b) {
  Value x, padsInput, valueInput, axesInput;
  std::string mode;
  if (b.tensor(0, x) || b.tensor(1, padsInput) ||
      b.optionalTensor(2, valueInput) || b.optionalTensor(3, axesInput) ||
      b.enumAttr("mode", mode, {"constant", "reflect", "edge", "wrap"}))
    return failure();
  int64_t rank = NodeBinder::rank(x);
  SmallVector<int64_t> pads, axes;
  if (b.constantInts(padsInput, "pads", pads))
    return failure();
  if (axesInput) {
    if (b.constantInts(axesInput, "axes", axes))
      return failure();
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  if (pads.size() != 2 * axes.size())
    return b.error() << "pads holds " << pads.size() << " values for "
                     << axes.size() << " axes";
  double value = 0.0;
  if (valueInput && b.constantScalar(valueInput, "constant_value", value))
    return failure();
  OpBuilder &builder = b.getBuilder();
  Type i64 = builder.getI64Type();
  for (size_t a = 0; a < axes.size(); ++a) {
    int64_t axis;
    if (b.normalizeAxis(axes[a], rank, axis))
      return failure();
    int64_t before = pads[a], after = pads[a + axes.size()];
    if (!before && !after)
      continue;
    auto type = NodeBinder::typeOf(x);
    int64_t n = type.getDimSize(axis), size = n + before + after;
    if (ShapedType::isDynamic(n))
      return b.error() << "padded axis " << axis << " must have a static size";
    if (size < 0 || (mode != "constant" && n == 0))
      return b.error() << "pads " << before << ", " << after
                       << " do not fit axis " << axis << " of size " << n;
    if (mode == "reflect" && (before >= n || after >= n))
      return b.error() << "reflect pads must be smaller than the axis (" << n
                       << ")";
    SmallVector<int64_t> source(size);
    SmallVector<bool> inside(size);
    for (int64_t i = 0; i < size; ++i) {
      int64_t s = i - before;
      inside[i] = s >= 0 && s < n;
      if (mode == "reflect")
        s = s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s;
      else if (mode == "wrap")
        s = ((s % n) + n) % n;
      source[i] = std::clamp<int64_t>(s, 0, std::max<int64_t>(n - 1, 0));
    }
    Value indices = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({size}, i64), ArrayRef<int64_t>(source))));
    Value gathered;
    if (b.create<GatherOp>(gathered, x, indices,
                           builder.getI64IntegerAttr(axis)))
      return failure();
    if (mode == "constant" && llvm::is_contained(inside, false)) {
      SmallVector<int64_t> maskShape(rank, 1);
      maskShape[axis] = size;
      Value mask = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
          RankedTensorType::get(maskShape, builder.getI1Type()), inside)));
      if (b.create<WhereOp>(gathered, mask, gathered,
                            b.scalarConstant(type.getElementType(), value)))
        return failure();
    }
    x = gathered;
  }
  return b.setResults(x);
}

} // namespace

void whittle::registerDataMovementOps(OpRegistry &r) {
  r.add("", "Reshape", 13, importReshape, "reshape",
        "0 / -1 / allowzero resolved at import");
  r.add("", "Transpose", 13, importTranspose, "transpose",
        "default perm reverses");
  r.add("", "Concat", 13, importConcat, "concat");
  for (int64_t since : {13, 18, 19})
    r.add("", "Pad", since, importPad, "gather + where",
          "constant, edge, reflect, wrap; pads, value and axes constant; "
          "padded axes of static size");
  r.add("", "Split", 13, importSplit<false>, "split",
        "split sizes from the input, else even pieces");
  r.add("", "Split", 18, importSplit<true>, "split",
        "split sizes from the input or num_outputs");
  r.add("", "Slice", 13, importSlice, "slice",
        "negative steps; bounds clamped at import");
  r.add("", "Gather", 13, importGather<GatherOp>, "gather",
        "negative indices wrap");
  r.add("", "GatherElements", 13, importGather<GatherElementsOp>,
        "gather_elements", "negative indices wrap");
  r.add("", "Size", 13, importSize, "constant", "static shapes");
  r.add("", "Squeeze", 13, importSqueeze, "squeeze");
  r.add("", "Unsqueeze", 13, importUnsqueeze, "unsqueeze");
  r.add("", "Expand", 13, importExpand, "expand");
  r.add("", "Tile", 13, importTile, "expand",
        "repeats must be constant; as reshape + expand");
  r.add("", "Flatten", 13, importFlatten, "reshape");
  r.add("", "Trilu", 14, importTrilu, "trilu", "k must be constant");
}
