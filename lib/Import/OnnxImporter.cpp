//===- OnnxImporter.cpp - ONNX model to whittle IR ------------------------===//
//
// Translates an ONNX ModelProto into one `func.func @main` of whittle ops.
//
// Memory: binary models are parsed from a file stream (no second copy of the
// file), and weights become dense_resource blobs that point into the parsed
// protobuf or into mmapped external-data files. Every such blob owns a
// shared_ptr to that storage, so the weights live exactly as long as the IR
// needs them and are never copied.
//
// The importer does no optimization of its own: ops are built with their
// folders applied (createOrFold semantics), so that shape computations on
// static shapes collapse to constants that later nodes read as attributes.
//
//===----------------------------------------------------------------------===//

#include "whittle/Import/OnnxImporter.h"

#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

using namespace mlir;
using namespace whittle;

namespace {

/// Tensors with more elements than this become dense_resource blobs; smaller
/// ones stay DenseElementsAttr so that folders can evaluate them.
constexpr int64_t kMaxDenseElements = 64;

constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;

/// Everything the resource blobs point into. Blob deleters hold a shared_ptr
/// to it, so it lives until the last blob referencing it is destroyed.
struct ModelStorage {
  onnx::ModelProto model;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
  /// Values of frozen graph inputs (--freeze-input), by input name.
  llvm::StringMap<onnx::TensorProto> frozenTensors;
};

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

Type convertElementType(MLIRContext &ctx, int32_t type) {
  auto intType = [&](unsigned width, bool isUnsigned) -> Type {
    return IntegerType::get(&ctx, width,
                            isUnsigned ? IntegerType::Unsigned
                                       : IntegerType::Signless);
  };
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(&ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(&ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(&ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(&ctx);
  case onnx::TensorProto::BOOL:
    return intType(1, false);
  case onnx::TensorProto::INT8:
    return intType(8, false);
  case onnx::TensorProto::UINT8:
    return intType(8, true);
  case onnx::TensorProto::INT16:
    return intType(16, false);
  case onnx::TensorProto::UINT16:
    return intType(16, true);
  case onnx::TensorProto::INT32:
    return intType(32, false);
  case onnx::TensorProto::UINT32:
    return intType(32, true);
  case onnx::TensorProto::INT64:
    return intType(64, false);
  case onnx::TensorProto::UINT64:
    return intType(64, true);
  default:
    return {};
  }
}

std::string elementTypeName(int32_t type) {
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(type));
  return "type " + std::to_string(type);
}

/// Storage size of one element as ONNX raw_data lays it out (bool: 1 byte).
size_t elementByteSize(Type type) {
  return std::max<size_t>(1, type.getIntOrFloatBitWidth() / 8);
}

/// Resource keys are printed bare in the dialect_resources section.
std::string sanitizeBlobName(StringRef name) {
  std::string result = name.empty() ? "tensor" : name.str();
  for (char &c : result)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (!llvm::isAlpha(result.front()) && result.front() != '_')
    result.insert(result.begin(), '_');
  return result;
}

/// ONNX stores float attributes; widen them through their shortest decimal
/// form so that 1e-6f becomes 1e-6 rather than 9.99999997e-7.
double widenFloat(float value) {
  char text[32];
  for (int precision = 1; precision < 10; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    double candidate = std::strtod(text, nullptr);
    if (static_cast<float>(candidate) == value)
      return candidate;
  }
  return value;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

/// The ONNX element type of a NumPy dtype descriptor such as '<f4' or '|b1'
/// (little endian or byte-sized only), or UNDEFINED.
int32_t numpyElementType(StringRef descr) {
  if (descr.size() < 3 || !StringRef("<|=").contains(descr.front()))
    return onnx::TensorProto::UNDEFINED;
  return llvm::StringSwitch<int32_t>(descr.drop_front())
      .Case("f2", onnx::TensorProto::FLOAT16)
      .Case("f4", onnx::TensorProto::FLOAT)
      .Case("f8", onnx::TensorProto::DOUBLE)
      .Case("i1", onnx::TensorProto::INT8)
      .Case("i2", onnx::TensorProto::INT16)
      .Case("i4", onnx::TensorProto::INT32)
      .Case("i8", onnx::TensorProto::INT64)
      .Case("u1", onnx::TensorProto::UINT8)
      .Case("u2", onnx::TensorProto::UINT16)
      .Case("u4", onnx::TensorProto::UINT32)
      .Case("u8", onnx::TensorProto::UINT64)
      .Case("b1", onnx::TensorProto::BOOL)
      .Default(onnx::TensorProto::UNDEFINED);
}

/// The text after `'key':` in a NumPy header dictionary, up to the next
/// top-level comma or the closing brace.
std::optional<StringRef> numpyHeaderField(StringRef header, StringRef key) {
  size_t pos = header.find(("'" + key + "'").str());
  if (pos == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(pos + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  size_t end = rest.find_first_of(rest.starts_with("(") ? ")" : ",}");
  if (end == StringRef::npos)
    return std::nullopt;
  return rest.take_front(end + rest.starts_with("(")).trim();
}

/// Reads a NumPy .npy file (C order, format 1.0 to 3.0) into `tensor`.
bool readNumpyTensor(StringRef bytes, onnx::TensorProto &tensor,
                     std::string &error) {
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10) {
    error = "not a NumPy .npy file";
    return false;
  }
  uint8_t major = bytes[6];
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthBytes) {
    error = "truncated .npy header";
    return false;
  }
  uint32_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[8 + i]))
                    << (8 * i);
  size_t dataStart = 8 + lengthBytes + headerLength;
  if (bytes.size() < dataStart) {
    error = "truncated .npy header";
    return false;
  }
  StringRef header = bytes.slice(8 + lengthBytes, dataStart);
  auto descr = numpyHeaderField(header, "descr");
  auto fortran = numpyHeaderField(header, "fortran_order");
  auto shape = numpyHeaderField(header, "shape");
  if (!descr || !fortran || !shape) {
    error = "malformed .npy header";
    return false;
  }
  int32_t type = numpyElementType(descr->trim("'\""));
  if (type == onnx::TensorProto::UNDEFINED) {
    error = "unsupported NumPy dtype " + descr->str();
    return false;
  }
  if (*fortran != "False") {
    error = "Fortran-order .npy files are not supported";
    return false;
  }
  SmallVector<StringRef> dims;
  shape->trim("()").split(dims, ',', -1, /*KeepEmpty=*/false);
  uint64_t count = 1;
  tensor.set_data_type(type);
  for (StringRef dim : dims) {
    int64_t d;
    if (dim.trim().getAsInteger(10, d) || d < 0) {
      error = "malformed .npy shape " + shape->str();
      return false;
    }
    tensor.add_dims(d);
    count *= d;
  }
  size_t eltBytes = descr->trim("'\"").back() - '0';
  if (bytes.size() - dataStart != count * eltBytes) {
    error = "the .npy data holds " + std::to_string(bytes.size() - dataStart) +
            " bytes but its shape needs " + std::to_string(count * eltBytes);
    return false;
  }
  tensor.set_raw_data(bytes.drop_front(dataStart).str());
  return true;
}

/// Reads a tensor file: NumPy when it ends in .npy, else a serialized ONNX
/// TensorProto (the format of the ONNX test data's input_K.pb).
bool readTensorFile(StringRef path, onnx::TensorProto &tensor,
                    std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot open '" + path.str() + "': " + buffer.getError().message();
    return false;
  }
  StringRef bytes = (*buffer)->getBuffer();
  if (path.ends_with(".npy")) {
    if (!readNumpyTensor(bytes, tensor, error)) {
      error = "'" + path.str() + "': " + error;
      return false;
    }
    return true;
  }
  if (!tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = "'" + path.str() + "' is not an ONNX TensorProto (.pb) or .npy";
    return false;
  }
  return true;
}

/// One ONNX graph being translated into one function.
class Importer {
public:
  Importer(MLIRContext &ctx, std::shared_ptr<ModelStorage> storage,
           StringRef path, const ImportOptions &options)
      : ctx(ctx), builder(&ctx), storage(std::move(storage)), path(path.str()),
        modelDir(llvm::sys::path::parent_path(path).str()), options(options),
        fileLoc(FileLineColLoc::get(&ctx, path, 0, 0)) {}

  FailureOr<OwningOpRef<ModuleOp>> run();

private:
  // Graph-level steps.
  LogicalResult readOpsets();
  LogicalResult importInputs(SmallVectorImpl<Type> &argTypes,
                             SmallVectorImpl<std::string> &argNames);
  LogicalResult freezeInput(const onnx::ValueInfoProto &info,
                            StringRef tensorPath, Location inputLoc);
  LogicalResult importInitializers();
  LogicalResult importNode(const onnx::NodeProto &node, int index);
  LogicalResult dispatch(StringRef op);

