//===- whittle-compile.cpp - ONNX / MLIR model -> shared library ----------===//

#include "whittle/Driver/Compiler.h"
#include "whittle/Passes/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"

using namespace llvm;

static cl::OptionCategory compileCategory("whittle-compile options");

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::cat(compileCategory),
                                      cl::desc("<model.onnx|.onnxtext|.mlir>"));
static cl::opt<std::string> outputPath("o", cl::cat(compileCategory),
                                       cl::desc("Output file"),
                                       cl::value_desc("path"));
static cl::opt<whittle::EmitKind> emitKind(
    "emit", cl::cat(compileCategory), cl::desc("What to produce"),
    cl::init(whittle::EmitKind::Library),
    cl::values(clEnumValN(whittle::EmitKind::MLIR, "mlir",
                          "The whittle graph after import and graph passes"),
               clEnumValN(whittle::EmitKind::LLVM, "llvm", "Optimized LLVM IR"),
               clEnumValN(whittle::EmitKind::Object, "obj", "An object file"),
               clEnumValN(whittle::EmitKind::Library, "lib",
                          "A shared library plus MODEL.h (default)"),
               clEnumValN(whittle::EmitKind::PTX, "ptx",
                          "The kernels' PTX (--target=nvptx)")));
static cl::opt<bool> emitWeights(
    "emit-weights", cl::cat(compileCategory),
    cl::desc("Print the weights into --emit=mlir/llvm output (elided by "
             "default)"),
    cl::init(false));
static cl::opt<std::string>
    targetName("target", cl::cat(compileCategory),
               cl::desc("x86_64, aarch64 or nvptx (with --mcpu=sm_XY)"),
               cl::init("x86_64"));
static cl::opt<std::string>
    cpuName("mcpu", cl::cat(compileCategory),
            cl::desc("Target CPU (native, x86-64-v3, sapphirerapids, ...) or, "
                     "for nvptx, GPU architecture (sm_80, sm_90, ...)"),
            cl::init("native"));
static cl::opt<std::string>
    cudaPath("cuda-path", cl::cat(compileCategory),
             cl::desc("CUDA toolkit whose ptxas assembles GPU kernels "
                      "(default: /usr/local/cuda, then PATH)"),
             cl::value_desc("dir"));
static cl::opt<bool> gpuEmulate(
    "gpu-emulate", cl::cat(compileCategory),
    cl::desc("With --target=nvptx: compile through the GPU backend but run "
             "the kernel launches as loops on the host (a CPU library, to "
             "check the GPU mapping without a GPU)"),
    cl::init(false));
static cl::opt<std::string> gpuPrecision(
    "gpu-precision", cl::cat(compileCategory),
    cl::desc("With --target=nvptx: the contractions' arithmetic: fp32 (exact "
             "FMAs), or on tensor cores tf32 (sm_80+), fp16 or bf16 (sm_80+), "
             "all accumulating in f32"),
    cl::value_desc("fp32|tf32|fp16|bf16"), cl::init("fp32"));
static cl::list<std::string>
    inputShapes("input-shape", cl::cat(compileCategory),
                cl::desc("Fix an input's shape: NAME=1x128; one dim may be a "
                         "bound, NAME=1x?128 (every length up to 128 from "
                         "one library; inputs with the same named dim "
                         "follow)"),
                cl::value_desc("NAME=DIMS"));
static cl::list<std::string> freezeInputs(
    "freeze-input", cl::cat(compileCategory),
    cl::desc("Replace an ONNX graph input by a constant from a TensorProto "
             ".pb or .npy file: NAME=FILE"),
    cl::value_desc("NAME=FILE"));
static cl::opt<char> optLevel("O", cl::cat(compileCategory),
                              cl::desc("Optimization level (-O0..-O3)"),
                              cl::Prefix, cl::init('2'));
static cl::opt<bool>
    reportTiles("report-tiles", cl::cat(compileCategory),
                cl::desc("Print the tile sizes chosen for each matmul"),
                cl::init(false));
static cl::opt<std::string> reportPath(
    "report", cl::cat(compileCategory),
    cl::desc("Write what the graph passes did as JSON to FILE ('-': a "
             "readable summary on stderr)"),
    cl::value_desc("FILE"));
