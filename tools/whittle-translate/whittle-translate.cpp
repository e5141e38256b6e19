//===- whittle-translate.cpp - Translations into the whittle dialect ------===//
//
// whittle-translate --import-onnx model.onnx [--input-shape NAME=1x128]...
//                   [--freeze-input NAME=tensor.pb]... [-o out.mlir]
// whittle-translate --list-ops[=markdown|json] [-o FILE]
//
// --list-ops prints the importer's operator registry: the table of
// docs/ops.md (markdown) or the op list the test harnesses select by (json).
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OnnxImporter.h"
#include "whittle/Import/OpRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;

static cl::opt<bool> importOnnx("import-onnx",
                                cl::desc("Import an ONNX model (.onnx binary "
                                         "or .onnxtext text format)"));
enum class OpListFormat { None, Markdown, Json };
static cl::opt<OpListFormat> listOps(
    "list-ops", cl::desc("Print the ONNX operators the importer supports"),
    cl::ValueOptional, cl::init(OpListFormat::None),
    cl::values(clEnumValN(OpListFormat::Markdown, "markdown",
                          "the operator table of docs/ops.md (default)"),
               clEnumValN(OpListFormat::Markdown, "", ""),
               clEnumValN(OpListFormat::Json, "json",
                          "domain, op_type and since_version per entry")));
static cl::opt<std::string>
    inputFilename(cl::Positional, cl::desc("<input file>"), cl::init("-"));
static cl::opt<std::string> outputFilename("o", cl::desc("Output filename"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape of a graph input, NAME=1x128 "
                         "(repeatable)"),
                cl::value_desc("name=dims"));
static cl::list<std::string> freezeInputs(
    "freeze-input",
    cl::desc("Replace a graph input by a constant read from an ONNX "
             "TensorProto (.pb) or NumPy (.npy) file, NAME=FILE (repeatable)"),
    cl::value_desc("name=file"));
static cl::opt<bool> allowDynamicShapes(
    "allow-dynamic-shapes",
    cl::desc("Keep dynamic input dimensions instead of rejecting them"));
static cl::opt<bool> elideResources(
    "elide-resources",
    cl::desc("Print resource blobs (weights) as elided placeholders"));

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "Whittle translation tool\n");

  if (listOps != OpListFormat::None) {
    std::string error;
    auto output = mlir::openOutputFile(outputFilename, &error);
    if (!output) {
      errs() << "error: " << error << "\n";
      return 1;
    }
    const whittle::OpRegistry &ops = whittle::OpRegistry::get();
    if (listOps == OpListFormat::Json)
      ops.printJson(output->os());
    else
      ops.printMarkdown(output->os());
    output->keep();
    return 0;
  }
  if (!importOnnx) {
    errs() << "error: no translation selected; use --import-onnx or "
              "--list-ops\n";
    return 1;
  }
  if (inputFilename == "-") {
    errs() << "error: --import-onnx needs a model file\n";
    return 1;
  }
  whittle::ImportOptions options;
  options.requireStaticShapes = !allowDynamicShapes;
  for (const std::string &text : inputShapes) {
    std::string error;
    if (!whittle::parseInputShapeOption(text, options, error)) {
      errs() << "error: --input-shape: " << error << "\n";
      return 1;
    }
  }
  for (const std::string &text : freezeInputs) {
    std::string error;
    if (!whittle::parseFreezeInputOption(text, options, error)) {
      errs() << "error: --freeze-input: " << error << "\n";
      return 1;
    }
  }

  mlir::DialectRegistry registry;
  registry.insert<whittle::WhittleDialect, mlir::func::FuncDialect>();
  mlir::MLIRContext context(registry);
  SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  auto module = whittle::importOnnxFile(inputFilename, options, context);
  if (failed(module))
    return 1;

  // Opened only after a successful import so that failures leave no file.
  std::string error;
  auto output = mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    errs() << "error: " << error << "\n";
    return 1;
  }
  mlir::OpPrintingFlags flags;
  if (elideResources)
    flags.elideLargeResourceString(0);
  (*module)->print(output->os(), flags);
  output->os() << "\n";
  output->keep();
  return 0;
}
