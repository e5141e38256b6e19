//===- OnnxImporter.h - ONNX model to whittle IR ----------------*- C++ -*-===//
//
// Imports an ONNX model (binary protobuf or ONNX text format) into a module
// holding one `func.func @main` of whittle ops. Weights become dense_resource
// blobs that point into the parsed model, which the blobs keep alive.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_IMPORT_ONNXIMPORTER_H
#define WHITTLE_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace whittle {

struct ImportOptions {
  /// Graph input name -> full shape; replaces the input's declared dims.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Graph input name -> the axis of its shape that is a bound ("1x?128"):
  /// the model is compiled for every length up to it on that axis.
  llvm::StringMap<int64_t> boundedAxes;
  /// When true, any dynamic input dimension left is an error naming input and
  /// dim.
  bool requireStaticShapes = true;
  /// When positive (whittle-compile --decode=MAX), the dynamic dims of a
  /// [batch, sequence] input without an --input-shape default to
  /// [1, sequenceLength], and a key/value past input ([batch, heads, past,
  /// head dim] with only the past length unknown) becomes an empty constant:
  /// the decode steps' cache replaces it.
  int64_t sequenceLength = 0;
  /// Graph input name -> tensor file (ONNX TensorProto .pb or NumPy .npy).
  /// Each such input becomes a constant with the file's value and leaves the
  /// compiled signature, so that operands Whittle needs at compile time
  /// (shapes, axes, slice bounds, clip bounds) may come from graph inputs.
  llvm::StringMap<std::string> frozenInputs;
};

/// Imports a binary .onnx file, or ONNX text format when the path ends in
/// .onnxtext. Reports errors through the context's diagnostic engine and
/// returns failure.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(llvm::StringRef path, const ImportOptions &options,
               mlir::MLIRContext &context);

/// Imports a binary ONNX model (serialized ModelProto) held in memory; the
/// bytes need not outlive the module. `path` only names the model in
/// diagnostics and gives the directory that external data is confined to and
/// resolved against (a directory that does not exist makes every external
/// tensor fail to import).
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxBuffer(llvm::StringRef bytes, llvm::StringRef path,
                 const ImportOptions &options, mlir::MLIRContext &context);

/// Parses "NAME=1x128" (a scalar is "NAME=") into `options.inputShapes`;
/// one dim may be a bound, "?128" (`options.boundedAxes`).
/// Returns false and sets `error` when the text is malformed.
bool parseInputShapeOption(llvm::StringRef text, ImportOptions &options,
                           std::string &error);

/// Parses "NAME=FILE" into `options.frozenInputs`. Returns false and sets
/// `error` when the text is malformed or NAME is given twice.
bool parseFreezeInputOption(llvm::StringRef text, ImportOptions &options,
                            std::string &error);

} // namespace whittle

#endif // WHITTLE_IMPORT_ONNXIMPORTER_H
