//===- Passes.td - Whittle passes --------------------------*- tablegen -*-===//

#ifndef WHITTLE_PASSES_TD
#define WHITTLE_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // WHITTLE_PASSES_TD
