//===- ElementwiseToLinalg.cpp - Elementwise whittle ops to linalg --------===//
//
// Every elementwise op becomes one linalg.generic with parallel iterators;
// numpy broadcasting is expressed in the indexing maps (nothing is
// materialized), so chains of these generics fuse with linalg's elementwise
// fusion.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "SinCos.h"

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace whittle;
using namespace whittle::lowering;

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

/// True for i1, where ordered comparisons must be unsigned (true > false).
bool isBool(Value v) { return v.getType().isInteger(1); }

/// True for ui8..ui64. Scalars still carry the whittle op's element type here
/// (the pass makes every type signless afterwards), so this picks the
/// unsigned arith variants.
bool isUnsigned(Value v) { return v.getType().isUnsignedInteger(); }

//===----------------------------------------------------------------------===//
// Scalar bodies, one overload per op. `args` are the operand scalars.
//===----------------------------------------------------------------------===//

Value scalarOp(AddOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::AddFOp::create(b, loc, args[0], args[1]);
  return arith::AddIOp::create(b, loc, args[0], args[1]);
}

Value scalarOp(SubOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::SubFOp::create(b, loc, args[0], args[1]);
  return arith::SubIOp::create(b, loc, args[0], args[1]);
}

Value scalarOp(MulOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::MulFOp::create(b, loc, args[0], args[1]);
  return arith::MulIOp::create(b, loc, args[0], args[1]);
}

// ONNX integer division truncates toward zero, like C.
/// Integer division truncates. A zero divisor gives 0 instead of the
/// division trap (a model's data must not crash the process); INT_MIN / -1,
/// which also traps, gives INT_MIN, the two's-complement result numpy gives.
Value scalarOp(DivOp, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0], y = args[1];
  if (isFloat(x))
    return arith::DivFOp::create(b, loc, x, y);
  Type type = x.getType();
  Value zero = scalarConstant(b, loc, type, 0),
        one = scalarConstant(b, loc, type, 1);
  Value byZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  if (isUnsigned(x)) {
    Value q = arith::DivUIOp::create(
        b, loc, x, arith::SelectOp::create(b, loc, byZero, one, y));
    return arith::SelectOp::create(b, loc, byZero, zero, q);
  }
  double intMin = -std::ldexp(1.0, type.getIntOrFloatBitWidth() - 1);
  Value overflow = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x,
                            scalarConstant(b, loc, type, intMin)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                            scalarConstant(b, loc, type, -1)));
  Value divisor = arith::SelectOp::create(
      b, loc, arith::OrIOp::create(b, loc, byZero, overflow), one, y);
  Value q = arith::DivSIOp::create(b, loc, x, divisor);
  return arith::SelectOp::create(b, loc, byZero, zero, q);
}

/// ONNX Mod. Integers: the truncating remainder (the dividend's sign), moved
/// to the divisor's sign unless `fmod`; a zero divisor gives 0 instead of the
/// division trap. Floats (fmod only): x - trunc(x / y) * y in f64, exact for
/// f32 operands while the quotient is below 2^29 (its f64 rounding cannot
/// cross an integer), with no call to a math library.
Value scalarOp(ModOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0], y = args[1];
  Type type = x.getType();
  if (isFloat(x)) {
    Type f64 = b.getF64Type();
    Value xd = type == f64 ? x : arith::ExtFOp::create(b, loc, f64, x);
    Value yd = type == f64 ? y : arith::ExtFOp::create(b, loc, f64, y);
    Value q =
        math::TruncOp::create(b, loc, arith::DivFOp::create(b, loc, xd, yd));
    Value r =
        arith::SubFOp::create(b, loc, xd, arith::MulFOp::create(b, loc, q, yd));
    return type == f64 ? r : arith::TruncFOp::create(b, loc, type, r);
  }
  Value zero = scalarConstant(b, loc, type, 0),
        one = scalarConstant(b, loc, type, 1);
  Value isZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  if (isUnsigned(x)) {
    Value r = arith::RemUIOp::create(
        b, loc, x, arith::SelectOp::create(b, loc, isZero, one, y));
    return arith::SelectOp::create(b, loc, isZero, zero, r);
  }
  // x % -1 is 0 for every x; as a remainder by 1 it cannot trap on INT_MIN.
  Value minusOne = scalarConstant(b, loc, type, -1);
  Value divisor = arith::SelectOp::create(
      b, loc,
      arith::OrIOp::create(
          b, loc, isZero,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, minusOne)),
      one, y);
  Value r = arith::RemSIOp::create(b, loc, x, divisor);
  if (!op.getFmod()) {
    // A nonzero remainder whose sign differs from the divisor's moves by y.
    Value rNegative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
    Value yNegative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, divisor, zero);
    Value differ = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero),
        arith::XOrIOp::create(b, loc, rNegative, yNegative));
    r = arith::SelectOp::create(b, loc, differ,
                                arith::AddIOp::create(b, loc, r, divisor), r);
  }
  return arith::SelectOp::create(b, loc, isZero, zero, r);
}

