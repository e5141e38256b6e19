//===- Passes.h - Whittle passes --------------------------------*- C++ -*-===//

#ifndef WHITTLE_PASSES_PASSES_H
#define WHITTLE_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace whittle {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Registers every whittle pass and named pipeline.
void registerAllWhittlePasses();

} // namespace whittle

#endif // WHITTLE_PASSES_PASSES_H
