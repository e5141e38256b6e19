//===- WeightData.h - Reading and making constant weights -------*- C++ -*-===//
//
// Graph passes that reason about weight values (dead heads, causal masks)
// read whittle.constant data whether it is a dense attribute or a resource
// blob, and make new weights as resource blobs like the importer does.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_GRAPH_WEIGHTDATA_H
#define WHITTLE_PASSES_GRAPH_WEIGHTDATA_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace whittle {

/// The elements of constant `v` (a whittle.constant of f32 or f64, dense or
/// resource, splats expanded), in row-major order; nullopt otherwise.
std::optional<llvm::SmallVector<double>> readFloatConstant(mlir::Value v);

/// The elements of integer constant `v` (a whittle.constant, dense or an
/// 8- or 4-bit resource of one byte each, splats expanded), signed or
/// unsigned as its type says;
/// nullopt otherwise.
std::optional<llvm::SmallVector<int64_t>> readIntegerConstant(mlir::Value v);

/// A whittle.constant of 8- or 4-bit integer `type` holding `values` (in
/// its range; one byte each), as a resource blob named after `name`.
mlir::Value makeSmallIntConstant(mlir::OpBuilder &builder, mlir::Location loc,
                                 mlir::RankedTensorType type,
                                 llvm::ArrayRef<int64_t> values,
                                 llvm::StringRef name);

/// A whittle.constant of f32 `type` holding `values`, as a resource blob
/// named after `name` (weights stay out of the printed IR).
mlir::Value makeF32Constant(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::RankedTensorType type,
                            llvm::ArrayRef<double> values,
                            llvm::StringRef name);

} // namespace whittle

#endif // WHITTLE_PASSES_GRAPH_WEIGHTDATA_H
