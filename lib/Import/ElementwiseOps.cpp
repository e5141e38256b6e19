//===- ElementwiseOps.cpp - Elementwise ONNX ops --------------------------===//
//
// Unary, binary and variadic elementwise ops, casts and selects: each maps to
// one whittle op with numpy broadcasting.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

#include <limits>

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

template <typename OpTy> LogicalResult importUnary(NodeBinder &b) {
  Value x, y;
  if (b.tensor(0, x) || b.create<OpTy>(y, x))
    return failure();
  return b.setResults(y);
}

template <typename OpTy> LogicalResult importBinary(NodeBinder &b) {
  Value lhs, rhs, y;
  if (b.tensor(0, lhs) || b.tensor(1, rhs) || b.create<OpTy>(y, lhs, rhs))
    return failure();
  return b.setResults(y);
}

/// Min/Max of any number of inputs: a chain of binary ops.
template <typename OpTy> LogicalResult importVariadic(NodeBinder &b) {
  SmallVector<Value> inputs;
  if (b.tensors(inputs))
    return failure();
  Value acc = inputs.front();
  for (Value next : llvm::drop_begin(inputs))
    if (b.create<OpTy>(acc, acc, next))
      return failure();
  return b.setResults(acc);
}

LogicalResult importPow(NodeBinder &b) {
  Value base, exponent, y;
  if (b.tensor(0, base) || b.tensor(1, exponent))
    return failure();
  Type baseElt = NodeBinder::elementType(base);
  if (NodeBinder::elementType(exponent) != baseElt &&
      b.create<CastOp>(exponent, exponent, TypeAttr::get(baseElt)))
    return failure();
  if (b.create<PowOp>(y, base, exponent))
    return failure();
  return b.setResults(y);
}

LogicalResult importGelu(NodeBinder &b) {
  Value x, y;
  std::string approximate;
  if (b.tensor(0, x) ||
      b.enumAttr("approximate", approximate, {"none", "tanh"}) ||
      b.create<GeluOp>(y, x, b.getBuilder().getBoolAttr(approximate == "tanh")))
    return failure();
  return b.setResults(y);
}

LogicalResult importClip(NodeBinder &b) {
  Value x, y;
  if (b.tensor(0, x))
    return failure();
  FloatAttr bounds[2];
  const char *names[2] = {"min", "max"};
  for (int i = 0; i < 2; ++i) {
    Value v;
    double scalar;
    if (b.optionalTensor(i + 1, v))
      return failure();
    if (!v)
      continue;
    if (b.constantScalar(v, names[i], scalar))
      return failure();
    bounds[i] = b.getBuilder().getF64FloatAttr(scalar);
  }
  if (b.create<ClipOp>(y, x, bounds[0], bounds[1]))
    return failure();
  return b.setResults(y);
}

/// Activations composed of ops the compiler has, so that every pass and
/// target handles them: `body` builds the result from x.
template <typename Body>
LogicalResult importComposed(NodeBinder &b, Body body) {
  Value x, y;
  if (b.tensor(0, x) || body(x, NodeBinder::elementType(x), y))
    return failure();
  return b.setResults(y);
}

/// LeakyRelu: x < 0 ? alpha x : x.
LogicalResult importLeakyRelu(NodeBinder &b) {
  float alpha;
  if (b.attr("alpha", alpha, 0.01f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value zero = b.scalarConstant(elt, 0.0), negative, scaled;
    return b.create<LessOp>(negative, x, zero) ||
           b.create<MulOp>(scaled, x, b.scalarConstant(elt, alpha)) ||
           b.create<WhereOp>(y, negative, scaled, x);
  });
}

/// Elu: x < 0 ? alpha (e^x - 1) : x.
LogicalResult importElu(NodeBinder &b) {
  float alpha;
  if (b.attr("alpha", alpha, 1.0f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value zero = b.scalarConstant(elt, 0.0), negative, e;
    return b.create<LessOp>(negative, x, zero) || b.create<ExpOp>(e, x) ||
           b.create<SubOp>(e, e, b.scalarConstant(elt, 1.0)) ||
           b.create<MulOp>(e, e, b.scalarConstant(elt, alpha)) ||
           b.create<WhereOp>(y, negative, e, x);
  });
}

