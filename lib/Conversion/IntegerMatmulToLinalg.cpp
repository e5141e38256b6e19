//===- IntegerMatmulToLinalg.cpp - integer_matmul to linalg ---------------===//
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

/// Whether `v` is a constant whose elements are all zero.
bool isKnownZero(Value v) {
  auto cst = v.getDefiningOp<ConstantOp>();
  if (!cst)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
  if (dense && dense.isSplat())
    return dense.getSplatValue<APInt>().isZero();
  std::optional<ArrayRef<char>> bytes = constantBytes(v);
  return bytes && llvm::all_of(*bytes, [](char c) { return c == 0; });
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
      auto signedType =
          RankedTensorType::get(rhsType.getShape(), rewriter.getI8Type());
      AsmResourceBlob blob =
          HeapAsmResourceBlob::allocate(rhsBytes->size(), 64);
      MutableArrayRef<char> out = blob.getMutableData();
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = char(uint8_t((*rhsBytes)[i]) - 128);
      rhs = ConstantOp::create(
          rewriter, loc,
          DenseResourceElementsAttr::get(signedType, "whittle_signed_weight",
                                         std::move(blob)));
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

} // namespace

void whittle::populateIntegerMatmulToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<IntegerMatMulOpLowering>(patterns.getContext());
}