  // Tensors.
  FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                        Location loc, StringRef what);
  FailureOr<ElementsAttr> makeElements(RankedTensorType type,
                                       ArrayRef<char> bytes, bool borrowed,
                                       StringRef name, Location loc);
  FailureOr<ArrayRef<char>> externalData(const onnx::TensorProto &tensor,
                                         Location loc, StringRef what);

  // Node context helpers.
  InFlightDiagnostic nodeError() {
    return emitError(loc) << "node '" << nodeName << "' (" << node->op_type()
                          << "): ";
  }
  bool hasInput(int i) const {
    return i < node->input_size() && !node->input(i).empty();
  }
  FailureOr<Value> input(int i);
  FailureOr<Value> optionalInput(int i);
  FailureOr<SmallVector<Value>> allInputs();
  bool isConsumed(int outputIndex) const {
    return outputIndex < node->output_size() &&
           !node->output(outputIndex).empty() &&
           consumed.contains(node->output(outputIndex));
  }
  LogicalResult setResults(ValueRange results);

  const onnx::AttributeProto *findAttr(StringRef name) const;
  FailureOr<int64_t> intAttr(StringRef name, int64_t defaultValue);
  FailureOr<std::optional<int64_t>> optionalIntAttr(StringRef name);
  FailureOr<float> floatAttr(StringRef name, float defaultValue);
  FailureOr<std::string> stringAttr(StringRef name, StringRef defaultValue);
  FailureOr<std::optional<SmallVector<int64_t>>> intsAttr(StringRef name);

  FailureOr<SmallVector<int64_t>> constantInts(Value v, StringRef what);
  void notConstantError(Value v, StringRef what);
  FailureOr<double> constantScalar(Value v, StringRef what);
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
  FailureOr<SmallVector<int64_t>> normalizeAxes(ArrayRef<int64_t> axes,
                                                int64_t rank);
  RankedTensorType typeOf(Value v) {
    return cast<RankedTensorType>(v.getType());
  }

  /// Builds OpTy with inferred result types, verifies it and folds it (the
  /// createOrFold contract), reporting failures at the node instead of
  /// aborting on malformed models.
  template <typename OpTy, typename... Args>
  FailureOr<SmallVector<Value>> buildN(unsigned numResults, Args &&...args);
  template <typename OpTy, typename... Args>
  FailureOr<Value> build(Args &&...args) {
    auto results = buildN<OpTy>(1, std::forward<Args>(args)...);
    if (failed(results))
      return failure();
    return results->front();
  }

  // Op families.
  template <typename OpTy> LogicalResult importUnary();
  template <typename OpTy> LogicalResult importBinary();
  template <typename OpTy> LogicalResult importVariadic();
  template <typename OpTy>
  LogicalResult importReduce(bool axesAsInput, bool hasNoopAttr);
  LogicalResult importPow();
  LogicalResult importGelu();
  LogicalResult importClip();
  LogicalResult importCast();
  LogicalResult importWhere();
  LogicalResult importGemm();
  LogicalResult importSoftmax();
  LogicalResult importLayerNorm();
  LogicalResult importLayerNormWithStatistics(Value x, Value scale, Value bias,
                                              int64_t axis, float epsilon);
  LogicalResult importReshape();
  LogicalResult importTranspose();
  LogicalResult importConcat();
  LogicalResult importSplit();
  LogicalResult importSlice();
  LogicalResult importGather();
  LogicalResult importSqueeze();
  LogicalResult importUnsqueeze();
  LogicalResult importExpand();
  LogicalResult importTrilu();
  LogicalResult importRange();
  LogicalResult importConv();
  LogicalResult importConstant();
  LogicalResult importIdentity();
  LogicalResult importDropout();
  LogicalResult importShape();
  LogicalResult importConstantOfShape();
  LogicalResult importFlatten();

  MLIRContext &ctx;
  OpBuilder builder;
  std::shared_ptr<ModelStorage> storage;
  std::string path;
  std::string modelDir;
  const ImportOptions &options;
  Location fileLoc;

  int64_t opset = 0;
  llvm::StringMap<int64_t> domainOpsets;
  llvm::StringMap<Value> values;
  llvm::StringSet<> consumed;
  /// Names of @main's arguments.
  SmallVector<std::string> graphInputNames;
  /// Frozen graph inputs, materialized as constants at the top of @main.
  SmallVector<std::pair<std::string, ElementsAttr>> frozenValues;

  // The node being imported.
  const onnx::NodeProto *node = nullptr;
  std::string nodeName;
  Location loc = fileLoc;
};

} // namespace

//===----------------------------------------------------------------------===//
// Op construction
//===----------------------------------------------------------------------===//

template <typename OpTy, typename... Args>
FailureOr<SmallVector<Value>> Importer::buildN(unsigned numResults,
                                               Args &&...args) {
  // Dialect diagnostics (inference, verifiers) only know the location;
  // prefix them with the node so that the message names it.
  bool reemitting = false;
  ScopedDiagnosticHandler prefixNode(&ctx, [&](Diagnostic &diag) {
    if (reemitting || diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    reemitting = true;
    nodeError() << diag.str();
    reemitting = false;
    return success();
  });
  OperationState state(loc, OpTy::getOperationName());
  SmallVector<Type> placeholders(numResults, builder.getNoneType());
  OpTy::build(builder, state, TypeRange(placeholders),
              std::forward<Args>(args)...);
  SmallVector<Type> types;
  if (failed(OpTy::inferReturnTypes(
          &ctx, loc, state.operands, state.attributes.getDictionary(&ctx),
          state.getRawProperties(), state.regions, types)))
    return failure();
  if (types.size() != numResults) {
    nodeError() << "expected " << numResults << " results, inferred "
                << types.size();
    return failure();
  }
  state.types.assign(types.begin(), types.end());
  Operation *op = builder.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<Value> results;
  if (succeeded(builder.tryFold(op, results)) && !results.empty()) {
    op->erase();
    return results;
  }
  return SmallVector<Value>(op->getResults());
}

//===----------------------------------------------------------------------===//
// Node operands, results and attributes
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::input(int i) {
  if (!hasInput(i)) {
    nodeError() << "missing required input #" << i;
    return failure();
  }
  return optionalInput(i);
}

FailureOr<Value> Importer::optionalInput(int i) {
  if (!hasInput(i))
    return Value();
  auto it = values.find(node->input(i));
  if (it == values.end()) {
    nodeError() << "input '" << node->input(i)
                << "' is not defined by an earlier node, an initializer or a "
                   "graph input";
    return failure();
  }
  return it->second;
}

FailureOr<SmallVector<Value>> Importer::allInputs() {
  SmallVector<Value> result;
  for (int i = 0; i < node->input_size(); ++i) {
    auto v = input(i);
    if (failed(v))
      return failure();
    result.push_back(*v);
  }
  if (result.empty()) {
    nodeError() << "needs at least one input";
    return failure();
  }
  return result;
}

LogicalResult Importer::setResults(ValueRange results) {
  for (int i = 0; i < node->output_size(); ++i) {
    const std::string &name = node->output(i);
    if (name.empty())
      continue;
    if (i >= static_cast<int>(results.size())) {
      if (!consumed.contains(name))
        continue;
      return nodeError() << "output #" << i << " ('" << name
                         << "') is not supported";
    }
    values[name] = results[i];
  }
  return success();
}

const onnx::AttributeProto *Importer::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node->attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

FailureOr<std::optional<int64_t>> Importer::optionalIntAttr(StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return std::optional<int64_t>();
  if (attr->type() != onnx::AttributeProto::INT &&
      !(attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_i())) {
    nodeError() << "attribute '" << name << "' must be an int";
    return failure();
  }
  return std::optional<int64_t>(attr->i());
}

FailureOr<int64_t> Importer::intAttr(StringRef name, int64_t defaultValue) {
  auto value = optionalIntAttr(name);
  if (failed(value))
    return failure();
  return value->value_or(defaultValue);
}

FailureOr<float> Importer::floatAttr(StringRef name, float defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return defaultValue;
  if (attr->type() != onnx::AttributeProto::FLOAT &&
      !(attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_f())) {
    nodeError() << "attribute '" << name << "' must be a float";
    return failure();
  }
  return attr->f();
}

FailureOr<std::string> Importer::stringAttr(StringRef name,
                                            StringRef defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return defaultValue.str();
  if (attr->type() != onnx::AttributeProto::STRING &&
      !(attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_s())) {
    nodeError() << "attribute '" << name << "' must be a string";
    return failure();
  }
  return attr->s();
}

FailureOr<std::optional<SmallVector<int64_t>>>
Importer::intsAttr(StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return std::optional<SmallVector<int64_t>>();
  if (attr->type() != onnx::AttributeProto::INTS &&
      attr->type() != onnx::AttributeProto::UNDEFINED) {
    nodeError() << "attribute '" << name << "' must be a list of ints";
    return failure();
  }
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(attr->ints().begin(), attr->ints().end()));
}