static cl::opt<bool> noVectorize("no-vectorize", cl::cat(compileCategory),
                                 cl::desc("Emit scalar loops only"),
                                 cl::init(false));
static cl::opt<std::string> attentionKernel(
    "attention-kernel", cl::cat(compileCategory),
    cl::desc("Kernel for fused attention: 'streaming' (online softmax, the "
             "default) or 'reference' (scores materialized, as unfused)"),
    cl::value_desc("streaming|reference"), cl::init("streaming"));
static cl::opt<bool>
    noPrune("no-prune", cl::cat(compileCategory),
            cl::desc("Keep provably dead attention heads and FFN neurons in "
                     "the weights (pruning them changes no result)"),
            cl::init(false));
static cl::opt<std::string> pruneHeadsFile(
    "prune-heads", cl::cat(compileCategory),
    cl::desc("Remove the live heads listed in FILE as well (changes results): "
             "a JSON list of {\"node\": SITE, \"head\": H} or "
             "{\"layer\": L, \"head\": H}"),
    cl::value_desc("FILE"));
static cl::opt<double> pruneHeadsRatio(
    "prune-heads-ratio", cl::cat(compileCategory),
    cl::desc("Remove this fraction of all attention heads, those whose "
             "output after the output projection is smallest on the "
             "calibration data first (changes results; needs "
             "--calibration-data)"),
    cl::value_desc("R"), cl::init(0.0));
static cl::opt<double> pruneFfnRatio(
    "prune-ffn-ratio", cl::cat(compileCategory),
    cl::desc("Remove this fraction of all FFN neurons, those whose output "
             "after the down projection is smallest on the calibration data "
             "first (changes results; needs --calibration-data)"),
    cl::value_desc("R"), cl::init(0.0));
static cl::opt<std::string> quantizeWeights(
    "quantize-weights", cl::cat(compileCategory),
    cl::desc("Quantize constant fp32 matmul weights (changes results): int8 "
             "(symmetric per output channel) or int4[:G] (asymmetric per "
             "group of G rows of K, default 32)"),
    cl::value_desc("int8|int4[:G]"));
static cl::opt<std::string> quantizeActivations(
    "quantize-activations", cl::cat(compileCategory),
    cl::desc("With --quantize-weights=int8: none (float activations) or "
             "dynamic (int8 per row at run time, integer kernels)"),
    cl::value_desc("none|dynamic"), cl::init("none"));
static cl::opt<std::string> quantizeExclude(
    "quantize-exclude", cl::cat(compileCategory),
    cl::desc("Leave layers whose node name matches this extended regular "
             "expression in fp32 (e.g. an LM head)"),
    cl::value_desc("REGEX"));
static cl::opt<bool> quantizeAwq(
    "quantize-awq", cl::cat(compileCategory),
    cl::desc("With --quantize-weights and --calibration-data: search "
             "activation-aware per-channel weight scales (AWQ-style; "
             "default on, --quantize-awq=false for plain quantization)"),
    cl::init(true));
static cl::opt<bool> quantizeReduceRange(
    "quantize-reduce-range", cl::cat(compileCategory),
    cl::desc("With --quantize-weights=int8: codes in [-63, 63], so that CPUs "
             "without VNNI (AVX2) run integer matmuls with vpmaddubsw, "
             "which cannot saturate on them"),
    cl::init(false));
static cl::opt<std::string> decode(
    "decode", cl::cat(compileCategory),
    cl::desc("Add prefill and one-token decode entry points over a key/value "
             "cache of MAX positions (a causal decoder whose first input is "
             "the token ids); CHUNK tokens per prefill step (default "
             "min(MAX, 64))"),
    cl::value_desc("MAX[:CHUNK]"));
static cl::list<int64_t> lengthVariants(
    "length-variants", cl::cat(compileCategory), cl::CommaSeparated,
    cl::desc("With a bounded input dimension (--input-shape NAME=1x?MAX): "
             "the lengths compiled below MAX; a run of n rows takes the "
             "smallest one >= n (default: the powers of two from 16)"),
    cl::value_desc("L1,L2,..."));
