//===- NodeBinder.h - Typed access to one ONNX node -------------*- C++ -*-===//
//
// What an op handler sees of the node it imports: its inputs as MLIR values,
// its attributes with ONNX defaults, compile-time operands (axes, shapes)
// read from constants, and a builder whose ops are verified and folded as
// they are created. Accessors return ParseResult and emit a diagnostic that
// names the node on failure, so that a handler reads like its ONNX spec:
//
//   Value x;
//   int64_t axis;
//   if (b.tensor(0, x) || b.attr("axis", axis, -1) ||
//       b.normalizeAxis(axis, b.rank(x), axis))
//     return failure();
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_LIB_IMPORT_NODEBINDER_H
#define WHITTLE_LIB_IMPORT_NODEBINDER_H

#include "TensorImport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

namespace whittle::import {

/// The values of the graph imported so far, shared by all nodes.
struct GraphValues {
  llvm::StringMap<mlir::Value> values;
  /// Names read by some node or returned by the graph.
  llvm::StringSet<> consumed;
  /// Names of @main's arguments, by argument number.
  llvm::SmallVector<std::string> graphInputNames;
};

/// ONNX stores float attributes; widen them through their shortest decimal
/// form so that 1e-6f becomes 1e-6 rather than 9.99999997e-7.
double widenFloat(float value);
/// "2x3x4".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

class NodeBinder {
public:
  NodeBinder(mlir::OpBuilder &builder, TensorImporter &tensors,
             GraphValues &graph, const onnx::NodeProto &node,
             llvm::StringRef name, mlir::Location loc, int64_t version)
      : builder(builder), tensorImporter(tensors), graph(graph), node(node),
        nodeName(name.str()), loc(loc), domainVersion(version) {}

  /// An error at the node: "node 'NAME' (OpType): ...".
  mlir::InFlightDiagnostic error() {
    return mlir::emitError(loc)
           << "node '" << nodeName << "' (" << node.op_type() << "): ";
  }

  // The node.
  const onnx::NodeProto &proto() const { return node; }
  llvm::StringRef name() const { return nodeName; }
  mlir::Location location() const { return loc; }
  /// The opset version the model imports for the node's domain.
  int64_t version() const { return domainVersion; }
  mlir::OpBuilder &getBuilder() { return builder; }
  mlir::MLIRContext *getContext() { return builder.getContext(); }

  // Inputs.
  int numInputs() const { return node.input_size(); }
  int numOutputs() const { return node.output_size(); }
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  /// A required input.
  mlir::ParseResult tensor(int i, mlir::Value &v);
  /// An optional input; null when absent or given as "".
  mlir::ParseResult optionalTensor(int i, mlir::Value &v);
  /// Every input, at least one.
  mlir::ParseResult tensors(llvm::SmallVectorImpl<mlir::Value> &vs);
  /// Whether output `i` is read by a later node or the graph.
  bool isConsumed(int i) const {
    return i < node.output_size() && !node.output(i).empty() &&
           graph.consumed.contains(node.output(i));
  }

  // Attributes, with the ONNX default when absent.
  const onnx::AttributeProto *findAttr(llvm::StringRef name) const;
  mlir::ParseResult attr(llvm::StringRef name, int64_t &v, int64_t dflt);
  mlir::ParseResult attr(llvm::StringRef name, std::optional<int64_t> &v);
  mlir::ParseResult attr(llvm::StringRef name, bool &v, bool dflt);
  mlir::ParseResult attr(llvm::StringRef name, float &v, float dflt);
  mlir::ParseResult attr(llvm::StringRef name, std::string &v,
                         llvm::StringRef dflt);
  mlir::ParseResult attr(llvm::StringRef name,
                         std::optional<llvm::SmallVector<int64_t>> &v);
  /// A string attribute that must be one of `allowed`.
  mlir::ParseResult enumAttr(llvm::StringRef name, std::string &v,
                             llvm::ArrayRef<llvm::StringRef> allowed);

  // Compile-time operands.
  mlir::ParseResult constantInts(mlir::Value v, llvm::StringRef what,
                                 llvm::SmallVectorImpl<int64_t> &out);
  mlir::ParseResult constantScalar(mlir::Value v, llvm::StringRef what,
                                   double &out);
  /// The element bytes of a constant input as raw_data lays them out
  /// (splats expanded); errors name `what` when `v` is not a constant.
  mlir::ParseResult constantBytes(mlir::Value v, llvm::StringRef what,
                                  std::vector<char> &out);
  mlir::ParseResult normalizeAxis(int64_t axis, int64_t rank, int64_t &out);
  mlir::ParseResult normalizeAxes(llvm::ArrayRef<int64_t> axes, int64_t rank,
                                  llvm::SmallVectorImpl<int64_t> &out);

