//===- ElementwiseOps.cpp - Elementwise ONNX ops --------------------------===//
//
// Unary, binary and variadic elementwise ops, casts and selects: each maps to
// one whittle op with numpy broadcasting.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

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
  r.add("", "Cast", 13, importCast, "cast",
        "float→int truncates; saturate attribute ignored");
  r.add("", "Where", 13, importWhere, "where", "broadcasting select");
}
