//===- WhittleFolders.cpp - whittle op folders ----------------------------===//
//
// Folders evaluate ops on small constants so that shape-computing subgraphs
// disappear once shapes are static. They never materialize results larger
// than kMaxFoldedElements, so weights are never duplicated by folding.
// Only DenseElementsAttr operands are evaluated: weights imported as
// dense_resource blobs are never read here. OpBuilder::createOrFold folds
// before anything verifies the op, so folders that index by attributes check
// them first.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APSInt.h"

#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace whittle;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// The result type if a folder may materialize a constant of it: static
/// shape and at most kMaxFoldedElements elements.
static RankedTensorType foldableType(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape() ||
      ranked.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return ranked;
}

static DenseElementsAttr denseOperand(Attribute attr) {
  return dyn_cast_if_present<DenseElementsAttr>(attr);
}

/// Integers are signed unless the type says otherwise; i1 is a boolean.
static bool isUnsignedElement(Type type) {
  return type.isUnsignedInteger() || type.isInteger(1);
}

static SmallVector<int64_t> getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

static int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
  int64_t linear = 0;
  for (auto [i, s] : llvm::zip_equal(index, strides))
    linear += i * s;
  return linear;
}

/// Calls `fn` with every multi-index of `shape` in row-major order.
static void forEachIndex(ArrayRef<int64_t> shape,
                         function_ref<void(ArrayRef<int64_t>)> fn) {
  int64_t count = ShapedType::getNumElements(shape);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    fn(index);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// For each element of `resultShape`, the linear index of the element of a
/// value of `shape` that numpy broadcasting reads. Fails if `shape` does not
/// broadcast to `resultShape`.
static FailureOr<SmallVector<int64_t>>
broadcastMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> resultShape) {
  if (shape.size() > resultShape.size())
    return failure();
  size_t offset = resultShape.size() - shape.size();
  SmallVector<int64_t> strides = getStrides(shape);
  // Stride 0 along broadcast dimensions, and along the leading ones `shape`
  // lacks.
  SmallVector<int64_t> resultStrides(resultShape.size(), 0);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == resultShape[offset + d])
      resultStrides[offset + d] = strides[d];
    else if (shape[d] != 1)
      return failure();
  }
  SmallVector<int64_t> map;
  map.reserve(ShapedType::getNumElements(resultShape));
  forEachIndex(resultShape, [&](ArrayRef<int64_t> index) {
    map.push_back(linearize(index, resultStrides));
  });
  return map;
}

/// Random access to the elements of a constant without copying them (splats
/// read their single element at every index).
template <typename T> static auto elementsOf(DenseElementsAttr attr) {
  return attr.getValues<T>().begin();
}

template <typename Fn, typename Arg>
using FoldResultOf =
    typename std::invoke_result_t<Fn, ArrayRef<Arg>>::value_type;

/// Evaluates `fn` elementwise on `operands` broadcast to `resultType`. All
/// operands have element kind `In` (APInt or APFloat); `fn` returns the
/// result element, or std::nullopt to give up (division by zero, ...).
template <typename In, typename Fn>
static Attribute evalBroadcast(Type resultType,
                               ArrayRef<DenseElementsAttr> operands, Fn fn) {
  RankedTensorType type = foldableType(resultType);
  if (!type)
    return {};
  using Out = FoldResultOf<Fn, In>;
  SmallVector<SmallVector<int64_t>> maps;
  for (DenseElementsAttr operand : operands) {
    auto map = broadcastMap(operand.getType().getShape(), type.getShape());
    if (failed(map))
      return {};
    maps.push_back(std::move(*map));
  }
  using Iterator = decltype(elementsOf<In>(operands.front()));
  SmallVector<Iterator> elements;
  for (DenseElementsAttr operand : operands)
    elements.push_back(elementsOf<In>(operand));
  SmallVector<Out> results;
  results.reserve(type.getNumElements());
  SmallVector<In> args;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    args.clear();
    for (size_t k = 0; k < operands.size(); ++k)
      args.push_back(elements[k][maps[k][i]]);
    std::optional<Out> result = fn(ArrayRef<In>(args));
    if (!result)
      return {};
    results.push_back(std::move(*result));
  }
  return DenseElementsAttr::get(type, results);
}

