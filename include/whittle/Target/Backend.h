//===- Backend.h - From linalg on tensors to a shared library ---*- C++ -*-===//
//
// The target layer: the pass pipeline that takes linalg-on-tensors IR down to
// the LLVM dialect, the generation of the model ABI entry points
// (include/whittle/model_abi.h), weight emission, LLVM code generation and
// linking.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_TARGET_BACKEND_H
#define WHITTLE_TARGET_BACKEND_H

#include "whittle/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace whittle {

/// One input or output of the model as the ABI metadata describes it.
struct TensorSpec {
  std::string name;
  std::string dtype; // f32, i64, bool, ...
  llvm::SmallVector<int64_t> shape;
  int64_t numElements() const;
  int64_t elementBytes() const;
};

/// The decode entry point of a library compiled with --decode.
struct DecodeSignature {
  int64_t maxTokens = 0;
  int64_t chunk = 0;
  /// Byte offsets of each key/value cache in the session's state, and the
  /// state's size (each cache 64-byte aligned).
  std::vector<int64_t> cacheOffsets;
  int64_t stateBytes = 0;
  /// Per output of @main, the axis along which it has one entry per token.
  std::vector<int64_t> outputSeqAxes;
};

/// The length variants of a library compiled with a bounded sequence axis.
struct LengthSignature {
  /// Ascending; the last is the bound (the length @main is compiled at).
  std::vector<int64_t> variants;
  /// Rows a run needs at least (ops that pick fixed rows).
  int64_t minLength = 1;
  /// Per input and per output of @main, its sequence axis or -1.
  std::vector<int64_t> inputAxes, outputAxes;
};

struct ModelSignature {
  std::string modelName;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::optional<DecodeSignature> decode;
  std::optional<LengthSignature> lengths;
  /// GPU libraries: the architecture of their kernels (sm_90).
  std::string gpuArch;
};

/// Reads the signature of `func.func @main` (tensor types, static shapes)
/// with its whittle.input_names / whittle.output_names attributes; names
/// default to input<i> / output<i>.
mlir::FailureOr<ModelSignature> extractModelSignature(mlir::ModuleOp module);

/// The text returned by whittle_model_metadata.
std::string formatModelMetadata(const ModelSignature &signature);

/// Turns a file stem into a C identifier prefix (MODEL in MODEL_run).
std::string sanitizeCIdentifier(llvm::StringRef stem);

struct BackendOptions {
  TargetInfo target;
  unsigned optLevel = 2;
  /// Tile and vectorize linalg ops (otherwise plain scalar loops).
  bool vectorize = true;
  /// Lower whittle.attention to the streaming (online-softmax) kernel; with
  /// false, or without vectorize, to the unfused reference form.
  bool streamingAttention = true;
  /// Report the tile sizes chosen for each contraction as remarks.
  bool reportTiles = false;
  /// Outline parallel loops and run them through the executor.
  bool parallelize = true;
  /// Smallest loop (iterations x body operations) worth an executor task.
  int64_t parallelMinWork = 32768;
  /// Functions besides @main that get a workspace and an executor (the
  /// decode steps).
  std::vector<std::string> extraFunctions;
  /// GPU targets: the CUDA toolkit, whose ptxas assembles the kernels into a
  /// cubin for the target's architecture; empty: the library carries PTX
  /// only.
  std::string cudaPath;
  /// GPU targets, for testing without a GPU: run the kernels' launches as
  /// loops on the host, producing a CPU library.
  bool emulateGPU = false;
  /// GPU targets: the contractions' arithmetic, fp32 (exact FMAs), tf32 or
  /// fp16 (tensor cores, f32 accumulation).
  std::string gpuPrecision = "fp32";
};

/// Adds the passes from linalg/tensor/arith/math on tensors (the output of
/// convert-whittle-to-linalg) down to the LLVM dialect, including the static
/// memory plan. @main ends up taking bare pointers: inputs, outputs, the
/// workspace and the executor.
void buildBackendPipeline(mlir::OpPassManager &pm,
                          const BackendOptions &options);

/// convert-whittle-to-linalg followed by buildBackendPipeline: everything
/// whittle-compile runs after the graph pipeline, registered as
/// `whittle-backend-pipeline` (lib/Driver/PassRegistration.cpp).
void buildLoweringPipeline(mlir::OpPassManager &pm,
                           const BackendOptions &options);

/// Adds the ABI entry points (whittle_model_*) and `<prefix>_run` to an LLVM
/// dialect module produced by buildBackendPipeline; @main is renamed and made
/// internal.
mlir::LogicalResult generateEntryPoints(mlir::ModuleOp module,
                                        const ModelSignature &signature,
                                        llvm::StringRef cPrefix);

/// Moves the data of large constant globals out of the LLVM dialect module
/// into a relocatable ELF object at `objectPath` (a read-only, 64-byte
/// aligned `whittle_weights` section; bytes streamed from the blobs, never
/// copied in memory); the globals become external hidden declarations.
/// Returns false (and writes nothing) when there is no such constant.
mlir::FailureOr<bool> writeWeightsObject(mlir::ModuleOp module,
                                         const TargetInfo &target,
                                         llvm::StringRef objectPath,
                                         int64_t minBytes = 256);

struct WeightsSummary {
  size_t count = 0;
  uint64_t bytes = 0;
};

/// Turns the same globals as writeWeightsObject into external hidden
/// declarations without writing their bytes anywhere: --emit=llvm shows the
/// code as the library build sees it, with the weights object left out.
mlir::FailureOr<WeightsSummary> externalizeWeights(mlir::ModuleOp module,
                                                   int64_t minBytes = 256);

/// Translates the LLVM dialect module to LLVM IR, sets the data layout and
/// triple for `target`, and gives every symbol but the exported ones hidden
/// visibility or internal linkage.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const TargetInfo &target,
                                                llvm::StringRef cPrefix,
                                                std::string &error);

/// Optimizes `module` at `optLevel` and writes an ELF object for `target`.
mlir::LogicalResult emitObjectFile(llvm::Module &module,
                                   const TargetInfo &target, unsigned optLevel,
                                   bool emitAssembly,
                                   llvm::raw_pwrite_stream &os,
                                   std::string &error);

/// Runs the LLVM IR optimization pipeline only (for --emit=llvm).
mlir::LogicalResult optimizeModule(llvm::Module &module,
                                   const TargetInfo &target, unsigned optLevel,
                                   std::string &error);

/// Links objects into a shared library with ld.lld; `soname` (may be empty)
/// becomes its DT_SONAME.
mlir::LogicalResult linkSharedLibrary(const TargetInfo &target,
                                      llvm::ArrayRef<std::string> objects,
                                      llvm::StringRef output,
                                      llvm::StringRef soname,
                                      std::string &error);

/// Merges objects into one relocatable object (ld.lld -r).
mlir::LogicalResult linkRelocatableObject(llvm::ArrayRef<std::string> objects,
                                          llvm::StringRef output,
                                          std::string &error);

/// The C header that declares the ABI functions and `<prefix>_run`.
std::string generateHeader(const ModelSignature &signature,
                           llvm::StringRef cPrefix);

} // namespace whittle

#endif // WHITTLE_TARGET_BACKEND_H
