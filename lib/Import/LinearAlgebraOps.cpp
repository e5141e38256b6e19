//===- LinearAlgebraOps.cpp - MatMul, Gemm, Conv and their fused forms ----===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

LogicalResult importMatMul(NodeBinder &b) {
  Value lhs, rhs, y;
  if (b.tensor(0, lhs) || b.tensor(1, rhs) || b.create<MatMulOp>(y, lhs, rhs))
    return failure();
  return b.setResults(y);
}

/// Reads Gemm's operands and attributes (shared by FusedGemm) and builds it.
ParseResult buildGemm(NodeBinder &b, Value &y) {
  Value a, bMat, c;
  float alpha, beta;
  bool transA, transB;
  if (b.tensor(0, a) || b.tensor(1, bMat) || b.optionalTensor(2, c) ||
      b.attr("alpha", alpha, 1.0f) || b.attr("beta", beta, 1.0f) ||
      b.attr("transA", transA, false) || b.attr("transB", transB, false))
    return failure();
  OpBuilder &builder = b.getBuilder();
  return b.create<GemmOp>(
      y, a, bMat, c, builder.getF64FloatAttr(widenFloat(alpha)),
      builder.getF64FloatAttr(widenFloat(beta)), builder.getBoolAttr(transA),
      builder.getBoolAttr(transB));
}

LogicalResult importGemm(NodeBinder &b) {
  Value y;
  if (buildGemm(b, y))
    return failure();
  return b.setResults(y);
}