/// base^exponent for integers by square-and-multiply over every bit of the
/// exponent, unrolled: no control flow (the body stays vectorizable, and a
/// constant exponent folds to a few multiplications) and no math.ipowi,
/// which needs a runtime function. A negative signed exponent gives
/// 1 / base^-exponent truncated toward zero: 0 unless base is 1 or -1.
Value integerPow(OpBuilder &b, Location loc, Value base, Value exponent) {
  Type type = base.getType();
  Type exponentType = exponent.getType();
  unsigned bits = exponentType.getIntOrFloatBitWidth();
  Value result = scalarConstant(b, loc, type, 1);
  Value square = base;
  for (unsigned i = 0; i < bits; ++i) {
    Value shifted =
        i == 0 ? exponent
               : arith::ShRUIOp::create(
                     b, loc, exponent, scalarConstant(b, loc, exponentType, i));
    Value bit = arith::TruncIOp::create(b, loc, b.getI1Type(), shifted);
    result = arith::SelectOp::create(
        b, loc, bit, arith::MulIOp::create(b, loc, result, square), result);
    if (i + 1 < bits)
      square = arith::MulIOp::create(b, loc, square, square);
  }
  if (exponentType.isUnsignedInteger() || type.isUnsignedInteger())
    return result;
  // Negative exponent: 1 for base 1, +-1 for base -1 (the sign is the
  // square-and-multiply result's), 0 otherwise.
  Value zero = scalarConstant(b, loc, type, 0);
  Value one = scalarConstant(b, loc, type, 1);
  Value minusOne = scalarConstant(b, loc, type, -1);
  Value isUnit = arith::OrIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, base, one),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, base, minusOne));
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, exponent,
                            scalarConstant(b, loc, exponentType, 0));
  Value reciprocal = arith::SelectOp::create(b, loc, isUnit, result, zero);
  return arith::SelectOp::create(b, loc, negative, reciprocal, result);
}

Value scalarOp(PowOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return math::PowFOp::create(b, loc, args[0], args[1]);
  return integerPow(b, loc, args[0], args[1]);
}

// ONNX Min/Max propagate NaN, which minimumf/maximumf do.
Value scalarOp(MinOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::MinimumFOp::create(b, loc, args[0], args[1]);
  if (isBool(args[0]))
    return arith::AndIOp::create(b, loc, args[0], args[1]);
  if (isUnsigned(args[0]))
    return arith::MinUIOp::create(b, loc, args[0], args[1]);
  return arith::MinSIOp::create(b, loc, args[0], args[1]);
}

Value scalarOp(MaxOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::MaximumFOp::create(b, loc, args[0], args[1]);
  if (isBool(args[0]))
    return arith::OrIOp::create(b, loc, args[0], args[1]);
  if (isUnsigned(args[0]))
    return arith::MaxUIOp::create(b, loc, args[0], args[1]);
  return arith::MaxSIOp::create(b, loc, args[0], args[1]);
}

