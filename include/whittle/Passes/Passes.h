//===- Passes.h - Whittle passes --------------------------------*- C++ -*-===//

#ifndef WHITTLE_PASSES_PASSES_H
#define WHITTLE_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

#include <string>
#include <vector>

namespace whittle {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Registers every whittle pass and the named pipelines
/// `whittle-graph-pipeline` and `whittle-backend-pipeline`, so that
/// whittle-opt runs exactly what whittle-compile runs.
void registerAllWhittlePasses();

/// What the graph pipeline prunes.
struct GraphPipelineOptions {
  /// whittle-prune-dead-heads on provably dead structure (exact: it changes
  /// no result).
  bool pruneDeadHeads = true;
  /// Live heads to remove as well (SITE:HEAD, @LAYER:HEAD) and the reason
  /// the report gives for them.
  std::vector<std::string> pruneHeads;
  std::string pruneReason = "requested";
  /// Live FFN neurons to remove as well (NODE:J, NODE the down projection).
  std::vector<std::string> pruneNeurons;
  /// whittle-quantize-weights when not empty ("int8" or "int4"), with its
  /// group size, activations and exclude pattern.
  std::string quantizeWeights;
  int64_t quantizeGroupSize = 32;
  std::string quantizeActivations = "none";
  std::string quantizeExclude;
  bool quantizeReduceRange = false;
  /// whittle-probe-matmuls before quantization (calibration).
  bool probeMatmuls = false;
  /// With probeMatmuls: their inputs too.
  bool probeMatmulInputs = false;
  /// Calibration activations for the quantization's scale search.
  std::string quantizeActivationSamples;
};

/// The graph-level pipeline on the imported whittle graph
/// (passes/graph/GraphPipeline.cpp).
void buildGraphPipeline(mlir::OpPassManager &pm,
                        const GraphPipelineOptions &options = {});

} // namespace whittle

#endif // WHITTLE_PASSES_PASSES_H
