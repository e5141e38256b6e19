//===- ModelOutputs.h - Adding outputs to the model function ----*- C++ -*-===//
//
// Calibration probes expose intermediate values as extra model outputs: the
// function's return, its type and its `whittle.output_names` grow together.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_GRAPH_MODELOUTPUTS_H
#define WHITTLE_PASSES_GRAPH_MODELOUTPUTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace whittle {

/// Appends `values` to what `func` returns, named `names` (string
/// attributes) after its existing outputs.
void appendModelOutputs(mlir::func::FuncOp func,
                        mlir::ArrayRef<mlir::Value> values,
                        mlir::ArrayRef<mlir::Attribute> names);

} // namespace whittle

#endif // WHITTLE_PASSES_GRAPH_MODELOUTPUTS_H