Value scalarOp(AndOp, OpBuilder &b, Location loc, ValueRange args) {
  return arith::AndIOp::create(b, loc, args[0], args[1]);
}

Value scalarOp(OrOp, OpBuilder &b, Location loc, ValueRange args) {
  return arith::OrIOp::create(b, loc, args[0], args[1]);
}

Value compare(OpBuilder &b, Location loc, ValueRange args,
              arith::CmpFPredicate fpred, arith::CmpIPredicate spred,
              arith::CmpIPredicate upred) {
  if (isFloat(args[0]))
    return arith::CmpFOp::create(b, loc, fpred, args[0], args[1]);
  bool unsignedOrder = isBool(args[0]) || isUnsigned(args[0]);
  return arith::CmpIOp::create(b, loc, unsignedOrder ? upred : spred, args[0],
                               args[1]);
}

Value scalarOp(EqualOp, OpBuilder &b, Location loc, ValueRange args) {
  return compare(b, loc, args, arith::CmpFPredicate::OEQ,
                 arith::CmpIPredicate::eq, arith::CmpIPredicate::eq);
}

Value scalarOp(LessOp, OpBuilder &b, Location loc, ValueRange args) {
  return compare(b, loc, args, arith::CmpFPredicate::OLT,
                 arith::CmpIPredicate::slt, arith::CmpIPredicate::ult);
}

Value scalarOp(LessEqualOp, OpBuilder &b, Location loc, ValueRange args) {
  return compare(b, loc, args, arith::CmpFPredicate::OLE,
                 arith::CmpIPredicate::sle, arith::CmpIPredicate::ule);
}

Value scalarOp(GreaterOp, OpBuilder &b, Location loc, ValueRange args) {
  return compare(b, loc, args, arith::CmpFPredicate::OGT,
                 arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt);
}

Value scalarOp(GreaterEqualOp, OpBuilder &b, Location loc, ValueRange args) {
  return compare(b, loc, args, arith::CmpFPredicate::OGE,
                 arith::CmpIPredicate::sge, arith::CmpIPredicate::uge);
}

Value scalarOp(SqrtOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::SqrtOp::create(b, loc, args[0]);
}

Value scalarOp(ReciprocalOp, OpBuilder &b, Location loc, ValueRange args) {
  Value one = scalarConstant(b, loc, args[0].getType(), 1.0);
  return arith::DivFOp::create(b, loc, one, args[0]);
}

Value scalarOp(ExpOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::ExpOp::create(b, loc, args[0]);
}

Value scalarOp(LogOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::LogOp::create(b, loc, args[0]);
}

Value scalarOp(ErfOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::ErfOp::create(b, loc, args[0]);
}

Value scalarOp(FloorOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::FloorOp::create(b, loc, args[0]);
}

Value scalarOp(CeilOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::CeilOp::create(b, loc, args[0]);
}

Value scalarOp(SinOp, OpBuilder &b, Location loc, ValueRange args) {
  return emitSinCos(b, loc, args[0], /*cosine=*/false);
}

Value scalarOp(CosOp, OpBuilder &b, Location loc, ValueRange args) {
  return emitSinCos(b, loc, args[0], /*cosine=*/true);
}

Value scalarOp(TanhOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::TanhOp::create(b, loc, args[0]);
}

// 1 / (1 + exp(-x)): exp(-x) overflows to inf for very negative x, which
// still yields the correct limit 0. f16/bf16 compute in f32.
Value scalarOp(SigmoidOp, OpBuilder &b, Location loc, ValueRange args) {
  Type type = args[0].getType();
  Value x = convertScalar(b, loc, args[0], computeType(type));
  Value one = scalarConstant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value r =
      arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
  return convertScalar(b, loc, r, type);
}

// Unsigned values are never negative: relu and abs are the identity.
Value scalarOp(ReluOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isUnsigned(args[0]))
    return args[0];
  Value zero = scalarConstant(b, loc, args[0].getType(), 0.0);
  if (isFloat(args[0]))
    return arith::MaximumFOp::create(b, loc, args[0], zero);
  return arith::MaxSIOp::create(b, loc, args[0], zero);
}

