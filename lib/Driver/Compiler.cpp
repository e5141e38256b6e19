//===- Compiler.cpp - whittle-compile: options to pipeline ----------------===//

#include "whittle/Driver/Compiler.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Driver/Report.h"
#include "whittle/Passes/Passes.h"
#include "whittle/Target/Backend.h"
#include "whittle/Target/TargetInfo.h"

#if WHITTLE_HAVE_IMPORTER
#include "whittle/Import/OnnxImporter.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace whittle;

void whittle::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // GPU kernels are translated to LLVM IR inside the pipeline.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<whittle::WhittleDialect>();
}

/// The CUDA toolkit at `cudaPath`, or, without one, /usr/local/cuda or the
/// one whose ptxas is on PATH; "" (PTX only, with a warning) when there is
/// none. A --cuda-path without bin/ptxas is an error.
static FailureOr<std::string> findCudaToolkit(StringRef cudaPath) {
  auto hasPtxas = [](StringRef root) {
    SmallString<256> path(root);
    llvm::sys::path::append(path, "bin", "ptxas");
    return llvm::sys::fs::can_execute(path);
  };
  if (!cudaPath.empty()) {
    if (!hasPtxas(cudaPath)) {
      llvm::errs() << "whittle-compile: error: --cuda-path='" << cudaPath
                   << "' has no bin/ptxas\n";
      return failure();
    }
    return cudaPath.str();
  }
  if (hasPtxas("/usr/local/cuda"))
    return std::string("/usr/local/cuda");
  if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName("ptxas"))
    return llvm::sys::path::parent_path(llvm::sys::path::parent_path(*path))
        .str();
  llvm::errs() << "whittle-compile: warning: no CUDA toolkit (ptxas) found; "
                  "the library carries PTX only, compiled by the driver at "
                  "load time (--cuda-path names a toolkit)\n";
  return std::string();
}

namespace {

/// Files written under temporary names next to their destination and renamed
/// into place only when the whole compilation succeeded; everything else is
/// removed when this goes out of scope.
class OutputFiles {
public:
  ~OutputFiles() {
    for (const std::string &path : temporaries)
      llvm::sys::fs::remove(path);
  }

  /// A temporary file in the directory of `finalPath`, renamed to it by
  /// commit().
  FailureOr<std::string> create(StringRef finalPath) {
    FailureOr<std::string> temp = scratch(finalPath);
    if (succeeded(temp))
      pending.push_back({*temp, finalPath.str()});
    return temp;
  }

  /// A temporary file next to `nearPath` that is always removed.
  FailureOr<std::string> scratch(StringRef nearPath) {
    llvm::SmallString<256> model(llvm::sys::path::parent_path(nearPath));
    llvm::sys::path::append(model, "." + llvm::sys::path::filename(nearPath) +
                                       ".tmp-%%%%%%%%");
    llvm::SmallString<256> path;
    int fd;
    if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, path)) {
      llvm::errs() << "error: cannot create a file next to '" << nearPath
                   << "': " << ec.message() << "\n";
      return failure();
    }
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    temporaries.push_back(path.str().str());
    return path.str().str();
  }

  LogicalResult commit() {
    for (auto &[temp, final] : pending) {
      if (std::error_code ec = llvm::sys::fs::rename(temp, final)) {
        llvm::errs() << "error: cannot write '" << final
                     << "': " << ec.message() << "\n";
        for (auto &[t, f] : pending)
          if (t != temp)
            llvm::sys::fs::remove(f);
        return failure();
      }
    }
    pending.clear();
    return success();
  }

private:
  std::vector<std::pair<std::string, std::string>> pending;
  std::vector<std::string> temporaries;
};

LogicalResult reportError(const Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return failure();
}

