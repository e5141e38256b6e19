//===- Report.h - What the compiler did to a model --------------*- C++ -*-===//
//
// The compile report (`whittle-compile --report=FILE.json`): one JSON object
// whose sections say what the graph passes did. Keys that tools rely on are
// never renamed (see docs/cli.md).
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_DRIVER_REPORT_H
#define WHITTLE_DRIVER_REPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace whittle {

struct AttentionSite {
  std::string node;
  int64_t heads = 0, kvHeads = 0, headDim = 0;
  bool causal = false;
  std::string mask; ///< "none", "padding" or "additive".
};

/// Facts about a whittle graph at one point of the pipeline.
/// A head the graph passes cut out of the weights.
struct PrunedHead {
  std::string node;
  int64_t head = 0;
  /// zero-output-projection, zero-value, ...
  std::string reason;
};

/// A matmul with integer weights (whittle.quantized_matmul).
struct QuantizedSite {
  std::string node;
  std::string format; ///< "int8" or "int4"
  /// "per-tensor", "per-column", "per-row" or "per-block" (of blockSize
  /// rows of K).
  std::string granularity;
  int64_t blockSize = 0;
  /// "float" (weights dequantized in the kernel) or "int8" (an integer
  /// product of quantized activations and weights).
  std::string activations = "float";
  /// The activation-aware scale search (with calibration data): alpha (0:
  /// no scaling) and the layer's relative error on the calibration rows
  /// without and with the scales; alpha < 0: not searched.
  double awqAlpha = -1, awqErrorUnscaled = 0, awqErrorScaled = 0;
};

struct GraphSummary {
  std::vector<QuantizedSite> quantized;
  /// Float matmuls and gemms (not counting attention).
  int64_t floatMatmuls = 0;
  /// Integer matmuls computed in i32 as the graph spells them
  /// (MatMulInteger, QLinearMatMul), not folded into quantized kernels.
  int64_t integerMatmuls = 0;
  /// Gathers of rows of an int8 table (quantized embeddings).
  int64_t int8Embeddings = 0;
  std::vector<AttentionSite> attention;
  std::vector<PrunedHead> prunedHeads;
  int64_t prunedFfnNeurons = 0;
  int64_t unfusedSoftmax = 0;
  /// Bytes of constant data.
  int64_t weightsBytes = 0;
  /// 2 x multiply-adds of the contractions (matmul, gemm, conv, attention)
  /// of one forward pass; elementwise work is not counted.
  int64_t flops = 0;
};

GraphSummary summarizeGraph(mlir::ModuleOp module);

struct CompileReport {
  std::string model, target, cpu;
  GraphSummary before; ///< As imported.
  GraphSummary after;  ///< After the graph passes.
};

void writeReportJson(const CompileReport &report, llvm::raw_ostream &os);
/// The readable form of --report=-.
void printReportSummary(const CompileReport &report, llvm::raw_ostream &os);

} // namespace whittle

#endif // WHITTLE_DRIVER_REPORT_H