  // Types.
  static mlir::RankedTensorType typeOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType());
  }
  static int64_t rank(mlir::Value v) { return typeOf(v).getRank(); }
  static mlir::Type elementType(mlir::Value v) {
    return typeOf(v).getElementType();
  }

  // Building.
  /// Builds OpTy with inferred result types, verifies and folds it (the
  /// createOrFold contract), reporting failures at the node instead of
  /// aborting on malformed models.
  template <typename OpTy, typename... Args>
  mlir::FailureOr<llvm::SmallVector<mlir::Value>> buildN(unsigned numResults,
                                                         Args &&...args);
  template <typename OpTy, typename... Args>
  mlir::FailureOr<mlir::Value> build(Args &&...args) {
    auto results = buildN<OpTy>(1, std::forward<Args>(args)...);
    if (mlir::failed(results))
      return mlir::failure();
    return results->front();
  }
  /// Same, storing the result in `out`; composes with `||`.
  template <typename OpTy, typename... Args>
  mlir::ParseResult create(mlir::Value &out, Args &&...args) {
    auto result = build<OpTy>(std::forward<Args>(args)...);
    if (mlir::failed(result))
      return mlir::failure();
    out = *result;
    return mlir::success();
  }
  /// A constant op holding `value`.
  mlir::Value constant(mlir::ElementsAttr value);
  /// A rank-0 constant of element type `elt` (float or integer).
  mlir::Value scalarConstant(mlir::Type elt, double value);
  /// Converts a tensor (a Constant's value attribute) at the node.
  mlir::FailureOr<mlir::ElementsAttr>
  convertTensor(const onnx::TensorProto &tensor, llvm::StringRef name) {
    return tensorImporter.convertTensor(tensor, loc, name);
  }
  mlir::FailureOr<mlir::ElementsAttr> makeElements(mlir::RankedTensorType type,
                                                   llvm::ArrayRef<char> bytes,
                                                   bool borrowed,
                                                   llvm::StringRef name) {
    return tensorImporter.makeElements(type, bytes, borrowed, name, loc);
  }

  /// Binds the node's outputs to `results`, in order. Outputs beyond
  /// `results` are an error only when something reads them.
  mlir::LogicalResult setResults(mlir::ValueRange results);

private:
  void notConstantError(mlir::Value v, llvm::StringRef what);

  mlir::OpBuilder &builder;
  TensorImporter &tensorImporter;
  GraphValues &graph;
  const onnx::NodeProto &node;
  std::string nodeName;
  mlir::Location loc;
  int64_t domainVersion;
};

template <typename OpTy, typename... Args>
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
NodeBinder::buildN(unsigned numResults, Args &&...args) {
  // Dialect diagnostics (inference, verifiers) only know the location;
  // prefix them with the node so that the message names it.
  bool reemitting = false;
  mlir::ScopedDiagnosticHandler prefixNode(
      getContext(), [&](mlir::Diagnostic &diag) {
        if (reemitting || diag.getSeverity() != mlir::DiagnosticSeverity::Error)
          return mlir::failure();
        reemitting = true;
        error() << diag.str();
        reemitting = false;
        return mlir::success();
      });
  mlir::OperationState state(loc, OpTy::getOperationName());
  llvm::SmallVector<mlir::Type> placeholders(numResults, builder.getNoneType());
  OpTy::build(builder, state, mlir::TypeRange(placeholders),
              std::forward<Args>(args)...);
  llvm::SmallVector<mlir::Type> types;
  if (mlir::failed(OpTy::inferReturnTypes(
          getContext(), loc, state.operands,
          state.attributes.getDictionary(getContext()),
          state.getRawProperties(), state.regions, types)))
    return mlir::failure();
  if (types.size() != numResults) {
    error() << "expected " << numResults << " results, inferred "
            << types.size();
    return mlir::failure();
  }
  state.types.assign(types.begin(), types.end());
  mlir::Operation *op = builder.create(state);
  if (mlir::failed(mlir::verify(op))) {
    op->erase();
    return mlir::failure();
  }
  llvm::SmallVector<mlir::Value> results;
  if (mlir::succeeded(builder.tryFold(op, results)) && !results.empty()) {
    op->erase();
    return results;
  }
  return llvm::SmallVector<mlir::Value>(op->getResults());
}

} // namespace whittle::import

#endif // WHITTLE_LIB_IMPORT_NODEBINDER_H