/// Evaluates a binary op on two constants: `intFn(a, b, isUnsigned)` for
/// integer operands, `floatFn(a, b)` for float operands.
template <typename IntFn, typename FloatFn>
static Attribute foldBinary(Type resultType, ArrayRef<Attribute> operands,
                            IntFn intFn, FloatFn floatFn) {
  DenseElementsAttr lhs = denseOperand(operands[0]);
  DenseElementsAttr rhs = denseOperand(operands[1]);
  if (!lhs || !rhs)
    return {};
  Type elt = lhs.getElementType();
  if (isa<IntegerType>(elt)) {
    bool isUnsigned = isUnsignedElement(elt);
    return evalBroadcast<APInt>(resultType, {lhs, rhs}, [&](ArrayRef<APInt> v) {
      return intFn(v[0], v[1], isUnsigned);
    });
  }
  if (isa<FloatType>(elt))
    return evalBroadcast<APFloat>(
        resultType, {lhs, rhs},
        [&](ArrayRef<APFloat> v) { return floatFn(v[0], v[1]); });
  return {};
}

/// Rebuilds a constant of `type` whose element i is element `picks[i].second`
/// of `sources[picks[i].first]`, or zero where `picks[i].second` is negative.
/// This is every data-movement op at once.
static Attribute pickElements(RankedTensorType type,
                              ArrayRef<DenseElementsAttr> sources,
                              ArrayRef<std::pair<unsigned, int64_t>> picks) {
  Type elt = type.getElementType();
  auto pick = [&](auto zero, auto elementsOf) -> Attribute {
    using T = decltype(zero);
    using Iterator = decltype(elementsOf(sources.front()));
    SmallVector<Iterator> elements;
    for (DenseElementsAttr source : sources)
      elements.push_back(elementsOf(source));
    SmallVector<T> values;
    values.reserve(picks.size());
    for (auto [source, index] : picks)
      values.push_back(index < 0 ? zero : T(elements[source][index]));
    return DenseElementsAttr::get(type, values);
  };
  if (auto intType = dyn_cast<IntegerType>(elt))
    return pick(APInt(intType.getWidth(), 0), elementsOf<APInt>);
  if (auto floatType = dyn_cast<FloatType>(elt))
    return pick(APFloat::getZero(floatType.getFloatSemantics()),
                elementsOf<APFloat>);
  return {};
}

/// Data-movement fold of one constant: `srcIndexOf(resultIndex)` gives the
/// linear source index of each result element (negative: zero). Splats stay
/// splats without touching their elements.
static Attribute
moveElements(Type resultType, Attribute operand,
             function_ref<int64_t(ArrayRef<int64_t>)> srcIndexOf,
             bool mayZero = false) {
  DenseElementsAttr input = denseOperand(operand);
  RankedTensorType type = foldableType(resultType);
  if (!input || !type)
    return {};
  if (input.isSplat() && !mayZero)
    return input.resizeSplat(type);
  SmallVector<std::pair<unsigned, int64_t>> picks;
  picks.reserve(type.getNumElements());
  forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index) {
    picks.push_back({0, srcIndexOf(index)});
  });
  return pickElements(type, {input}, picks);
}

/// Whether `attr` is a splat constant equal to `value` (-0.0 counts as 0).
static bool isSplatOf(Attribute attr, int64_t value) {
  auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Type elt = dense.getElementType();
  if (isa<IntegerType>(elt)) {
    APInt v = dense.getSplatValue<APInt>();
    if (elt.isInteger(1))
      return v.getZExtValue() == static_cast<uint64_t>(value != 0);
    return isUnsignedElement(elt)
               ? value >= 0 && v.getZExtValue() == static_cast<uint64_t>(value)
               : v.getSExtValue() == value;
  }
  if (isa<FloatType>(elt))
    return dense.getSplatValue<APFloat>().convertToDouble() ==
           static_cast<double>(value);
  return false;
}

/// `operand` if the op's result has exactly its type (so replacing the result
/// by it keeps the IR well-typed), else nothing.
static OpFoldResult ifSameType(Value operand, Value result) {
  if (operand.getType() == result.getType())
    return operand;
  return {};
}

