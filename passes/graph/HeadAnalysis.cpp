//===- HeadAnalysis.cpp - Linear layers and attention heads ---------------===//

#include "HeadAnalysis.h"
#include "WeightData.h"

#include "mlir/IR/Matchers.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace whittle;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value Linear::rebuild(PatternRewriter &rewriter, Value x,
                      ArrayRef<int64_t> rows, ArrayRef<int64_t> cols) const {
  SmallVector<int64_t> allRows, allCols;
  if (rows.empty())
    rows = allRows = llvm::to_vector(llvm::seq<int64_t>(0, in));
  if (cols.empty())
    cols = allCols = llvm::to_vector(llvm::seq<int64_t>(0, channels));
  SmallVector<double> w;
  w.reserve(rows.size() * cols.size());
  for (int64_t r : rows)
    for (int64_t c : cols)
      w.push_back(weight[r * channels + c]);
  Location loc = matmul->getLoc();
  Type f32 = rewriter.getF32Type();
  Value newWeight = makeF32Constant(
      rewriter, weightValue.getLoc(),
      RankedTensorType::get({int64_t(rows.size()), int64_t(cols.size())}, f32),
      w, "whittle_pruned");
  Value newBias;
  if (!bias.empty()) {
    SmallVector<double> b;
    for (int64_t c : cols)
      b.push_back(bias[c]);
    newBias =
        makeF32Constant(rewriter, biasValue.getLoc(),
                        RankedTensorType::get({int64_t(cols.size())}, f32), b,
                        "whittle_pruned");
  }
  if (auto gemm = dyn_cast<GemmOp>(matmul))
    return GemmOp::create(rewriter, loc, x, newWeight, newBias,
                          gemm.getAlphaAttr(), gemm.getBetaAttr(),
                          gemm.getTransAAttr(), gemm.getTransBAttr());
  Value y = MatMulOp::create(rewriter, loc, x, newWeight);
  if (biasAdd)
    y = AddOp::create(rewriter, biasAdd.getLoc(), y, newBias);
  return y;
}

static bool isF32Constant(Value v, int64_t rank) {
  auto type = typeOf(v);
  return matchPattern(v, m_Constant()) && type.getElementType().isF32() &&
         type.hasStaticShape() && type.getRank() == rank;
}

/// The linear layer whose output channels `v` carries.
std::optional<Linear> whittle::linearProducing(Value v) {
  Linear l;
  if (auto gemm = v.getDefiningOp<GemmOp>()) {
    if (gemm.getTransA() || gemm.getTransB() ||
        gemm.getAlpha().convertToDouble() != 1.0 ||
        gemm.getBeta().convertToDouble() != 1.0 ||
        !isF32Constant(gemm.getB(), 2))
      return std::nullopt;
    if (Value c = gemm.getC()) {
      if (!isF32Constant(c, 1))
        return std::nullopt;
      l.biasValue = c;
    }
    l.matmul = gemm;
    l.input = gemm.getA();
    l.weightValue = gemm.getB();
  } else {
    Value mmResult = v;
    if (auto add = v.getDefiningOp<AddOp>()) {
      for (auto [mmSide, biasSide] : {std::pair(add.getLhs(), add.getRhs()),
                                      std::pair(add.getRhs(), add.getLhs())})
        if (mmSide.getDefiningOp<MatMulOp>() && mmSide.hasOneUse() &&
            isF32Constant(biasSide, 1)) {
          l.biasAdd = add;
          l.biasValue = biasSide;
          mmResult = mmSide;
          break;
        }
      if (!l.biasAdd)
        return std::nullopt;
    }
    auto mm = mmResult.getDefiningOp<MatMulOp>();
    if (!mm || !isF32Constant(mm.getRhs(), 2))
      return std::nullopt;
    l.matmul = mm;
    l.input = mm.getLhs();
    l.weightValue = mm.getRhs();
  }
  auto wType = typeOf(l.weightValue);
  l.in = wType.getDimSize(0);
  l.channels = wType.getDimSize(1);
  std::optional<SmallVector<double>> w = readFloatConstant(l.weightValue);
  if (!w)
    return std::nullopt;
  l.weight = std::move(*w);
  if (l.biasValue) {
    std::optional<SmallVector<double>> b = readFloatConstant(l.biasValue);
    if (!b || int64_t(b->size()) != l.channels)
      return std::nullopt;
    l.bias = std::move(*b);
  }
  return l;
}

