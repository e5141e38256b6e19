//===- TensorImport.h - ONNX tensors to MLIR attributes ---------*- C++ -*-===//
//
// Initializers, Constant values and frozen inputs become ElementsAttrs:
// small tensors stay dense (folders read them), the rest become
// dense_resource blobs that point into the parsed model or into mmapped
// external-data files, never copied.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_LIB_IMPORT_TENSORIMPORT_H
#define WHITTLE_LIB_IMPORT_TENSORIMPORT_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

namespace whittle::import {

/// Everything the resource blobs point into. Blob deleters hold a shared_ptr
/// to it, so it lives until the last blob referencing it is destroyed.
struct ModelStorage {
  onnx::ModelProto model;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
  /// Values of frozen graph inputs (--freeze-input), by input name.
  llvm::StringMap<onnx::TensorProto> frozenTensors;
  /// How many blobs borrow each tensor's raw_data: only a string with one
  /// borrower is freed when that blob is released.
  llvm::DenseMap<const std::string *, int> borrowers;
};

/// The MLIR element type of an ONNX element type, or null. Unsigned ONNX
/// types become unsigned MLIR integers, the rest signless.
mlir::Type convertElementType(mlir::MLIRContext &ctx, int32_t type);
std::string elementTypeName(int32_t type);

class TensorImporter {
public:
  TensorImporter(mlir::MLIRContext &ctx, std::shared_ptr<ModelStorage> storage,
                 llvm::StringRef modelDir)
      : ctx(ctx), storage(std::move(storage)), modelDir(modelDir.str()) {}

  /// Converts `tensor`, named `name` in diagnostics, reported at `loc`.
  mlir::FailureOr<mlir::ElementsAttr>
  convertTensor(const onnx::TensorProto &tensor, mlir::Location loc,
                llvm::StringRef name);
  /// Wraps `bytes` (ONNX raw layout) as an attribute of `type`. When
  /// `borrowed`, the bytes live in the model storage and are not copied;
  /// `releasable` is the storage string they live in, freed when the blob
  /// is.
  mlir::FailureOr<mlir::ElementsAttr>
  makeElements(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
               bool borrowed, llvm::StringRef name, mlir::Location loc,
               std::string *releasable = nullptr);

  ModelStorage &modelStorage() { return *storage; }

private:
  mlir::FailureOr<llvm::ArrayRef<char>>
  externalData(const onnx::TensorProto &tensor, mlir::Location loc,
               llvm::StringRef what);

  mlir::MLIRContext &ctx;
  std::shared_ptr<ModelStorage> storage;
  std::string modelDir;
};

} // namespace whittle::import

#endif // WHITTLE_LIB_IMPORT_TENSORIMPORT_H