/// `value` converted to the float semantics `sem`.
static APFloat toSemantics(APFloat value, const llvm::fltSemantics &sem) {
  bool losesInfo;
  value.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
  return value;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  // A static result type fixes the shape; the shape operand must agree with
  // it at run time.
  RankedTensorType type = foldableType(getType());
  if (!type)
    return {};
  Attribute value = getValue();
  if (auto elements = dyn_cast<DenseElementsAttr>(value)) {
    if (elements.getNumElements() != 1)
      return {};
    value = elements.getSplatValue<Attribute>();
  } else if (isa<ElementsAttr>(value)) {
    return {};
  }
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type.getElementType())
    return {};
  return DenseElementsAttr::get(type, value);
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto input = getInput().getType();
  int64_t rank = input.getRank();
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(getStart());
  int64_t end = getEnd() ? clampIndex(*getEnd()) : rank;
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) {
    if (input.isDynamicDim(d))
      return {};
    dims.push_back(input.getDimSize(d));
  }
  auto type = foldableType(getType());
  if (!type || type.getNumElements() != static_cast<int64_t>(dims.size()))
    return {};
  return DenseElementsAttr::get(type, ArrayRef<int64_t>(dims));
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr start = denseOperand(adaptor.getStart());
  DenseElementsAttr limit = denseOperand(adaptor.getLimit());
  DenseElementsAttr delta = denseOperand(adaptor.getDelta());
  RankedTensorType type = foldableType(getType());
  if (!start || !limit || !delta || !type || type.getRank() != 1)
    return {};
  int64_t size = type.getDimSize(0);
  Type elt = type.getElementType();
  if (auto intType = dyn_cast<IntegerType>(elt)) {
    bool isUnsigned = isUnsignedElement(elt);
    auto asInt = [&](DenseElementsAttr a) {
      APInt v = a.getSplatValue<APInt>();
      return isUnsigned ? static_cast<int64_t>(v.getZExtValue())
                        : v.getSExtValue();
    };
    int64_t first = asInt(start), last = asInt(limit), step = asInt(delta);
    if (step == 0)
      return {};
    // ceil((limit - start) / delta) without going through floating point.
    int64_t span = last - first;
    int64_t count =
        span / step + (span % step != 0 && (span > 0) == (step > 0));
    if (std::max<int64_t>(count, 0) != size)
      return {};
    SmallVector<APInt> values;
    for (int64_t i = 0; i < size; ++i)
      values.push_back(APInt(intType.getWidth(), first + i * step,
                             /*isSigned=*/!isUnsigned, /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, values);
  }
  if (auto floatType = dyn_cast<FloatType>(elt)) {
    auto asDouble = [](DenseElementsAttr a) {
      return a.getSplatValue<APFloat>().convertToDouble();
    };
    double first = asDouble(start), last = asDouble(limit),
           step = asDouble(delta);
    if (step == 0 ||
        std::max<double>(std::ceil((last - first) / step), 0) != size)
      return {};
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < size; ++i)
      values.push_back(toSemantics(APFloat(first + i * step),
                                   floatType.getFloatSemantics()));
    return DenseElementsAttr::get(type, values);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 -> x (ignoring that -0.0 + 0.0 is +0.0).
  if (isSplatOf(adaptor.getRhs(), 0))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 0))
    if (OpFoldResult r = ifSameType(getRhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a + b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a + b;
      });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a - b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a - b;
      });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 1))
    if (OpFoldResult r = ifSameType(getRhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a * b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a * b;
      });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        if (isUnsigned)
          return a.udiv(b);
        bool overflow;
        APInt r = a.sdiv_ov(b, overflow);
        if (overflow)
          return std::nullopt;
        return r;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a / b;
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        // Negative integer exponents have no integer result.
        if (!isUnsigned && b.isNegative())
          return std::nullopt;
        APInt result(a.getBitWidth(), 1), base = a;
        for (APInt e = b; !e.isZero(); e = e.lshr(1)) {
          if (e[0])
            result *= base;
          base *= base;
        }
        return result;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return toSemantics(
            APFloat(std::pow(a.convertToDouble(), b.convertToDouble())),
            a.getSemantics());
      });
}

