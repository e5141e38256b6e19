//===- QuantizedMatmulToLinalg.cpp - Quantized matmuls to linalg ---------===//
//
// whittle.quantized_matmul (float activations) becomes its reference form:
// the weight dequantized at run time, then the float matmul; blocked weights
// are dequantized per block so the loop vectorizes, and constant 4-bit
// weights are stored two codes per byte.
//
// whittle.integer_matmul becomes one raw product P = Σ_k a·b of unsigned
// 8-bit activations and signed 8-bit weights in i32 (the operand signs that
// x86's vpdpbusd multiplies, so tile-kernels can give P an integer dot
// product kernel), plus zero-point corrections computed apart:
//
//   Σ (a − za)(b − zb) = P − za·colsum(b) − zb·rowsum(a) + K·za·zb
//
// Column sums of a constant weight are computed here, at compile time; a
// correction whose zero point is a known zero is left out. Signed
// activations are shifted to unsigned (a + 128, za + 128) and unsigned
// constant weights to signed (b − 128, zb − 128), which leaves every
// difference, and so the result, unchanged.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::lowering;

namespace {

/// The bytes of a non-splat constant 8-bit tensor.
std::optional<ArrayRef<char>> constantBytes(Value v) {
  auto cst = v.getDefiningOp<ConstantOp>();
  return cst ? int8ConstantBytes(cst.getValue()) : std::nullopt;
}

/// The bytes of a non-splat constant resource of sub-byte integers stored
/// one per byte (4-bit codes), or of 8-bit integers.
std::optional<ArrayRef<char>> constantBytesOfAnyWidth(Value v) {
  auto cst = v.getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto type = cast<ShapedType>(cst.getType());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob();
        blob && blob->getData().size() == size_t(type.getNumElements()))
      return blob->getData();
  // Dense storage rounds sub-byte integers (not i1) up to one byte each.
  auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
  unsigned width = type.getElementTypeBitWidth();
  if (dense && !dense.isSplat() && width > 1 && width <= 8)
    return dense.getRawData();
  return std::nullopt;
}

/// Whether `v` is a constant (possibly reshaped) whose elements are all
/// zero.
bool isKnownZero(Value v) {
  while (auto reshape = v.getDefiningOp<ReshapeOp>())
    v = reshape.getInput();
  auto cst = v.getDefiningOp<ConstantOp>();
  if (!cst)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
  if (dense && dense.isSplat())
    return dense.getSplatValue<APInt>().isZero();
  std::optional<ArrayRef<char>> bytes = constantBytes(v);
  return bytes && llvm::all_of(*bytes, [](char c) { return c == 0; });
}

/// A constant unsigned 8-bit weight as signed bytes w − 128 (its zero point
/// moves by −128 too, so no difference changes).
Value signedWeight(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<char> bytes) {
  auto signedType = RankedTensorType::get(type.getShape(), b.getI8Type());
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes.size(), 64);
  MutableArrayRef<char> out = blob.getMutableData();
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = char(uint8_t(bytes[i]) - 128);
  return ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(signedType, "whittle_signed_weight",
                                     std::move(blob)));
}

/// A whittle.constant i32 scalar.
Value i32Scalar(OpBuilder &b, Location loc, int32_t value) {
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, b.getI32Type()),
                             b.getI32IntegerAttr(value)));
}

Value castTo(OpBuilder &b, Location loc, Value v, Type elementType) {
  return CastOp::create(b, loc, v, TypeAttr::get(elementType));
}