FailureOr<SmallVector<int64_t>> Importer::constantInts(Value v,
                                                       StringRef what) {
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)) &&
      isa<IntegerType>(attr.getElementType())) {
    SmallVector<int64_t> result;
    if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
      for (const APInt &x : dense.getValues<APInt>())
        result.push_back(x.getSExtValue());
      return result;
    }
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      unsigned width = attr.getElementType().getIntOrFloatBitWidth();
      if (blob && (width == 64 || width == 32)) {
        ArrayRef<char> data = blob->getData();
        size_t bytes = width / 8;
        for (size_t i = 0; i + bytes <= data.size(); i += bytes) {
          if (width == 64) {
            int64_t x;
            std::memcpy(&x, data.data() + i, sizeof(x));
            result.push_back(x);
          } else {
            int32_t x;
            std::memcpy(&x, data.data() + i, sizeof(x));
            result.push_back(x);
          }
        }
        return result;
      }
    }
  }
  notConstantError(v, what);
  return failure();
}

void Importer::notConstantError(Value v, StringRef what) {
  // A graph input can be frozen; anything else depends on dynamic shapes.
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    StringRef name = graphInputNames[arg.getArgNumber()];
    nodeError() << "the " << what << " input is graph input '" << name
                << "', which is not a constant; freeze it with --freeze-input "
                << name << "=FILE";
    return;
  }
  nodeError() << "the " << what
              << " input is not a constant; set --input-shape for dynamic "
                 "inputs";
}

FailureOr<double> Importer::constantScalar(Value v, StringRef what) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr))) {
    notConstantError(v, what);
    return failure();
  }
  if (attr.getNumElements() != 1) {
    nodeError() << "the " << what << " input must be a scalar";
    return failure();
  }
  if (isa<FloatType>(attr.getElementType()))
    return (*attr.getValues<APFloat>().begin()).convertToDouble();
  APInt x = *attr.getValues<APInt>().begin();
  if (attr.getElementType().isUnsignedInteger())
    return static_cast<double>(x.getZExtValue());
  return static_cast<double>(x.getSExtValue());
}

FailureOr<int64_t> Importer::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    nodeError() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>> Importer::normalizeAxes(ArrayRef<int64_t> axes,
                                                        int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    auto a = normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    result.push_back(*a);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end()) {
    nodeError() << "axes must be unique";
    return failure();
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

FailureOr<ArrayRef<char>>
Importer::externalData(const onnx::TensorProto &tensor, Location tensorLoc,
                       StringRef what) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef value = entry.value();
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      uint64_t n;
      if (value.getAsInteger(10, n)) {
        emitError(tensorLoc) << what << ": external data " << entry.key()
                             << " '" << value << "' is not a number";
        return failure();
      }
      if (entry.key() == "offset")
        offset = n;
      else
        length = n;
    }
  }
  if (location.empty()) {
    emitError(tensorLoc) << what << ": external data has no location";
    return failure();
  }
  if (llvm::sys::path::is_absolute(location)) {
    emitError(tensorLoc) << what << ": external data location '" << location
                         << "' must be relative to the model's directory";
    return failure();
  }
  SmallString<256> fullPath(modelDir);
  llvm::sys::path::append(fullPath, location);
  auto &file = storage->externalFiles[fullPath];
  if (!file) {
    auto buffer = llvm::MemoryBuffer::getFile(fullPath, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      emitError(tensorLoc) << what << ": cannot open external data file '"
                           << fullPath << "': " << buffer.getError().message();
      return failure();
    }
    file = std::move(*buffer);
  }
  uint64_t size = file->getBufferSize();
  if (offset > size || (length && *length > size - offset)) {
    emitError(tensorLoc) << what << ": external data [" << offset << ", "
                         << offset + length.value_or(0) << ") lies outside '"
                         << fullPath << "' (" << size << " bytes)";
    return failure();
  }
  return ArrayRef<char>(file->getBufferStart() + offset,
                        length.value_or(size - offset));
}

FailureOr<ElementsAttr> Importer::makeElements(RankedTensorType type,
                                               ArrayRef<char> bytes,
                                               bool borrowed, StringRef name,
                                               Location tensorLoc) {
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  size_t eltBytes = elementByteSize(elt);
  if (bytes.size() != static_cast<uint64_t>(n) * eltBytes) {
    emitError(tensorLoc) << "tensor '" << name << "' holds " << bytes.size()
                         << " bytes but its type " << type << " needs "
                         << static_cast<uint64_t>(n) * eltBytes;
    return failure();
  }
  // MLIR packs dense i1 bits, ONNX stores one byte per bool.
  if (elt.isInteger(1)) {
    SmallVector<bool> bits;
    bits.reserve(n);
    for (char c : bytes)
      bits.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, bits));
  }
  if (n <= kMaxDenseElements) {
    if (n == 0) {
      if (isa<FloatType>(elt))
        return cast<ElementsAttr>(
            DenseElementsAttr::get(type, ArrayRef<APFloat>()));
      return cast<ElementsAttr>(
          DenseElementsAttr::get(type, ArrayRef<APInt>()));
    }
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
  AsmResourceBlob blob;
  if (borrowed && llvm::isAddrAligned(llvm::Align(eltBytes), bytes.data())) {
    // Zero-copy: the blob points into the model storage and keeps it alive.
    blob = AsmResourceBlob(
        bytes, eltBytes,
        [keepAlive = storage](void *, size_t, size_t) { (void)keepAlive; },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, eltBytes);
  }
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, sanitizeBlobName(name), std::move(blob)));
}

FailureOr<ElementsAttr> Importer::convertTensor(const onnx::TensorProto &tensor,
                                                Location tensorLoc,
                                                StringRef name) {
  Type elt = convertElementType(ctx, tensor.data_type());
  if (!elt) {
    emitError(tensorLoc) << "tensor '" << name
                         << "' has unsupported element type "
                         << elementTypeName(tensor.data_type());
    return failure();
  }
  if (tensor.has_segment()) {
    emitError(tensorLoc) << "tensor '" << name
                         << "' is segmented, which is not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && n > INT64_MAX / d / 8)) {
      emitError(tensorLoc) << "tensor '" << name << "' has invalid dimension "
                           << d;
      return failure();
    }
    n *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elt);

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = externalData(tensor, tensorLoc, "tensor '" + name.str() + "'");
    if (failed(bytes))
      return failure();
    return makeElements(type, *bytes, /*borrowed=*/true, name, tensorLoc);
  }
  if (tensor.has_raw_data())
    return makeElements(
        type,
        ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size()),
        /*borrowed=*/true, name, tensorLoc);

  // Typed fields. Those whose C++ type matches the element type are
  // borrowed; the rest are narrowed into a temporary buffer.
  auto borrow = [&](const auto &field) {
    using T = std::decay_t<decltype(*field.data())>;
    return makeElements(
        type,
        ArrayRef<char>(reinterpret_cast<const char *>(field.data()),
                       field.size() * sizeof(T)),
        /*borrowed=*/true, name, tensorLoc);
  };
  auto narrow = [&](const auto &field) {
    size_t eltBytes = elementByteSize(elt);
    std::vector<char> bytes(field.size() * eltBytes);
    for (int i = 0; i < field.size(); ++i) {
      uint64_t x = static_cast<uint64_t>(field.Get(i));
      std::memcpy(bytes.data() + i * eltBytes, &x, eltBytes); // little endian
    }
    return makeElements(type, bytes, /*borrowed=*/false, name, tensorLoc);
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return borrow(tensor.float_data());
  case onnx::TensorProto::DOUBLE:
    return borrow(tensor.double_data());
  case onnx::TensorProto::INT64:
    return borrow(tensor.int64_data());
  case onnx::TensorProto::UINT64:
    return borrow(tensor.uint64_data());
  case onnx::TensorProto::INT32:
    return borrow(tensor.int32_data());
  case onnx::TensorProto::UINT32:
    return narrow(tensor.uint64_data());
  default:
    // int8, uint8, int16, uint16, bool, float16 and bfloat16 (as bits).
    return narrow(tensor.int32_data());
  }
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