/// min(x, x) = x; otherwise elementwise on constants (float NaN propagates).
template <typename OpTy>
static OpFoldResult foldMinMax(OpTy op, ArrayRef<Attribute> operands,
                               bool isMax) {
  if (op.getLhs() == op.getRhs())
    if (OpFoldResult r = ifSameType(op.getLhs(), op.getResult()))
      return r;
  return foldBinary(
      op.getType(), operands,
      [isMax](const APInt &a, const APInt &b,
              bool isUnsigned) -> std::optional<APInt> {
        bool less = isUnsigned ? a.ult(b) : a.slt(b);
        return less != isMax ? a : b;
      },
      [isMax](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return isMax ? llvm::maximum(a, b) : llvm::minimum(a, b);
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(*this, adaptor.getOperands(), /*isMax=*/false);
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(*this, adaptor.getOperands(), /*isMax=*/true);
}

static std::optional<APFloat> noFloat(const APFloat &, const APFloat &) {
  return std::nullopt;
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 1))
    if (OpFoldResult r = ifSameType(getRhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a & b;
      },
      noFloat);
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    if (OpFoldResult r = ifSameType(getLhs(), getResult()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 0))
    if (OpFoldResult r = ifSameType(getRhs(), getResult()))
      return r;
  return foldBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a | b;
      },
      noFloat);
}

/// Folds a comparison; `holds` maps the three-way outcome (-1, 0, 1) to the
/// result. Unordered float comparisons (NaN) are false.
template <typename Holds>
static Attribute foldCompare(Type resultType, ArrayRef<Attribute> operands,
                             Holds holds) {
  auto boolean = [](bool b) -> std::optional<APInt> { return APInt(1, b); };
  return foldBinary(
      resultType, operands,
      [&](const APInt &a, const APInt &b, bool isUnsigned) {
        int order = isUnsigned ? (a.ult(b)   ? -1
                                  : a.ugt(b) ? 1
                                             : 0)
                               : (a.slt(b)   ? -1
                                  : a.sgt(b) ? 1
                                             : 0);
        return boolean(holds(order));
      },
      [&](const APFloat &a, const APFloat &b) {
        switch (a.compare(b)) {
        case APFloat::cmpLessThan:
          return boolean(holds(-1));
        case APFloat::cmpEqual:
          return boolean(holds(0));
        case APFloat::cmpGreaterThan:
          return boolean(holds(1));
        case APFloat::cmpUnordered:
          break;
        }
        return boolean(false);
      });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getType(), adaptor.getOperands(),
                     [](int order) { return order == 0; });
}
OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getType(), adaptor.getOperands(),
                     [](int order) { return order < 0; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getType(), adaptor.getOperands(),
                     [](int order) { return order <= 0; });
}
OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getType(), adaptor.getOperands(),
                     [](int order) { return order > 0; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getType(), adaptor.getOperands(),
                     [](int order) { return order >= 0; });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  // neg(neg(x)) -> x.
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  if (isa<IntegerType>(input.getElementType()))
    return evalBroadcast<APInt>(
        getType(), {input},
        [](ArrayRef<APInt> v) -> std::optional<APInt> { return -v[0]; });
  return evalBroadcast<APFloat>(
      getType(), {input},
      [](ArrayRef<APFloat> v) -> std::optional<APFloat> { return -v[0]; });
}