struct IntegerMatMulOpLowering : OpRewritePattern<IntegerMatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IntegerMatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type i32 = rewriter.getI32Type();
    auto u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
    auto lhsType = op.getLhs().getType();
    auto rhsType = op.getRhs().getType();
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    int64_t rows = lhsType.getNumElements() / k;

    // The left operand as unsigned bytes [rows, K], its zero point in i32.
    Value lhs = ReshapeOp::create(rewriter, loc, op.getLhs(),
                                  rewriter.getDenseI64ArrayAttr({rows, k}));
    // A scalar or one per row ([rows, 1]).
    Value lhsZp = castTo(rewriter, loc, op.getLhsZeroPoint(), i32);
    if (op.getLhsZeroPoint().getType().getRank() > 0)
      lhsZp = ReshapeOp::create(rewriter, loc, lhsZp,
                                rewriter.getDenseI64ArrayAttr({rows, 1}));
    bool lhsZpZero = isKnownZero(op.getLhsZeroPoint());
    if (!lhsType.getElementType().isUnsignedInteger()) {
      Value shift = i32Scalar(rewriter, loc, 128);
      lhs = castTo(
          rewriter, loc,
          AddOp::create(rewriter, loc, castTo(rewriter, loc, lhs, i32), shift),
          u8);
      lhsZp = AddOp::create(rewriter, loc, lhsZp, shift);
      lhsZpZero = false;
    }

    // The right operand as signed bytes, its zero point in i32.
    Value rhs = op.getRhs();
    Value rhsZp = castTo(rewriter, loc, op.getRhsZeroPoint(), i32);
    bool rhsZpZero = isKnownZero(op.getRhsZeroPoint());
    std::optional<ArrayRef<char>> rhsBytes = constantBytes(rhs);
    if (rhsType.getElementType().isUnsignedInteger() && rhsBytes) {
      rhs = signedWeight(rewriter, loc, rhsType, *rhsBytes);
      rhsBytes = constantBytes(rhs);
      rhsZp =
          SubOp::create(rewriter, loc, rhsZp, i32Scalar(rewriter, loc, 128));
      rhsZpZero = false;
    }
    bool rhsSigned = !cast<RankedTensorType>(rhs.getType())
                          .getElementType()
                          .isUnsignedInteger();

    // P[r, n] = Σ_k a[r, k] · b[k, n].
    auto productType = RankedTensorType::get({rows, n}, i32);
    Value zero = filledTensor(rewriter, loc, productType,
                              scalarConstant(rewriter, loc, i32, 0));
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                   AffineMap::get(3, 0, {d(2), d(1)}, ctx),
                                   AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    Value product =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{productType}, ValueRange{lhs, rhs},
            ValueRange{zero}, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value a = arith::ExtUIOp::create(b, l, i32, args[0]);
              Value w =
                  rhsSigned
                      ? arith::ExtSIOp::create(b, l, i32, args[1]).getResult()
                      : arith::ExtUIOp::create(b, l, i32, args[1]).getResult();
              Value sum = arith::AddIOp::create(
                  b, l, args[2], arith::MulIOp::create(b, l, a, w));
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);

    // The zero-point corrections.
    Value result = product;
    if (!lhsZpZero) {
      Value colSum;
      if (rhsBytes) {
        SmallVector<int32_t> sums(n, 0);
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t j = 0; j < n; ++j) {
            char byte = (*rhsBytes)[kk * n + j];
            sums[j] +=
                rhsSigned ? int32_t(int8_t(byte)) : int32_t(uint8_t(byte));
          }
        colSum = ConstantOp::create(
            rewriter, loc,
            DenseElementsAttr::get(RankedTensorType::get({n}, i32),
                                   ArrayRef<int32_t>(sums)));
      } else {
        colSum = ReduceSumOp::create(
            rewriter, loc, castTo(rewriter, loc, rhs, i32),
            rewriter.getDenseI64ArrayAttr({0}), rewriter.getBoolAttr(false));
      }
      result = SubOp::create(rewriter, loc, result,
                             MulOp::create(rewriter, loc, colSum, lhsZp));
    }
    if (!rhsZpZero) {
      Value rowSum = ReduceSumOp::create(
          rewriter, loc, castTo(rewriter, loc, lhs, i32),
          rewriter.getDenseI64ArrayAttr({1}), rewriter.getBoolAttr(true));
      result = SubOp::create(rewriter, loc, result,
                             MulOp::create(rewriter, loc, rowSum, rhsZp));
      if (!lhsZpZero) {
        Value kTimesZps = MulOp::create(
            rewriter, loc, MulOp::create(rewriter, loc, lhsZp, rhsZp),
            i32Scalar(rewriter, loc, k));
        result = AddOp::create(rewriter, loc, result, kTimesZps);
      }
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(
        op, result,
        rewriter.getDenseI64ArrayAttr(op.getResult().getType().getShape()));
    return success();
  }
};