/// Writes `text` to `path` ("-" is stdout) through `outputs`.
LogicalResult writeText(OutputFiles &outputs, StringRef path,
                        llvm::function_ref<void(llvm::raw_ostream &)> print) {
  if (path == "-") {
    print(llvm::outs());
    llvm::outs().flush();
    return success();
  }
  FailureOr<std::string> temp = outputs.create(path);
  if (failed(temp))
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream os(*temp, ec);
  if (ec)
    return reportError("cannot write '" + path + "': " + ec.message());
  print(os);
  os.close();
  if (os.has_error())
    return reportError("cannot write '" + path + "'");
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> loadModel(const CompileOptions &options,
                                           MLIRContext &context) {
  StringRef input = options.inputPath;
  if (input.ends_with(".mlir")) {
    if (!options.inputShapes.empty())
      return reportError("--input-shape applies to ONNX inputs only");
    if (!options.freezeInputs.empty())
      return reportError("--freeze-input applies to ONNX inputs only");
    std::string errorMessage;
    auto file = openInputFile(input, &errorMessage);
    if (!file)
      return reportError(errorMessage);
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return failure();
    return module;
  }
  if (input.ends_with(".onnx") || input.ends_with(".onnxtext")) {
#if WHITTLE_HAVE_IMPORTER
    ImportOptions importOptions;
    importOptions.sequenceLength = options.decodeMaxTokens;
    for (const std::string &shape : options.inputShapes) {
      std::string error;
      if (!parseInputShapeOption(shape, importOptions, error))
        return reportError("--input-shape '" + shape + "': " + error);
    }
    if (!importOptions.boundedAxes.empty() && options.decodeMaxTokens)
      return reportError("--decode and a bounded --input-shape (?N) do not "
                         "combine: a --decode library already runs every "
                         "length up to MAX");
    if (!options.lengthVariants.empty() && importOptions.boundedAxes.empty())
      return reportError("--length-variants needs a bounded input dimension "
                         "(--input-shape NAME=1x?MAX)");
    for (const std::string &freeze : options.freezeInputs) {
      std::string error;
      if (!parseFreezeInputOption(freeze, importOptions, error))
        return reportError("--freeze-input: " + error);
    }
    return importOnnxFile(input, importOptions, context);
#else
    return reportError("this build of whittle-compile has no ONNX importer");
#endif
  }
  return reportError("'" + input +
                     "': unknown input kind (expected .onnx, .onnxtext or "
                     ".mlir)");
}

LogicalResult runPasses(PassManager &pm, ModuleOp module) {
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  return pm.run(module);
}

/// Elements attributes with more elements than this print as
/// `dense_resource<__elided__>` in --emit=mlir output without --emit-weights.
constexpr int64_t kElideElementsLimit = 64;

/// Prints the graph for --emit=mlir. Unless `withWeights`, resource blobs are
/// left out of `dialect_resources` and large elements attributes are elided;
/// a leading comment says so, since the result does not compile as it is.
void printGraph(ModuleOp module, bool withWeights, llvm::raw_ostream &os) {
  OpPrintingFlags flags; // Starts from the --mlir-* printing options.
  if (withWeights) {
    module.print(os, flags);
    return;
  }
  flags.elideLargeResourceString(0);
  std::optional<int64_t> limit = flags.getLargeElementsAttrLimit();
  if (!limit || *limit > kElideElementsLimit)
    flags.elideLargeElementsAttrs(kElideElementsLimit);
  limit = flags.getLargeElementsAttrLimit();

  llvm::DenseSet<StringRef> blobs;
  uint64_t blobBytes = 0;
  size_t elidedAttrs = 0;
  module->walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](Attribute attr) {
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
        DenseResourceElementsHandle handle = resource.getRawHandle();
        if (blobs.insert(handle.getKey()).second && handle.getBlob())
          blobBytes += handle.getBlob()->getData().size();
      } else if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(attr)) {
        if (!dense.isSplat() && dense.getNumElements() > *limit)
          ++elidedAttrs;
      }
    });
  });
  if (!blobs.empty() || elidedAttrs) {
    os << "// Weights elided; incomplete module (whittle-compile "
          "--emit-weights prints them):\n";
    if (!blobs.empty())
      os << "// " << blobs.size() << " resource blobs (" << blobBytes
         << " bytes) left out of dialect_resources\n";
    if (elidedAttrs)
      os << "// " << elidedAttrs << " elements attributes over " << *limit
         << " elements printed as dense_resource<__elided__>\n";
  }
  module.print(os, flags);
}

} // namespace

