//===- WhittleOps.cpp - whittle op verifiers and type inference -----------===//

#include "whittle/Dialect/Whittle.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace whittle;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

static RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static LogicalResult inferError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    mlir::emitError(*loc) << msg;
  return failure();
}

std::string whittle::nodeNameOf(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

LogicalResult whittle::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                       SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) {
      result[i] = db;
    } else if (db == 1) {
      result[i] = da;
    } else if (ShapedType::isDynamic(da)) {
      result[i] = db;
    } else if (ShapedType::isDynamic(db) || da == db) {
      result[i] = da;
    } else {
      return failure();
    }
  }
  return success();
}

bool whittle::areCompatibleReturnTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [i, a] : llvm::zip(inferred, actual)) {
    auto ti = dyn_cast<RankedTensorType>(i);
    auto ta = dyn_cast<RankedTensorType>(a);
    if (!ti || !ta) {
      if (i != a)
        return false;
      continue;
    }
    if (ti.getElementType() != ta.getElementType() ||
        failed(verifyCompatibleShape(ti.getShape(), ta.getShape())))
      return false;
  }
  return true;
}

static RankedTensorType withShape(RankedTensorType t, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, t.getElementType());
}

/// Axes lists must be sorted, unique and within [0, rank).
static LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes,
                                int64_t rank, StringRef what = "axes") {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return op->emitOpError() << what << " entry " << axes[i]
                               << " is out of range for rank " << rank;
    if (i > 0 && axes[i] <= axes[i - 1])
      return op->emitOpError() << what << " must be sorted and unique";
  }
  return success();
}

/// A single axis must lie in [0, rank).
static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

static std::optional<SmallVector<int64_t>> constantIntValues(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &x : attr.getValues<APInt>())
    values.push_back(x.getSExtValue());
  return values;
}

static std::optional<double> constantScalar(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
    return std::nullopt;
  if (isa<FloatType>(attr.getElementType()))
    return (*attr.getValues<APFloat>().begin()).convertToDouble();
  return static_cast<double>((*attr.getValues<APInt>().begin()).getSExtValue());
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (getShape().getType().getRank() != 1)
    return emitOpError("shape must be a 1-D tensor");
  return success();
}