/// A weight of whole blocks of B rows of K, dequantized as [K/B, B, N] so
/// that every operand is read through a projection (the parameters by
/// (block, column)) and the dequantization vectorizes along N. A constant
/// 4-bit weight is packed two codes per byte at compile time ([K/B, B/2, N]
/// bytes: the low nibble holds row i of a block, the high nibble row
/// B/2 + i), halving its bytes in the library; each half of a block is
/// unpacked by its own elementwise loop. Null when the weight does not
/// have that form.
Value dequantizeBlockedWeight(PatternRewriter &rewriter, QuantizedMatMulOp op) {
  auto rhsType = op.getRhs().getType();
  int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
  int64_t block = op.getBlockSize();
  if (block <= 0 || k % block != 0)
    return {};
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
  Type codeType = rhsType.getElementType();
  bool isSigned = !codeType.isUnsignedInteger();
  unsigned bits = codeType.getIntOrFloatBitWidth();
  int64_t blocks = k / block;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap identity = rewriter.getMultiDimIdentityMap(3);
  AffineMap params = AffineMap::get(3, 0, {d(0), d(2)}, ctx);
  auto scaleType = cast<RankedTensorType>(op.getScale().getType());
  if (scaleType.getShape() != ArrayRef<int64_t>{blocks, n} ||
      op.getZeroPoint().getType().getShape() != ArrayRef<int64_t>{blocks, n})
    return {};
  // (code - zero point) * scale, the code an i32.
  auto dequantize = [&](OpBuilder &b, Location l, Value code, Value scale,
                        Value zeroPoint) -> Value {
    Value diff =
        arith::SubIOp::create(b, l, code, convertScalar(b, l, zeroPoint, i32));
    return arith::MulFOp::create(b, l, arith::SIToFPOp::create(b, l, f32, diff),
                                 scale);
  };

  std::optional<ArrayRef<char>> bytes = constantBytesOfAnyWidth(op.getRhs());
  if (bits != 4 || block % 2 != 0 || !bytes) {
    Value codes =
        ReshapeOp::create(rewriter, loc, op.getRhs(),
                          rewriter.getDenseI64ArrayAttr({blocks, block, n}));
    Value weight =
        linalg::GenericOp::create(
            rewriter, loc,
            TypeRange{RankedTensorType::get({blocks, block, n}, f32)},
            ValueRange{codes, op.getScale(), op.getZeroPoint()},
            ValueRange{emptyTensor(
                rewriter, loc, RankedTensorType::get({blocks, block, n}, f32))},
            ArrayRef<AffineMap>{identity, params, params, identity},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l,
                  dequantize(b, l, convertScalar(b, l, args[0], i32), args[1],
                             args[2]));
            })
            .getResult(0);
    return ReshapeOp::create(rewriter, loc, weight,
                             rewriter.getDenseI64ArrayAttr({k, n}));
  }

  int64_t half = block / 2;
  auto u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  auto packedType = RankedTensorType::get({blocks, half, n}, u8);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(packedType.getNumElements(), 64);
  MutableArrayRef<char> out = blob.getMutableData();
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < n; ++j) {
        uint8_t lo = uint8_t((*bytes)[(b * block + i) * n + j]) & 0xF;
        uint8_t hi = uint8_t((*bytes)[(b * block + half + i) * n + j]) & 0xF;
        out[(b * half + i) * n + j] = char(lo | (hi << 4));
      }
  Value packed = ConstantOp::create(
      rewriter, loc,
      DenseResourceElementsAttr::get(packedType, "whittle_int4_packed",
                                     std::move(blob)));
  auto halfType = RankedTensorType::get({blocks, half, n}, f32);
  auto fullType = RankedTensorType::get({blocks, 2, half, n}, f32);
  Value weight = emptyTensor(rewriter, loc, fullType);
  for (int64_t h = 0; h < 2; ++h) {
    Value part =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{halfType},
            ValueRange{packed, op.getScale(), op.getZeroPoint()},
            ValueRange{emptyTensor(rewriter, loc, halfType)},
            ArrayRef<AffineMap>{identity, params, params, identity},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              // The nibble, sign-extended for signed codes.
              Value byte = convertScalar(b, l, args[0], i32);
              Value code = arith::ShLIOp::create(
                  b, l, byte, scalarConstant(b, l, i32, h == 0 ? 28 : 24));
              Value shift = scalarConstant(b, l, i32, 28);
              code =
                  isSigned
                      ? arith::ShRSIOp::create(b, l, code, shift).getResult()
                      : arith::ShRUIOp::create(b, l, code, shift).getResult();
              linalg::YieldOp::create(b, l,
                                      dequantize(b, l, code, args[1], args[2]));
            })
            .getResult(0);
    SmallVector<OpFoldResult> offsets = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(h),
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        rewriter.getIndexAttr(blocks), rewriter.getIndexAttr(1),
        rewriter.getIndexAttr(half), rewriter.getIndexAttr(n)};
    SmallVector<OpFoldResult> strides(4, rewriter.getIndexAttr(1));
    weight = tensor::InsertSliceOp::create(rewriter, loc, part, weight, offsets,
                                           sizes, strides);
  }
  return tensor::CollapseShapeOp::create(
      rewriter, loc, RankedTensorType::get({k, n}, f32), weight,
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}});
}