static cl::opt<std::string> calibrationData(
    "calibration-data", cl::cat(compileCategory),
    cl::desc("ONNX test-data sets (DIR/test_data_set_*/input_K.pb) on which "
             "--prune-heads-ratio ranks heads and the relative error of "
             "pruning and quantization is measured (report: "
             "pruning.rel_error, quantization.rel_error)"),
    cl::value_desc("DIR"));
static cl::opt<bool> noParallel("no-parallel", cl::cat(compileCategory),
                                cl::desc("Do not use the executor"),
                                cl::init(false));

static cl::opt<int64_t> parallelMinWork(
    "parallel-min-work", cl::cat(compileCategory),
    cl::desc("Smallest loop (iterations x operations) run as executor tasks"),
    cl::init(32768), cl::Hidden);

/// The entries of a --prune-heads file as SITE:HEAD / @LAYER:HEAD.
static llvm::Expected<std::vector<std::string>>
readPruneHeads(llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + what);
  };
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fail(llvm::toString(json.takeError()));
  const llvm::json::Array *list = json->getAsArray();
  if (!list)
    return fail("expected a JSON list of {\"node\"|\"layer\", \"head\"}");
  std::vector<std::string> heads;
  for (auto [i, entry] : llvm::enumerate(*list)) {
    const llvm::json::Object *object = entry.getAsObject();
    std::optional<int64_t> head =
        object ? object->getInteger("head") : std::nullopt;
    std::optional<llvm::StringRef> node =
        object ? object->getString("node") : std::nullopt;
    std::optional<int64_t> layer =
        object ? object->getInteger("layer") : std::nullopt;
    if (!head || *head < 0 || (!node == !layer) || (layer && *layer < 0))
      return fail("entry " + llvm::Twine(i) +
                  " is not {\"node\": SITE, \"head\": H} or "
                  "{\"layer\": L, \"head\": H}");
    heads.push_back((node ? node->str() : "@" + std::to_string(*layer)) + ":" +
                    std::to_string(*head));
  }
  return heads;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // Passes first: --mlir-print-ir-after and friends take pass names.
  mlir::registerAllPasses();
  whittle::registerAllWhittlePasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // --help lists this tool's options and MLIR's; LLVM's backend flags stay
  // reachable through --help-hidden.
  cl::HideUnrelatedOptions(compileCategory);
  for (auto &option : cl::getRegisteredOptions())
    if (option.first.starts_with("mlir-"))
      option.second->setHiddenFlag(cl::NotHidden);
  cl::ParseCommandLineOptions(argc, argv,
                              "Whittle: ONNX model -> shared library\n");

  if (optLevel < '0' || optLevel > '3') {
    errs() << "error: invalid optimization level -O" << optLevel << "\n";
    return 1;
  }
  whittle::CompileOptions options;
  options.inputPath = inputPath;
  options.outputPath = outputPath;
  if (options.outputPath.empty())
    options.outputPath = (emitKind == whittle::EmitKind::MLIR ||
                          emitKind == whittle::EmitKind::LLVM ||
                          emitKind == whittle::EmitKind::PTX)
                             ? "-"
                             : "";
  options.emit = emitKind;
  options.cudaPath = cudaPath;
  options.gpuEmulate = gpuEmulate;
  options.gpuPrecision = gpuPrecision;
  options.emitWeights = emitWeights;
  options.target = targetName;
  options.cpu = cpuName;
  options.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  options.freezeInputs.assign(freezeInputs.begin(), freezeInputs.end());
  options.optLevel = optLevel - '0';
  options.vectorize = !noVectorize;
  if (attentionKernel != "streaming" && attentionKernel != "reference") {
    llvm::errs() << "whittle-compile: error: --attention-kernel must be "
                    "'streaming' or 'reference', not '"
                 << attentionKernel << "'\n";
    return 1;
  }
  options.streamingAttention = attentionKernel == "streaming";
  options.reportTiles = reportTiles;
  options.reportPath = reportPath;
  options.parallelize = !noParallel;
  options.pruneDeadHeads = !noPrune;
  if (!pruneHeadsFile.empty()) {
    if (noPrune) {
      llvm::errs() << "whittle-compile: error: --prune-heads and --no-prune "
                      "exclude each other\n";
      return 1;
    }
    llvm::Expected<std::vector<std::string>> heads =
        readPruneHeads(pruneHeadsFile);
    if (!heads) {
      llvm::errs() << "whittle-compile: error: "
                   << llvm::toString(heads.takeError()) << "\n";
      return 1;
    }
    options.pruneHeads = std::move(*heads);
  }
  if (pruneHeadsRatio != 0.0 &&
      (!(pruneHeadsRatio > 0.0 && pruneHeadsRatio < 1.0) ||
       calibrationData.empty() || noPrune)) {
    llvm::errs() << "whittle-compile: error: --prune-heads-ratio needs a "
                    "value in (0, 1), --calibration-data and no --no-prune\n";
    return 1;
  }
  if (pruneFfnRatio != 0.0 && (!(pruneFfnRatio > 0.0 && pruneFfnRatio < 1.0) ||
                               calibrationData.empty() || noPrune)) {
    llvm::errs() << "whittle-compile: error: --prune-ffn-ratio needs a "
                    "value in (0, 1), --calibration-data and no --no-prune\n";
    return 1;
  }
  if (!quantizeWeights.empty()) {
    llvm::StringRef spec = quantizeWeights, group;
    std::tie(spec, group) = spec.split(':');
    int64_t groupSize = 32;
    if ((spec != "int8" && spec != "int4") ||
        (spec == "int8" && !group.empty()) ||
        (!group.empty() &&
         (group.getAsInteger(10, groupSize) || groupSize < 16 ||
          !llvm::isPowerOf2_64(groupSize)))) {
      llvm::errs() << "whittle-compile: error: --quantize-weights must be "
                      "int8, int4 or int4:G with G a power of two >= 16, not '"
                   << quantizeWeights << "'\n";
      return 1;
    }
    options.quantizeWeights = spec.str();
    options.quantizeGroupSize = groupSize;
  }
  if (quantizeActivations != "none" &&
      (quantizeActivations != "dynamic" || options.quantizeWeights != "int8")) {
    llvm::errs() << "whittle-compile: error: --quantize-activations must be "
                    "none or dynamic, and dynamic needs "
                    "--quantize-weights=int8\n";
    return 1;
  }
  if (!quantizeExclude.empty()) {
    std::string error;
    if (options.quantizeWeights.empty() ||
        !llvm::Regex(quantizeExclude).isValid(error)) {
      llvm::errs() << "whittle-compile: error: --quantize-exclude needs "
                      "--quantize-weights and a valid regular expression"
                   << (error.empty() ? "" : ": " + error) << "\n";
      return 1;
    }
  }
  if (quantizeReduceRange && options.quantizeWeights != "int8") {
    llvm::errs() << "whittle-compile: error: --quantize-reduce-range needs "
                    "--quantize-weights=int8\n";
    return 1;
  }
  options.quantizeReduceRange = quantizeReduceRange;
  options.quantizeAwq = quantizeAwq;
  if (!decode.empty()) {
    auto [maxText, chunkText] = llvm::StringRef(decode).split(':');
    int64_t maxTokens = 0, chunk = 0;
    if (maxText.getAsInteger(10, maxTokens) || maxTokens < 1 ||
        (!chunkText.empty() && (chunkText.getAsInteger(10, chunk) ||
                                chunk < 1 || chunk > maxTokens))) {
      llvm::errs() << "whittle-compile: error: --decode='" << decode
                   << "': expected MAX[:CHUNK] with 1 <= CHUNK <= MAX\n";
      return 1;
    }
    options.decodeMaxTokens = maxTokens;
    options.decodeChunk = chunk ? chunk : std::min<int64_t>(maxTokens, 64);
  }
  options.lengthVariants.assign(lengthVariants.begin(), lengthVariants.end());
  options.quantizeActivations = quantizeActivations;
  options.quantizeExclude = quantizeExclude;
  options.pruneHeadsRatio = pruneHeadsRatio;
  options.pruneFfnRatio = pruneFfnRatio;
  options.calibrationDir = calibrationData;
  options.parallelMinWork = parallelMinWork;

  mlir::DialectRegistry registry;
  whittle::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  if (!options.calibrationDir.empty())
    return mlir::failed(whittle::compileWithCalibration(options, context)) ? 1
                                                                           : 0;
  return mlir::failed(whittle::compileModel(options, context)) ? 1 : 0;
}
