//===- Passes.h - Whittle passes --------------------------------*- C++ -*-===//

#ifndef WHITTLE_PASSES_PASSES_H
#define WHITTLE_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace whittle {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Registers every whittle pass and the named pipelines
/// `whittle-graph-pipeline` and `whittle-backend-pipeline`, so that
/// whittle-opt runs exactly what whittle-compile runs.
void registerAllWhittlePasses();

/// The graph-level pipeline on the imported whittle graph
/// (passes/graph/GraphPipeline.cpp). `pruneDeadHeads` runs
/// whittle-prune-dead-heads (exact: it changes no result).
/// `pruneHeads` lists live heads to remove as well (SITE:HEAD, @LAYER:HEAD).
/// `pruneReason` is what the report gives as their reason.
void buildGraphPipeline(mlir::OpPassManager &pm, bool pruneDeadHeads = true,
                        llvm::ArrayRef<std::string> pruneHeads = {},
                        llvm::StringRef pruneReason = "requested");

} // namespace whittle

#endif // WHITTLE_PASSES_PASSES_H
