//===- GraphPipeline.cpp - The graph-level pipeline -----------------------===//
//
// What whittle-compile runs on the imported whittle graph before lowering,
// registered as `whittle-graph-pipeline` so whittle-opt runs the same. The
// graph passes (fuse-attention, fold-quantization, prune-dead-heads, and
// quantize-weights on request) slot in
// here as they land, each in its own file in this folder.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

void whittle::buildGraphPipeline(mlir::OpPassManager &pm,
                                 const GraphPipelineOptions &options) {
  // Folding first, so that shape subgraphs and constant scales are plain
  // constants when the graph passes look for their patterns.
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addNestedPass<mlir::func::FuncOp>(createWhittleFuseAttention());
  pm.addNestedPass<mlir::func::FuncOp>(createWhittleFoldQuantization());
  if (options.pruneDeadHeads || !options.pruneHeads.empty() ||
      !options.pruneNeurons.empty()) {
    WhittlePruneDeadHeadsOptions prune;
    prune.requestedHeads = llvm::to_vector(options.pruneHeads);
    prune.requestedReason = options.pruneReason;
    prune.requestedNeurons = llvm::to_vector(options.pruneNeurons);
    pm.addNestedPass<mlir::func::FuncOp>(createWhittlePruneDeadHeads(prune));
  }
  if (options.probeMatmuls) {
    WhittleProbeMatmulsOptions probe;
    probe.inputs = options.probeMatmulInputs;
    pm.addPass(createWhittleProbeMatmuls(probe));
  }
  // After the exact passes: pruning reads fp32 weights.
  if (!options.quantizeWeights.empty()) {
    WhittleQuantizeWeightsOptions quantize;
    quantize.weights = options.quantizeWeights;
    quantize.groupSize = options.quantizeGroupSize;
    quantize.activations = options.quantizeActivations;
    quantize.exclude = options.quantizeExclude;
    quantize.reduceRange = options.quantizeReduceRange;
    quantize.activationSamples = options.quantizeActivationSamples;
    pm.addNestedPass<mlir::func::FuncOp>(
        createWhittleQuantizeWeights(quantize));
  }
  pm.addPass(mlir::createCanonicalizerPass());
}
