//===- CodeGen.cpp - Weights, LLVM IR, object code and linking ------------===//

#include "whittle/Target/Backend.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

#include <mutex>

using namespace mlir;
using namespace whittle;

#ifndef WHITTLE_LLVM_TOOLS_DIR
#define WHITTLE_LLVM_TOOLS_DIR ""
#endif

static void initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    // Module-level inline assembly (the weights) goes through the parser.
    llvm::InitializeAllAsmParsers();
  });
}

static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetInfo &target, unsigned optLevel,
                    std::string &error) {
  initializeLLVMTargets();
  llvm::Triple triple(target.triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;
  llvm::TargetOptions options;
  llvm::CodeGenOptLevel level = llvm::CodeGenOptLevel::Default;
  switch (optLevel) {
  case 0:
    level = llvm::CodeGenOptLevel::None;
    break;
  case 1:
    level = llvm::CodeGenOptLevel::Less;
    break;
  case 3:
    level = llvm::CodeGenOptLevel::Aggressive;
    break;
  default:
    break;
  }
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + target.triple;
  return machine;
}

std::unique_ptr<llvm::Module>
whittle::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                           const TargetInfo &target, StringRef cPrefix,
                           std::string &error) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "whittle_model");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, 2, error);
  if (!machine)
    return nullptr;
  llvmModule->setTargetTriple(llvm::Triple(target.triple));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setPICLevel(llvm::PICLevel::BigPIC);

  // Only the ABI is visible from outside the library.
  llvm::StringSet<> exported = {"whittle_model_abi_version",
                                "whittle_model_metadata",
                                "whittle_model_workspace_size",
                                "whittle_model_run",
                                "whittle_model_decode",
                                "whittle_model_decode_workspace_size",
                                "whittle_model_gpu_kernels",
                                "whittle_model_gpu_image",
                                "whittle_model_gpu_weights",
                                "whittle_model_run_length",
                                "whittle_model_length_workspace_size",
                                (cPrefix + "_run").str()};
  for (llvm::GlobalValue &value : llvmModule->global_values()) {
    if (exported.contains(value.getName())) {
      value.setLinkage(llvm::GlobalValue::ExternalLinkage);
      value.setVisibility(llvm::GlobalValue::DefaultVisibility);
      continue;
    }
    if (!value.isDeclaration()) {
      value.setLinkage(llvm::GlobalValue::InternalLinkage);
    } else if (value.getVisibility() == llvm::GlobalValue::HiddenVisibility) {
      value.setDSOLocal(true); // Weights, defined in this library.
    }
  }
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration())
      fn.addFnAttr("frame-pointer", "none");
  return llvmModule;
}

LogicalResult whittle::optimizeModule(llvm::Module &module,
                                      const TargetInfo &target,
                                      unsigned optLevel, std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, optLevel, error);
  if (!machine)
    return failure();
  for (llvm::Function &fn : module) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty())
      fn.addFnAttr("target-features", target.features);
  }
  if (llvm::verifyModule(module, &llvm::errs())) {
    error = "generated LLVM IR does not verify";
    return failure();
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder builder(machine.get(), tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = llvm::OptimizationLevel::O2;
  switch (optLevel) {
  case 0:
    level = llvm::OptimizationLevel::O0;
    break;
  case 1:
    level = llvm::OptimizationLevel::O1;
    break;
  case 3:
    level = llvm::OptimizationLevel::O3;
    break;
  default:
    break;
  }
  llvm::ModulePassManager passes =
      optLevel == 0 ? builder.buildO0DefaultPipeline(level)
                    : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, mam);
  return success();
}

LogicalResult whittle::emitObjectFile(llvm::Module &module,
                                      const TargetInfo &target,
                                      unsigned optLevel, bool emitAssembly,
                                      llvm::raw_pwrite_stream &os,
                                      std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, optLevel, error);
  if (!machine)
    return failure();
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   emitAssembly
                                       ? llvm::CodeGenFileType::AssemblyFile
                                       : llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return failure();
  }
  codegen.run(module);
  return success();
}

static std::string findLinker() {
  for (StringRef dir :
       {StringRef(WHITTLE_LLVM_TOOLS_DIR), StringRef("/usr/lib/llvm-22/bin")}) {
    if (dir.empty())
      continue;
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "ld.lld");
    if (llvm::sys::fs::can_execute(path))
      return path.str().str();
  }
  for (StringRef name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return "";
}

/// The C libraries a model may call (libm for transcendental functions, libc
/// for memcpy/aligned_alloc) become DT_NEEDED entries when they are found
/// among the target's libraries.
static std::vector<std::string> systemLibraries(const TargetInfo &target) {
  std::vector<std::string> found;
  for (StringRef name : {"libm.so.6", "libc.so.6"}) {
    for (const std::string &dir : target.libraryDirs) {
      llvm::SmallString<128> path(dir);
      llvm::sys::path::append(path, name);
      if (llvm::sys::fs::exists(path)) {
        found.push_back(path.str().str());
        break;
      }
    }
  }
  return found;
}

/// Runs ld.lld with `args` (the linker path is prepended).
static LogicalResult runLinker(std::vector<std::string> args,
                               std::string &error) {
  std::string linker = findLinker();
  if (linker.empty()) {
    error =
        "cannot find ld.lld (looked in " WHITTLE_LLVM_TOOLS_DIR " and on PATH)";
    return failure();
  }
  args.insert(args.begin(), linker);
  llvm::SmallString<128> errorsPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("whittle-ld", "txt", errorsPath)) {
    error = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  std::vector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, errorsPath.str(),
                                          errorsPath.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(linker, argRefs, std::nullopt, redirects,
                                     0, 0, &execError);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(errorsPath);
    error = "linking with " + linker + " failed" +
            (execError.empty() ? "" : ": " + execError) +
            (text ? "\n" + (*text)->getBuffer().str() : "");
  }
  llvm::sys::fs::remove(errorsPath);
  return success(rc == 0);
}

LogicalResult whittle::linkSharedLibrary(const TargetInfo &target,
                                         ArrayRef<std::string> objects,
                                         StringRef output, StringRef soname,
                                         std::string &error) {
  std::vector<std::string> args = {
      "-shared", "-o",           output.str(), "--build-id", "--hash-style=gnu",
      "-z",      "noexecstack",  "-z",         "relro",      "-z",
      "now",     "--gc-sections"};
  // A soname lets programs linked against the library find it by name
  // through their rpath, wherever it was built.
  if (!soname.empty()) {
    args.push_back("-soname");
    args.push_back(soname.str());
  }
  args.insert(args.end(), objects.begin(), objects.end());
  args.push_back("--as-needed");
  for (std::string &lib : systemLibraries(target))
    args.push_back(lib);
  return runLinker(std::move(args), error);
}

LogicalResult whittle::linkRelocatableObject(ArrayRef<std::string> objects,
                                             StringRef output,
                                             std::string &error) {
  std::vector<std::string> args = {"-r", "-o", output.str()};
  args.insert(args.end(), objects.begin(), objects.end());
  return runLinker(std::move(args), error);
}