LogicalResult
ConstantOfShapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &types) {
  auto shapeType = rankedType(adaptor.getShape());
  if (shapeType.getRank() != 1)
    return inferError(loc, "shape must be a 1-D tensor");
  Type elementType = adaptor.getValue().getType();
  if (!isa<IntegerType, FloatType>(elementType))
    return inferError(loc, "value must be an integer or float scalar");
  SmallVector<int64_t> shape;
  if (auto values = constantIntValues(adaptor.getShape())) {
    shape = *values;
    if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
      return inferError(loc, "shape entries must be non-negative");
  } else if (shapeType.hasStaticShape())
    shape.assign(shapeType.getDimSize(0), ShapedType::kDynamic);
  else
    return inferError(loc, "shape operand must have a static length");
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  int64_t rank = rankedType(adaptor.getInput()).getRank();
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(adaptor.getStart());
  int64_t end = adaptor.getEnd() ? clampIndex(*adaptor.getEnd()) : rank;
  types.push_back(RankedTensorType::get({std::max<int64_t>(end - start, 0)},
                                        IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult RangeOp::verify() {
  for (Value v : getOperands())
    if (rankedType(v).getRank() != 0)
      return emitOpError("start, limit and delta must be scalars");
  Type elt = getStart().getType().getElementType();
  if (getLimit().getType().getElementType() != elt ||
      getDelta().getType().getElementType() != elt)
    return emitOpError("start, limit and delta must have one element type");
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type elt = rankedType(adaptor.getStart()).getElementType();
  int64_t size = ShapedType::kDynamic;
  auto start = constantScalar(adaptor.getStart());
  auto limit = constantScalar(adaptor.getLimit());
  auto delta = constantScalar(adaptor.getDelta());
  if (start && limit && delta) {
    if (*delta == 0)
      return inferError(loc, "range delta must not be zero");
    size = std::max<int64_t>(
        0, static_cast<int64_t>(std::ceil((*limit - *start) / *delta)));
  }
  types.push_back(RankedTensorType::get({size}, elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(std::optional<Location> loc,
                                    ValueRange operands, Type elementType,
                                    SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape;
  for (Value v : operands) {
    SmallVector<int64_t> next;
    if (failed(broadcastShapes(shape, rankedType(v).getShape(), next)))
      return inferError(loc, "operand shapes are not broadcast-compatible");
    shape = std::move(next);
  }
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

static LogicalResult verifyBinary(Operation *op, bool requireBool) {
  Type lhs = rankedType(op->getOperand(0)).getElementType();
  Type rhs = rankedType(op->getOperand(1)).getElementType();
  if (lhs != rhs)
    return op->emitOpError("operand element types differ: ")
           << lhs << " vs " << rhs;
  if (requireBool && !lhs.isInteger(1))
    return op->emitOpError("operands must be i1 tensors");
  return success();
}

#define WHITTLE_BINARY_OP(OP, BOOL)                                            \
  LogicalResult OP::verify() { return verifyBinary(*this, BOOL); }             \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcast(loc, adaptor.getOperands(),                          \
                          rankedType(adaptor.getLhs()).getElementType(),       \
                          types);                                              \
  }
WHITTLE_BINARY_OP(AddOp, false)
WHITTLE_BINARY_OP(SubOp, false)
WHITTLE_BINARY_OP(MulOp, false)
WHITTLE_BINARY_OP(DivOp, false)
WHITTLE_BINARY_OP(PowOp, false)
WHITTLE_BINARY_OP(MinOp, false)
WHITTLE_BINARY_OP(MaxOp, false)
WHITTLE_BINARY_OP(ModOp, false)
WHITTLE_BINARY_OP(AndOp, true)
WHITTLE_BINARY_OP(OrOp, true)
#undef WHITTLE_BINARY_OP

#define WHITTLE_COMPARE_OP(OP)                                                 \
  LogicalResult OP::verify() { return verifyBinary(*this, false); }            \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcast(loc, adaptor.getOperands(),                          \
                          IntegerType::get(ctx, 1), types);                    \
  }
WHITTLE_COMPARE_OP(EqualOp)
WHITTLE_COMPARE_OP(LessOp)
WHITTLE_COMPARE_OP(LessEqualOp)
WHITTLE_COMPARE_OP(GreaterOp)
WHITTLE_COMPARE_OP(GreaterEqualOp)
#undef WHITTLE_COMPARE_OP

// Ops whose result type is their first operand's type (ops with the
// SameOperandsAndResultType trait get this from ODS).
#define WHITTLE_SAME_TYPE_OP(OP)                                               \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    types.push_back(adaptor.getOperands().front().getType());                  \
    return success();                                                          \
  }
WHITTLE_SAME_TYPE_OP(LayerNormOp)
#undef WHITTLE_SAME_TYPE_OP

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() &&
      getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError("min must not exceed max");
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(
      withShape(RankedTensorType::get(rankedType(adaptor.getInput()).getShape(),
                                      adaptor.getTo()),
                rankedType(adaptor.getInput()).getShape()));
  return success();
}

LogicalResult WhereOp::verify() {
  if (getX().getType().getElementType() != getY().getType().getElementType())
    return emitOpError("x and y must have one element type");
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferBroadcast(loc, adaptor.getOperands(),
                        rankedType(adaptor.getX()).getElementType(), types);
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// Scale and zero point must broadcast to the quantized tensor without
/// growing it; blocked ones have one value per block along `blockAxis`.
static LogicalResult verifyQuantParams(Operation *op, ShapedType data,
                                       ShapedType scale, ShapedType zeroPoint,
                                       int64_t blockSize = 0,
                                       int64_t blockAxis = 0) {
  if (blockSize < 0)
    return op->emitOpError("block_size must not be negative");
  if (blockSize > 0) {
    if (blockAxis < 0 || blockAxis >= data.getRank())
      return op->emitOpError("block_axis out of range");
    for (ShapedType param : {scale, zeroPoint}) {
      if (param.getRank() != data.getRank())
        return op->emitOpError("blocked scale and zero point must have the "
                               "input's rank");
      for (int64_t d = 0; d < data.getRank(); ++d) {
        int64_t size = data.getDimSize(d), p = param.getDimSize(d);
        if (ShapedType::isDynamic(size) || ShapedType::isDynamic(p))
          continue;
        int64_t expected =
            d == blockAxis ? llvm::divideCeil(size, blockSize) : size;
        if (p != expected && !(d != blockAxis && p == 1))
          return op->emitOpError("blocked scale and zero point need ")
                 << expected << " values along dim " << d << ", not " << p;
      }
    }
    return success();
  }
  for (ShapedType param : {scale, zeroPoint}) {
    SmallVector<int64_t> shape;
    if (param.getRank() > data.getRank() ||
        failed(broadcastShapes(data.getShape(), param.getShape(), shape)) ||
        failed(verifyCompatibleShape(shape, data.getShape())))
      return op->emitOpError("scale and zero point must broadcast to the "
                             "input's shape");
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (getResult().getType().getElementType() !=
      getZeroPoint().getType().getElementType())
    return emitOpError("result and zero point element types differ");
  if (getZeroPoint().getType().getElementType().isInteger(1))
    return emitOpError("cannot quantize to i1");
  return verifyQuantParams(*this, getInput().getType(), getScale().getType(),
                           getZeroPoint().getType());
}

LogicalResult QuantizeOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  types.push_back(RankedTensorType::get(
      input.getShape(), rankedType(adaptor.getZeroPoint()).getElementType()));
  return success();
}

LogicalResult DequantizeOp::verify() {
  if (getInput().getType().getElementType() !=
      getZeroPoint().getType().getElementType())
    return emitOpError("input and zero point element types differ");
  if (getResult().getType().getElementType() !=
      getScale().getType().getElementType())
    return emitOpError("result and scale element types differ");
  return verifyQuantParams(*this, getInput().getType(), getScale().getType(),
                           getZeroPoint().getType(), getBlockSize(),
                           getBlockAxis());
}

LogicalResult DequantizeOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location>,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  types.push_back(RankedTensorType::get(
      input.getShape(), rankedType(adaptor.getScale()).getElementType()));
  return success();
}

LogicalResult QuantizedMatMulOp::verify() {
  auto rhs = getRhs().getType();
  if (rhs.getRank() != 2)
    return emitOpError("the integer weight must be 2-D");
  if (rhs.getElementType() != getZeroPoint().getType().getElementType())
    return emitOpError("weight and zero point element types differ");
  if (getLhs().getType().getElementType() !=
          getScale().getType().getElementType() ||
      getResult().getType().getElementType() !=
          getLhs().getType().getElementType())
    return emitOpError("activations, scale and result must have one float "
                       "type");
  return verifyQuantParams(*this, rhs, getScale().getType(),
                           getZeroPoint().getType(), getBlockSize(),
                           /*blockAxis=*/0);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

static LogicalResult inferMatMulShape(ArrayRef<int64_t> lhs,
                                      ArrayRef<int64_t> rhs,
                                      SmallVectorImpl<int64_t> &result,
                                      std::string &error) {
  if (lhs.empty() || rhs.empty()) {
    error = "matmul operands must have rank >= 1";
    return failure();
  }
  SmallVector<int64_t> a(lhs), b(rhs);
  bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
  if (lhsVector)
    a.insert(a.begin(), 1);
  if (rhsVector)
    b.push_back(1);
  int64_t k1 = a.back(), k2 = b[b.size() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2) {
    error = "contraction dimensions differ (" + std::to_string(k1) + " vs " +
            std::to_string(k2) + ")";
    return failure();
  }
  SmallVector<int64_t> batch;
  if (failed(broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2),
                             batch))) {
    error = "batch dimensions are not broadcast-compatible";
    return failure();
  }
  result.assign(batch.begin(), batch.end());
  if (!lhsVector)
    result.push_back(a[a.size() - 2]);
  if (!rhsVector)
    result.push_back(b.back());
  return success();
}

LogicalResult MatMulOp::verify() {
  if (getLhs().getType().getElementType() !=
      getRhs().getType().getElementType())
    return emitOpError("operand element types differ");
  return success();
}

/// Numpy matmul's result: the lhs element type in the broadcast shape.
static LogicalResult inferMatMulResult(std::optional<Location> loc, Value lhs,
                                       Value rhs,
                                       SmallVectorImpl<Type> &types) {
  auto lhsType = rankedType(lhs);
  SmallVector<int64_t> shape;
  std::string error;
  if (failed(inferMatMulShape(lhsType.getShape(), rankedType(rhs).getShape(),
                              shape, error)))
    return inferError(loc, error);
  types.push_back(withShape(lhsType, shape));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferMatMulResult(loc, adaptor.getLhs(), adaptor.getRhs(), types);
}

LogicalResult
QuantizedMatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &types) {
  return inferMatMulResult(loc, adaptor.getLhs(), adaptor.getRhs(), types);
}

LogicalResult IntegerMatMulOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  for (Type t : {lhs.getElementType(), rhs.getElementType()})
    if (t.getIntOrFloatBitWidth() != 8)
      return emitOpError("operands must be 8-bit integers");
  if (lhs.getRank() < 2 || rhs.getRank() != 2)
    return emitOpError("expects lhs [..., M, K] and a 2-D rhs [K, N]");
  if (getLhsZeroPoint().getType().getElementType() != lhs.getElementType() ||
      getRhsZeroPoint().getType().getElementType() != rhs.getElementType())
    return emitOpError("zero points must have their operand's element type");
  // A scalar, or one per row: [..., M, 1].
  auto lhsZp = getLhsZeroPoint().getType();
  if (lhsZp.getRank() != 0 &&
      (lhsZp.getRank() != lhs.getRank() || lhsZp.getShape().back() != 1 ||
       failed(verifyCompatibleShape(lhsZp.getShape().drop_back(),
                                    lhs.getShape().drop_back()))))
    return emitOpError("the lhs zero point must be a scalar or one per row");
  auto rhsZp = getRhsZeroPoint().getType();
  if (rhsZp.getRank() > 1 ||
      (rhsZp.getRank() == 1 &&
       failed(verifyCompatibleShape(rhsZp.getShape(), {rhs.getDimSize(1)}))))
    return emitOpError("the rhs zero point must be a scalar or one per column");
  if (!getResult().getType().getElementType().isInteger(32))
    return emitOpError("result must be i32");
  return success();
}