/// A constant 8-bit weight with one scale and zero point per tensor or
/// column: x · ((q − z) · s) = ((x · q) − rowsum(x) · z) · s, a float matmul
/// whose weight stays int8 (tile-kernels packs it as bytes and converts each
/// weight vector in the register tile), corrected and scaled afterwards.
/// Unsigned codes become signed (q − 128, z − 128) at compile time; a zero
/// zero point needs no correction. Null when the weight has another form.
Value int8WeightProduct(PatternRewriter &rewriter, QuantizedMatMulOp op) {
  auto rhsType = op.getRhs().getType();
  int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
  auto perTensorOrColumn = [&](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    return type.getNumElements() == 1 ||
           (type.getNumElements() == n &&
            (type.getRank() == 1 ||
             (type.getRank() == 2 && type.getDimSize(0) == 1)));
  };
  std::optional<ArrayRef<char>> bytes = constantBytes(op.getRhs());
  if (op.getBlockSize() || rhsType.getElementTypeBitWidth() != 8 || !bytes ||
      !op.getResult().getType().getElementType().isF32() ||
      !perTensorOrColumn(op.getScale()) ||
      !perTensorOrColumn(op.getZeroPoint()))
    return {};
  Location loc = op.getLoc();
  Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
  Value weight = op.getRhs();
  bool zeroPointZero = isKnownZero(op.getZeroPoint());
  Value zeroPoint = castTo(rewriter, loc, op.getZeroPoint(), i32);
  if (rhsType.getElementType().isUnsignedInteger()) {
    weight = signedWeight(rewriter, loc, rhsType, *bytes);
    zeroPoint =
        SubOp::create(rewriter, loc, zeroPoint, i32Scalar(rewriter, loc, 128));
    zeroPointZero = false;
  }
  auto lhsType = op.getLhs().getType();
  int64_t rows = lhsType.getNumElements() / k;
  Value lhs = ReshapeOp::create(rewriter, loc, op.getLhs(),
                                rewriter.getDenseI64ArrayAttr({rows, k}));
  auto productType = RankedTensorType::get({rows, n}, f32);
  Value zero = filledTensor(rewriter, loc, productType,
                            scalarConstant(rewriter, loc, f32, 0.0));
  Value product =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{productType},
                               ValueRange{lhs, weight}, ValueRange{zero})
          .getResult(0);
  if (!zeroPointZero) {
    Value rowSum = ReduceSumOp::create(rewriter, loc, lhs,
                                       rewriter.getDenseI64ArrayAttr({1}),
                                       rewriter.getBoolAttr(true));
    product =
        SubOp::create(rewriter, loc, product,
                      MulOp::create(rewriter, loc, rowSum,
                                    castTo(rewriter, loc, zeroPoint, f32)));
  }
  Value scaled = MulOp::create(rewriter, loc, product, op.getScale());
  return ReshapeOp::create(
      rewriter, loc, scaled,
      rewriter.getDenseI64ArrayAttr(op.getResult().getType().getShape()));
}