// Constant scales of attention scores (1/sqrt(d) written as a reciprocal or
// a square root of a constant) must be constants for fuse-attention.
OpFoldResult ReciprocalOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  return evalBroadcast<APFloat>(
      getType(), {input}, [](ArrayRef<APFloat> v) -> std::optional<APFloat> {
        APFloat one(v[0].getSemantics(), 1);
        one.divide(v[0], APFloat::rmNearestTiesToEven);
        return one;
      });
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  return evalBroadcast<APFloat>(
      getType(), {input}, [](ArrayRef<APFloat> v) -> std::optional<APFloat> {
        // sqrt in double is correctly rounded; rounding that to a narrower
        // type is too, except in halfway cases no square root produces.
        return toSemantics(APFloat(std::sqrt(v[0].convertToDouble())),
                           v[0].getSemantics());
      });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  // not(not(x)) -> x.
  if (auto inner = getInput().getDefiningOp<NotOp>())
    return inner.getInput();
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  return evalBroadcast<APInt>(
      getType(), {input},
      [](ArrayRef<APInt> v) -> std::optional<APInt> { return ~v[0]; });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  Type from = getInput().getType().getElementType();
  Type to = getTo();
  if (from == to)
    return ifSameType(getInput(), getResult());
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!input || to != getType().getElementType())
    return {};
  // Casting to bool tests for non-zero, as in ONNX.
  if (isa<IntegerType>(from)) {
    bool isUnsigned = isUnsignedElement(from);
    if (auto intType = dyn_cast<IntegerType>(to)) {
      unsigned width = intType.getWidth();
      return evalBroadcast<APInt>(
          getType(), {input}, [&](ArrayRef<APInt> v) -> std::optional<APInt> {
            if (width == 1)
              return APInt(1, !v[0].isZero());
            return isUnsigned ? v[0].zextOrTrunc(width)
                              : v[0].sextOrTrunc(width);
          });
    }
    if (auto floatType = dyn_cast<FloatType>(to))
      return evalBroadcast<APInt>(
          getType(), {input}, [&](ArrayRef<APInt> v) -> std::optional<APFloat> {
            APFloat f(floatType.getFloatSemantics());
            f.convertFromAPInt(v[0], /*IsSigned=*/!isUnsigned,
                               APFloat::rmNearestTiesToEven);
            return f;
          });
    return {};
  }
  if (isa<FloatType>(from)) {
    if (auto intType = dyn_cast<IntegerType>(to)) {
      unsigned width = intType.getWidth();
      bool isUnsigned = isUnsignedElement(to);
      return evalBroadcast<APFloat>(
          getType(), {input}, [&](ArrayRef<APFloat> v) -> std::optional<APInt> {
            if (width == 1)
              return APInt(1, !v[0].isZero());
            // NaN and out-of-range values have no defined result.
            APSInt result(width, isUnsigned);
            bool isExact;
            if (v[0].convertToInteger(result, APFloat::rmTowardZero, &isExact) &
                APFloat::opInvalidOp)
              return std::nullopt;
            return APInt(result);
          });
    }
    if (auto floatType = dyn_cast<FloatType>(to))
      return evalBroadcast<APFloat>(
          getType(), {input},
          [&](ArrayRef<APFloat> v) -> std::optional<APFloat> {
            return toSemantics(v[0], floatType.getFloatSemantics());
          });
  }
  return {};
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  if (getX() == getY())
    if (OpFoldResult r = ifSameType(getX(), getResult()))
      return r;
  if (isSplatOf(adaptor.getCondition(), 1))
    if (OpFoldResult r = ifSameType(getX(), getResult()))
      return r;
  if (isSplatOf(adaptor.getCondition(), 0))
    if (OpFoldResult r = ifSameType(getY(), getResult()))
      return r;
  DenseElementsAttr cond = denseOperand(adaptor.getCondition());
  DenseElementsAttr x = denseOperand(adaptor.getX());
  DenseElementsAttr y = denseOperand(adaptor.getY());
  RankedTensorType type = foldableType(getType());
  if (!cond || !x || !y || !type)
    return {};
  auto condMap = broadcastMap(cond.getType().getShape(), type.getShape());
  auto xMap = broadcastMap(x.getType().getShape(), type.getShape());
  auto yMap = broadcastMap(y.getType().getShape(), type.getShape());
  if (failed(condMap) || failed(xMap) || failed(yMap))
    return {};
  auto condValues = elementsOf<APInt>(cond);
  SmallVector<std::pair<unsigned, int64_t>> picks;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    if (!APInt(condValues[(*condMap)[i]]).isZero())
      picks.push_back({0, (*xMap)[i]});
    else
      picks.push_back({1, (*yMap)[i]});
  }
  return pickElements(type, {x, y}, picks);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind { Sum, Mean, Max, Min };
} // namespace

