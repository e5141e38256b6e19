//===- ContribOps.cpp - ONNX Runtime's com.microsoft fused ops ------------===//
//
// The ops ONNX Runtime's graph optimizer and its transformers tools write
// into the models they save (its fused MatMul/Gemm forms are with the other
// linear algebra, in LinearAlgebraOps.cpp). Each decomposes into whittle ops
// with the semantics of ORT's reference CPU kernels; the graph passes and the
// elementwise fusion recover the fused kernels, so nothing is lost by not
// keeping them whole.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// Multiplies by a scalar unless it is 1.
ParseResult scaleBy(NodeBinder &b, Value &v, float alpha) {
  if (alpha == 1.0f)
    return success();
  Value s = b.scalarConstant(NodeBinder::elementType(v), widenFloat(alpha));
  return b.create<MulOp>(v, v, s);
}

/// Gelu (exact) and FastGelu (tanh approximation), each with an optional
/// bias added first; BiasGelu is Gelu with a required bias.
template <bool Tanh, bool BiasRequired>
LogicalResult importGeluFamily(NodeBinder &b) {
  Value x, bias, y;
  if (b.tensor(0, x) ||
      (BiasRequired ? b.tensor(1, bias) : b.optionalTensor(1, bias)) ||
      (bias && b.create<AddOp>(x, x, bias)) ||
      b.create<GeluOp>(y, x, b.getBuilder().getBoolAttr(Tanh)))
    return failure();
  return b.setResults(y);
}

/// QuickGelu: x * sigmoid(alpha * x).
LogicalResult importQuickGelu(NodeBinder &b) {
  Value x, scaled, gate, y;
  float alpha;
  if (b.tensor(0, x) || b.attr("alpha", alpha, 1.702f))
    return failure();
  scaled = x;
  if (scaleBy(b, scaled, alpha) || b.create<SigmoidOp>(gate, scaled) ||
      b.create<MulOp>(y, x, gate))
    return failure();
  return b.setResults(y);
}

/// BiasAdd: X + bias + skip.
LogicalResult importBiasAdd(NodeBinder &b) {
  Value x, bias, skip, y;
  if (b.tensor(0, x) || b.tensor(1, bias) || b.tensor(2, skip) ||
      b.create<AddOp>(y, x, bias) || b.create<AddOp>(y, y, skip))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerContribOps(OpRegistry &r) {
  const char *ms = "com.microsoft";
  r.add(ms, "Gelu", 1, importGeluFamily<false, false>, "gelu", "erf form");
  r.add(ms, "FastGelu", 1, importGeluFamily<true, false>, "add + gelu",
        "tanh form; optional bias");
  r.add(ms, "BiasGelu", 1, importGeluFamily<false, true>, "add + gelu",
        "erf form");
  r.add(ms, "QuickGelu", 1, importQuickGelu, "mul + sigmoid",
        "x·sigmoid(alpha·x), alpha default 1.702");
  r.add(ms, "BiasAdd", 1, importBiasAdd, "add", "X + bias + skip");
}