/// The reference form: the weight dequantized as whittle.dequantize does
/// (element for element) and a float matmul. The library keeps the integer
/// weight; the dequantized one exists only at run time.
struct QuantizedMatMulOpLowering : OpRewritePattern<QuantizedMatMulOp> {
  QuantizedMatMulOpLowering(MLIRContext *ctx, int64_t vectorRegisters)
      : OpRewritePattern(ctx), vectorRegisters(vectorRegisters) {}

  LogicalResult matchAndRewrite(QuantizedMatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    if (Value product = int8WeightProduct(rewriter, op)) {
      rewriter.replaceOp(op, product);
      return success();
    }
    if (Value product = blockedInt4Product(rewriter, op, vectorRegisters)) {
      rewriter.replaceOp(op, product);
      return success();
    }
    Value weight = dequantizeBlockedWeight(rewriter, op);
    if (!weight)
      weight = DequantizeOp::create(rewriter, loc, op.getRhs(), op.getScale(),
                                    op.getZeroPoint(), op.getBlockSize(),
                                    /*block_axis=*/0);
    // Weights are packed (and padded) at compile time only when constant;
    // a dequantized one with a ragged N (a vocabulary) is padded here so
    // that the matmul still gets register tiles, and the product sliced.
    auto weightType = cast<RankedTensorType>(weight.getType());
    int64_t k = weightType.getDimSize(0), n = weightType.getDimSize(1);
    int64_t paddedN = llvm::alignTo(n, kColumnAlignment);
    if (paddedN == n) {
      auto matmul =
          rewriter.replaceOpWithNewOp<MatMulOp>(op, op.getLhs(), weight);
      if (Attribute rows = op->getAttr("whittle.seq_rows"))
        matmul->setAttr("whittle.seq_rows", rows);
      return success();
    }
    Type elementType = weightType.getElementType();
    SmallVector<OpFoldResult> low(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> high = {rewriter.getIndexAttr(0),
                                      rewriter.getIndexAttr(paddedN - n)};
    Value padded = tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get({k, paddedN}, elementType), weight,
        low, high, scalarConstant(rewriter, loc, elementType, 0.0));
    Value product = MatMulOp::create(rewriter, loc, op.getLhs(), padded);
    auto resultType = op.getResult().getType();
    int64_t rank = resultType.getRank();
    SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
    rewriter.replaceOpWithNewOp<SliceOp>(op, product, starts,
                                         resultType.getShape(), steps);
    return success();
  }

  /// A multiple of every register-tile width (up to 4 vectors of 16 f32).
  static constexpr int64_t kColumnAlignment = 64;
  int64_t vectorRegisters;
};
} // namespace

void whittle::populateQuantizedMatmulToLinalgPatterns(
    RewritePatternSet &patterns, int64_t vectorRegisters) {
  patterns.add<IntegerMatMulOpLowering>(patterns.getContext());
  patterns.add<QuantizedMatMulOpLowering>(patterns.getContext(),
                                          vectorRegisters);
}
