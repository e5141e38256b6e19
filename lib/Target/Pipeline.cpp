//===- Pipeline.cpp - linalg on tensors -> LLVM dialect -------------------===//

#include "whittle/Passes/Passes.h"
#include "whittle/Target/Backend.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace whittle;

/// Bufferize. Function boundaries use identity layouts so @main can take
/// bare pointers; returned buffers become out-parameters, and static result
/// allocations are replaced by the out-parameter itself so outputs are
/// written in place.
static void addBufferization(OpPassManager &pm) {
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferizeOptions.bufferAlignment = 64;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  pm.addNestedPass<func::FuncOp>(createWhittleDistinctResults());
  bufferization::BufferResultsToOutParamsPassOptions outParamOptions;
  outParamOptions.hoistStaticAllocs = true;
  outParamOptions.modifyPublicFunctions = true;
  pm.addPass(
      bufferization::createBufferResultsToOutParamsPass(outParamOptions));
  pm.addPass(createCanonicalizerPass());
}

/// The host code (and, on a CPU, all of it) to the LLVM dialect.
static void addHostLowering(OpPassManager &pm, bool vectorize) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (vectorize) {
    // Reductions were reassociated into vector lanes already; the final
    // horizontal reduction may be too.
    ConvertVectorToLLVMPassOptions vectorOptions;
    vectorOptions.reassociateFPReductions = true;
    pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
    pm.addPass(createUBToLLVMConversionPass());
  }
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

/// @main and the decode steps: the functions that get a workspace and an
/// executor argument.
static SmallVector<std::string> modelFunctions(const BackendOptions &options) {
  SmallVector<std::string> functions = {"main"};
  functions.append(options.extraFunctions.begin(),
                   options.extraFunctions.end());
  return functions;
}

/// Every remaining buffer of each function goes into its workspace.
static void addPlanMemory(OpPassManager &pm, ArrayRef<std::string> functions) {
  for (const std::string &name : functions) {
    WhittlePlanMemoryOptions planOptions;
    planOptions.funcName = name;
    pm.addPass(createWhittlePlanMemory(planOptions));
  }
}

/// Adds the executor argument to each function (every model has the same
/// calling convention) and outlines the loops worth a dispatch.
static void addOutlineParallelLoops(OpPassManager &pm,
                                    ArrayRef<std::string> functions,
                                    int64_t minWork) {
  for (const std::string &name : functions) {
    WhittleOutlineParallelLoopsOptions outlineOptions;
    outlineOptions.funcName = name;
    outlineOptions.minWork = minWork;
    pm.addPass(createWhittleOutlineParallelLoops(outlineOptions));
  }
}

/// GPU targets: every loop nest touching memory becomes a kernel (see
/// whittle-map-loops-to-gpu), the kernels are compiled to a device image
/// embedded in the host module, and the host keeps only launches.
static void buildGPUBackendPipeline(OpPassManager &pm,
                                    const BackendOptions &options) {
  const TargetInfo &target = options.target;
  if (options.streamingAttention)
    pm.addPass(createWhittleMapAttentionToGPU());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferization(pm);
  WhittleTileGPUContractionsOptions contractionOptions;
  contractionOptions.precision = options.gpuPrecision;
  pm.addPass(createWhittleTileGPUContractions(contractionOptions));
  pm.addPass(createWhittleTileGPUReductions());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  SmallVector<std::string> functions = modelFunctions(options);
  addPlanMemory(pm, functions);
  pm.addPass(createWhittlePromoteLoopAccumulators());
  pm.addPass(createWhittleCoarsenGPUThreads());
  pm.addPass(createCSEPass());
  pm.addPass(createWhittleMapLoopsToGPU());
  // Polynomial math inside the kernels, as on the CPU.
  pm.addPass(createWhittleLegalizeForLLVM());
  if (options.emulateGPU) {
    // Testing without a GPU: the launches run as loops on the host, which
    // then gets the CPU calling convention (an executor it never uses).
    pm.addPass(createWhittleEmulateGPULaunches());
    addOutlineParallelLoops(pm, functions, /*minWork=*/INT64_MAX);
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // bf16 conversions in integer arithmetic (an x86 library cannot count
    // on a runtime routine for them).
    arith::ArithExpandOpsPassOptions expand;
    expand.includeBf16 = true;
    pm.addPass(arith::createArithExpandOpsPass(expand));
    // Emulated tensor-core fragments are vectors.
    addHostLowering(pm, /*vectorize=*/true);
    return;
  }
  // Constants and index arithmetic go into the kernels (and fold there)
  // rather than becoming kernel parameters.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createWhittleLowerGPULaunches());
  WhittleSerializeGPUKernelsOptions serialize;
  serialize.chip = target.gpuChip;
  serialize.features = target.gpuFeatures;
  serialize.cudaPath = options.cudaPath;
  pm.addPass(createWhittleSerializeGPUKernels(serialize));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addHostLowering(pm, /*vectorize=*/false);
}