LogicalResult IntegerMatMulOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto lhs = rankedType(adaptor.getLhs()), rhs = rankedType(adaptor.getRhs());
  SmallVector<int64_t> shape;
  std::string error;
  if (failed(inferMatMulShape(lhs.getShape(), rhs.getShape(), shape, error)))
    return inferError(loc, error);
  types.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult GemmOp::verify() {
  if (getA().getType().getRank() != 2 || getB().getType().getRank() != 2)
    return emitOpError("A and B must be 2-D");
  if (getA().getType().getElementType() != getB().getType().getElementType())
    return emitOpError("operand element types differ");
  auto result = getResult().getType();
  if (Value c = getC()) {
    SmallVector<int64_t> shape;
    if (failed(broadcastShapes(result.getShape(), rankedType(c).getShape(),
                               shape)) ||
        failed(verifyCompatibleShape(shape, result.getShape())))
      return emitOpError("C is not broadcastable to the result shape");
  }
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = rankedType(adaptor.getA()), b = rankedType(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return inferError(loc, "gemm operands must be 2-D");
  int64_t m = adaptor.getTransA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = adaptor.getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = adaptor.getTransB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = adaptor.getTransB() ? b.getDimSize(0) : b.getDimSize(1);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return inferError(loc, "gemm contraction dimensions differ");
  types.push_back(withShape(a, {m, n}));
  return success();
}

LogicalResult ConvOp::verify() {
  auto input = getInput().getType(), weight = getWeight().getType();
  if (input.getRank() != 4 || weight.getRank() != 4)
    return emitOpError("only 2-D convolution (rank-4 input and weight) is "
                       "supported");
  if (getStrides().size() != 2 || getDilations().size() != 2 ||
      getPads().size() != 4)
    return emitOpError("expects 2 strides, 2 dilations and 4 pads");
  if (getGroup() < 1)
    return emitOpError("group must be positive");
  int64_t c = input.getDimSize(1), wc = weight.getDimSize(1);
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(wc) &&
      c != wc * getGroup())
    return emitOpError("input channels ")
           << c << " do not match weight channels " << wc << " x group "
           << getGroup();
  if (Value bias = getBias()) {
    auto bt = rankedType(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != weight.getDimSize(0))
      return emitOpError("bias must be 1-D with one entry per filter");
  }
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  auto weight = rankedType(adaptor.getWeight());
  if (input.getRank() != 4 || weight.getRank() != 4 ||
      adaptor.getStrides().size() != 2 || adaptor.getDilations().size() != 2 ||
      adaptor.getPads().size() != 4)
    return inferError(loc, "malformed 2-D convolution");
  SmallVector<int64_t> shape = {input.getDimSize(0), weight.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    int64_t in = input.getDimSize(2 + i), k = weight.getDimSize(2 + i);
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t padded = in + adaptor.getPads()[i] + adaptor.getPads()[i + 2];
    int64_t extent = adaptor.getDilations()[i] * (k - 1) + 1;
    if (padded < extent || adaptor.getStrides()[i] < 1)
      return inferError(loc, "convolution window does not fit the input");
    shape.push_back((padded - extent) / adaptor.getStrides()[i] + 1);
  }
  types.push_back(withShape(input, shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

static SmallVector<int64_t>
reducedShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes, bool keepdims) {
  SmallVector<int64_t> result;
  for (int64_t i = 0, e = shape.size(); i < e; ++i) {
    if (!llvm::is_contained(axes, i))
      result.push_back(shape[i]);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

#define WHITTLE_REDUCE_OP(OP)                                                  \
  LogicalResult OP::verify() {                                                 \
    return verifyAxes(*this, getAxes(), getInput().getType().getRank());       \
  }                                                                            \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    auto input = rankedType(adaptor.getInput());                               \
    types.push_back(                                                           \
        withShape(input, reducedShape(input.getShape(), adaptor.getAxes(),     \
                                      adaptor.getKeepdims())));                \
    return success();                                                          \
  }
WHITTLE_REDUCE_OP(ReduceSumOp)
WHITTLE_REDUCE_OP(ReduceMeanOp)
WHITTLE_REDUCE_OP(ReduceMaxOp)
WHITTLE_REDUCE_OP(ReduceMinOp)
#undef WHITTLE_REDUCE_OP

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult LayerNormOp::verify() {
  auto input = getInput().getType();
  int64_t axis = getAxis();
  if (failed(verifyAxis(*this, axis, input.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (Value v : {getScale(), getBias()}) {
    if (!v)
      continue;
    SmallVector<int64_t> shape;
    if (failed(broadcastShapes(normalized, rankedType(v).getShape(), shape)) ||
        failed(verifyCompatibleShape(shape, normalized)))
      return emitOpError("scale and bias must broadcast to the normalized "
                         "shape");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = rankedType(adaptor.getQuery());
  auto v = rankedType(adaptor.getValue());
  if (q.getRank() != 4 || v.getRank() != 4)
    return inferError(loc, "query and value must be 4-D [batch, heads, "
                           "sequence, head_dim]");
  types.push_back(withShape(
      q, {q.getDimSize(0), q.getDimSize(1), q.getDimSize(2), v.getDimSize(3)}));
  return success();
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType();
  if (q.getRank() != 4 || v.getRank() != 4)
    return emitOpError("query and value must be 4-D [batch, heads, sequence, "
                       "head_dim]");
  if (k.getRank() != 4)
    return emitOpError("key must be 4-D [batch, kv_heads, sequence, "
                       "head_dim]");
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return emitOpError("query, key and value element types differ");
  auto conflict = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  if (conflict(q.getDimSize(0), k.getDimSize(0)) ||
      conflict(k.getDimSize(0), v.getDimSize(0)))
    return emitOpError("query, key and value batch sizes differ");
  if (conflict(k.getDimSize(1), v.getDimSize(1)) ||
      conflict(k.getDimSize(2), v.getDimSize(2)))
    return emitOpError("key and value differ in heads or sequence length");
  if (conflict(q.getDimSize(3), k.getDimSize(3)))
    return emitOpError("query and key head sizes differ");
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || hq % hkv != 0))
    return emitOpError("query heads (")
           << hq << ") are not a multiple of key/value heads (" << hkv << ")";
  if (Value position = getPosition()) {
    auto p = rankedType(position);
    if (p.getRank() != 1 || p.getDimSize(0) != 1)
      return emitOpError("position must be one i64 of shape [1]");
    if (!getCausal())
      return emitOpError("a position requires causal attention");
  }
  if (Value mask = getMask()) {
    auto m = rankedType(mask);
    if (m.getElementType() != q.getElementType())
      return emitOpError("mask element type differs from the query's");
    SmallVector<int64_t> scores = {q.getDimSize(0), hq, q.getDimSize(2),
                                   k.getDimSize(2)};
    SmallVector<int64_t> shape;
    if (m.getRank() > 4 ||
        failed(broadcastShapes(scores, m.getShape(), shape)) ||
        failed(verifyCompatibleShape(shape, scores)))
      return emitOpError("mask does not broadcast to the scores' shape "
                         "[batch, heads, queries, keys]");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto input = getInput().getType();
  for (int64_t d : getShape())
    if (d < 0 && !ShapedType::isDynamic(d))
      return emitOpError("shape entries must be non-negative");
  if (input.hasStaticShape() && getResult().getType().hasStaticShape() &&
      input.getNumElements() != getResult().getType().getNumElements())
    return emitOpError("cannot reshape ")
           << input.getNumElements() << " elements into "
           << getResult().getType().getNumElements();
  return success();
}

/// Shape attributes may hold static sizes or kDynamic, nothing else negative.
static bool isValidShape(ArrayRef<int64_t> shape) {
  return llvm::all_of(
      shape, [](int64_t d) { return d >= 0 || ShapedType::isDynamic(d); });
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (!isValidShape(adaptor.getShape()))
    return inferError(loc, "reshape shape entries must be non-negative");
  types.push_back(
      withShape(rankedType(adaptor.getInput()), adaptor.getShape()));
  return success();
}

LogicalResult TransposeOp::verify() {
  SmallVector<int64_t> sorted(getPerm());
  llvm::sort(sorted);
  for (int64_t i = 0, e = sorted.size(); i < e; ++i)
    if (sorted[i] != i)
      return emitOpError("perm is not a permutation");
  if (static_cast<int64_t>(sorted.size()) != getInput().getType().getRank())
    return emitOpError("perm size does not match the input rank");
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  SmallVector<int64_t> shape;
  for (int64_t p : adaptor.getPerm()) {
    if (p < 0 || p >= input.getRank())
      return inferError(loc, "perm entry out of range");
    shape.push_back(input.getDimSize(p));
  }
  types.push_back(withShape(input, shape));
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  auto first = rankedType(getInputs().front());
  if (getAxis() < 0 || getAxis() >= first.getRank())
    return emitOpError("axis out of range");
  for (Value v : getInputs()) {
    auto t = rankedType(v);
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return emitOpError("inputs must share element type and rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != getAxis() && !ShapedType::isDynamic(t.getDimSize(d)) &&
          !ShapedType::isDynamic(first.getDimSize(d)) &&
          t.getDimSize(d) != first.getDimSize(d))
        return emitOpError("inputs differ in dimension ") << d;
  }
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return inferError(loc, "concat needs at least one input");
  auto first = rankedType(adaptor.getInputs().front());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return inferError(loc, "concat axis out of range");
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    if (rankedType(v).getRank() != first.getRank())
      return inferError(loc, "concat inputs must share rank");
    int64_t d = rankedType(v).getDimSize(axis);
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(shape[axis]))
      shape[axis] = ShapedType::kDynamic;
    else if (llvm::AddOverflow(shape[axis], d, shape[axis]))
      return inferError(loc, "concatenated dimension overflows 64 bits");
  }
  types.push_back(withShape(first, shape));
  return success();
}

LogicalResult SplitOp::verify() {
  auto input = getInput().getType();
  if (getAxis() < 0 || getAxis() >= input.getRank())
    return emitOpError("axis out of range");
  if (getSizes().size() != getNumResults())
    return emitOpError("one size per result expected");
  int64_t total = 0;
  for (int64_t s : getSizes()) {
    if (s < 0)
      return emitOpError("sizes must be non-negative");
    if (llvm::AddOverflow(total, s, total))
      return emitOpError("sizes overflow 64 bits");
  }
  int64_t dim = input.getDimSize(getAxis());
  if (!ShapedType::isDynamic(dim) && total != dim)
    return emitOpError("sizes add up to ")
           << total << " but the dimension is " << dim;
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return inferError(loc, "split axis out of range");
  if (!isValidShape(adaptor.getSizes()))
    return inferError(loc, "split sizes must be non-negative");
  for (int64_t size : adaptor.getSizes()) {
    SmallVector<int64_t> shape(input.getShape());
    shape[axis] = size;
    types.push_back(withShape(input, shape));
  }
  return success();
}

LogicalResult SliceOp::verify() {
  auto input = getInput().getType();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(getStarts().size()) != rank ||
      static_cast<int64_t>(getSizes().size()) != rank ||
      static_cast<int64_t>(getSteps().size()) != rank)
    return emitOpError("starts, sizes and steps need one entry per dimension");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t start = getStarts()[d], size = getSizes()[d], step = getSteps()[d];
    if (step == 0)
      return emitOpError("step must not be zero");
    if (size < 0)
      return emitOpError("size must be non-negative");
    int64_t dim = input.getDimSize(d);
    if (size == 0 || ShapedType::isDynamic(dim))
      continue;
    int64_t last = start + (size - 1) * step;
    if (start < 0 || start >= dim || last < 0 || last >= dim)
      return emitOpError("slice of dimension ") << d << " reads out of bounds";
  }
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  if (!isValidShape(adaptor.getSizes()))
    return inferError(loc, "slice sizes must be non-negative");
  types.push_back(
      withShape(rankedType(adaptor.getInput()), adaptor.getSizes()));
  return success();
}

LogicalResult GatherOp::verify() {
  int64_t rank = getData().getType().getRank();
  if (getAxis() < 0 || getAxis() >= rank)
    return emitOpError("axis out of range");
  // Constant indices are checked here, where the model is compiled; at run
  // time they are clamped. A position table shorter than the compiled
  // sequence shows up this way.
  int64_t size = getData().getType().getDimSize(getAxis());
  DenseIntElementsAttr indices;
  if (!ShapedType::isDynamic(size) &&
      matchPattern(getIndices(), m_Constant(&indices)))
    for (const APInt &index : indices.getValues<APInt>()) {
      int64_t i = index.getSExtValue();
      if (i < -size || i >= size)
        return emitOpError("index ") << i << " is out of range for axis "
                                     << getAxis() << " of size " << size;
    }
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = rankedType(adaptor.getData());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= data.getRank())
    return inferError(loc, "gather axis out of range");
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, rankedType(adaptor.getIndices()).getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  types.push_back(withShape(data, shape));
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto data = getData().getType(), indices = getIndices().getType();
  if (data.getRank() != indices.getRank())
    return emitOpError("indices must have the data's rank");
  if (failed(verifyAxis(*this, getAxis(), data.getRank())))
    return failure();
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != getAxis() && !ShapedType::isDynamic(data.getDimSize(d)) &&
        !ShapedType::isDynamic(indices.getDimSize(d)) &&
        indices.getDimSize(d) > data.getDimSize(d))
      return emitOpError("indices dimension ")
             << d << " is larger than the data's";
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location>,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  types.push_back(withShape(rankedType(adaptor.getData()),
                            rankedType(adaptor.getIndices()).getShape()));
  return success();
}