LogicalResult Importer::readOpsets() {
  const onnx::ModelProto &model = storage->model;
  bool found = false;
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    domainOpsets[id.domain()] = id.version();
    if (isDefaultDomain(id.domain())) {
      opset = id.version();
      found = true;
    }
  }
  if (!found)
    return emitError(fileLoc)
           << "the model imports no opset for the default ONNX domain";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc)
           << "unsupported opset " << opset
           << " for the default ONNX domain (supported: " << kMinOpset << " to "
           << kMaxOpset << ")";
  return success();
}

LogicalResult Importer::importInputs(SmallVectorImpl<Type> &argTypes,
                                     SmallVectorImpl<std::string> &argNames) {
  const onnx::GraphProto &graph = storage->model.graph();
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers.insert(t.name());

  llvm::StringSet<> inputNames;
  std::string dynamicErrors;
  llvm::raw_string_ostream dyn(dynamicErrors);
  bool failedInput = false;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    // Before IR version 4, initializers are listed as inputs too; they stay
    // constants.
    if (initializers.contains(info.name()))
      continue;
    inputNames.insert(info.name());
    Location inputLoc =
        NameLoc::get(StringAttr::get(&ctx, info.name()), fileLoc);
    auto frozen = options.frozenInputs.find(info.name());
    if (frozen != options.frozenInputs.end()) {
      if (options.inputShapes.contains(info.name())) {
        emitError(inputLoc) << "input '" << info.name()
                            << "' is given both --freeze-input and "
                               "--input-shape; its value fixes its shape";
        failedInput = true;
      } else if (failed(freezeInput(info, frozen->getValue(), inputLoc))) {
        failedInput = true;
      }
      continue;
    }
    if (!info.type().has_tensor_type()) {
      emitError(inputLoc) << "input '" << info.name()
                          << "' is not a tensor, which is not supported";
      failedInput = true;
      continue;
    }
    const onnx::TypeProto::Tensor &tt = info.type().tensor_type();
    Type elt = convertElementType(ctx, tt.elem_type());
    if (!elt) {
      emitError(inputLoc) << "input '" << info.name()
                          << "' has unsupported element type "
                          << elementTypeName(tt.elem_type());
      failedInput = true;
      continue;
    }

    SmallVector<int64_t> shape;
    SmallVector<std::string> dimNames;
    bool hasRank = tt.has_shape();
    if (hasRank) {
      for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim()) {
        bool known = d.has_dim_value() && d.dim_value() >= 0;
        shape.push_back(known ? d.dim_value() : ShapedType::kDynamic);
        dimNames.push_back(d.has_dim_param() ? d.dim_param() : "");
      }
    }

    auto it = options.inputShapes.find(info.name());
    if (it != options.inputShapes.end()) {
      ArrayRef<int64_t> given = it->second;
      if (hasRank && given.size() != shape.size()) {
        emitError(inputLoc)
            << "--input-shape " << info.name() << "=" << formatShape(given)
            << " has rank " << given.size() << " but input '" << info.name()
            << "' has rank " << shape.size();
        failedInput = true;
        continue;
      }
      bool conflict = false;
      for (size_t i = 0; i < shape.size(); ++i) {
        if (!ShapedType::isDynamic(shape[i]) && shape[i] != given[i]) {
          emitError(inputLoc)
              << "--input-shape " << info.name() << "=" << formatShape(given)
              << " sets dimension " << i << " to " << given[i]
              << " but the model fixes it to " << shape[i];
          conflict = true;
        }
      }
      if (conflict) {
        failedInput = true;
        continue;
      }
      shape.assign(given.begin(), given.end());
    } else if (!hasRank) {
      emitError(inputLoc) << "input '" << info.name()
                          << "' has no declared shape; set it with "
                             "--input-shape "
                          << info.name() << "=...";
      failedInput = true;
      continue;
    } else if (options.requireStaticShapes) {
      for (size_t i = 0; i < shape.size(); ++i) {
        if (!ShapedType::isDynamic(shape[i]))
          continue;
        SmallVector<int64_t> example(shape);
        for (size_t j = 0; j < example.size(); ++j)
          if (ShapedType::isDynamic(example[j]))
            example[j] = j == 0 ? 1 : 128;
        dyn << "\n  input '" << info.name() << "' has dynamic dimension " << i;
        if (!dimNames[i].empty())
          dyn << " ('" << dimNames[i] << "')";
        dyn << "; set it with --input-shape " << info.name() << "="
            << formatShape(example);
      }
    }
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(info.name());
  }

  for (const auto &entry : options.frozenInputs) {
    if (!inputNames.contains(entry.getKey())) {
      emitError(fileLoc) << "--freeze-input names '" << entry.getKey()
                         << "', which is not a graph input";
      failedInput = true;
    }
  }
  for (const auto &entry : options.inputShapes) {
    if (!inputNames.contains(entry.getKey())) {
      emitError(fileLoc) << "--input-shape names '" << entry.getKey()
                         << "', which is not a graph input";
      failedInput = true;
    }
  }
  if (!dynamicErrors.empty()) {
    emitError(fileLoc) << "the model has dynamic input dimensions:"
                       << dynamicErrors;
    failedInput = true;
  }
  return failure(failedInput);
}

LogicalResult Importer::freezeInput(const onnx::ValueInfoProto &info,
                                    StringRef tensorPath, Location inputLoc) {
  std::string error;
  onnx::TensorProto &tensor = storage->frozenTensors[info.name()];
  if (!readTensorFile(tensorPath, tensor, error))
    return emitError(inputLoc)
           << "--freeze-input " << info.name() << ": " << error;
  auto describe = [&]() {
    return emitError(inputLoc)
           << "--freeze-input " << info.name() << "=" << tensorPath << ": ";
  };
  if (!info.type().has_tensor_type())
    return describe() << "input '" << info.name() << "' is not a tensor";
  const onnx::TypeProto::Tensor &tt = info.type().tensor_type();
  if (tensor.data_type() != tt.elem_type())
    return describe() << "the tensor has element type "
                      << elementTypeName(tensor.data_type()) << " but input '"
                      << info.name() << "' is "
                      << elementTypeName(tt.elem_type());
  SmallVector<int64_t> given(tensor.dims().begin(), tensor.dims().end());
  if (tt.has_shape()) {
    if (tt.shape().dim_size() != static_cast<int>(given.size()))
      return describe() << "the tensor has shape [" << formatShape(given)
                        << "] (rank " << given.size() << ") but input '"
                        << info.name() << "' has rank "
                        << tt.shape().dim_size();
    for (auto [i, d] : llvm::enumerate(tt.shape().dim()))
      if (d.has_dim_value() && d.dim_value() != given[i])
        return describe() << "the tensor has shape [" << formatShape(given)
                          << "] but input '" << info.name()
                          << "' fixes dimension " << i << " to "
                          << d.dim_value();
  }
  auto attr = convertTensor(tensor, inputLoc, info.name());
  if (failed(attr))
    return failure();
  frozenValues.emplace_back(info.name(), *attr);
  return success();
}

LogicalResult Importer::importInitializers() {
  const onnx::GraphProto &graph = storage->model.graph();
  if (graph.sparse_initializer_size() > 0)
    return emitError(fileLoc) << "sparse initializers are not supported";
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    Location tensorLoc =
        NameLoc::get(StringAttr::get(&ctx, tensor.name()), fileLoc);
    auto attr = convertTensor(tensor, tensorLoc, tensor.name());
    if (failed(attr))
      return failure();
    values[tensor.name()] = ConstantOp::create(builder, tensorLoc, *attr);
  }
  return success();
}

LogicalResult Importer::importNode(const onnx::NodeProto &n, int index) {
  node = &n;
  nodeName =
      n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
  loc = NameLoc::get(StringAttr::get(&ctx, nodeName), fileLoc);

  if (!isDefaultDomain(n.domain())) {
    auto it = domainOpsets.find(n.domain());
    return emitError(loc) << "unsupported operator '" << n.op_type()
                          << "' (domain '" << n.domain() << "', opset "
                          << (it == domainOpsets.end() ? 0 : it->second)
                          << ") in node '" << nodeName << "'";
  }
  return dispatch(n.op_type());
}

