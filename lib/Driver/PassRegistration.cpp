//===- PassRegistration.cpp - Register every whittle pass and pipeline ----===//
//
// The two named pipelines are built by the same functions whittle-compile
// calls, so `whittle-opt --whittle-graph-pipeline` and
// `--whittle-backend-pipeline='target=... mcpu=...'` reproduce a compile
// step by step.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Target/Backend.h"
#include "whittle/Target/TargetInfo.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace {
struct BackendPipelineOptions
    : public PassPipelineOptions<BackendPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("x86_64, aarch64 or nvptx"),
                             llvm::cl::init("x86_64")};
  Option<std::string> cpu{*this, "mcpu",
                          llvm::cl::desc("Target CPU (as --mcpu)"),
                          llvm::cl::init("native")};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize kernels"),
                         llvm::cl::init(true)};
  Option<bool> streamingAttention{
      *this, "streaming-attention",
      llvm::cl::desc("Lower attention to the streaming kernel (otherwise the "
                     "unfused reference form)"),
      llvm::cl::init(true)};
  Option<bool> parallelize{*this, "parallelize",
                           llvm::cl::desc("Run parallel loops as executor "
                                          "tasks"),
                           llvm::cl::init(true)};
  Option<int64_t> parallelMinWork{
      *this, "parallel-min-work",
      llvm::cl::desc("Smallest loop worth an executor task"),
      llvm::cl::init(32768)};
};
} // namespace

void whittle::buildLoweringPipeline(OpPassManager &pm,
                                    const BackendOptions &options) {
  ConvertWhittleToLinalgOptions conversion;
  // The streaming attention and 4-bit kernels are written for CPU vector
  // registers; a GPU gets the plain forms.
  bool cpuKernels = options.vectorize && !options.target.isGPU();
  // A GPU gets its own attention kernel (whittle-map-attention-to-gpu).
  conversion.streamingAttention =
      (cpuKernels || options.target.isGPU()) && options.streamingAttention;
  conversion.vectorKernelRegisters =
      cpuKernels ? options.target.numVectorRegisters *
                       options.target.vectorWidthBits / 512
                 : 0;
  pm.addPass(createConvertWhittleToLinalg(conversion));
  buildBackendPipeline(pm, options);
}

void whittle::registerAllWhittlePasses() {
  registerWhittlePasses();
  PassPipelineRegistration<>(
      "whittle-graph-pipeline",
      "The graph-level passes whittle-compile runs on the imported graph",
      [](OpPassManager &pm) { buildGraphPipeline(pm); });
  // Registered by hand rather than through PassPipelineRegistration so that
  // an unknown target or CPU fails the pipeline instead of building half.
  registerPassPipeline(
      "whittle-backend-pipeline",
      "whittle -> linalg -> LLVM dialect, as whittle-compile lowers a model",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        BackendPipelineOptions opts;
        if (failed(opts.parseFromString(text)))
          return failure();
        llvm::Expected<TargetInfo> target =
            resolveTarget(opts.target, opts.cpu);
        if (!target)
          return errorHandler(llvm::toString(target.takeError()));
        BackendOptions backend;
        backend.target = *target;
        backend.vectorize = opts.vectorize;
        backend.streamingAttention = opts.streamingAttention;
        backend.parallelize = opts.parallelize;
        backend.parallelMinWork = opts.parallelMinWork;
        buildLoweringPipeline(pm, backend);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(BackendPipelineOptions());
      });
}
