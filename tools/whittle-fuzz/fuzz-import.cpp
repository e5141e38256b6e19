//===- fuzz-import.cpp - libFuzzer target: ONNX importer + graph passes ---===//
//
// Bytes -> importOnnxBuffer -> verify -> the graph-level pipeline that
// whittle-compile runs before lowering (buildGraphPipeline: canonicalize,
// CSE, and the graph passes as they land). A clean import failure is fine;
// a crash, a sanitizer report, or IR that fails to verify after a successful
// import (or after a pass) is a bug.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OnnxImporter.h"
#if WHITTLE_HAVE_GRAPH_PIPELINE
#include "whittle/Passes/Passes.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace mlir;

/// A directory that does not exist: every external-data tensor fails to
/// resolve, so inputs cannot make the importer read files.
static constexpr const char *kModelPath = "/nonexistent-whittle-fuzz/fuzz.onnx";

[[noreturn]] static void bug(const char *what) {
  std::fprintf(stderr, "whittle-fuzz-import: %s\n", what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: weights are resource blobs that the context
  // keeps alive, so a shared one would grow without bound.
  MLIRContext context(MLIRContext::Threading::DISABLED);
  // Dropping diagnostics keeps the fuzzer fast and its output readable.
  ScopedDiagnosticHandler drop(&context,
                               [](Diagnostic &) { return success(); });

  whittle::ImportOptions options;
  // Keeping dynamic dims reaches every handler a static model reaches, and
  // the dynamic-shape paths besides.
  options.requireStaticShapes = false;
  FailureOr<OwningOpRef<ModuleOp>> module = whittle::importOnnxBuffer(
      StringRef(reinterpret_cast<const char *>(data), size), kModelPath,
      options, context);
  if (failed(module))
    return 0;
  if (failed(verify(module->get())))
    bug("an imported module fails to verify");

  PassManager pm(&context);
#if WHITTLE_HAVE_GRAPH_PIPELINE
  whittle::buildGraphPipeline(pm);
#else
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
#endif
  // The pipeline fails only when a pass breaks the IR (verification after
  // each pass) or a pattern set does not converge: bugs either way.
  if (failed(pm.run(module->get())))
    bug("the graph-level pipeline fails on an imported module");
  return 0;
}
