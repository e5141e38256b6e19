//===- ProbeHeads.cpp - Expose each head's contribution as an output ------===//
//
// Instrumentation for calibration-driven head pruning. For every attention
// whose output goes through one linear layer (traceAttentionOutput), the
// function gains an output [H]: per head, the sum over all tokens of the
// squared norm of that head's output after the output projection,
// sum ||O_h Wo_h||^2. A head that contributes little there is what
// --prune-heads-ratio removes first. The probed sites are recorded on the
// function (`whittle.probe_sites`: layer index and node per added output).
// Likewise per feed-forward block, an output [I]: per neuron, its output
// energy after the down projection (for --prune-ffn-ratio).
//
//===----------------------------------------------------------------------===//

#include "HeadAnalysis.h"
#include "ModelOutputs.h"
#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEPROBEHEADS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

struct WhittleProbeHeadsPass
    : whittle::impl::WhittleProbeHeadsBase<WhittleProbeHeadsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    OpBuilder b(ret);
    SmallVector<AttentionOp> sites;
    func.walk([&](AttentionOp op) { sites.push_back(op); });
    SmallVector<Value> energies;
    SmallVector<Attribute> names, probed;
    for (auto [layer, op] : llvm::enumerate(sites)) {
      std::optional<AttentionOutput> out = traceAttentionOutput(op);
      auto v = op.getValue().getType();
      if (!out || !v.hasStaticShape() || !v.getElementType().isF32())
        continue;
      Location loc = op.getLoc();
      auto at = cast<RankedTensorType>(out->transpose.getResult().getType());
      int64_t tokens = at.getDimSize(0) * at.getDimSize(1);
      int64_t heads = at.getDimSize(2), dv = at.getDimSize(3);
      int64_t d = out->linear.channels;
      // [B, T, H, Dv] -> [H, B*T, Dv], times Wo as [H, Dv, d].
      Value flat =
          ReshapeOp::create(b, loc, out->transpose.getResult(),
                            b.getDenseI64ArrayAttr({tokens, heads, dv}));
      Value perHead =
          TransposeOp::create(b, loc, flat, b.getDenseI64ArrayAttr({1, 0, 2}));
      Value wo = makeF32Constant(
          b, loc, RankedTensorType::get({heads, dv, d}, b.getF32Type()),
          out->linear.weight, "whittle_probe");
      Value projected = MatMulOp::create(b, loc, perHead, wo);
      Value squared = MulOp::create(b, loc, projected, projected);
      energies.push_back(ReduceSumOp::create(b, loc, squared,
                                             b.getDenseI64ArrayAttr({1, 2}),
                                             b.getBoolAttr(false)));
      names.push_back(
          b.getStringAttr("__whittle_head_energy_" + std::to_string(layer)));
      probed.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("layer", b.getI64IntegerAttr(layer)),
           b.getNamedAttr("node", b.getStringAttr(nodeNameOf(loc)))}));
    }
    // FFN neurons: per neuron j of a feed-forward block, the sum over
    // tokens of a_j^2 ||W_down[j, :]||^2 (its output after the down
    // projection), named after the down projection's node.
    SmallVector<Operation *> linears;
    func.walk([&](Operation *op) {
      if (isa<GemmOp, MatMulOp>(op))
        linears.push_back(op);
    });
    for (Operation *op : linears) {
      std::optional<Linear> down = linearProducing(op->getResult(0));
      if (!down || down->matmul != op || !traceFeedForward(*down))
        continue;
      auto in = cast<RankedTensorType>(down->input.getType());
      if (!in.hasStaticShape() || !in.getElementType().isF32())
        continue;
      Location loc = op->getLoc();
      int64_t width = down->in, tokens = in.getNumElements() / width;
      SmallVector<double> rowNorms(width, 0.0);
      for (int64_t j = 0; j < width; ++j)
        for (int64_t c = 0; c < down->channels; ++c)
          rowNorms[j] += down->weight[j * down->channels + c] *
                         down->weight[j * down->channels + c];
      Value flat = ReshapeOp::create(b, loc, down->input,
                                     b.getDenseI64ArrayAttr({tokens, width}));
      Value squared = MulOp::create(b, loc, flat, flat);
      Value summed = ReduceSumOp::create(
          b, loc, squared, b.getDenseI64ArrayAttr({0}), b.getBoolAttr(false));
      Value norms = makeF32Constant(
          b, loc, RankedTensorType::get({width}, b.getF32Type()), rowNorms,
          "whittle_probe");
      energies.push_back(MulOp::create(b, loc, summed, norms));
      names.push_back(
          b.getStringAttr("__whittle_ffn_energy_" + nodeNameOf(loc)));
    }
    if (energies.empty())
      return;
    appendModelOutputs(func, energies, names);
    if (!probed.empty())
      func->setAttr("whittle.probe_sites", b.getArrayAttr(probed));
  }
};

} // namespace
