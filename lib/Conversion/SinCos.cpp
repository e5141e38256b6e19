//===- SinCos.cpp - Accurate sine and cosine for elementwise lowering -----===//

#include "SinCos.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;

Value whittle::emitSinCos(OpBuilder &b, Location loc, Value x, bool cosine) {
  Type type = x.getType();
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v)).getResult();
  };
  auto add = [&](Value l, Value r) {
    return arith::AddFOp::create(b, loc, l, r).getResult();
  };
  auto mul = [&](Value l, Value r) {
    return arith::MulFOp::create(b, loc, l, r).getResult();
  };
  Value xd =
      type == f64 ? x : arith::ExtFOp::create(b, loc, f64, x).getResult();

  // k = nearest multiple of π/2, r = x - k·π/2 in [-π/4, π/4]. π/2's high
  // part has 33 significant bits, so k·high is exact for |k| < 2^20.
  constexpr double kPio2Hi = 1.57079632673412561417e+00;
  constexpr double kPio2Lo = 6.07710050650619224932e-11;
  Value k = math::RoundEvenOp::create(b, loc, mul(xd, cst(2.0 / M_PI)));
  Value r = arith::SubFOp::create(b, loc, xd, mul(k, cst(kPio2Hi)));
  r = arith::SubFOp::create(b, loc, r, mul(k, cst(kPio2Lo)));

  // Taylor series, Horner form; their truncation error on [-π/4, π/4] is
  // below 1e-17.
  Value r2 = mul(r, r);
  auto horner = [&](ArrayRef<double> coefficients) {
    Value acc = cst(coefficients.back());
    for (double c : llvm::reverse(coefficients.drop_back()))
      acc = add(cst(c), mul(r2, acc));
    return acc;
  };
  // sin r = r Σ (-1)^i r^2i / (2i+1)!, cos r = Σ (-1)^i r^2i / (2i)!.
  SmallVector<double> sinTerms, cosTerms;
  double factorial = 1.0;
  for (int n = 0; n <= 21; ++n) {
    if (n > 0)
      factorial *= n;
    double term = ((n / 2) % 2 ? -1.0 : 1.0) / factorial;
    (n % 2 ? sinTerms : cosTerms).push_back(term);
  }
  Value s = mul(r, horner(sinTerms));
  Value c = horner(cosTerms);

  // The quadrant k mod 4 (cos: one more) picks ±sin or ±cos. Non-finite
  // arguments make r NaN; k is replaced so that its conversion is defined.
  Value finite = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                       math::AbsFOp::create(b, loc, k),
                                       cst(4503599627370496.0));
  k = arith::SelectOp::create(b, loc, finite, k, cst(0.0));
  Value quadrant = arith::AndIOp::create(
      b, loc, arith::FPToSIOp::create(b, loc, i64, k),
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(3)));
  if (cosine)
    quadrant = arith::AndIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, quadrant,
            arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1))),
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(3)));
  auto isQuadrant = [&](int64_t q) {
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, quadrant,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(q)));
  };
  // Quadrants 0..3 of sin: s, c, -s, -c.
  Value odd = arith::AndIOp::create(
      b, loc, quadrant,
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1)));
  Value useCos = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne, odd,
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
  Value magnitude = arith::SelectOp::create(b, loc, useCos, c, s);
  Value negate = arith::OrIOp::create(b, loc, isQuadrant(2), isQuadrant(3));
  Value result = arith::SelectOp::create(
      b, loc, negate, arith::NegFOp::create(b, loc, magnitude), magnitude);
  return type == f64
             ? result
             : arith::TruncFOp::create(b, loc, type, result).getResult();
}