// Integer negation wraps (0 - x), for unsigned types too.
Value scalarOp(NegOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return arith::NegFOp::create(b, loc, args[0]);
  Value zero = scalarConstant(b, loc, args[0].getType(), 0.0);
  return arith::SubIOp::create(b, loc, zero, args[0]);
}

Value scalarOp(AbsOp, OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return math::AbsFOp::create(b, loc, args[0]);
  if (isUnsigned(args[0]))
    return args[0];
  return math::AbsIOp::create(b, loc, args[0]);
}

Value scalarOp(NotOp, OpBuilder &b, Location loc, ValueRange args) {
  Value one = scalarConstant(b, loc, args[0].getType(), 1);
  return arith::XOrIOp::create(b, loc, args[0], one);
}

// erf form: 0.5 * x * (1 + erf(x / sqrt(2))); tanh form:
// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
Value scalarOp(GeluOp op, OpBuilder &b, Location loc, ValueRange args) {
  Type type = args[0].getType();
  Value x = convertScalar(b, loc, args[0], computeType(type));
  Type ct = x.getType();
  Value half = scalarConstant(b, loc, ct, 0.5);
  Value one = scalarConstant(b, loc, ct, 1.0);
  Value inner;
  if (op.getTanhApproximation()) {
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value poly = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, scalarConstant(b, loc, ct, 0.044715),
                              x3));
    Value scaled = arith::MulFOp::create(
        b, loc, scalarConstant(b, loc, ct, std::sqrt(2.0 / M_PI)), poly);
    inner = math::TanhOp::create(b, loc, scaled);
  } else {
    Value scaled = arith::MulFOp::create(
        b, loc, x, scalarConstant(b, loc, ct, 1.0 / std::sqrt(2.0)));
    inner = math::ErfOp::create(b, loc, scaled);
  }
  Value r =
      arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x),
                            arith::AddFOp::create(b, loc, one, inner));
  return convertScalar(b, loc, r, type);
}

// Unsigned bounds below zero clamp to zero (every unsigned value is above
// them); a bound of zero needs no max at all.
Value scalarOp(ClipOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  Type type = x.getType();
  bool fp = isFloat(x);
  bool isUnsignedType = isUnsigned(x);
  auto bound = [&](double value) {
    return scalarConstant(b, loc, type,
                          isUnsignedType ? std::max(value, 0.0) : value);
  };
  if (auto min = op.getMin()) {
    double value = min->convertToDouble();
    if (fp)
      x = arith::MaximumFOp::create(b, loc, x, bound(value));
    else if (isUnsignedType && value > 0.0)
      x = arith::MaxUIOp::create(b, loc, x, bound(value));
    else if (!isUnsignedType)
      x = arith::MaxSIOp::create(b, loc, x, bound(value));
  }
  if (auto max = op.getMax()) {
    double value = max->convertToDouble();
    if (fp)
      x = arith::MinimumFOp::create(b, loc, x, bound(value));
    else if (isUnsignedType)
      x = arith::MinUIOp::create(b, loc, x, bound(value));
    else
      x = arith::MinSIOp::create(b, loc, x, bound(value));
  }
  return x;
}

Value scalarOp(CastOp op, OpBuilder &b, Location loc, ValueRange args) {
  return convertScalar(b, loc, args[0], op.getTo());
}

Value scalarOp(RoundOp, OpBuilder &b, Location loc, ValueRange args) {
  Type type = args[0].getType();
  Value x = convertScalar(b, loc, args[0], computeType(type));
  return convertScalar(b, loc, math::RoundEvenOp::create(b, loc, x), type);
}