LogicalResult whittle::compileModel(const CompileOptions &options,
                                    MLIRContext &context) {
  llvm::Expected<TargetInfo> target =
      resolveTarget(options.target, options.cpu);
  if (!target)
    return reportError(llvm::toString(target.takeError()));
  if (!target->supported)
    return reportError("target '" + options.target + "' is not yet supported");
  std::string cudaToolkit;
  if (target->isGPU()) {
    if (options.decodeMaxTokens)
      return reportError("--decode is not supported for target '" +
                         target->name + "' yet");
    if (llvm::any_of(options.inputShapes, [](const std::string &shape) {
          return StringRef(shape).contains('?');
        }))
      return reportError("a bounded --input-shape (?N) is not supported for "
                         "target '" +
                         target->name + "' yet");
    if (options.gpuPrecision != "fp32" && options.gpuPrecision != "tf32" &&
        options.gpuPrecision != "fp16" && options.gpuPrecision != "bf16")
      return reportError("unknown --gpu-precision '" + options.gpuPrecision +
                         "' (expected fp32, tf32, fp16 or bf16)");
    int chip = 0;
    StringRef(target->gpuChip).drop_front(3).getAsInteger(10, chip);
    if ((options.gpuPrecision == "tf32" || options.gpuPrecision == "bf16") &&
        chip < 80)
      return reportError("--gpu-precision=" + options.gpuPrecision +
                         " needs sm_80 or newer (target is " + target->gpuChip +
                         ")");
    if (!options.gpuEmulate) {
      FailureOr<std::string> found = findCudaToolkit(options.cudaPath);
      if (failed(found))
        return failure();
      cudaToolkit = *found;
    } else if (options.emit == EmitKind::PTX) {
      return reportError("--gpu-emulate produces no PTX");
    }
  } else if (options.emit == EmitKind::PTX || options.gpuEmulate ||
             options.gpuPrecision != "fp32") {
    std::string flag = options.gpuEmulate ? "--gpu-emulate"
                       : options.emit == EmitKind::PTX
                           ? "--emit=ptx"
                           : "--gpu-precision=" + options.gpuPrecision;
    return reportError(flag + " needs a GPU target (--target=nvptx)");
  }

  if (options.outputPath.empty())
    return reportError("no output file (-o)");
  StringRef outputPath = options.outputPath;
  if (outputPath == "-" &&
      (options.emit == EmitKind::Object || options.emit == EmitKind::Library))
    return reportError("binary output cannot go to stdout");

  FailureOr<OwningOpRef<ModuleOp>> loaded = loadModel(options, context);
  if (failed(loaded))
    return failure();
  ModuleOp module = loaded->get();

  CompileReport report;
  if (!options.reportPath.empty()) {
    if (auto name = module->getAttrOfType<StringAttr>("whittle.model_name"))
      report.model = name.str();
    report.target = target->name;
    report.cpu = target->cpu;
    report.before = summarizeGraph(module);
  }

  // Graph level: the imported whittle graph, cleaned up.
  {
    PassManager pm(&context);
    GraphPipelineOptions graph;
    graph.pruneDeadHeads = options.pruneDeadHeads;
    graph.pruneHeads = options.pruneHeads;
    graph.pruneReason = options.pruneReason;
    graph.pruneNeurons = options.pruneNeurons;
    graph.quantizeWeights = options.quantizeWeights;
    graph.quantizeGroupSize = options.quantizeGroupSize;
    graph.quantizeActivations = options.quantizeActivations;
    graph.quantizeExclude = options.quantizeExclude;
    graph.quantizeReduceRange = options.quantizeReduceRange;
    graph.probeMatmuls = options.probeMatmuls;
    graph.probeMatmulInputs = options.probeMatmulInputs;
    graph.quantizeActivationSamples = options.quantizeActivationSamples;
    buildGraphPipeline(pm, graph);
    if (options.decodeMaxTokens) {
      WhittleBuildDecodeStepsOptions decode;
      decode.maxTokens = options.decodeMaxTokens;
      decode.chunk = options.decodeChunk;
      pm.addPass(createWhittleBuildDecodeSteps(decode));
    }
    {
      WhittleBuildLengthVariantsOptions lengths;
      lengths.lengths.assign(options.lengthVariants.begin(),
                             options.lengthVariants.end());
      pm.addPass(createWhittleBuildLengthVariants(lengths));
    }
    if (options.probeHeads)
      pm.addPass(createWhittleProbeHeads());
    if (failed(runPasses(pm, module)))
      return failure();
  }
  OutputFiles outputs;
  if (!options.reportPath.empty()) {
    report.after = summarizeGraph(module);
    if (options.reportPath == "-") {
      printReportSummary(report, llvm::errs());
    } else if (failed(writeText(outputs, options.reportPath,
                                [&](llvm::raw_ostream &os) {
                                  writeReportJson(report, os);
                                }))) {
      return failure();
    }
  }
  if (options.emit == EmitKind::MLIR) {
    if (failed(writeText(outputs, outputPath, [&](llvm::raw_ostream &os) {
          printGraph(module, options.emitWeights, os);
        })))
      return failure();
    return outputs.commit();
  }

  FailureOr<ModelSignature> signature = extractModelSignature(module);
  if (failed(signature))
    return failure();
  if (!options.gpuEmulate)
    signature->gpuArch = target->gpuChip;
  std::string stem = llvm::sys::path::stem(outputPath).str();
  std::string cPrefix =
      sanitizeCIdentifier(outputPath == "-" ? signature->modelName : stem);

  // Backend: linalg on tensors -> LLVM dialect.
  {
    PassManager pm(&context);
    BackendOptions backend;
    backend.target = *target;
    backend.optLevel = options.optLevel;
    backend.vectorize = options.vectorize;
    backend.streamingAttention = options.streamingAttention;
    backend.reportTiles = options.reportTiles;
    backend.parallelize = options.parallelize;
    backend.parallelMinWork = options.parallelMinWork;
    backend.cudaPath = cudaToolkit;
    backend.emulateGPU = options.gpuEmulate;
    backend.gpuPrecision = options.gpuPrecision;
    if (auto lengths = module->getAttrOfType<DictionaryAttr>("whittle.lengths"))
      if (auto variants = lengths.getAs<DenseI64ArrayAttr>("variants"))
        for (int64_t length : variants.asArrayRef())
          backend.extraFunctions.push_back("length_" + std::to_string(length));
    if (options.decodeMaxTokens) {
      backend.extraFunctions.push_back("decode_step_" +
                                       std::to_string(options.decodeChunk));
      if (options.decodeChunk != 1)
        backend.extraFunctions.push_back("decode_step_1");
    }
    buildLoweringPipeline(pm, backend);
    if (failed(runPasses(pm, module)))
      return failure();
  }
  if (options.emit == EmitKind::PTX) {
    auto ptx = module.lookupSymbol<LLVM::GlobalOp>("whittle_gpu_ptx");
    auto text =
        ptx ? dyn_cast_or_null<StringAttr>(ptx.getValueOrNull()) : StringAttr();
    if (!text)
      return reportError("the model has no GPU kernels");
    if (failed(writeText(outputs, outputPath, [&](llvm::raw_ostream &os) {
          os << text.getValue().drop_back(); // the NUL the driver needs
        })))
      return failure();
    return outputs.commit();
  }
  if (failed(generateEntryPoints(module, *signature, cPrefix)))
    return failure();

  // Weights leave the module before translation: their bytes go straight
  // into an object of their own that is linked next to the code. --emit=llvm
  // keeps the same external declarations and leaves the bytes out (printing
  // them as LLVM constants costs minutes and gigabytes on a large model).
  std::optional<std::string> weightsObject;
  std::optional<WeightsSummary> externalWeights;
  if (options.emit == EmitKind::LLVM) {
    if (!options.emitWeights) {
      FailureOr<WeightsSummary> summary = externalizeWeights(module);
      if (failed(summary))
        return failure();
      if (summary->count)
        externalWeights = *summary;
    }
  } else {
    FailureOr<std::string> path =
        outputs.scratch((outputPath + ".weights.o").str());
    if (failed(path))
      return failure();
    FailureOr<bool> written = writeWeightsObject(module, *target, *path);
    if (failed(written))
      return failure();
    if (*written)
      weightsObject = *path;
  }

  llvm::LLVMContext llvmContext;
  std::string error;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, *target, cPrefix, error);
  if (!llvmModule)
    return reportError(error);
  // The MLIR module is no longer needed; free it before LLVM code generation.
  *loaded = OwningOpRef<ModuleOp>();
  if (failed(optimizeModule(*llvmModule, *target, options.optLevel, error)))
    return reportError(error);

  if (options.emit == EmitKind::LLVM) {
    if (failed(writeText(outputs, outputPath, [&](llvm::raw_ostream &os) {
          if (externalWeights)
            os << "; Weights elided: " << externalWeights->count << " weights ("
               << externalWeights->bytes
               << " bytes) are external declarations, defined by the\n"
               << "; library's weights object. Incomplete module; "
                  "whittle-compile --emit-weights prints them.\n";
          llvmModule->print(os, nullptr);
        })))
      return failure();
    return outputs.commit();
  }

  // An --emit=obj output with weights merges the code and weight objects.
  bool mergeObjects = options.emit == EmitKind::Object && weightsObject;
  FailureOr<std::string> objectPath =
      options.emit == EmitKind::Object && !mergeObjects
          ? outputs.create(outputPath)
          : outputs.scratch((outputPath + ".o").str());
  if (failed(objectPath))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(*objectPath, ec);
    if (ec)
      return reportError("cannot write '" + *objectPath + "': " + ec.message());
    if (failed(emitObjectFile(*llvmModule, *target, options.optLevel,
                              /*emitAssembly=*/false, os, error)))
      return reportError(error);
    os.close();
    if (os.has_error())
      return reportError("cannot write '" + *objectPath + "'");
  }
  llvmModule.reset();

  SmallVector<std::string, 2> objects = {*objectPath};
  if (weightsObject)
    objects.push_back(*weightsObject);
  if (mergeObjects) {
    FailureOr<std::string> merged = outputs.create(outputPath);
    if (failed(merged))
      return failure();
    if (failed(linkRelocatableObject(objects, *merged, error)))
      return reportError(error);
  }
  if (options.emit == EmitKind::Library) {
    FailureOr<std::string> libraryPath = outputs.create(outputPath);
    if (failed(libraryPath))
      return failure();
    if (failed(linkSharedLibrary(*target, objects, *libraryPath,
                                 llvm::sys::path::filename(outputPath), error)))
      return reportError(error);
    llvm::SmallString<256> headerPath(llvm::sys::path::parent_path(outputPath));
    llvm::sys::path::append(headerPath, stem + ".h");
    if (failed(writeText(outputs, headerPath, [&](llvm::raw_ostream &os) {
          os << generateHeader(*signature, cPrefix);
        })))
      return failure();
  }
  return outputs.commit();
}