FailureOr<OwningOpRef<ModuleOp>> Importer::run() {
  const onnx::ModelProto &model = storage->model;
  const onnx::GraphProto &graph = model.graph();
  if (failed(readOpsets()))
    return failure();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  std::string modelName = graph.name();
  if (modelName.empty())
    modelName = llvm::sys::path::stem(path).str();
  (*module)->setAttr("whittle.model_name", builder.getStringAttr(modelName));

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  if (failed(importInputs(argTypes, argNames)))
    return failure();
  graphInputNames = argNames;

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  for (auto [name, arg] : llvm::zip(argNames, entry->getArguments()))
    values[name] = arg;
  for (auto &[name, attr] : frozenValues)
    values[name] = ConstantOp::create(
        builder, NameLoc::get(StringAttr::get(&ctx, name), fileLoc), attr);

  if (failed(importInitializers()))
    return failure();

  for (const onnx::NodeProto &n : graph.node())
    for (const std::string &name : n.input())
      consumed.insert(name);
  for (const onnx::ValueInfoProto &out : graph.output())
    consumed.insert(out.name());

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(graph.node(i), i)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Attribute> inputNames, outputNames;
  for (const std::string &name : argNames)
    inputNames.push_back(builder.getStringAttr(name));
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return emitError(fileLoc) << "graph output '" << out.name()
                                << "' is not produced by any node";
    results.push_back(it->second);
    outputNames.push_back(builder.getStringAttr(out.name()));
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  func->setAttr("whittle.input_names", builder.getArrayAttr(inputNames));
  func->setAttr("whittle.output_names", builder.getArrayAttr(outputNames));

  if (failed(mlir::verify(*module)))
    return failure();
  return module;
}

//===----------------------------------------------------------------------===//
// Op importers
//===----------------------------------------------------------------------===//

LogicalResult Importer::dispatch(StringRef op) {
  // Elementwise.
  if (op == "Add")
    return importBinary<AddOp>();
  if (op == "Sub")
    return importBinary<SubOp>();
  if (op == "Mul")
    return importBinary<MulOp>();
  if (op == "Div")
    return importBinary<DivOp>();
  if (op == "Pow")
    return importPow();
  if (op == "And")
    return importBinary<AndOp>();
  if (op == "Or")
    return importBinary<OrOp>();
  if (op == "Equal")
    return importBinary<EqualOp>();
  if (op == "Less")
    return importBinary<LessOp>();
  if (op == "LessOrEqual")
    return importBinary<LessEqualOp>();
  if (op == "Greater")
    return importBinary<GreaterOp>();
  if (op == "GreaterOrEqual")
    return importBinary<GreaterEqualOp>();
  if (op == "Min")
    return importVariadic<MinOp>();
  if (op == "Max")
    return importVariadic<MaxOp>();
  if (op == "Sqrt")
    return importUnary<SqrtOp>();
  if (op == "Reciprocal")
    return importUnary<ReciprocalOp>();
  if (op == "Exp")
    return importUnary<ExpOp>();
  if (op == "Log")
    return importUnary<LogOp>();
  if (op == "Erf")
    return importUnary<ErfOp>();
  if (op == "Tanh")
    return importUnary<TanhOp>();
  if (op == "Sigmoid")
    return importUnary<SigmoidOp>();
  if (op == "Relu")
    return importUnary<ReluOp>();
  if (op == "Neg")
    return importUnary<NegOp>();
  if (op == "Abs")
    return importUnary<AbsOp>();
  if (op == "Not")
    return importUnary<NotOp>();
  if (op == "Gelu" && opset >= 20)
    return importGelu();
  if (op == "Clip")
    return importClip();
  if (op == "Cast")
    return importCast();
  if (op == "Where")
    return importWhere();
  // Linear algebra.
  if (op == "MatMul")
    return importBinary<MatMulOp>();
  if (op == "Gemm")
    return importGemm();
  if (op == "Conv")
    return importConv();
  // Reductions and normalizations.
  if (op == "ReduceSum")
    return importReduce<ReduceSumOp>(/*axesAsInput=*/true,
                                     /*hasNoopAttr=*/true);
  if (op == "ReduceMean")
    return importReduce<ReduceMeanOp>(opset >= 18, opset >= 18);
  if (op == "ReduceMax")
    return importReduce<ReduceMaxOp>(opset >= 18, opset >= 18);
  if (op == "Softmax")
    return importSoftmax();
  if (op == "LayerNormalization" && opset >= 17)
    return importLayerNorm();
  // Data movement.
  if (op == "Reshape")
    return importReshape();
  if (op == "Transpose")
    return importTranspose();
  if (op == "Concat")
    return importConcat();
  if (op == "Split")
    return importSplit();
  if (op == "Slice")
    return importSlice();
  if (op == "Gather")
    return importGather();
  if (op == "Squeeze")
    return importSqueeze();
  if (op == "Unsqueeze")
    return importUnsqueeze();
  if (op == "Expand")
    return importExpand();
  if (op == "Flatten")
    return importFlatten();
  if (op == "Trilu")
    return importTrilu();
  // Constants and shapes.
  if (op == "Constant")
    return importConstant();
  if (op == "ConstantOfShape")
    return importConstantOfShape();
  if (op == "Shape")
    return importShape();
  if (op == "Range")
    return importRange();
  if (op == "Identity")
    return importIdentity();
  if (op == "Dropout")
    return importDropout();

  return emitError(loc) << "unsupported operator '" << op << "' (domain '"
                        << (node->domain().empty() ? "ai.onnx" : node->domain())
                        << "', opset " << opset << ") in node '" << nodeName
                        << "'";
}

template <typename OpTy> LogicalResult Importer::importUnary() {
  auto x = input(0);
  if (failed(x))
    return failure();
  auto result = build<OpTy>(*x);
  if (failed(result))
    return failure();
  return setResults(*result);
}

template <typename OpTy> LogicalResult Importer::importBinary() {
  auto lhs = input(0);
  if (failed(lhs))
    return failure();
  auto rhs = input(1);
  if (failed(rhs))
    return failure();
  auto result = build<OpTy>(*lhs, *rhs);
  if (failed(result))
    return failure();
  return setResults(*result);
}

template <typename OpTy> LogicalResult Importer::importVariadic() {
  auto inputs = allInputs();
  if (failed(inputs))
    return failure();
  Value acc = inputs->front();
  for (Value next : llvm::drop_begin(*inputs)) {
    auto result = build<OpTy>(acc, next);
    if (failed(result))
      return failure();
    acc = *result;
  }
  return setResults(acc);
}