/// Reduces a constant over `axes`. Float sums accumulate in double.
static Attribute foldReduce(Type resultType, Attribute operand,
                            ArrayRef<int64_t> axes, ReduceKind kind) {
  DenseElementsAttr input = denseOperand(operand);
  RankedTensorType type = foldableType(resultType);
  auto inputType =
      input ? dyn_cast<RankedTensorType>(input.getType()) : RankedTensorType();
  if (!input || !type || !inputType)
    return {};
  // Input element i accumulates into result element outIndex[i]; the result
  // has the input's shape with reduced dims set to 1 (with or without them).
  SmallVector<int64_t> keptShape(inputType.getShape());
  for (int64_t a : axes) {
    if (a < 0 || a >= inputType.getRank())
      return {};
    keptShape[a] = 1;
  }
  if (ShapedType::getNumElements(keptShape) != type.getNumElements())
    return {};
  SmallVector<int64_t> keptStrides = getStrides(keptShape);
  SmallVector<int64_t> outIndex;
  outIndex.reserve(inputType.getNumElements());
  forEachIndex(inputType.getShape(), [&](ArrayRef<int64_t> index) {
    int64_t linear = 0;
    for (size_t d = 0; d < index.size(); ++d)
      if (keptShape[d] != 1)
        linear += index[d] * keptStrides[d];
    outIndex.push_back(linear);
  });
  int64_t count =
      inputType.getNumElements() / std::max<int64_t>(type.getNumElements(), 1);
  int64_t results = type.getNumElements();
  Type elt = type.getElementType();
  if (auto intType = dyn_cast<IntegerType>(elt)) {
    bool isUnsigned = isUnsignedElement(elt);
    bool extremum = kind == ReduceKind::Max || kind == ReduceKind::Min;
    // Max and min of an empty reduction are undefined.
    if (extremum && count == 0 && results != 0)
      return {};
    SmallVector<APInt> acc(results, APInt(intType.getWidth(), 0));
    SmallVector<bool> seen(results, false);
    auto values = elementsOf<APInt>(input);
    for (size_t i = 0; i < outIndex.size(); ++i) {
      APInt v = values[i];
      APInt &a = acc[outIndex[i]];
      if (!extremum)
        a += v;
      else if (!seen[outIndex[i]] ||
               (kind == ReduceKind::Max ? (isUnsigned ? v.ugt(a) : v.sgt(a))
                                        : (isUnsigned ? v.ult(a) : v.slt(a))))
        a = v;
      seen[outIndex[i]] = true;
    }
    if (kind == ReduceKind::Mean) {
      if (count == 0)
        return {};
      APInt divisor(intType.getWidth(), count);
      for (APInt &a : acc)
        a = isUnsigned ? a.udiv(divisor) : a.sdiv(divisor);
    }
    return DenseElementsAttr::get(type, acc);
  }
  if (auto floatType = dyn_cast<FloatType>(elt)) {
    if ((kind == ReduceKind::Max || kind == ReduceKind::Min) && count == 0 &&
        results != 0)
      return {};
    double inf = std::numeric_limits<double>::infinity();
    double init = kind == ReduceKind::Max   ? -inf
                  : kind == ReduceKind::Min ? inf
                                            : 0.0;
    SmallVector<double> acc(results, init);
    auto values = elementsOf<APFloat>(input);
    for (size_t i = 0; i < outIndex.size(); ++i) {
      double v = APFloat(values[i]).convertToDouble();
      double &a = acc[outIndex[i]];
      if (kind == ReduceKind::Sum || kind == ReduceKind::Mean)
        a += v;
      else if (std::isnan(v) || (kind == ReduceKind::Max ? v > a : v < a))
        a = std::isnan(a) ? a : v;
    }
    SmallVector<APFloat> out;
    for (double a : acc)
      out.push_back(
          toSemantics(APFloat(kind == ReduceKind::Mean ? a / count : a),
                      floatType.getFloatSemantics()));
    return DenseElementsAttr::get(type, out);
  }
  return {};
}

#define WHITTLE_REDUCE_FOLD(OP, KIND)                                          \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    if (getAxes().empty())                                                     \
      return ifSameType(getInput(), getResult());                              \
    return foldReduce(getType(), adaptor.getInput(), getAxes(), KIND);         \
  }