void whittle::buildBackendPipeline(OpPassManager &pm,
                                   const BackendOptions &options) {
  // Attention first: the transpose of K that its kernel adds is then tiled
  // and vectorized with everything else.
  const TargetInfo &target = options.target;
  if (target.isGPU())
    return buildGPUBackendPipeline(pm, options);
  if (options.vectorize && options.streamingAttention) {
    WhittleTileAttentionOptions attentionOptions;
    // Its register blocks are sized for the registers LLVM will use for its
    // wide vectors: full 512-bit ones on AVX-512.
    attentionOptions.vectorWidthBits = target.maxVectorWidthBits;
    attentionOptions.numVectorRegisters = target.numVectorRegisters;
    attentionOptions.reportTiles = options.reportTiles;
    pm.addNestedPass<func::FuncOp>(
        createWhittleTileAttention(attentionOptions));
  }

  // Tensor level: fuse producers into consumers so elementwise chains become
  // one loop nest and intermediate tensors disappear. With kernels tiled,
  // fusion must not pull producers into contractions (recomputation).
  if (options.vectorize)
    pm.addNestedPass<func::FuncOp>(createWhittleFuseElementwise());
  else
    pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Tile for caches and registers, pack constant weights, vectorize.
  if (options.vectorize) {
    WhittleTileKernelsOptions tileOptions;
    tileOptions.vectorWidthBits = target.vectorWidthBits;
    tileOptions.reportTiles = options.reportTiles;
    tileOptions.numVectorRegisters = target.numVectorRegisters;
    tileOptions.rowVectors = target.gemmRowVectors;
    tileOptions.int8DotProduct = target.int8DotProduct;
    tileOptions.int8VectorWidthBits = target.int8VectorWidthBits;
    tileOptions.l1CacheBytes = target.l1CacheBytes;
    tileOptions.l2CacheBytes = target.l2CacheBytes;
    pm.addNestedPass<func::FuncOp>(createWhittleTileKernels(tileOptions));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  addBufferization(pm);

  // Tiles become scf.parallel (executor tasks below); the vector ops of the
  // tiles are lowered to 1-D.
  if (options.vectorize) {
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
    pm.addNestedPass<func::FuncOp>(createWhittleLowerVectors());
    pm.addPass(createCanonicalizerPass());
  }

  // Loops: parallel dimensions become scf.parallel, which the outlining
  // below turns into executor tasks.
  if (options.parallelize)
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  else
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());

  SmallVector<std::string> functions = modelFunctions(options);
  addPlanMemory(pm, functions);
  addOutlineParallelLoops(
      pm, functions, options.parallelize ? options.parallelMinWork : INT64_MAX);
  pm.addPass(createWhittleLegalizeForLLVM());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  addHostLowering(pm, options.vectorize);
}
