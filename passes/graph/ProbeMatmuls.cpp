//===- ProbeMatmuls.cpp - Expose each weight matmul's output --------------===//
//
// Instrumentation for measuring compile-time quantization per layer. Every
// matmul or gemm with a constant fp32 2-D weight (what
// whittle-quantize-weights takes) gains its result as a model output named
// after its node. Run before quantization, both in the model as given and
// in the quantized one: quantization replaces the matmul and with it the
// output, so the two libraries' outputs of one name are the same layer
// computed both ways.
//
//===----------------------------------------------------------------------===//

#include "ModelOutputs.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/StringSet.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEPROBEMATMULS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

bool hasConstantWeight(Operation *op) {
  Value w = op->getOperand(1); // matmul rhs, gemm B
  auto type = dyn_cast<RankedTensorType>(w.getType());
  auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return type && result && type.getRank() == 2 &&
         type.getElementType().isF32() && result.hasStaticShape() &&
         w.getDefiningOp<ConstantOp>();
}

struct WhittleProbeMatmulsPass
    : whittle::impl::WhittleProbeMatmulsBase<WhittleProbeMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal())
      return;
    SmallVector<Value> probes;
    SmallVector<Attribute> names;
    llvm::StringSet<> seen;
    func.walk([&](Operation *op) {
      if (!isa<MatMulOp, GemmOp>(op) || !hasConstantWeight(op))
        return;
      std::string name = "__whittle_site_" + nodeNameOf(op->getLoc());
      if (!seen.insert(name).second)
        return; // one output per node
      probes.push_back(op->getResult(0));
      names.push_back(StringAttr::get(&getContext(), name));
      if (inputs) {
        // The activations the layer reads, for the quantization's
        // activation-aware scale search.
        probes.push_back(op->getOperand(0));
        names.push_back(StringAttr::get(
            &getContext(), "__whittle_input_" + nodeNameOf(op->getLoc())));
      }
    });
    if (!probes.empty())
      appendModelOutputs(func, probes, names);
  }
};

} // namespace