LogicalResult importConv(NodeBinder &b) {
  Value x, w, bias, y;
  std::string autoPad;
  int64_t group;
  std::optional<SmallVector<int64_t>> strides, dilations, pads, kernel;
  if (b.tensor(0, x) || b.tensor(1, w) || b.optionalTensor(2, bias) ||
      b.enumAttr("auto_pad", autoPad,
                 {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"}) ||
      b.attr("group", group, 1) || b.attr("strides", strides) ||
      b.attr("dilations", dilations) || b.attr("pads", pads) ||
      b.attr("kernel_shape", kernel))
    return failure();
  auto inType = NodeBinder::typeOf(x), wType = NodeBinder::typeOf(w);
  if (inType.getRank() != 4 || wType.getRank() != 4)
    return b.error() << "only 2-D convolution (rank-4 input and weight) is "
                        "supported";
  SmallVector<int64_t> s = strides.value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> d = dilations.value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> p = pads.value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (s.size() != 2 || d.size() != 2 || p.size() != 4)
    return b.error() << "expects 2 strides, 2 dilations and 4 pads";
  if (kernel && (kernel->size() != 2 ||
                 (!ShapedType::isDynamic(wType.getDimSize(2)) &&
                  kernel->front() != wType.getDimSize(2)) ||
                 (!ShapedType::isDynamic(wType.getDimSize(3)) &&
                  kernel->back() != wType.getDimSize(3))))
    return b.error() << "kernel_shape does not match the weight shape";
  if (autoPad == "VALID") {
    p.assign(4, 0);
  } else if (autoPad != "NOTSET") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = inType.getDimSize(2 + i), k = wType.getDimSize(2 + i);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return b.error() << "auto_pad " << autoPad
                         << " needs static spatial dimensions; set "
                            "--input-shape for dynamic inputs";
      if (s[i] < 1)
        return b.error() << "strides must be positive";
      int64_t out = (in + s[i] - 1) / s[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * s[i] + (k - 1) * d[i] + 1 - in);
      int64_t small = total / 2, large = total - small;
      p[i] = autoPad == "SAME_UPPER" ? small : large;
      p[i + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  }
  OpBuilder &builder = b.getBuilder();
  if (b.create<ConvOp>(y, x, w, bias, builder.getDenseI64ArrayAttr(s),
                       builder.getDenseI64ArrayAttr(d),
                       builder.getDenseI64ArrayAttr(p),
                       builder.getI64IntegerAttr(group)))
    return failure();
  return b.setResults(y);
}

/// Moves dim 0 of a rank >= 3 operand in front of the last dim:
/// [d0, b1..bk, d_last] -> [b1..bk, d0, d_last] (FusedMatMul's transBatch).
ParseResult transposeBatch(NodeBinder &b, Value &v) {
  int64_t rank = NodeBinder::rank(v);
  if (rank < 3)
    return success();
  SmallVector<int64_t> perm;
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  perm.push_back(0);
  perm.push_back(rank - 1);
  return b.create<TransposeOp>(v, v, b.getBuilder().getDenseI64ArrayAttr(perm));
}

/// Swaps the last two dims of a rank >= 2 operand.
ParseResult transposeLast(NodeBinder &b, Value &v) {
  int64_t rank = NodeBinder::rank(v);
  if (rank < 2)
    return b.error() << "cannot transpose a rank-" << rank << " operand";
  auto perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return b.create<TransposeOp>(v, v, b.getBuilder().getDenseI64ArrayAttr(perm));
}

/// com.microsoft FusedMatMul: alpha * op(A) @ op(B), op = optional batch
/// transpose, then optional transpose of the last two dims.
LogicalResult importFusedMatMul(NodeBinder &b) {
  Value a, bMat, y;
  float alpha;
  bool transA, transB, transBatchA, transBatchB;
  if (b.tensor(0, a) || b.tensor(1, bMat) || b.attr("alpha", alpha, 1.0f) ||
      b.attr("transA", transA, false) || b.attr("transB", transB, false) ||
      b.attr("transBatchA", transBatchA, false) ||
      b.attr("transBatchB", transBatchB, false))
    return failure();
  if ((transBatchA && transposeBatch(b, a)) ||
      (transBatchB && transposeBatch(b, bMat)) ||
      (transA && transposeLast(b, a)) || (transB && transposeLast(b, bMat)) ||
      b.create<MatMulOp>(y, a, bMat))
    return failure();
  if (alpha != 1.0f &&
      b.create<MulOp>(
          y, y,
          b.scalarConstant(NodeBinder::elementType(y), widenFloat(alpha))))
    return failure();
  return b.setResults(y);
}

/// com.microsoft FusedGemm: Gemm followed by the activation its
/// `activation` attribute names.
LogicalResult importFusedGemm(NodeBinder &b) {
  Value y;
  std::string activation;
  float activationAlpha;
  if (b.enumAttr("activation", activation,
                 {"", "Relu", "Tanh", "Sigmoid", "LeakyRelu"}) ||
      b.attr("activation_alpha", activationAlpha, 0.01f) || buildGemm(b, y))
    return failure();
  if (activation == "Relu" && b.create<ReluOp>(y, y))
    return failure();
  if (activation == "Tanh" && b.create<TanhOp>(y, y))
    return failure();
  if (activation == "Sigmoid" && b.create<SigmoidOp>(y, y))
    return failure();
  if (activation == "LeakyRelu") {
    // max(x, 0) + alpha * min(x, 0)
    Type elt = NodeBinder::elementType(y);
    Value zero = b.scalarConstant(elt, 0.0), pos, neg;
    Value alpha = b.scalarConstant(elt, widenFloat(activationAlpha));
    if (b.create<MaxOp>(pos, y, zero) || b.create<MinOp>(neg, y, zero) ||
        b.create<MulOp>(neg, neg, alpha) || b.create<AddOp>(y, pos, neg))
      return failure();
  }
  return b.setResults(y);
}

} // namespace

void whittle::registerLinearAlgebraOps(OpRegistry &r) {
  r.add("", "MatMul", 13, importMatMul, "matmul",
        "batch broadcasting, 1-D operands per numpy");
  r.add("", "Gemm", 13, importGemm, "gemm",
        "transA/transB, alpha, beta, broadcast C");
  r.add("", "Conv", 11, importConv, "conv",
        "2-D only; groups, dilations, strides, pads, auto_pad");
  // ONNX Runtime's fused forms, as its optimizer saves them.
  r.add("com.microsoft", "FusedMatMul", 1, importFusedMatMul,
        "transpose + matmul + mul",
        "alpha, transA/transB, transBatchA/transBatchB");
  r.add("com.microsoft", "FusedGemm", 1, importFusedGemm, "gemm + activation",
        "activation Relu, Tanh, Sigmoid or LeakyRelu");
}