LogicalResult Importer::importPow() {
  auto base = input(0);
  auto exponent = succeeded(base) ? input(1) : FailureOr<Value>(failure());
  if (failed(exponent))
    return failure();
  Value e = *exponent;
  Type baseElt = typeOf(*base).getElementType();
  if (typeOf(e).getElementType() != baseElt) {
    auto cast = build<CastOp>(e, TypeAttr::get(baseElt));
    if (failed(cast))
      return failure();
    e = *cast;
  }
  auto result = build<PowOp>(*base, e);
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importGelu() {
  auto x = input(0);
  auto approximate = stringAttr("approximate", "none");
  if (failed(x) || failed(approximate))
    return failure();
  if (*approximate != "none" && *approximate != "tanh")
    return nodeError() << "unknown approximate mode '" << *approximate << "'";
  auto result = build<GeluOp>(*x, builder.getBoolAttr(*approximate == "tanh"));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importClip() {
  auto x = input(0);
  if (failed(x))
    return failure();
  FloatAttr bounds[2];
  const char *names[2] = {"min", "max"};
  for (int i = 0; i < 2; ++i) {
    auto v = optionalInput(i + 1);
    if (failed(v))
      return failure();
    if (!*v)
      continue;
    auto scalar = constantScalar(*v, names[i]);
    if (failed(scalar))
      return failure();
    bounds[i] = builder.getF64FloatAttr(*scalar);
  }
  auto result = build<ClipOp>(*x, bounds[0], bounds[1]);
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importCast() {
  auto x = input(0);
  auto to = intAttr("to", onnx::TensorProto::UNDEFINED);
  if (failed(x) || failed(to))
    return failure();
  Type elt = convertElementType(ctx, *to);
  if (!elt)
    return nodeError() << "cannot cast to " << elementTypeName(*to);
  auto result = build<CastOp>(*x, TypeAttr::get(elt));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importWhere() {
  auto c = input(0);
  auto x = succeeded(c) ? input(1) : FailureOr<Value>(failure());
  auto y = succeeded(x) ? input(2) : FailureOr<Value>(failure());
  if (failed(y))
    return failure();
  auto result = build<WhereOp>(*c, *x, *y);
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importGemm() {
  auto a = input(0);
  auto b = succeeded(a) ? input(1) : FailureOr<Value>(failure());
  auto c = succeeded(b) ? optionalInput(2) : FailureOr<Value>(failure());
  auto alpha = floatAttr("alpha", 1.0f);
  auto beta = floatAttr("beta", 1.0f);
  auto transA = intAttr("transA", 0);
  auto transB = intAttr("transB", 0);
  if (failed(c) || failed(alpha) || failed(beta) || failed(transA) ||
      failed(transB))
    return failure();
  auto result = build<GemmOp>(
      *a, *b, *c, builder.getF64FloatAttr(widenFloat(*alpha)),
      builder.getF64FloatAttr(widenFloat(*beta)),
      builder.getBoolAttr(*transA != 0), builder.getBoolAttr(*transB != 0));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importConv() {
  auto x = input(0);
  auto w = succeeded(x) ? input(1) : FailureOr<Value>(failure());
  auto bias = succeeded(w) ? optionalInput(2) : FailureOr<Value>(failure());
  if (failed(bias))
    return failure();
  auto inType = typeOf(*x), wType = typeOf(*w);
  if (inType.getRank() != 4 || wType.getRank() != 4)
    return nodeError() << "only 2-D convolution (rank-4 input and weight) is "
                          "supported";
  auto autoPad = stringAttr("auto_pad", "NOTSET");
  auto group = intAttr("group", 1);
  auto strides = intsAttr("strides");
  auto dilations = intsAttr("dilations");
  auto pads = intsAttr("pads");
  auto kernel = intsAttr("kernel_shape");
  if (failed(autoPad) || failed(group) || failed(strides) ||
      failed(dilations) || failed(pads) || failed(kernel))
    return failure();
  SmallVector<int64_t> s = strides->value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> d = dilations->value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> p = pads->value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (s.size() != 2 || d.size() != 2 || p.size() != 4)
    return nodeError() << "expects 2 strides, 2 dilations and 4 pads";
  if (*kernel && (kernel->value().size() != 2 ||
                  (!ShapedType::isDynamic(wType.getDimSize(2)) &&
                   (*kernel)->front() != wType.getDimSize(2)) ||
                  (!ShapedType::isDynamic(wType.getDimSize(3)) &&
                   (*kernel)->back() != wType.getDimSize(3))))
    return nodeError() << "kernel_shape does not match the weight shape";
  if (*autoPad == "VALID") {
    p.assign(4, 0);
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = inType.getDimSize(2 + i), k = wType.getDimSize(2 + i);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return nodeError() << "auto_pad " << *autoPad
                           << " needs static spatial dimensions; set "
                              "--input-shape for dynamic inputs";
      if (s[i] < 1)
        return nodeError() << "strides must be positive";
      int64_t out = (in + s[i] - 1) / s[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * s[i] + (k - 1) * d[i] + 1 - in);
      int64_t small = total / 2, large = total - small;
      p[i] = *autoPad == "SAME_UPPER" ? small : large;
      p[i + 2] = *autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (*autoPad != "NOTSET") {
    return nodeError() << "unknown auto_pad '" << *autoPad << "'";
  }
  auto result = build<ConvOp>(*x, *w, *bias, builder.getDenseI64ArrayAttr(s),
                              builder.getDenseI64ArrayAttr(d),
                              builder.getDenseI64ArrayAttr(p),
                              builder.getI64IntegerAttr(*group));
  if (failed(result))
    return failure();
  return setResults(*result);
}

template <typename OpTy>
LogicalResult Importer::importReduce(bool axesAsInput, bool hasNoopAttr) {
  auto x = input(0);
  auto keepdims = intAttr("keepdims", 1);
  auto noop =
      hasNoopAttr ? intAttr("noop_with_empty_axes", 0) : FailureOr<int64_t>(0);
  if (failed(x) || failed(keepdims) || failed(noop))
    return failure();
  SmallVector<int64_t> axes;
  if (axesAsInput) {
    auto v = optionalInput(1);
    if (failed(v))
      return failure();
    if (*v) {
      auto ints = constantInts(*v, "axes");
      if (failed(ints))
        return failure();
      axes = *ints;
    }
  } else {
    auto ints = intsAttr("axes");
    if (failed(ints))
      return failure();
    if (*ints)
      axes = **ints;
  }
  int64_t rank = typeOf(*x).getRank();
  if (axes.empty() && !*noop)
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  auto normalized = normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();
  auto result = build<OpTy>(*x, builder.getDenseI64ArrayAttr(*normalized),
                            builder.getBoolAttr(*keepdims != 0));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importSoftmax() {
  auto x = input(0);
  auto axis = intAttr("axis", -1);
  if (failed(x) || failed(axis))
    return failure();
  auto a = normalizeAxis(*axis, typeOf(*x).getRank());
  if (failed(a))
    return failure();
  auto result = build<SoftmaxOp>(*x, builder.getI64IntegerAttr(*a));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importLayerNorm() {
  auto x = input(0);
  auto scale = succeeded(x) ? input(1) : FailureOr<Value>(failure());
  auto bias = succeeded(scale) ? optionalInput(2) : FailureOr<Value>(failure());
  auto axis = intAttr("axis", -1);
  auto epsilon = floatAttr("epsilon", 1e-5f);
  if (failed(bias) || failed(axis) || failed(epsilon))
    return failure();
  auto a = normalizeAxis(*axis, typeOf(*x).getRank());
  if (failed(a))
    return failure();
  if (isConsumed(1) || isConsumed(2))
    return importLayerNormWithStatistics(*x, *scale, *bias, *a, *epsilon);
  auto result =
      build<LayerNormOp>(*x, *scale, *bias, builder.getI64IntegerAttr(*a),
                         builder.getF64FloatAttr(widenFloat(*epsilon)));
  if (failed(result))
    return failure();
  return setResults(*result);
}

/// LayerNormalization whose Mean or InvStdDev output is used: the ONNX
/// function body in dialect ops, with the statistics in stash_type.
LogicalResult Importer::importLayerNormWithStatistics(Value x, Value scale,
                                                      Value bias, int64_t axis,
                                                      float epsilon) {
  auto stashType = intAttr("stash_type", onnx::TensorProto::FLOAT);
  if (failed(stashType))
    return failure();
  Type stash = convertElementType(ctx, *stashType);
  if (!stash || !isa<FloatType>(stash))
    return nodeError() << "stash_type " << elementTypeName(*stashType)
                       << " is not a floating-point type";
  Type elt = typeOf(x).getElementType();
  int64_t rank = typeOf(x).getRank();
  auto axes = builder.getDenseI64ArrayAttr(
      llvm::to_vector(llvm::seq<int64_t>(axis, rank)));
  auto keepDims = builder.getBoolAttr(true);

  Value xs = x;
  if (elt != stash) {
    auto cast = build<CastOp>(x, TypeAttr::get(stash));
    if (failed(cast))
      return failure();
    xs = *cast;
  }
  auto mean = build<ReduceMeanOp>(xs, axes, keepDims);
  if (failed(mean))
    return failure();
  auto centered = build<SubOp>(xs, *mean);
  if (failed(centered))
    return failure();
  auto squared = build<MulOp>(*centered, *centered);
  if (failed(squared))
    return failure();
  auto variance = build<ReduceMeanOp>(*squared, axes, keepDims);
  if (failed(variance))
    return failure();
  auto epsType = RankedTensorType::get({}, stash);
  Value eps = ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(epsType,
                             builder.getFloatAttr(stash, widenFloat(epsilon))));
  auto shifted = build<AddOp>(*variance, eps);
  if (failed(shifted))
    return failure();
  auto stdDev = build<SqrtOp>(*shifted);
  if (failed(stdDev))
    return failure();
  auto invStdDev = build<ReciprocalOp>(*stdDev);
  if (failed(invStdDev))
    return failure();
  auto normalized = build<MulOp>(*centered, *invStdDev);
  if (failed(normalized))
    return failure();
  Value y = *normalized;
  if (elt != stash) {
    auto cast = build<CastOp>(y, TypeAttr::get(elt));
    if (failed(cast))
      return failure();
    y = *cast;
  }
  auto scaled = build<MulOp>(y, scale);
  if (failed(scaled))
    return failure();
  y = *scaled;
  if (bias) {
    auto shiftedY = build<AddOp>(y, bias);
    if (failed(shiftedY))
      return failure();
    y = *shiftedY;
  }
  return setResults({y, *mean, *invStdDev});
}

LogicalResult Importer::importReshape() {
  auto x = input(0);
  auto shapeValue = succeeded(x) ? input(1) : FailureOr<Value>(failure());
  auto allowZero = intAttr("allowzero", 0);
  if (failed(shapeValue) || failed(allowZero))
    return failure();
  auto requested = constantInts(*shapeValue, "shape");
  if (failed(requested))
    return failure();
  auto inType = typeOf(*x);
  SmallVector<int64_t> shape;
  int inferredIndex = -1;
  for (auto [i, dim] : llvm::enumerate(*requested)) {
    if (dim == 0 && !*allowZero) {
      if (static_cast<int64_t>(i) >= inType.getRank())
        return nodeError() << "shape entry " << i
                           << " copies a dimension the input does not have";
      shape.push_back(inType.getDimSize(i));
    } else if (dim == -1) {
      if (inferredIndex >= 0)
        return nodeError() << "shape has more than one -1 entry";
      inferredIndex = i;
      shape.push_back(ShapedType::kDynamic);
    } else if (dim < 0) {
      return nodeError() << "invalid shape entry " << dim;
    } else {
      shape.push_back(dim);
    }
  }
  if (inferredIndex >= 0 && inType.hasStaticShape()) {
    int64_t known = 1;
    bool dynamic = false;
    for (auto [i, dim] : llvm::enumerate(shape)) {
      if (static_cast<int>(i) == inferredIndex)
        continue;
      dynamic |= ShapedType::isDynamic(dim);
      known *= ShapedType::isDynamic(dim) ? 1 : dim;
    }
    if (!dynamic) {
      if (known == 0 || inType.getNumElements() % known != 0)
        return nodeError() << "cannot reshape " << inType << " to shape ["
                           << formatShape(*requested) << "]";
      shape[inferredIndex] = inType.getNumElements() / known;
    }
  }
  auto result = build<ReshapeOp>(*x, builder.getDenseI64ArrayAttr(shape));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importTranspose() {
  auto x = input(0);
  auto perm = intsAttr("perm");
  if (failed(x) || failed(perm))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> p;
  if (*perm)
    p = **perm;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      p.push_back(i);
  auto result = build<TransposeOp>(*x, builder.getDenseI64ArrayAttr(p));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importConcat() {
  auto inputs = allInputs();
  auto axis = intAttr("axis", 0);
  if (failed(inputs) || failed(axis))
    return failure();
  auto a = normalizeAxis(*axis, typeOf(inputs->front()).getRank());
  if (failed(a))
    return failure();
  auto result =
      build<ConcatOp>(ValueRange(*inputs), builder.getI64IntegerAttr(*a));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importSplit() {
  auto x = input(0);
  auto splitValue =
      succeeded(x) ? optionalInput(1) : FailureOr<Value>(failure());
  auto axis = intAttr("axis", 0);
  auto numOutputs =
      opset >= 18 ? optionalIntAttr("num_outputs")
                  : FailureOr<std::optional<int64_t>>(std::optional<int64_t>());
  if (failed(splitValue) || failed(axis) || failed(numOutputs))
    return failure();
  auto inType = typeOf(*x);
  auto a = normalizeAxis(*axis, inType.getRank());
  if (failed(a))
    return failure();
  int64_t outputs = node->output_size();
  int64_t dim = inType.getDimSize(*a);
  SmallVector<int64_t> sizes;
  if (*splitValue) {
    auto ints = constantInts(*splitValue, "split");
    if (failed(ints))
      return failure();
    sizes = *ints;
  } else {
    if (ShapedType::isDynamic(dim))
      return nodeError() << "cannot split dynamic dimension " << *a
                         << " without split sizes; set --input-shape for "
                            "dynamic inputs";
    if (*numOutputs) {
      int64_t n = **numOutputs;
      if (n < 1)
        return nodeError() << "num_outputs must be positive";
      int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    } else {
      if (outputs < 1 || dim % outputs != 0)
        return nodeError() << "dimension " << dim << " does not split evenly "
                           << "into " << outputs << " outputs";
      sizes.assign(outputs, dim / outputs);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return nodeError() << "split produces " << sizes.size()
                       << " pieces but the node has " << outputs << " outputs";
  auto results =
      buildN<SplitOp>(sizes.size(), *x, builder.getI64IntegerAttr(*a),
                      builder.getDenseI64ArrayAttr(sizes));
  if (failed(results))
    return failure();
  return setResults(*results);
}

LogicalResult Importer::importSlice() {
  auto x = input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> bounds[4]; // starts, ends, axes, steps
  const char *names[4] = {"starts", "ends", "axes", "steps"};
  for (int i = 0; i < 4; ++i) {
    auto v = i < 2 ? input(i + 1) : optionalInput(i + 1);
    if (failed(v))
      return failure();
    if (!*v)
      continue;
    auto ints = constantInts(*v, names[i]);
    if (failed(ints))
      return failure();
    bounds[i] = *ints;
  }
  auto inType = typeOf(*x);
  int64_t rank = inType.getRank();
  size_t n = bounds[0].size();
  if (bounds[2].empty())
    bounds[2] = llvm::to_vector(llvm::seq<int64_t>(0, n));
  if (bounds[3].empty())
    bounds[3].assign(n, 1);
  if (bounds[1].size() != n || bounds[2].size() != n || bounds[3].size() != n)
    return nodeError() << "starts, ends, axes and steps differ in length";

  SmallVector<int64_t> starts(rank, 0), sizes(inType.getShape()),
      steps(rank, 1);
  llvm::SmallBitVector seen(rank);
  for (size_t i = 0; i < n; ++i) {
    auto axis = normalizeAxis(bounds[2][i], rank);
    if (failed(axis))
      return failure();
    if (seen.test(*axis))
      return nodeError() << "axis " << *axis << " is sliced twice";
    seen.set(*axis);
    int64_t dim = inType.getDimSize(*axis);
    if (ShapedType::isDynamic(dim))
      return nodeError() << "cannot slice dynamic dimension " << *axis
                         << "; set --input-shape for dynamic inputs";
    int64_t start = bounds[0][i], end = bounds[1][i], step = bounds[3][i];
    if (step == 0)
      return nodeError() << "slice step must not be zero";
    // ONNX clamps out-of-range bounds (INT64_MAX means "to the end").
    if (start < 0)
      start = start < -dim ? 0 : start + dim;
    if (end < 0)
      end = end < -dim ? -1 : end + dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      size = start > end ? (start - end - step - 1) / -step : 0;
    }
    starts[*axis] = size == 0 ? 0 : start;
    sizes[*axis] = size;
    steps[*axis] = step;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (ShapedType::isDynamic(sizes[d]))
      return nodeError() << "dimension " << d
                         << " of the input is dynamic; set --input-shape for "
                            "dynamic inputs";
  auto result = build<SliceOp>(*x, builder.getDenseI64ArrayAttr(starts),
                               builder.getDenseI64ArrayAttr(sizes),
                               builder.getDenseI64ArrayAttr(steps));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importGather() {
  auto data = input(0);
  auto indices = succeeded(data) ? input(1) : FailureOr<Value>(failure());
  auto axis = intAttr("axis", 0);
  if (failed(indices) || failed(axis))
    return failure();
  auto a = normalizeAxis(*axis, typeOf(*data).getRank());
  if (failed(a))
    return failure();
  auto result = build<GatherOp>(*data, *indices, builder.getI64IntegerAttr(*a));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importSqueeze() {
  auto x = input(0);
  auto axesValue =
      succeeded(x) ? optionalInput(1) : FailureOr<Value>(failure());
  if (failed(axesValue))
    return failure();
  auto inType = typeOf(*x);
  SmallVector<int64_t> axes;
  if (*axesValue) {
    auto ints = constantInts(*axesValue, "axes");
    if (failed(ints))
      return failure();
    auto normalized = normalizeAxes(*ints, inType.getRank());
    if (failed(normalized))
      return failure();
    axes = *normalized;
  } else {
    for (int64_t d = 0; d < inType.getRank(); ++d) {
      if (ShapedType::isDynamic(inType.getDimSize(d)))
        return nodeError() << "squeeze without axes needs a static shape; set "
                              "--input-shape for dynamic inputs";
      if (inType.getDimSize(d) == 1)
        axes.push_back(d);
    }
  }
  auto result = build<SqueezeOp>(*x, builder.getDenseI64ArrayAttr(axes));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importUnsqueeze() {
  auto x = input(0);
  auto axesValue = succeeded(x) ? input(1) : FailureOr<Value>(failure());
  if (failed(axesValue))
    return failure();
  auto ints = constantInts(*axesValue, "axes");
  if (failed(ints))
    return failure();
  auto normalized = normalizeAxes(*ints, typeOf(*x).getRank() + ints->size());
  if (failed(normalized))
    return failure();
  auto result =
      build<UnsqueezeOp>(*x, builder.getDenseI64ArrayAttr(*normalized));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importExpand() {
  auto x = input(0);
  auto shapeValue = succeeded(x) ? input(1) : FailureOr<Value>(failure());
  if (failed(shapeValue))
    return failure();
  auto shape = constantInts(*shapeValue, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return nodeError() << "invalid shape entry " << d;
  auto result = build<ExpandOp>(*x, builder.getDenseI64ArrayAttr(*shape));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importFlatten() {
  auto x = input(0);
  auto axis = intAttr("axis", 1);
  if (failed(x) || failed(axis))
    return failure();
  auto inType = typeOf(*x);
  int64_t rank = inType.getRank();
  if (*axis < -rank || *axis > rank)
    return nodeError() << "axis " << *axis << " is out of range for rank "
                       << rank;
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t d = from; d < to; ++d) {
      if (ShapedType::isDynamic(inType.getDimSize(d)))
        return ShapedType::kDynamic;
      p *= inType.getDimSize(d);
    }
    return p;
  };
  SmallVector<int64_t> shape = {product(0, a), product(a, rank)};
  auto result = build<ReshapeOp>(*x, builder.getDenseI64ArrayAttr(shape));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importTrilu() {
  auto x = input(0);
  auto kValue = succeeded(x) ? optionalInput(1) : FailureOr<Value>(failure());
  auto upper = intAttr("upper", 1);
  if (failed(kValue) || failed(upper))
    return failure();
  int64_t k = 0;
  if (*kValue) {
    auto ints = constantInts(*kValue, "k");
    if (failed(ints))
      return failure();
    if (ints->size() != 1)
      return nodeError() << "the k input must be a scalar";
    k = ints->front();
  }
  auto result = build<TriluOp>(*x, builder.getI64IntegerAttr(k),
                               builder.getBoolAttr(*upper != 0));
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importRange() {
  auto start = input(0);
  auto limit = succeeded(start) ? input(1) : FailureOr<Value>(failure());
  auto delta = succeeded(limit) ? input(2) : FailureOr<Value>(failure());
  if (failed(delta))
    return failure();
  auto result = build<RangeOp>(*start, *limit, *delta);
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importConstant() {
  if (node->attribute_size() != 1)
    return nodeError() << "expects exactly one value attribute";
  const onnx::AttributeProto &attr = node->attribute(0);
  std::string name = node->output_size() > 0 ? node->output(0) : nodeName;
  FailureOr<ElementsAttr> value = failure();
  auto typeMismatch = [&]() {
    return nodeError() << "attribute '" << attr.name()
                       << "' has the wrong type";
  };
  auto i64 = builder.getI64Type();
  auto f32 = builder.getF32Type();
  if (attr.name() == "value") {
    if (!attr.has_t())
      return typeMismatch();
    value = convertTensor(attr.t(), loc, name);
  } else if (attr.name() == "value_float") {
    if (!attr.has_f())
      return typeMismatch();
    value = cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({}, f32), builder.getF32FloatAttr(attr.f())));
  } else if (attr.name() == "value_int") {
    if (!attr.has_i())
      return typeMismatch();
    value = cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get({}, i64), builder.getI64IntegerAttr(attr.i())));
  } else if (attr.name() == "value_floats") {
    value = makeElements(
        RankedTensorType::get({attr.floats_size()}, f32),
        ArrayRef<char>(reinterpret_cast<const char *>(attr.floats().data()),
                       attr.floats_size() * sizeof(float)),
        /*borrowed=*/true, name, loc);
  } else if (attr.name() == "value_ints") {
    value = makeElements(
        RankedTensorType::get({attr.ints_size()}, i64),
        ArrayRef<char>(reinterpret_cast<const char *>(attr.ints().data()),
                       attr.ints_size() * sizeof(int64_t)),
        /*borrowed=*/true, name, loc);
  } else {
    return nodeError() << "attribute '" << attr.name() << "' is not supported";
  }
  if (failed(value))
    return failure();
  return setResults(ConstantOp::create(builder, loc, *value).getResult());
}

LogicalResult Importer::importIdentity() {
  auto x = input(0);
  if (failed(x))
    return failure();
  return setResults(*x);
}

LogicalResult Importer::importDropout() {
  auto x = input(0);
  if (failed(x))
    return failure();
  if (!isConsumed(1))
    return setResults(*x);
  // Inference: nothing is dropped, so the mask is all true.
  auto type = typeOf(*x);
  Type i1 = builder.getI1Type();
  Value mask;
  if (type.hasStaticShape()) {
    mask = ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(RankedTensorType::get(type.getShape(), i1),
                               true));
  } else {
    auto shape =
        build<ShapeOp>(*x, builder.getI64IntegerAttr(0), IntegerAttr());
    if (failed(shape))
      return failure();
    auto ones = build<ConstantOfShapeOp>(*shape, builder.getIntegerAttr(i1, 1));
    if (failed(ones))
      return failure();
    mask = *ones;
  }
  return setResults({*x, mask});
}

LogicalResult Importer::importShape() {
  auto x = input(0);
  auto start = intAttr("start", 0);
  auto end = optionalIntAttr("end");
  if (failed(x) || failed(start) || failed(end))
    return failure();
  auto result =
      build<ShapeOp>(*x, builder.getI64IntegerAttr(*start),
                     *end ? builder.getI64IntegerAttr(**end) : IntegerAttr());
  if (failed(result))
    return failure();
  return setResults(*result);
}

LogicalResult Importer::importConstantOfShape() {
  auto shape = input(0);
  if (failed(shape))
    return failure();
  TypedAttr value = builder.getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *attr = findAttr("value")) {
    if (!attr->has_t())
      return nodeError() << "attribute 'value' must be a tensor";
    auto elements = convertTensor(attr->t(), loc, nodeName);
    if (failed(elements))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*elements);
    if (!dense || dense.getNumElements() != 1)
      return nodeError() << "attribute 'value' must hold one element";
    value = cast<TypedAttr>(*dense.value_begin<Attribute>());
  }
  auto result = build<ConstantOfShapeOp>(*shape, value);
  if (failed(result))
    return failure();
  return setResults(*result);
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

static LogicalResult parseModel(StringRef path, onnx::ModelProto &model,
                                Location fileLoc) {
  auto parseFailure = [&]() {
    return emitError(fileLoc) << "cannot parse ONNX model (truncated or not "
                                 "an ONNX ModelProto)";
  };
  if (path.ends_with(".onnxtext")) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return emitError(fileLoc)
             << "cannot open file: " << buffer.getError().message();
    std::string text = (*buffer)->getBuffer().str();
    try {
      onnx::Common::Status status =
          onnx::OnnxParser::Parse(model, text.c_str());
      if (!status.IsOK())
        return emitError(fileLoc)
               << "cannot parse ONNX text model: " << status.ErrorMessage();
    } catch (const std::exception &e) {
      return emitError(fileLoc) << "cannot parse ONNX text model: " << e.what();
    }
    return success();
  }

  int fd;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
    return emitError(fileLoc) << "cannot open file: " << ec.message();
  // Stream from the file so that only the parsed message is resident.
  google::protobuf::io::FileInputStream fileStream(fd);
  fileStream.SetCloseOnDelete(true);
  google::protobuf::io::CodedInputStream coded(&fileStream);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage() ||
      !model.has_graph())
    return parseFailure();
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
whittle::importOnnxFile(StringRef path, const ImportOptions &options,
                        MLIRContext &context) {
  context.loadDialect<WhittleDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto storage = std::make_shared<ModelStorage>();
  if (failed(parseModel(path, storage->model, fileLoc)))
    return failure();
  Importer importer(context, std::move(storage), path, options);
  return importer.run();
}

bool whittle::parseFreezeInputOption(StringRef text, ImportOptions &options,
                                     std::string &error) {
  // Split at the first '=': input names rarely hold one, paths may.
  auto [name, file] = text.split('=');
  if (name.empty() || file.empty()) {
    error = "expected NAME=FILE (an ONNX TensorProto .pb or a .npy file), "
            "got '" +
            text.str() + "'";
    return false;
  }
  if (!options.frozenInputs.try_emplace(name, file.str()).second) {
    error = "input '" + name.str() + "' is frozen twice";
    return false;
  }
  return true;
}

bool whittle::parseInputShapeOption(StringRef text, ImportOptions &options,
                                    std::string &error) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || name.size() == text.size()) {
    error = "expected NAME=DIMS (for example input_ids=1x128), got '" +
            text.str() + "'";
    return false;
  }
  SmallVector<int64_t> shape;
  if (!dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t d;
      if (part.trim().getAsInteger(10, d) || d < 0) {
        error =
            "invalid dimension '" + part.str() + "' in '" + text.str() + "'";
        return false;
      }
      shape.push_back(d);
    }
  }
  options.inputShapes[name] = std::move(shape);
  return true;
}
