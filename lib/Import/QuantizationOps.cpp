//===- QuantizationOps.cpp - QuantizeLinear, DequantizeLinear, integer MatMul //
//
// Quantize and dequantize become whittle.quantize / whittle.dequantize with
// their scale and zero point reshaped to broadcast against the data (one
// value per tensor, or per channel along `axis`). The integer matmuls are
// spelled out exactly as ONNX defines them: widen to i32, subtract the zero
// points, an i32 matmul, and for QLinearMatMul the float requantization.
// whittle-fold-quantization later recognizes these forms.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"
#include "TensorImport.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// Reshapes a quantization parameter (scale or zero point) of the data `x`
/// so that it broadcasts: a scalar or a one-element tensor applies to the
/// whole tensor, a 1-D tensor of the size of `x`'s dim `axis` to that dim.
ParseResult broadcastParam(NodeBinder &b, Value x, Value &param, int64_t axis,
                           StringRef what) {
  RankedTensorType type = NodeBinder::typeOf(param);
  int64_t rank = NodeBinder::rank(x);
  if (type.getRank() == 0)
    return success();
  if (type.getRank() != 1)
    return b.error() << what << " must be a scalar or 1-D (blocked "
                     << "quantization with block_size is not supported)";
  if (type.hasStaticShape() && type.getNumElements() == 1)
    return b.create<ReshapeOp>(param, param,
                               b.getBuilder().getDenseI64ArrayAttr({}));
  int64_t normalized;
  if (b.normalizeAxis(axis, rank, normalized))
    return failure();
  int64_t channels = NodeBinder::typeOf(x).getDimSize(normalized);
  if (ShapedType::isDynamic(type.getDimSize(0)) ||
      ShapedType::isDynamic(channels))
    return b.error() << "per-axis " << what
                     << " needs static shapes; set --input-shape";
  if (type.getDimSize(0) != channels)
    return b.error() << what << " has " << type.getDimSize(0)
                     << " values but axis " << axis << " has " << channels;
  SmallVector<int64_t> shape(rank, 1);
  shape[normalized] = channels;
  return b.create<ReshapeOp>(param, param,
                             b.getBuilder().getDenseI64ArrayAttr(shape));
}

/// block_size (opset 21) other than 0 is blocked quantization.
ParseResult rejectBlocked(NodeBinder &b) {
  int64_t blockSize;
  if (b.attr("block_size", blockSize, 0))
    return failure();
  if (blockSize != 0)
    return b.error() << "blocked quantization (block_size " << blockSize
                     << ") is not supported";
  return success();
}

LogicalResult importQuantizeLinear(NodeBinder &b) {
  Value x, scale, zeroPoint, y;
  int64_t axis, outputDtype;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.optionalTensor(2, zeroPoint) ||
      b.attr("axis", axis, 1) || b.attr("output_dtype", outputDtype, 0) ||
      rejectBlocked(b))
    return failure();
  if (!zeroPoint) {
    // Without a zero point the result is uint8 unless output_dtype says.
    Type elt = outputDtype
                   ? convertElementType(*b.getContext(), outputDtype)
                   : IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    if (!elt || !elt.isInteger() || elt.isInteger(1))
      return b.error() << "unsupported output_dtype "
                       << elementTypeName(outputDtype);
    zeroPoint = b.scalarConstant(elt, 0);
  }
  if (!isa<IntegerType>(NodeBinder::elementType(zeroPoint)))
    return b.error() << "only integer quantized types are supported (zero "
                        "point of type "
                     << NodeBinder::elementType(zeroPoint) << ")";
  if (broadcastParam(b, x, scale, axis, "y_scale") ||
      broadcastParam(b, x, zeroPoint, axis, "y_zero_point") ||
      b.create<QuantizeOp>(y, x, scale, zeroPoint))
    return failure();
  return b.setResults(y);
}

LogicalResult importDequantizeLinear(NodeBinder &b) {
  Value x, scale, zeroPoint, y;
  int64_t axis;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.optionalTensor(2, zeroPoint) ||
      b.attr("axis", axis, 1) || rejectBlocked(b))
    return failure();
  Type elt = NodeBinder::elementType(x);
  if (!isa<IntegerType>(elt) || elt.isInteger(1))
    return b.error() << "only integer quantized types are supported (input "
                        "of type "
                     << elt << ")";
  if (!zeroPoint)
    zeroPoint = b.scalarConstant(elt, 0);
  if (broadcastParam(b, x, scale, axis, "x_scale") ||
      broadcastParam(b, x, zeroPoint, axis, "x_zero_point") ||
      b.create<DequantizeOp>(y, x, scale, zeroPoint))
    return failure();
  return b.setResults(y);
}

/// y_scale = (max(x, 0) - min(x, 0)) / 255 and the uint8 zero point that maps
/// 0 exactly (round(-min / y_scale), saturated), then y = quantize(x).
LogicalResult importDynamicQuantizeLinear(NodeBinder &b) {
  Value x;
  if (b.tensor(0, x))
    return failure();
  if (!NodeBinder::elementType(x).isF32())
    return b.error() << "expects a float32 input";
  OpBuilder &builder = b.getBuilder();
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < NodeBinder::rank(x); ++i)
    all.push_back(i);
  Type f32 = builder.getF32Type();
  Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  Value zero = b.scalarConstant(f32, 0), levels = b.scalarConstant(f32, 255);
  Value zeroU8 = b.scalarConstant(u8, 0);
  Value max, min, negMin, range, scale, zeroPoint, y;
  auto axes = builder.getDenseI64ArrayAttr(all);
  auto noKeep = builder.getBoolAttr(false);
  if (b.create<ReduceMaxOp>(max, x, axes, noKeep) ||
      b.create<MaxOp>(max, max, zero) ||
      b.create<ReduceMinOp>(min, x, axes, noKeep) ||
      b.create<MinOp>(min, min, zero) || b.create<NegOp>(negMin, min) ||
      b.create<SubOp>(range, max, min) ||
      b.create<DivOp>(scale, range, levels) ||
      b.create<QuantizeOp>(zeroPoint, negMin, scale, zeroU8) ||
      b.create<QuantizeOp>(y, x, scale, zeroPoint))
    return failure();
  return b.setResults({y, scale, zeroPoint});
}