/// The linear layer that is the only reader of `x`.
std::optional<Linear> whittle::linearReading(Value x) {
  if (!x.hasOneUse())
    return std::nullopt;
  Operation *user = *x.getUsers().begin();
  Value out;
  if (auto gemm = dyn_cast<GemmOp>(user); gemm && gemm.getA() == x)
    out = gemm.getResult();
  else if (auto mm = dyn_cast<MatMulOp>(user); mm && mm.getLhs() == x)
    out = mm.getResult();
  else
    return std::nullopt;
  // A MatMul's bias add, when it is its only user.
  if (isa<MatMulOp>(user) && out.hasOneUse())
    if (auto add = dyn_cast<AddOp>(*out.getUsers().begin()))
      if (std::optional<Linear> l = linearProducing(add.getResult()))
        return l;
  std::optional<Linear> l = linearProducing(out);
  if (l && l->biasAdd)
    return std::nullopt;
  return l;
}

std::optional<AttentionOutput> whittle::traceAttentionOutput(AttentionOp op) {
  int64_t heads = op.getQuery().getType().getDimSize(1);
  int64_t dv = op.getValue().getType().getDimSize(3);
  Value result = op.getResult();
  if (!result.hasOneUse())
    return std::nullopt;
  AttentionOutput out;
  out.transpose = dyn_cast<TransposeOp>(*result.getUsers().begin());
  if (!out.transpose ||
      out.transpose.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3} ||
      !out.transpose.getResult().hasOneUse())
    return std::nullopt;
  out.merge =
      dyn_cast<ReshapeOp>(*out.transpose.getResult().getUsers().begin());
  if (!out.merge ||
      typeOf(out.merge.getResult()).getShape().back() != heads * dv)
    return std::nullopt;
  std::optional<Linear> linear = linearReading(out.merge.getResult());
  if (!linear || linear->in != heads * dv)
    return std::nullopt;
  out.linear = std::move(*linear);
  return out;
}

/// Elementwise ops that act on each channel on its own.
static bool isPositionWise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, SqrtOp,
             ReciprocalOp, ExpOp, LogOp, ErfOp, SinOp, CosOp, TanhOp, SigmoidOp,
             ReluOp, NegOp, AbsOp, GeluOp>(op);
}

static bool isScalar(Value v) {
  auto type = typeOf(v);
  return type.hasStaticShape() && type.getNumElements() == 1;
}

std::optional<FeedForward> whittle::traceFeedForward(const Linear &down) {
  int64_t width = down.in;
  FeedForward ffn;
  SmallVector<Value> work = {down.input};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (!seen.insert(x).second)
      continue;
    auto type = typeOf(x);
    if (!type.hasStaticShape() || type.getShape().back() != width)
      return std::nullopt;
    if (std::optional<Linear> up = linearProducing(x);
        up && up->channels == width) {
      ffn.ups.push_back(std::move(*up));
      continue;
    }
    Operation *def = x.getDefiningOp();
    // Reshapes that keep the channels last ([B*T, C] <-> [B, T, C]).
    bool channelReshape = isa_and_nonnull<ReshapeOp>(def) &&
                          typeOf(def->getOperand(0)).getShape().back() == width;
    if (!def || !(isPositionWise(def) || channelReshape) ||
        def->getNumResults() != 1)
      return std::nullopt;
    ffn.chain.insert(def);
    for (Value operand : def->getOperands())
      if (!isScalar(operand))
        work.push_back(operand);
  }
  if (ffn.ups.empty())
    return std::nullopt;
  // Nothing outside reads an intermediate.
  for (Operation *op : ffn.chain)
    for (Operation *user : op->getResult(0).getUsers())
      if (!ffn.chain.contains(user) && user != down.matmul)
        return std::nullopt;
  for (const Linear &up : ffn.ups)
    for (Operation *user : up.result().getUsers())
      if (!ffn.chain.contains(user) && user != down.matmul)
        return std::nullopt;
  return ffn;
}
