//===- Compiler.h - whittle-compile: options to pipeline --------*- C++ -*-===//

#ifndef WHITTLE_DRIVER_COMPILER_H
#define WHITTLE_DRIVER_COMPILER_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace whittle {

enum class EmitKind { MLIR, LLVM, Object, Library, PTX };

struct CompileOptions {
  /// .onnx, .onnxtext (through the importer) or .mlir (parsed directly;
  /// whittle ops or linalg on tensors).
  std::string inputPath;
  /// "-" writes text outputs (mlir, llvm) to stdout.
  std::string outputPath;
  EmitKind emit = EmitKind::Library;
  /// Print the weights into the textual outputs (mlir, llvm); by default they
  /// are elided there. Object and library outputs always contain them.
  bool emitWeights = false;
  std::string target = "x86_64";
  std::string cpu = "native";
  /// GPU targets: the CUDA toolkit whose ptxas assembles the kernels; empty
  /// looks in /usr/local/cuda, then on PATH (PTX only when none is found).
  std::string cudaPath;
  /// GPU targets: compile through the GPU backend but emulate the launches
  /// on the CPU (a CPU library; for testing the GPU mapping without a GPU).
  bool gpuEmulate = false;
  /// GPU targets: fp32 (exact FMAs), tf32 or fp16 (tensor cores).
  std::string gpuPrecision = "fp32";
  /// NAME=1x128 overrides of input shapes (ONNX inputs only).
  std::vector<std::string> inputShapes;
  /// NAME=FILE: graph inputs replaced by constants (ONNX inputs only).
  std::vector<std::string> freezeInputs;
  unsigned optLevel = 2;
  bool vectorize = true;
  /// Cut provably dead heads and FFN neurons (whittle-prune-dead-heads).
  bool pruneDeadHeads = true;
  /// Live heads to remove as well (not exact): SITE:HEAD or @LAYER:HEAD.
  std::vector<std::string> pruneHeads;
  /// The report's reason for them ("requested", "ratio").
  std::string pruneReason = "requested";
  /// Live FFN neurons to remove as well (NODE:J).
  std::vector<std::string> pruneNeurons;
  /// Remove this fraction of all FFN neurons, least contributing first
  /// (compileWithCalibration).
  double pruneFfnRatio = 0;
  /// Remove this fraction of all heads, least contributing first, measured
  /// on calibrationDir (compileWithCalibration).
  double pruneHeadsRatio = 0;
  /// Compile-time weight quantization (whittle-quantize-weights): "" (off),
  /// "int8" or "int4"; the int4 group size; "none" or "dynamic"
  /// activations; a regular expression of node names left fp32.
  std::string quantizeWeights;
  int64_t quantizeGroupSize = 32;
  std::string quantizeActivations = "none";
  std::string quantizeExclude;
  /// int8 weight codes in [-63, 63] (fast without VNNI).
  bool quantizeReduceRange = false;
  /// --decode: positions of the key/value cache (0: no decode entry points)
  /// and tokens per prefill step.
  int64_t decodeMaxTokens = 0;
  int64_t decodeChunk = 0;
  /// With a bounded input dim (--input-shape NAME=1x?MAX): the variant
  /// lengths below MAX (empty: the default powers of two).
  std::vector<int64_t> lengthVariants;
  /// ONNX test-data sets (DIR/test_data_set_*/input_K.pb) to measure on.
  std::string calibrationDir;
  /// Add whittle-probe-heads' per-head energies as outputs (calibration).
  bool probeHeads = false;
  /// Add every weight matmul's result as an output (whittle-probe-matmuls,
  /// before quantization; calibration).
  bool probeMatmuls = false;
  bool probeMatmulInputs = false;
  /// A directory of calibration activations per layer (written by the
  /// calibration driver) for the activation-aware scale search.
  std::string quantizeActivationSamples;
  /// With calibration data: the activation-aware scale search.
  bool quantizeAwq = true;
  /// Attention as the streaming kernel (otherwise the unfused reference).
  bool streamingAttention = true;
  /// Report the tile sizes chosen for each contraction as remarks.
  bool reportTiles = false;
  /// Where to write the compile report (JSON), "-" for a readable summary
  /// on stderr, empty for none.
  std::string reportPath;
  bool parallelize = true;
  int64_t parallelMinWork = 32768;
};

/// Registers every dialect and interface the compiler may meet.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Compiles one model. Errors are reported through the context's
/// diagnostics (or stderr for non-IR errors); on failure no output file is
/// left behind.
mlir::LogicalResult compileModel(const CompileOptions &options,
                                 mlir::MLIRContext &context);

/// Compiles with measurement on options.calibrationDir (lib/Driver/
/// Calibration.cpp): a probe library of the unpruned model is run on the
/// data; --prune-heads-ratio ranks the heads by it; the final library's
/// relative error against the probe's outputs goes into the report.
mlir::LogicalResult compileWithCalibration(const CompileOptions &options,
                                           mlir::MLIRContext &context);

} // namespace whittle

#endif // WHITTLE_DRIVER_COMPILER_H
