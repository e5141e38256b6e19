//===- OpsetUpgrade.h - Old opsets to opset 13 ------------------*- C++ -*-===//

#ifndef WHITTLE_LIB_IMPORT_OPSETUPGRADE_H
#define WHITTLE_LIB_IMPORT_OPSETUPGRADE_H

#include "whittle/Import/OnnxImporter.h"

#include "mlir/IR/Location.h"

#include <onnx/onnx_pb.h>

namespace whittle::import {

/// Upgrades `model`, whose default-domain opset is `opset` (below
/// kMinOpset), to kMinOpset in place with ONNX's version converter. The
/// weights' bytes are moved out around the conversion, never copied.
/// --input-shape dims fill dynamic input dims first (some adapters need
/// ranks). Errors name the node that cannot be upgraded.
mlir::LogicalResult upgradeToMinOpset(onnx::ModelProto &model, int64_t opset,
                                      const ImportOptions &options,
                                      mlir::Location fileLoc);

} // namespace whittle::import

#endif // WHITTLE_LIB_IMPORT_OPSETUPGRADE_H
