//===- SerializeGPUKernels.cpp - Kernel module -> PTX and cubin globals ---===//
//
// The merged kernel module goes through NVVM to PTX with LLVM's NVPTX
// backend; ptxas, when the CUDA toolkit is there, assembles it for the
// requested architecture. Both are kept in the host module as constants:
// the cubin is what the driver loads, the PTX lets a newer GPU JIT-compile
// the same kernels.
//
// Transcendental functions were expanded into polynomials before (as on the
// CPU), so the numerics match the CPU libraries'; what is left (sqrt, fabs,
// floor, ...) comes from the toolkit's libdevice, linked into the module.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLESERIALIZEGPUKERNELS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Removes its files when it goes out of scope.
struct TemporaryFiles {
  SmallVector<std::string> paths;
  FailureOr<std::string> create(StringRef suffix) {
    SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("whittle-gpu", suffix, path))
      return failure();
    paths.push_back(path.str().str());
    return paths.back();
  }
  ~TemporaryFiles() {
    for (const std::string &path : paths)
      llvm::sys::fs::remove(path);
  }
};

struct WhittleSerializeGPUKernelsPass
    : whittle::impl::WhittleSerializeGPUKernelsBase<
          WhittleSerializeGPUKernelsPass> {
  using Base::Base;

  /// Assembles `ptx` with ptxas; the error names the tool's own message.
  FailureOr<std::string> assemble(Location loc, StringRef ptx) {
    TemporaryFiles files;
    FailureOr<std::string> input = files.create("ptx");
    FailureOr<std::string> output = files.create("cubin");
    FailureOr<std::string> log = files.create("log");
    if (failed(input) || failed(output) || failed(log))
      return emitError(loc, "cannot create temporary files for ptxas");
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(*input, ec);
      if (ec)
        return emitError(loc, "cannot write '") << *input << "'";
      os << ptx;
    }
    std::string arch = "-arch=" + chip;
    SmallString<256> ptxas(cudaPath);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    SmallVector<StringRef> args = {ptxas, arch, "-O3", *input, "-o", *output};
    std::optional<StringRef> redirects[] = {std::nullopt, *log, *log};
    std::string message;
    int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects,
                                       /*SecondsToWait=*/0,
                                       /*MemoryLimit=*/0, &message);
    if (rc != 0) {
      auto text = llvm::MemoryBuffer::getFile(*log);
      return emitError(loc, "ptxas failed")
             << (message.empty() ? "" : ": " + message) << "\n"
             << (text ? (*text)->getBuffer() : "");
    }
    auto cubin = llvm::MemoryBuffer::getFile(*output, /*IsText=*/false);
    if (!cubin)
      return emitError(loc, "ptxas wrote no '") << *output << "'";
    return (*cubin)->getBuffer().str();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto kernels = module.lookupSymbol<gpu::GPUModuleOp>(kernelModule);
    if (!kernels)
      return;
    Location loc = kernels.getLoc();

    std::string pipeline =
        "gpu.module(expand-strided-metadata,lower-affine,"
        "convert-scf-to-cf,"
        "convert-gpu-to-nvvm{index-bitwidth=64},reconcile-unrealized-casts),"
        "nvvm-attach-target{chip=" +
        chip + " features=" + features + " O=3 module=" + kernelModule +
        "},gpu-module-to-binary{format=isa" +
        (cudaPath.empty() ? "" : " toolkit=" + cudaPath) + "}";
    OpPassManager pm("builtin.module");
    if (failed(parsePassPipeline(pipeline, pm))) {
      emitError(loc, "bad device pipeline: ") << pipeline;
      return signalPassFailure();
    }
    if (failed(runPipeline(pm, module)))
      return signalPassFailure();

    auto binary = module.lookupSymbol<gpu::BinaryOp>(kernelModule);
    if (!binary || binary.getObjects().size() != 1) {
      emitError(loc, "the device pipeline produced no PTX");
      return signalPassFailure();
    }
    std::string ptx =
        cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().str();
    binary.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto addGlobal = [&](StringRef name, StringRef bytes) {
      auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
      LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                             LLVM::Linkage::Internal, name,
                             b.getStringAttr(bytes), /*alignment=*/16);
    };
    // The driver reads PTX as a NUL-terminated string.
    addGlobal("whittle_gpu_ptx", StringRef(ptx.c_str(), ptx.size() + 1));
    if (ptx.find(".extern .func") != std::string::npos) {
      emitError(loc, "the kernels call functions of libdevice, which comes "
                     "with the CUDA toolkit (--cuda-path)");
      return signalPassFailure();
    }
    if (!cudaPath.empty()) {
      FailureOr<std::string> cubin = assemble(loc, ptx);
      if (failed(cubin))
        return signalPassFailure();
      addGlobal("whittle_gpu_cubin", *cubin);
    }
  }
};

} // namespace