/// Softplus: log(1 + e^x), as max(x, 0) + log(1 + e^-|x|) so that large x
/// does not overflow to infinity.
ParseResult softplus(NodeBinder &b, Value x, Type elt, Value &y) {
  Value zero = b.scalarConstant(elt, 0.0), positive, t;
  return failure(b.create<MaxOp>(positive, x, zero) || b.create<AbsOp>(t, x) ||
                 b.create<NegOp>(t, t) || b.create<ExpOp>(t, t) ||
                 b.create<AddOp>(t, t, b.scalarConstant(elt, 1.0)) ||
                 b.create<LogOp>(t, t) || b.create<AddOp>(y, positive, t));
}

LogicalResult importSoftplus(NodeBinder &b) {
  return importComposed(
      b, [&](Value x, Type elt, Value &y) { return softplus(b, x, elt, y); });
}

/// HardSigmoid: clip(alpha x + beta, 0, 1); HardSwish: x HardSigmoid(x)
/// with alpha 1/6 and beta 1/2.
ParseResult hardSigmoid(NodeBinder &b, Value x, Type elt, float alpha,
                        float beta, Value &y) {
  OpBuilder &builder = b.getBuilder();
  return failure(b.create<MulOp>(y, x, b.scalarConstant(elt, alpha)) ||
                 b.create<AddOp>(y, y, b.scalarConstant(elt, beta)) ||
                 b.create<ClipOp>(y, y, builder.getF64FloatAttr(0.0),
                                  builder.getF64FloatAttr(1.0)));
}

LogicalResult importHardSigmoid(NodeBinder &b) {
  float alpha, beta;
  if (b.attr("alpha", alpha, 0.2f) || b.attr("beta", beta, 0.5f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    return hardSigmoid(b, x, elt, alpha, beta, y);
  });
}

LogicalResult importHardSwish(NodeBinder &b) {
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    return hardSigmoid(b, x, elt, 1.0f / 6.0f, 0.5f, y) ||
           b.create<MulOp>(y, x, y);
  });
}

/// Selu: gamma (x <= 0 ? alpha (e^x - 1) : x).
LogicalResult importSelu(NodeBinder &b) {
  float alpha, gamma;
  if (b.attr("alpha", alpha, 1.67326319217681884765625f) ||
      b.attr("gamma", gamma, 1.05070102214813232421875f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value zero = b.scalarConstant(elt, 0.0), positive, e;
    return b.create<GreaterOp>(positive, x, zero) || b.create<ExpOp>(e, x) ||
           b.create<SubOp>(e, e, b.scalarConstant(elt, 1.0)) ||
           b.create<MulOp>(e, e, b.scalarConstant(elt, alpha)) ||
           b.create<WhereOp>(y, positive, x, e) ||
           b.create<MulOp>(y, y, b.scalarConstant(elt, gamma));
  });
}

/// Celu: max(0, x) + min(0, alpha (e^(x / alpha) - 1)).
LogicalResult importCelu(NodeBinder &b) {
  float alpha;
  if (b.attr("alpha", alpha, 1.0f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value zero = b.scalarConstant(elt, 0.0), positive, e;
    return b.create<MaxOp>(positive, x, zero) ||
           b.create<DivOp>(e, x, b.scalarConstant(elt, alpha)) ||
           b.create<ExpOp>(e, e) ||
           b.create<SubOp>(e, e, b.scalarConstant(elt, 1.0)) ||
           b.create<MulOp>(e, e, b.scalarConstant(elt, alpha)) ||
           b.create<MinOp>(e, e, zero) || b.create<AddOp>(y, positive, e);
  });
}

/// ThresholdedRelu: x > alpha ? x : 0.
LogicalResult importThresholdedRelu(NodeBinder &b) {
  float alpha;
  if (b.attr("alpha", alpha, 1.0f))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value above;
    return b.create<GreaterOp>(above, x, b.scalarConstant(elt, alpha)) ||
           b.create<WhereOp>(y, above, x, b.scalarConstant(elt, 0.0));
  });
}

/// Mish: x tanh(softplus(x)).
LogicalResult importMish(NodeBinder &b) {
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value t;
    return softplus(b, x, elt, t) || b.create<TanhOp>(t, t) ||
           b.create<MulOp>(y, x, t);
  });
}

/// PRelu: x < 0 ? slope x : x, the slope broadcast (a second input).
LogicalResult importPRelu(NodeBinder &b) {
  Value x, slope, negative, scaled, y;
  if (b.tensor(0, x) || b.tensor(1, slope) ||
      b.create<LessOp>(negative, x,
                       b.scalarConstant(NodeBinder::elementType(x), 0.0)) ||
      b.create<MulOp>(scaled, x, slope) ||
      b.create<WhereOp>(y, negative, scaled, x))
    return failure();
  return b.setResults(y);
}

