//===- Whittle.h - The whittle dialect --------------------------*- C++ -*-===//

#ifndef WHITTLE_DIALECT_WHITTLE_H
#define WHITTLE_DIALECT_WHITTLE_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Whittle/WhittleDialect.h.inc"

namespace whittle {
/// Same element types and compatible (possibly less static) shapes.
bool areCompatibleReturnTypes(mlir::TypeRange inferred, mlir::TypeRange actual);
} // namespace whittle

#define GET_OP_CLASSES
#include "dialects/Whittle/WhittleOps.h.inc"

namespace whittle {

/// The ONNX node an op came from (the importer names locations after
/// nodes), or the printed location when it has no name.
std::string nodeNameOf(mlir::Location loc);

/// Numpy broadcast of two shapes; returns failure if they are incompatible.
/// Dynamic dims broadcast to dynamic unless the other side is a known non-1.
mlir::LogicalResult broadcastShapes(llvm::ArrayRef<int64_t> a,
                                    llvm::ArrayRef<int64_t> b,
                                    llvm::SmallVectorImpl<int64_t> &result);

/// The bytes of a non-splat constant of 8-bit elements (a dense attribute or
/// a resource blob), as stored: what compile-time weight transformations
/// read. Nullopt for anything else.
std::optional<llvm::ArrayRef<char>> int8ConstantBytes(mlir::Attribute value);

/// Largest constant (in elements) that folders materialize. Larger results
/// stay as ops so weights are never duplicated by folding.
constexpr int64_t kMaxFoldedElements = 1 << 16;

} // namespace whittle

#endif // WHITTLE_DIALECT_WHITTLE_H
