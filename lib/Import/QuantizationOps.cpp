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

#include "llvm/Support/MathExtras.h"

#include <cstring>

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

/// Blocked (opset 21) parameters, one per `blockSize` elements of `x` along
/// `axis`, repeated to `x`'s extent there by a gather of block indices, so
/// that they broadcast like per-axis ones.
ParseResult repeatBlockedParam(NodeBinder &b, Value x, Value &param,
                               int64_t axis, int64_t blockSize,
                               StringRef what) {
  RankedTensorType xType = NodeBinder::typeOf(x),
                   pType = NodeBinder::typeOf(param);
  int64_t dim = xType.getDimSize(axis);
  if (pType.getRank() != xType.getRank() || ShapedType::isDynamic(dim) ||
      pType.isDynamicDim(axis) ||
      pType.getDimSize(axis) != llvm::divideCeil(dim, blockSize))
    return b.error() << what << " must have the input's rank and "
                     << "ceil(" << dim << " / " << blockSize
                     << ") values along axis " << axis;
  std::vector<char> indices(dim * sizeof(int64_t));
  for (int64_t i = 0; i < dim; ++i) {
    int64_t block = i / blockSize;
    std::memcpy(&indices[i * sizeof(int64_t)], &block, sizeof(int64_t));
  }
  OpBuilder &builder = b.getBuilder();
  FailureOr<ElementsAttr> attr = b.makeElements(
      RankedTensorType::get({dim}, builder.getI64Type()), indices,
      /*borrowed=*/false, (b.name() + "_" + what + "_blocks").str());
  if (failed(attr))
    return failure();
  return b.create<GatherOp>(param, param, b.constant(*attr),
                            builder.getI64IntegerAttr(axis));
}

LogicalResult importQuantizeLinear(NodeBinder &b) {
  Value x, scale, zeroPoint, y;
  int64_t axis, outputDtype, blockSize;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.optionalTensor(2, zeroPoint) ||
      b.attr("axis", axis, 1) || b.attr("output_dtype", outputDtype, 0) ||
      b.attr("block_size", blockSize, 0))
    return failure();
  if (blockSize < 0)
    return b.error() << "block_size must not be negative";
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
  if (blockSize) {
    int64_t normalized;
    bool hasZeroPoint = NodeBinder::rank(zeroPoint) > 0;
    if (b.normalizeAxis(axis, NodeBinder::rank(x), normalized) ||
        repeatBlockedParam(b, x, scale, normalized, blockSize, "y_scale") ||
        (hasZeroPoint && repeatBlockedParam(b, x, zeroPoint, normalized,
                                            blockSize, "y_zero_point")) ||
        b.create<QuantizeOp>(y, x, scale, zeroPoint))
      return failure();
    return b.setResults(y);
  }
  if (broadcastParam(b, x, scale, axis, "y_scale") ||
      broadcastParam(b, x, zeroPoint, axis, "y_zero_point") ||
      b.create<QuantizeOp>(y, x, scale, zeroPoint))
    return failure();
  return b.setResults(y);
}