/// IsNaN: x != x. IsInf: |x| compared with infinity, each sign on request.
LogicalResult importIsNaN(NodeBinder &b) {
  return importComposed(b, [&](Value x, Type, Value &y) {
    return b.create<EqualOp>(y, x, x) || b.create<NotOp>(y, y);
  });
}

LogicalResult importIsInf(NodeBinder &b) {
  int64_t negative, positive;
  if (b.attr("detect_negative", negative, 1) ||
      b.attr("detect_positive", positive, 1))
    return failure();
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    double inf = std::numeric_limits<double>::infinity();
    Value isPos, isNeg;
    if (b.create<EqualOp>(isPos, x, b.scalarConstant(elt, inf)) ||
        b.create<EqualOp>(isNeg, x, b.scalarConstant(elt, -inf)))
      return true;
    if (positive && negative)
      return bool(b.create<OrOp>(y, isPos, isNeg));
    if (positive) {
      y = isPos;
      return false;
    }
    if (negative) {
      y = isNeg;
      return false;
    }
    // Neither sign: all false.
    return b.create<AndOp>(y, isPos, isNeg) || false;
  });
}

/// Sign: 1, -1, or x * 0 (0 for zeros, NaN for NaN).
LogicalResult importSign(NodeBinder &b) {
  return importComposed(b, [&](Value x, Type elt, Value &y) {
    Value zero = b.scalarConstant(elt, 0.0), positive, negative, rest;
    return b.create<GreaterOp>(positive, x, zero) ||
           b.create<LessOp>(negative, x, zero) ||
           b.create<MulOp>(rest, x, zero) ||
           b.create<WhereOp>(y, negative, b.scalarConstant(elt, -1.0), rest) ||
           b.create<WhereOp>(y, positive, b.scalarConstant(elt, 1.0), y);
  });
}

LogicalResult importCast(NodeBinder &b) {
  Value x, y;
  int64_t to;
  if (b.tensor(0, x) || b.attr("to", to, onnx::TensorProto::UNDEFINED))
    return failure();
  Type elt = convertElementType(*b.getContext(), to);
  if (!elt)
    return b.error() << "cannot cast to " << elementTypeName(to);
  if (b.create<CastOp>(y, x, TypeAttr::get(elt)))
    return failure();
  return b.setResults(y);
}

LogicalResult importMod(NodeBinder &b) {
  Value x, y, result;
  int64_t fmod;
  if (b.tensor(0, x) || b.tensor(1, y) || b.attr("fmod", fmod, 0))
    return failure();
  if (isa<FloatType>(NodeBinder::elementType(x)) && !fmod)
    return b.error() << "Mod of floating-point tensors needs fmod = 1";
  if (b.create<ModOp>(result, x, y, b.getBuilder().getBoolAttr(fmod != 0)))
    return failure();
  return b.setResults(result);
}

/// CastLike: a Cast to the element type of the second input.
LogicalResult importCastLike(NodeBinder &b) {
  Value x, like, y;
  if (b.tensor(0, x) || b.tensor(1, like) ||
      b.create<CastOp>(y, x, TypeAttr::get(NodeBinder::elementType(like))))
    return failure();
  return b.setResults(y);
}

/// Xor of bool tensors: a != b.
LogicalResult importXor(NodeBinder &b) {
  Value lhs, rhs, y;
  if (b.tensor(0, lhs) || b.tensor(1, rhs) || b.create<EqualOp>(y, lhs, rhs) ||
      b.create<NotOp>(y, y))
    return failure();
  return b.setResults(y);
}

LogicalResult importWhere(NodeBinder &b) {
  Value c, x, y, result;
  if (b.tensor(0, c) || b.tensor(1, x) || b.tensor(2, y) ||
      b.create<WhereOp>(result, c, x, y))
    return failure();
  return b.setResults(result);
}

} // namespace