/// The range of an integer type as floats (exact in f32 up to 24 bits; the
/// quantized types are 4 to 16 bits, int32 saturates at the nearest f32).
std::pair<double, double> integerRange(Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  if (type.isUnsignedInteger())
    return {0.0, std::ldexp(1.0, bits) - 1.0};
  return {-std::ldexp(1.0, bits - 1), std::ldexp(1.0, bits - 1) - 1.0};
}

// round_half_even(x / scale) + zero_point, saturated: ONNX QuantizeLinear.
// The division is a true division (not a multiplication by 1/scale), so the
// rounding of halfway cases is the reference's.
Value scalarOp(QuantizeOp op, OpBuilder &b, Location loc, ValueRange args) {
  Type f = computeType(args[0].getType());
  Type intType = op.getResult().getType().getElementType();
  Value x = convertScalar(b, loc, args[0], f);
  Value scale = convertScalar(b, loc, args[1], f);
  Value zeroPoint = convertScalar(b, loc, args[2], f);
  Value q = math::RoundEvenOp::create(b, loc,
                                      arith::DivFOp::create(b, loc, x, scale));
  q = arith::AddFOp::create(b, loc, q, zeroPoint);
  auto [lo, hi] = integerRange(intType);
  // maxnum: a NaN quotient saturates low, as ONNX Runtime's kernel gives it
  // (a NaN converted to an integer would be undefined).
  q = arith::MaxNumFOp::create(b, loc, q, scalarConstant(b, loc, f, lo));
  q = arith::MinimumFOp::create(b, loc, q, scalarConstant(b, loc, f, hi));
  return convertScalar(b, loc, q, intType);
}

// (x - zero_point) * scale with both integers converted to float first, as
// ONNX's reference computes it.
Value scalarOp(DequantizeOp op, OpBuilder &b, Location loc, ValueRange args) {
  Type resultType = op.getResult().getType().getElementType();
  Type f = computeType(resultType);
  Value x = convertScalar(b, loc, args[0], f);
  Value zeroPoint = convertScalar(b, loc, args[2], f);
  Value scale = convertScalar(b, loc, args[1], f);
  Value r = arith::MulFOp::create(
      b, loc, arith::SubFOp::create(b, loc, x, zeroPoint), scale);
  return convertScalar(b, loc, r, resultType);
}