LogicalResult importDequantizeLinear(NodeBinder &b) {
  Value x, scale, zeroPoint, y;
  int64_t axis, blockSize;
  if (b.tensor(0, x) || b.tensor(1, scale) || b.optionalTensor(2, zeroPoint) ||
      b.attr("axis", axis, 1) || b.attr("block_size", blockSize, 0))
    return failure();
  Type elt = NodeBinder::elementType(x);
  if (!isa<IntegerType>(elt) || elt.isInteger(1))
    return b.error() << "only integer quantized types are supported (input "
                        "of type "
                     << elt << ")";
  if (blockSize) {
    // Opset 21 blocked form: the parameters have the input's rank already.
    int64_t normalized;
    if (!zeroPoint) {
      auto shape = NodeBinder::typeOf(scale).getShape();
      if (ShapedType::isDynamicShape(shape))
        return b.error() << "blocked x_scale needs a static shape";
      Type zpType = RankedTensorType::get(shape, elt);
      FailureOr<ElementsAttr> zeros = b.makeElements(
          cast<RankedTensorType>(zpType),
          std::vector<char>(ShapedType::getNumElements(shape) *
                            std::max(1u, elt.getIntOrFloatBitWidth() / 8)),
          /*borrowed=*/false, "x_zero_point");
      if (failed(zeros))
        return failure();
      zeroPoint = b.constant(*zeros);
    }
    OpBuilder &builder = b.getBuilder();
    if (blockSize < 0)
      return b.error() << "block_size must not be negative";
    if (b.normalizeAxis(axis, NodeBinder::rank(x), normalized) ||
        b.create<DequantizeOp>(y, x, scale, zeroPoint,
                               builder.getI64IntegerAttr(blockSize),
                               builder.getI64IntegerAttr(normalized)))
      return failure();
    return b.setResults(y);
  }
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
ParseResult buildDynamicQuantize(NodeBinder &b, Value x, Value &y, Value &scale,
                                 Value &zeroPoint) {
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
  Value max, min, negMin, range;
  auto axes = builder.getDenseI64ArrayAttr(all);
  auto noKeep = builder.getBoolAttr(false);
  return failure(b.create<ReduceMaxOp>(max, x, axes, noKeep) ||
                 b.create<MaxOp>(max, max, zero) ||
                 b.create<ReduceMinOp>(min, x, axes, noKeep) ||
                 b.create<MinOp>(min, min, zero) ||
                 b.create<NegOp>(negMin, min) ||
                 b.create<SubOp>(range, max, min) ||
                 b.create<DivOp>(scale, range, levels) ||
                 b.create<QuantizeOp>(zeroPoint, negMin, scale, zeroU8) ||
                 b.create<QuantizeOp>(y, x, scale, zeroPoint));
}

LogicalResult importDynamicQuantizeLinear(NodeBinder &b) {
  Value x, y, scale, zeroPoint;
  if (b.tensor(0, x) || buildDynamicQuantize(b, x, y, scale, zeroPoint))
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

/// A zero point as whittle.integer_matmul takes it: rank 0 when it holds one
/// value (absent: zero), [N] when `perColumn` allows one per column, [M, 1]
/// when `perRow` allows one per row of a 2-D left operand. False when the
/// zero point has another shape.
bool integerMatMulZeroPoint(NodeBinder &b, Value data, Value &zeroPoint,
                            int64_t perColumn, int64_t perRow = 0) {
  if (!zeroPoint) {
    zeroPoint = b.scalarConstant(NodeBinder::elementType(data), 0);
    return true;
  }
  RankedTensorType type = NodeBinder::typeOf(zeroPoint);
  if (type.getRank() == 0)
    return true;
  if (type.getRank() != 1)
    return false;
  if (type.getDimSize(0) == 1)
    return !b.create<ReshapeOp>(zeroPoint, zeroPoint,
                                b.getBuilder().getDenseI64ArrayAttr({}));
  if (perRow > 0 && type.getDimSize(0) == perRow)
    return !b.create<ReshapeOp>(
        zeroPoint, zeroPoint, b.getBuilder().getDenseI64ArrayAttr({perRow, 1}));
  return perColumn > 0 && type.getDimSize(0) == perColumn;
}

/// The exact i32 product Σ (a − a_zero_point)(b − b_zero_point) of
/// MatMulInteger: whittle.integer_matmul for a weight-shaped right operand
/// (2-D), else a matmul of the centered i32 operands (batched right
/// operands, per-row zero points of a batched left one).
ParseResult buildIntegerProduct(NodeBinder &b, Value a, Value aZp, Value bMat,
                                Value bZp, Value &acc) {
  auto is8Bit = [](Value v) {
    return NodeBinder::elementType(v).getIntOrFloatBitWidth() == 8;
  };
  for (auto [data, zp] : {std::pair(a, aZp), std::pair(bMat, bZp)})
    if (zp && NodeBinder::elementType(zp) != NodeBinder::elementType(data))
      return b.error() << "zero point and data element types differ";
  Value aZp0 = aZp, bZp0 = bZp;
  if (NodeBinder::rank(a) >= 2 && NodeBinder::rank(bMat) == 2 && is8Bit(a) &&
      is8Bit(bMat) &&
      integerMatMulZeroPoint(
          b, a, aZp0, 0,
          NodeBinder::rank(a) == 2 ? NodeBinder::typeOf(a).getDimSize(0) : 0) &&
      integerMatMulZeroPoint(b, bMat, bZp0,
                             NodeBinder::typeOf(bMat).getDimSize(1)))
    return b.create<IntegerMatMulOp>(acc, a, bMat, aZp0, bZp0);
  return failure(centeredI32(b, a, aZp, /*isLhs=*/true, a) ||
                 centeredI32(b, bMat, bZp, /*isLhs=*/false, bMat) ||
                 b.create<MatMulOp>(acc, a, bMat));
}

LogicalResult importMatMulInteger(NodeBinder &b) {
  Value lhs, rhs, lhsZp, rhsZp, y;
  if (b.tensor(0, lhs) || b.tensor(1, rhs) || b.optionalTensor(2, lhsZp) ||
      b.optionalTensor(3, rhsZp) ||
      buildIntegerProduct(b, lhs, lhsZp, rhs, rhsZp, y))
    return failure();
  return b.setResults(y);
}

/// float(acc) * (a_scale * b_scale) (+ bias) with acc the exact i32 product
/// of the centered operands, as ONNX Runtime's integer matmuls with a float
/// output compute it.
ParseResult buildIntegerToFloat(NodeBinder &b, Value a, Value aZp, Value bMat,
                                Value bZp, Value aScale, Value bScale,
                                Value bias, Value &y) {
  OpBuilder &builder = b.getBuilder();
  Value acc, multiplier;
  return failure(
      buildIntegerProduct(b, a, aZp, bMat, bZp, acc) ||
      b.create<CastOp>(y, acc, TypeAttr::get(builder.getF32Type())) ||
      b.create<MulOp>(multiplier, aScale, bScale) ||
      b.create<MulOp>(y, y, multiplier) ||
      (bias && b.create<AddOp>(y, y, bias)));
}

/// com.microsoft MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zero_point,
/// b_zero_point, bias).
LogicalResult importMatMulIntegerToFloat(NodeBinder &b) {
  Value a, bMat, aScale, bScale, aZp, bZp, bias, y;
  if (b.tensor(0, a) || b.tensor(1, bMat) || b.tensor(2, aScale) ||
      b.tensor(3, bScale) || b.optionalTensor(4, aZp) ||
      b.optionalTensor(5, bZp) || b.optionalTensor(6, bias) ||
      buildIntegerToFloat(b, a, aZp, bMat, bZp, aScale, bScale, bias, y))
    return failure();
  return b.setResults(y);
}

/// com.microsoft DynamicQuantizeMatMul(A, B, b_scale, b_zero_point, bias):
/// A quantized as DynamicQuantizeLinear does, then MatMulIntegerToFloat.
LogicalResult importDynamicQuantizeMatMul(NodeBinder &b) {
  Value a, bMat, bScale, bZp, bias, aQ, aScale, aZp, y;
  if (b.tensor(0, a) || b.tensor(1, bMat) || b.tensor(2, bScale) ||
      b.optionalTensor(3, bZp) || b.optionalTensor(4, bias) ||
      buildDynamicQuantize(b, a, aQ, aScale, aZp) ||
      buildIntegerToFloat(b, aQ, aZp, bMat, bZp, aScale, bScale, bias, y))
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
  if (buildIntegerProduct(b, a, aZp, bMat, bZp, acc) ||
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

/// com.microsoft MatMulNBits: Y = A · dequantize(B)ᵀ (+ bias), B holding
/// `bits`-bit codes packed low-first along K in blocks of `block_size`, one
/// scale (and zero point, default 2^(bits-1)) per block and column. The
/// constant weight is unpacked at import into a [K, N] tensor of `bits`-bit
/// integers (stored one per byte) with [K / block_size, N] parameters and
/// becomes a blocked dequantize feeding a matmul, which
/// whittle-fold-quantization turns into a quantized matmul.
LogicalResult importMatMulNBits(NodeBinder &b) {
  Value a, packed, scales, zeroPoints, gIdx, bias;
  int64_t k, n, bits, blockSize, accuracyLevel;
  if (b.tensor(0, a) || b.tensor(1, packed) || b.tensor(2, scales) ||
      b.optionalTensor(3, zeroPoints) || b.optionalTensor(4, gIdx) ||
      b.optionalTensor(5, bias) || b.attr("K", k, 0) || b.attr("N", n, 0) ||
      b.attr("bits", bits, 4) || b.attr("block_size", blockSize, 0) ||
      b.attr("accuracy_level", accuracyLevel, 0))
    return failure();
  // accuracy_level is the lowest accuracy the model allows; computing in
  // float32 always satisfies it.
  if (bits != 4 && bits != 8)
    return b.error() << "bits must be 4 or 8, not " << bits;
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize))
    return b.error() << "block_size must be a power of two >= 16, not "
                     << blockSize;
  if (gIdx)
    return b.error() << "g_idx (act-order) is not supported";
  if (!NodeBinder::elementType(a).isF32() ||
      !NodeBinder::elementType(scales).isF32())
    return b.error() << "A and scales must be float32";
  if (k <= 0 || n <= 0 || NodeBinder::typeOf(a).getShape().back() != k)
    return b.error() << "A's last dim must equal K (" << k << ")";
  int64_t blocks = llvm::divideCeil(k, blockSize);
  int64_t blob = blockSize * bits / 8;
  std::vector<char> codes, scaleBytes, zpBytes;
  if (b.constantBytes(packed, "B", codes) ||
      b.constantBytes(scales, "scales", scaleBytes) ||
      (zeroPoints && b.constantBytes(zeroPoints, "zero_points", zpBytes)))
    return failure();
  if (codes.size() != size_t(n * blocks * blob) ||
      scaleBytes.size() != size_t(n * blocks * 4))
    return b.error() << "B must hold N x ceil(K / block_size) x "
                        "block_size * bits / 8 bytes and scales N x "
                        "ceil(K / block_size) values";
  // Zero points are packed uint8 codes, or (float32, like the scales) one
  // unpacked float per column and block.
  bool floatZeroPoints =
      zeroPoints && NodeBinder::elementType(zeroPoints).isF32();
  int64_t zpPerColumn = llvm::divideCeil(blocks * bits, 8);
  if (zeroPoints && !floatZeroPoints &&
      (!NodeBinder::elementType(zeroPoints).isUnsignedInteger(8) ||
       zpBytes.size() != size_t(n * zpPerColumn)))
    return b.error() << "zero_points must be packed uint8, N x "
                        "ceil(ceil(K / block_size) * bits / 8) bytes, or "
                        "float32, N x ceil(K / block_size) values";
  if (floatZeroPoints && zpBytes.size() != size_t(n * blocks * 4))
    return b.error() << "float32 zero_points must hold N x "
                        "ceil(K / block_size) values";
  auto code = [&](const std::vector<char> &bytes, int64_t byteIndex,
                  int64_t element) -> char {
    auto byte = static_cast<uint8_t>(bytes[byteIndex]);
    return bits == 8 ? byte : (byte >> ((element % 2) * 4)) & 0xF;
  };
  std::vector<char> weight(k * n), blockScales(blocks * n * 4),
      blockZeros(blocks * n), floatZeros(floatZeroPoints ? blocks * n * 4 : 0);
  for (int64_t col = 0; col < n; ++col) {
    for (int64_t row = 0; row < k; ++row) {
      int64_t block = row / blockSize, inBlock = row % blockSize;
      weight[row * n + col] = code(
          codes, (col * blocks + block) * blob + inBlock * bits / 8, inBlock);
    }
    for (int64_t block = 0; block < blocks; ++block) {
      std::memcpy(&blockScales[(block * n + col) * 4],
                  &scaleBytes[(col * blocks + block) * 4], 4);
      if (floatZeroPoints)
        std::memcpy(&floatZeros[(block * n + col) * 4],
                    &zpBytes[(col * blocks + block) * 4], 4);
      blockZeros[block * n + col] =
          floatZeroPoints ? 0
          : zeroPoints
              ? code(zpBytes, col * zpPerColumn + block * bits / 8, block)
              : char(1 << (bits - 1));
    }
  }
  OpBuilder &builder = b.getBuilder();
  Type codeType = IntegerType::get(b.getContext(), bits, IntegerType::Unsigned);
  auto make = [&](ArrayRef<int64_t> shape, Type elt, std::vector<char> &bytes,
                  StringRef suffix, Value &out) -> ParseResult {
    FailureOr<ElementsAttr> attr =
        b.makeElements(RankedTensorType::get(shape, elt), bytes,
                       /*borrowed=*/false, (b.name() + suffix).str());
    if (failed(attr))
      return failure();
    out = b.constant(*attr);
    return success();
  };
  Value w, s, z, dq, y;
  if (make({k, n}, codeType, weight, "_weight", w) ||
      make({blocks, n}, builder.getF32Type(), blockScales, "_scales", s) ||
      make({blocks, n}, codeType, blockZeros, "_zero_points", z) ||
      b.create<DequantizeOp>(dq, w, s, z, builder.getI64IntegerAttr(blockSize),
                             builder.getI64IntegerAttr(0)))
    return failure();
  if (floatZeroPoints) {
    // (q - zp) * scale = q * scale - zp * scale, the second term per block
    // and column, repeated over the block's rows.
    Value zf, offset, rows, repeated;
    std::vector<char> rowBlock(k * 8);
    for (int64_t row = 0; row < k; ++row) {
      int64_t block = row / blockSize;
      std::memcpy(&rowBlock[row * 8], &block, 8);
    }
    if (make({blocks, n}, builder.getF32Type(), floatZeros, "_float_zeros",
             zf) ||
        b.create<MulOp>(offset, zf, s) ||
        make({k}, builder.getI64Type(), rowBlock, "_row_blocks", rows) ||
        b.create<GatherOp>(repeated, offset, rows,
                           builder.getI64IntegerAttr(0)) ||
        b.create<SubOp>(dq, dq, repeated))
      return failure();
  }
  if (b.create<MatMulOp>(y, a, dq) || (bias && b.create<AddOp>(y, y, bias)))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerQuantizationOps(OpRegistry &r) {
  r.add("com.microsoft", "MatMulIntegerToFloat", 1, importMatMulIntegerToFloat,
        "matmul", "scalar or per-column b_scale and zero points");
  r.add("com.microsoft", "DynamicQuantizeMatMul", 1,
        importDynamicQuantizeMatMul, "matmul",
        "A quantized to uint8 per tensor at run time");
  r.add("com.microsoft", "MatMulNBits", 1, importMatMulNBits, "quantize",
        "bits 4 and 8, constant B, uint8, float32 or no zero points; no "
        "g_idx; any accuracy_level (computed in float32)");
  const char *qNotes = "integer types (INT4 and UINT4 too); per tensor, per "
                       "axis or blocked (opset 21)";
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