/// `v` widened to i32 minus its zero point; a 1-D zero point of the left
/// operand is per row (one value per row of the last two dims), of the right
/// operand per column.
ParseResult centeredI32(NodeBinder &b, Value v, Value zeroPoint, bool isLhs,
                        Value &out) {
  OpBuilder &builder = b.getBuilder();
  TypeAttr i32 = TypeAttr::get(builder.getI32Type());
  if (b.create<CastOp>(out, v, i32))
    return failure();
  if (!zeroPoint)
    return success();
  if (NodeBinder::elementType(zeroPoint) != NodeBinder::elementType(v))
    return b.error() << "zero point and data element types differ";
  RankedTensorType zpType = NodeBinder::typeOf(zeroPoint);
  if (zpType.getRank() > 1)
    return b.error() << "zero points must be scalars or 1-D";
  if (zpType.getRank() == 1 && zpType.getDimSize(0) != 1) {
    int64_t rank = NodeBinder::rank(v);
    if (isLhs && rank >= 2 &&
        b.create<ReshapeOp>(
            zeroPoint, zeroPoint,
            builder.getDenseI64ArrayAttr({zpType.getDimSize(0), 1})))
      return failure();
  }
  Value zp;
  return failure(b.create<CastOp>(zp, zeroPoint, i32) ||
                 b.create<SubOp>(out, out, zp));
}

LogicalResult importMatMulInteger(NodeBinder &b) {
  Value lhs, rhs, lhsZp, rhsZp, y;
  if (b.tensor(0, lhs) || b.tensor(1, rhs) || b.optionalTensor(2, lhsZp) ||
      b.optionalTensor(3, rhsZp) ||
      centeredI32(b, lhs, lhsZp, /*isLhs=*/true, lhs) ||
      centeredI32(b, rhs, rhsZp, /*isLhs=*/false, rhs) ||
      b.create<MatMulOp>(y, lhs, rhs))
    return failure();
  return b.setResults(y);
}

/// y = saturate(round(acc * (a_scale * b_scale / y_scale)) + y_zero_point)
/// with acc the exact i32 product of the centered operands.
LogicalResult importQLinearMatMul(NodeBinder &b) {
  Value a, aScale, aZp, bMat, bScale, bZp, yScale, yZp;
  if (b.tensor(0, a) || b.tensor(1, aScale) || b.tensor(2, aZp) ||
      b.tensor(3, bMat) || b.tensor(4, bScale) || b.tensor(5, bZp) ||
      b.tensor(6, yScale) || b.tensor(7, yZp))
    return failure();
  OpBuilder &builder = b.getBuilder();
  Value acc, accF, multiplier, scaled, y;
  if (centeredI32(b, a, aZp, /*isLhs=*/true, a) ||
      centeredI32(b, bMat, bZp, /*isLhs=*/false, bMat) ||
      b.create<MatMulOp>(acc, a, bMat) ||
      b.create<CastOp>(accF, acc, TypeAttr::get(builder.getF32Type())) ||
      b.create<MulOp>(multiplier, aScale, bScale) ||
      b.create<DivOp>(multiplier, multiplier, yScale) ||
      b.create<MulOp>(scaled, accF, multiplier))
    return failure();
  RankedTensorType zpType = NodeBinder::typeOf(yZp);
  if (zpType.getRank() > 1 ||
      (zpType.getRank() == 1 && zpType.getDimSize(0) != 1 &&
       zpType.getDimSize(0) != NodeBinder::typeOf(scaled).getShape().back()))
    return b.error() << "y_zero_point must be a scalar or per column";
  if (zpType.getRank() == 1 && zpType.getDimSize(0) == 1 &&
      b.create<ReshapeOp>(yZp, yZp, builder.getDenseI64ArrayAttr({})))
    return failure();
  Value one = b.scalarConstant(builder.getF32Type(), 1);
  if (b.create<QuantizeOp>(y, scaled, one, yZp))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerQuantizationOps(OpRegistry &r) {
  const char *qNotes = "integer types; per tensor or per axis (block_size "
                       "unsupported)";
  for (int64_t since : {13, 19, 21}) {
    r.add("", "QuantizeLinear", since, importQuantizeLinear, "quantize",
          qNotes);
    r.add("", "DequantizeLinear", since, importDequantizeLinear, "dequantize",
          qNotes);
  }
  r.add("", "DynamicQuantizeLinear", 11, importDynamicQuantizeLinear,
        "quantize", "float32 input");
  r.add("", "MatMulInteger", 10, importMatMulInteger, "matmul",
        "scalar, per-row (A) and per-column (B) zero points");
  r.add("", "QLinearMatMul", 10, importQLinearMatMul, "matmul",
        "per-tensor a; per-tensor or per-column b and y");
  r.add("", "QLinearMatMul", 21, importQLinearMatMul, "matmul",
        "per-tensor a; per-tensor or per-column b and y");
}