Value scalarOp(WhereOp, OpBuilder &b, Location loc, ValueRange args) {
  return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Lowers an elementwise op through its scalarOp overload.
template <typename OpTy> struct ElementwiseOpLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    if constexpr (std::is_same_v<OpTy, DequantizeOp>)
      if (op.getBlockSize())
        return failure(); // BlockedDequantizeLowering
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    // A cast to the same type is the identity.
    if (std::is_same_v<OpTy, CastOp> &&
        op->getOperand(0).getType() == resultType) {
      rewriter.replaceOp(op, op->getOperand(0));
      return success();
    }
    Value result =
        buildElementwise(rewriter, op.getLoc(), resultType, op->getOperands(),
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return scalarOp(op, b, loc, args);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Pow with a splat constant exponent of 1, 2, 3 or 0.5 becomes
/// multiplications or a square root: faster, exact, and correct for negative
/// bases under any later expansion of powf.
struct PowByConstantLowering : OpRewritePattern<PowOp> {
  PowByConstantLowering(MLIRContext *ctx)
      : OpRewritePattern<PowOp>(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(PowOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto resultType = op.getResult().getType();
    if (!isa<FloatType>(resultType.getElementType()) ||
        op.getLhs().getType().getShape() != resultType.getShape())
      return rewriter.notifyMatchFailure(op, "needs a float, unbroadcast base");
    DenseFPElementsAttr exponentAttr;
    if (!matchPattern(op.getRhs(), m_Constant(&exponentAttr)) ||
        !exponentAttr.isSplat())
      return rewriter.notifyMatchFailure(op, "exponent is not a splat");
    double exponent = exponentAttr.getSplatValue<APFloat>().convertToDouble();
    if (exponent != 1.0 && exponent != 2.0 && exponent != 3.0 &&
        exponent != 0.5)
      return rewriter.notifyMatchFailure(op, "no cheaper form");
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, op.getLhs(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0];
          if (exponent == 0.5)
            return math::SqrtOp::create(b, loc, x);
          Value r = x;
          for (int i = 1; i < static_cast<int>(exponent); ++i)
            r = arith::MulFOp::create(b, loc, r, x);
          return r;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Blocked dequantization: parameter i / block_size along the block axis,
/// broadcast (index 0) along unit dims, the same index elsewhere.
struct BlockedDequantizeLowering : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getBlockSize())
      return failure();
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    auto paramMap = [&](Value param) {
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(param.getType()).getShape();
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < rank; ++d) {
        AffineExpr dim = getAffineDimExpr(d, ctx);
        if (d == op.getBlockAxis())
          exprs.push_back(dim.floorDiv(op.getBlockSize()));
        else if (shape[d] == 1 && type.getDimSize(d) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(dim);
      }
      return AffineMap::get(rank, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   paramMap(op.getScale()),
                                   paramMap(op.getZeroPoint())};
    Value result =
        buildElementwise(rewriter, op.getLoc(), type, op->getOperands(), maps,
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return scalarOp(op, b, loc, args);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Trilu keeps element (i, j) of the last two dims when j - i >= k (upper) or
/// j - i <= k (lower), and writes zero elsewhere.
struct TriluOpLowering : OpRewritePattern<TriluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TriluOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank();
    int64_t k = op.getK();
    bool upper = op.getUpper();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, op.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value i = linalg::IndexOp::create(b, loc, rank - 2);
          Value j = linalg::IndexOp::create(b, loc, rank - 1);
          Value diff = arith::SubIOp::create(b, loc, j, i);
          Value kValue = arith::ConstantIndexOp::create(b, loc, k);
          Value keep = arith::CmpIOp::create(b, loc,
                                             upper ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle,
                                             diff, kValue);
          Value zero = scalarConstant(b, loc, args[0].getType(), 0.0);
          return arith::SelectOp::create(b, loc, keep, args[0], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void whittle::populateElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ElementwiseOpLowering<AddOp>, ElementwiseOpLowering<SubOp>,
           ElementwiseOpLowering<MulOp>, ElementwiseOpLowering<DivOp>,
           ElementwiseOpLowering<PowOp>, ElementwiseOpLowering<MinOp>,
           ElementwiseOpLowering<MaxOp>, ElementwiseOpLowering<ModOp>,
           ElementwiseOpLowering<AndOp>, ElementwiseOpLowering<OrOp>,
           ElementwiseOpLowering<EqualOp>, ElementwiseOpLowering<LessOp>,
           ElementwiseOpLowering<LessEqualOp>, ElementwiseOpLowering<GreaterOp>,
           ElementwiseOpLowering<GreaterEqualOp>, ElementwiseOpLowering<SqrtOp>,
           ElementwiseOpLowering<ReciprocalOp>, ElementwiseOpLowering<ExpOp>,
           ElementwiseOpLowering<LogOp>, ElementwiseOpLowering<ErfOp>,
           ElementwiseOpLowering<SinOp>, ElementwiseOpLowering<CosOp>,
           ElementwiseOpLowering<FloorOp>, ElementwiseOpLowering<CeilOp>,
           ElementwiseOpLowering<TanhOp>, ElementwiseOpLowering<SigmoidOp>,
           ElementwiseOpLowering<ReluOp>, ElementwiseOpLowering<NegOp>,
           ElementwiseOpLowering<AbsOp>, ElementwiseOpLowering<NotOp>,
           ElementwiseOpLowering<GeluOp>, ElementwiseOpLowering<ClipOp>,
           ElementwiseOpLowering<CastOp>, ElementwiseOpLowering<WhereOp>,
           ElementwiseOpLowering<RoundOp>, ElementwiseOpLowering<QuantizeOp>,
           ElementwiseOpLowering<DequantizeOp>, PowByConstantLowering,
           TriluOpLowering, BlockedDequantizeLowering>(patterns.getContext());
}