LogicalResult SqueezeOp::verify() {
  auto input = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), input.getRank())))
    return failure();
  for (int64_t a : getAxes())
    if (input.getDimSize(a) != 1 && !ShapedType::isDynamic(input.getDimSize(a)))
      return emitOpError("cannot squeeze dimension ")
             << a << " of size " << input.getDimSize(a);
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  types.push_back(withShape(
      input, reducedShape(input.getShape(), adaptor.getAxes(), false)));
  return success();
}

LogicalResult UnsqueezeOp::verify() {
  return verifyAxes(*this, getAxes(),
                    getInput().getType().getRank() + getAxes().size());
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  int64_t rank = input.getRank() + adaptor.getAxes().size();
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(adaptor.getAxes(), i))
      shape.push_back(1);
    else if (next < input.getRank())
      shape.push_back(input.getDimSize(next++));
  }
  types.push_back(withShape(input, shape));
  return success();
}

LogicalResult ExpandOp::verify() {
  SmallVector<int64_t> shape;
  if (failed(
          broadcastShapes(getInput().getType().getShape(), getShape(), shape)))
    return emitOpError("input is not broadcastable to the target shape");
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto input = rankedType(adaptor.getInput());
  SmallVector<int64_t> shape;
  if (!isValidShape(adaptor.getShape()) ||
      failed(broadcastShapes(input.getShape(), adaptor.getShape(), shape)))
    return inferError(loc, "input is not broadcastable to the target shape");
  types.push_back(withShape(input, shape));
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("input must have rank >= 2");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Whittle/WhittleOps.cpp.inc"