void whittle::registerElementwiseOps(OpRegistry &r) {
  const char *bcast = "numpy broadcasting";
  r.add("", "Add", 13, importBinary<AddOp>, "add", bcast);
  r.add("", "Sub", 13, importBinary<SubOp>, "sub", bcast);
  r.add("", "Mul", 13, importBinary<MulOp>, "mul", bcast);
  r.add("", "Div", 13, importBinary<DivOp>, "div",
        "numpy broadcasting; integer Div truncates");
  r.add("", "Pow", 13, importPow, "pow",
        "exponent cast to the base type when they differ");
  r.add("", "And", 13, importBinary<AndOp>, "and", "bool tensors");
  r.add("", "Or", 13, importBinary<OrOp>, "or", "bool tensors");
  r.add("", "Not", 13, importUnary<NotOp>, "not", "bool tensors");
  r.add("", "Xor", 7, importXor, "equal + not", "bool tensors");
  r.add("", "Mod", 13, importMod, "mod",
        "floats with fmod = 1 (exact below a quotient of 2^29); a zero "
        "integer divisor gives 0");
  r.add("", "Equal", 13, importBinary<EqualOp>, "equal", "bool result");
  r.add("", "Less", 13, importBinary<LessOp>, "less", "bool result");
  r.add("", "LessOrEqual", 13, importBinary<LessEqualOp>, "less_equal",
        "bool result");
  r.add("", "Greater", 13, importBinary<GreaterOp>, "greater", "bool result");
  r.add("", "GreaterOrEqual", 13, importBinary<GreaterEqualOp>, "greater_equal",
        "bool result");
  const char *variadic = "variadic forms become a chain; float NaN propagates";
  r.add("", "Min", 13, importVariadic<MinOp>, "min", variadic);
  r.add("", "Max", 13, importVariadic<MaxOp>, "max", variadic);
  r.add("", "Sqrt", 13, importUnary<SqrtOp>, "sqrt");
  r.add("", "Round", 11, importUnary<RoundOp>, "round", "half to even");
  r.add("", "Reciprocal", 13, importUnary<ReciprocalOp>, "reciprocal");
  r.add("", "Exp", 13, importUnary<ExpOp>, "exp");
  r.add("", "Log", 13, importUnary<LogOp>, "log");
  r.add("", "Erf", 13, importUnary<ErfOp>, "erf");
  r.add("", "Sin", 7, importUnary<SinOp>, "sin");
  r.add("", "Cos", 7, importUnary<CosOp>, "cos");
  r.add("", "Tanh", 13, importUnary<TanhOp>, "tanh");
  r.add("", "Sigmoid", 13, importUnary<SigmoidOp>, "sigmoid");
  r.add("", "Relu", 13, importUnary<ReluOp>, "relu");
  r.add("", "Neg", 13, importUnary<NegOp>, "neg");
  r.add("", "Abs", 13, importUnary<AbsOp>, "abs");
  r.add("", "Gelu", 20, importGelu, "gelu", "`approximate=\"tanh\"` supported");
  r.add("", "Clip", 13, importClip, "clip", "min/max must be constants");
  r.add("", "LeakyRelu", 6, importLeakyRelu, "less + mul + where");
  r.add("", "Elu", 6, importElu, "less + exp + where");
  r.add("", "Softplus", 1, importSoftplus, "max + log(1 + exp(-|x|))");
  r.add("", "HardSigmoid", 6, importHardSigmoid, "mul + add + clip");
  r.add("", "HardSwish", 14, importHardSwish, "x * hard sigmoid");
  r.add("", "Sign", 13, importSign, "greater + less + where");
  r.add("", "Selu", 6, importSelu, "greater + exp + where + mul");
  r.add("", "Celu", 12, importCelu, "max + min of the scaled exp");
  r.add("", "ThresholdedRelu", 10, importThresholdedRelu, "greater + where");
  r.add("", "Mish", 18, importMish, "x * tanh(softplus(x))");
  r.add("", "PRelu", 16, importPRelu, "less + mul + where",
        "slope broadcast to x");
  r.add("", "IsNaN", 13, importIsNaN, "equal + not");
  r.add("", "IsInf", 10, importIsInf, "equal with +-inf",
        "detect_negative, detect_positive");
  r.add("", "Floor", 13, importUnary<FloorOp>, "floor");
  r.add("", "Ceil", 13, importUnary<CeilOp>, "ceil");
  r.add("", "Cast", 13, importCast, "cast",
        "float→int truncates; saturate attribute ignored");
  r.add("", "CastLike", 15, importCastLike, "cast",
        "to the second input's element type");
  r.add("", "Where", 13, importWhere, "where", "broadcasting select");
}