WHITTLE_REDUCE_FOLD(ReduceSumOp, ReduceKind::Sum)
WHITTLE_REDUCE_FOLD(ReduceMeanOp, ReduceKind::Mean)
WHITTLE_REDUCE_FOLD(ReduceMinOp, ReduceKind::Min)
WHITTLE_REDUCE_FOLD(ReduceMaxOp, ReduceKind::Max)
#undef WHITTLE_REDUCE_FOLD

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Reshapes a constant: same elements, new type.
static Attribute reshapeConstant(Type resultType, Attribute operand) {
  DenseElementsAttr input = denseOperand(operand);
  RankedTensorType type = foldableType(resultType);
  if (!input || !type || input.getNumElements() != type.getNumElements() ||
      input.getElementType() != type.getElementType())
    return {};
  return input.reshape(type);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = ifSameType(getInput(), getResult()))
    return r;
  if (Attribute r = reshapeConstant(getType(), adaptor.getInput()))
    return r;
  // reshape(reshape-like(x)) -> reshape(x): only the final shape matters.
  Operation *producer = getInput().getDefiningOp();
  if (producer && isa<ReshapeOp, SqueezeOp, UnsqueezeOp>(producer)) {
    getInputMutable().assign(producer->getOperand(0));
    return getResult();
  }
  return {};
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = ifSameType(getInput(), getResult()))
    return r;
  return reshapeConstant(getType(), adaptor.getInput());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = ifSameType(getInput(), getResult()))
    return r;
  return reshapeConstant(getType(), adaptor.getInput());
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (static_cast<int64_t>(perm.size()) != getInput().getType().getRank() ||
      llvm::any_of(perm, [&](int64_t p) {
        return p < 0 || p >= static_cast<int64_t>(perm.size());
      }))
    return {};
  bool isIdentity = true;
  for (int64_t i = 0, e = perm.size(); i < e; ++i)
    isIdentity &= perm[i] == i;
  if (isIdentity)
    return ifSameType(getInput(), getResult());
  // transpose(transpose(x, inner), perm) is one transpose of x, folded in
  // place so that a chain costs one copy.
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPerm()[p]);
    setPerm(composed);
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  // Only a constant input folds from here on, and only its shape is surely
  // static: strides of a dynamic dim would overflow.
  if (!denseOperand(adaptor.getInput()))
    return {};
  SmallVector<int64_t> strides = getStrides(getInput().getType().getShape());
  return moveElements(getType(), adaptor.getInput(),
                      [&](ArrayRef<int64_t> index) {
                        int64_t linear = 0;
                        for (size_t i = 0; i < perm.size(); ++i)
                          linear += index[i] * strides[perm[i]];
                        return linear;
                      });
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = ifSameType(getInput(), getResult()))
    return r;
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  RankedTensorType type = foldableType(getType());
  if (!input || !type)
    return {};
  auto map = broadcastMap(input.getType().getShape(), type.getShape());
  if (failed(map))
    return {};
  SmallVector<int64_t> strides = getStrides(type.getShape());
  return moveElements(type, input, [&](ArrayRef<int64_t> index) {
    return (*map)[linearize(index, strides)];
  });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto input = getInput().getType();
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  if (static_cast<int64_t>(starts.size()) != input.getRank() ||
      static_cast<int64_t>(steps.size()) != input.getRank() ||
      static_cast<int64_t>(getSizes().size()) != input.getRank())
    return {};
  if (llvm::all_of(starts, [](int64_t s) { return s == 0; }) &&
      llvm::all_of(steps, [](int64_t s) { return s == 1; }) &&
      input.hasStaticShape() && getSizes() == input.getShape())
    return ifSameType(getInput(), getResult());
  // As in TransposeOp::fold: strides only for a constant (static) input.
  if (!denseOperand(adaptor.getInput()))
    return {};
  SmallVector<int64_t> strides = getStrides(input.getShape());
  return moveElements(
      getType(), adaptor.getInput(), [&](ArrayRef<int64_t> index) {
        int64_t linear = 0;
        for (size_t d = 0; d < index.size(); ++d)
          linear += (starts[d] + index[d] * steps[d]) * strides[d];
        return linear;
      });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return ifSameType(getInputs().front(), getResult());
  // Inputs empty along the axis add nothing (an empty key/value past
  // concatenated before the new keys): one non-empty input is the result.
  Value nonEmpty;
  unsigned nonEmptyCount = 0;
  for (Value input : getInputs()) {
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    int64_t axis = getAxis() < 0 && inputType ? getAxis() + inputType.getRank()
                                              : getAxis();
    if (!inputType || axis < 0 || axis >= inputType.getRank() ||
        inputType.getDimSize(axis) != 0) {
      nonEmpty = input;
      ++nonEmptyCount;
    }
  }
  if (nonEmptyCount == 1)
    return ifSameType(nonEmpty, getResult());
  RankedTensorType type = foldableType(getType());
  if (!type)
    return {};
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute operand : adaptor.getInputs()) {
    DenseElementsAttr input = denseOperand(operand);
    if (!input || input.getType().getRank() != type.getRank())
      return {};
    inputs.push_back(input);
  }
  // Row-major, the result is, for each outer index, the concatenation of
  // each input's contiguous chunk of dim(axis) * inner elements.
  int64_t axis = getAxis();
  ArrayRef<int64_t> shape = type.getShape();
  if (axis < 0 || axis >= type.getRank())
    return {};
  int64_t outer = ShapedType::getNumElements(shape.take_front(axis));
  int64_t inner = ShapedType::getNumElements(shape.drop_front(axis + 1));
  SmallVector<std::pair<unsigned, int64_t>> picks;
  picks.reserve(type.getNumElements());
  for (int64_t o = 0; o < outer; ++o) {
    for (auto [k, input] : llvm::enumerate(inputs)) {
      int64_t chunk = input.getType().getDimSize(axis) * inner;
      for (int64_t e = 0; e < chunk; ++e)
        picks.push_back({static_cast<unsigned>(k), o * chunk + e});
    }
  }
  if (static_cast<int64_t>(picks.size()) != type.getNumElements())
    return {};
  return pickElements(type, inputs, picks);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr data = denseOperand(adaptor.getData());
  DenseElementsAttr indices = denseOperand(adaptor.getIndices());
  RankedTensorType type = foldableType(getType());
  if (!data || !indices || !type)
    return {};
  ArrayRef<int64_t> shape = data.getType().getShape();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
    return {};
  int64_t dim = shape[axis];
  int64_t inner = ShapedType::getNumElements(shape.drop_front(axis + 1));
  bool isUnsigned = isUnsignedElement(indices.getElementType());
  // Negative indices count from the end; out-of-range ones do not fold.
  SmallVector<int64_t> wrapped;
  for (const APInt &i : indices.getValues<APInt>()) {
    int64_t index =
        isUnsigned ? static_cast<int64_t>(i.getZExtValue()) : i.getSExtValue();
    if (index < 0)
      index += dim;
    if (index < 0 || index >= dim)
      return {};
    wrapped.push_back(index);
  }
  int64_t numIndices = wrapped.size();
  int64_t outer = ShapedType::getNumElements(shape.take_front(axis));
  if (type.getNumElements() != outer * numIndices * inner)
    return {};
  SmallVector<std::pair<unsigned, int64_t>> picks;
  picks.reserve(type.getNumElements());
  for (int64_t r = 0, e = type.getNumElements(); r < e; ++r) {
    int64_t in = r % inner, j = (r / inner) % numIndices,
            o = r / inner / numIndices;
    picks.push_back({0, (o * dim + wrapped[j]) * inner + in});
  }
  return pickElements(type, {data}, picks);
}

OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  auto input = getInput().getType();
  if (input.getRank() < 2)
    return {};
  int64_t rows = input.getDimSize(input.getRank() - 2);
  int64_t cols = input.getDimSize(input.getRank() - 1);
  int64_t k = getK();
  // Kept elements satisfy col - row >= k (upper) or <= k (lower).
  auto keep = [&](int64_t row, int64_t col) {
    return getUpper() ? col - row >= k : col - row <= k;
  };
  if (!ShapedType::isDynamic(rows) && !ShapedType::isDynamic(cols) &&
      (rows == 0 || cols == 0 || (keep(rows - 1, 0) && keep(0, cols - 1))))
    return getInput();
  // As in TransposeOp::fold: strides only for a constant (static) input.
  if (!denseOperand(adaptor.getInput()))
    return {};
  SmallVector<int64_t> strides = getStrides(input.getShape());
  return moveElements(
      getType(), adaptor.getInput(),
      [&](ArrayRef<int64_t> index) -> int64_t {
        size_t rank = index.size();
        if (!keep(index[rank - 2], index[rank - 1]))
          return -1;
        return linearize(index, strides);
      },
      /*mayZero=*/true);
}
