//===- GraphImporter.cpp - ONNX model to whittle IR -----------------------===//
//
// Translates an ONNX ModelProto into one `func.func @main` of whittle ops:
// the graph walk. Tensors are converted by TensorImport, each node by the
// handler the OpRegistry holds for its {domain, op_type, opset}.
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

#include "NodeBinder.h"
#include "OpsetUpgrade.h"
#include "TensorImport.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"
#include "whittle/Support/TensorFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <memory>

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// One ONNX graph being translated into one function.
class Importer {
public:
  Importer(MLIRContext &ctx, std::shared_ptr<ModelStorage> storage,
           StringRef path, const ImportOptions &options)
      : ctx(ctx), builder(&ctx), storage(storage), path(path.str()),
        tensors(ctx, storage, llvm::sys::path::parent_path(path)),
        options(options), fileLoc(FileLineColLoc::get(&ctx, path, 0, 0)) {}

  FailureOr<OwningOpRef<ModuleOp>> run();

private:
  LogicalResult readOpsets();
  LogicalResult upgradeOpset();
  LogicalResult importInputs(SmallVectorImpl<Type> &argTypes,
                             SmallVectorImpl<std::string> &argNames);
  LogicalResult freezeInput(const onnx::ValueInfoProto &info,
                            StringRef tensorPath, Location inputLoc);
  LogicalResult importInitializers();
  LogicalResult importNode(const onnx::NodeProto &node, int index);

  MLIRContext &ctx;
  OpBuilder builder;
  std::shared_ptr<ModelStorage> storage;
  std::string path;
  TensorImporter tensors;
  const ImportOptions &options;
  Location fileLoc;

  int64_t opset = 0;
  llvm::StringMap<int64_t> domainOpsets;
  GraphValues graphValues;
  /// Frozen graph inputs, materialized as constants at the top of @main.
  SmallVector<std::pair<std::string, ElementsAttr>> frozenValues;
  /// Per input of @main, its bounded (sequence) axis or -1.
  SmallVector<int64_t> lengthAxes;
};

} // namespace

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

LogicalResult Importer::readOpsets() {
  const onnx::ModelProto &model = storage->model;
  bool found = false;
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    domainOpsets[OpRegistry::canonicalDomain(id.domain())] = id.version();
    if (isDefaultDomain(id.domain())) {
      opset = id.version();
      found = true;
    }
  }
  if (!found)
    return emitError(fileLoc)
           << "the model imports no opset for the default ONNX domain";
  if (opset >= kMinUpgradableOpset && opset < kMinOpset)
    return upgradeOpset();
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc)
           << "unsupported opset " << opset
           << " for the default ONNX domain (supported: " << kMinOpset << " to "
           << kMaxOpset << "; " << kMinUpgradableOpset << " to "
           << kMinOpset - 1 << " are upgraded to " << kMinOpset << ")";
  return success();
}

LogicalResult Importer::upgradeOpset() {
  if (failed(upgradeToMinOpset(storage->model, opset, options, fileLoc)))
    return failure();
  domainOpsets.clear();
  for (const onnx::OperatorSetIdProto &id : storage->model.opset_import())
    domainOpsets[OpRegistry::canonicalDomain(id.domain())] = id.version();
  opset = kMinOpset;
  return success();
}

/// Whether every use of graph input `name` is where a key/value past goes:
/// the first operand of a Concat along axis 2 (or -2), the past_key /
/// past_value operand of com.microsoft MultiHeadAttention, or a Shape.
static bool isKeyValuePast(const onnx::GraphProto &graph, StringRef name) {
  auto isPastOperand = [](const onnx::NodeProto &node, int i) {
    // Its shape gives the past length (0 here), e.g. for position ids.
    if (node.op_type() == "Shape")
      return true;
    if (node.op_type() == "Concat")
      return i == 0 && llvm::any_of(node.attribute(),
                                    [](const onnx::AttributeProto &attr) {
                                      return attr.name() == "axis" &&
                                             (attr.i() == 2 || attr.i() == -2);
                                    });
    if (node.domain() != "com.microsoft")
      return false;
    return (node.op_type() == "MultiHeadAttention" && (i == 6 || i == 7)) ||
           (node.op_type() == "GroupQueryAttention" && (i == 3 || i == 4));
  };
  bool used = false;
  for (const onnx::NodeProto &node : graph.node())
    for (int i = 0; i < node.input_size(); ++i) {
      if (node.input(i) != name)
        continue;
      if (!isPastOperand(node, i))
        return false;
      used = true;
    }
  return used;
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

  // A dimension given for one input also sizes the dimensions of the same
  // name (dim_param) in the others: a dynamic-axes export's mask and token
  // types follow its token ids, bound included.
  struct NamedDim {
    int64_t size;
    bool bounded;
  };
  llvm::StringMap<NamedDim> namedDims;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    auto given = options.inputShapes.find(info.name());
    if (given == options.inputShapes.end() || !info.type().has_tensor_type())
      continue;
    auto bounded = options.boundedAxes.find(info.name());
    const auto &dims = info.type().tensor_type().shape().dim();
    for (int i = 0; i < dims.size() && i < (int)given->second.size(); ++i)
      if (dims[i].has_dim_param() && !dims[i].dim_param().empty())
        namedDims.try_emplace(
            dims[i].dim_param(),
            NamedDim{given->second[i], bounded != options.boundedAxes.end() &&
                                           bounded->second == i});
  }

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

    // Decoding: a key/value past ([batch, heads, past, head dim], only the
    // past length unknown, consumed where a past is: a Concat along axis 2,
    // as Hugging Face exports declare past_key_values.N.key/value, or
    // MultiHeadAttention's and GroupQueryAttention's past inputs) starts
    // empty; the session's cache
    // takes its place, and the concatenation of the past with the new keys
    // folds to the new keys.
    if (options.sequenceLength > 0 && isa<FloatType>(elt) &&
        shape.size() == 4 && ShapedType::isDynamic(shape[2]) &&
        !ShapedType::isDynamic(shape[1]) && !ShapedType::isDynamic(shape[3]) &&
        !options.inputShapes.contains(info.name()) &&
        isKeyValuePast(graph, info.name())) {
      auto emptyType =
          RankedTensorType::get({ShapedType::isDynamic(shape[0]) ? 1 : shape[0],
                                 shape[1], 0, shape[3]},
                                elt);
      frozenValues.emplace_back(info.name(),
                                cast<ElementsAttr>(DenseElementsAttr::get(
                                    emptyType, ArrayRef<Attribute>{})));
      continue;
    }

    int64_t lengthAxis = -1;
    auto it = options.inputShapes.find(info.name());
    if (it == options.inputShapes.end()) {
      for (size_t i = 0; i < shape.size(); ++i) {
        auto named = namedDims.find(dimNames[i]);
        if (!ShapedType::isDynamic(shape[i]) || dimNames[i].empty() ||
            named == namedDims.end())
          continue;
        shape[i] = named->second.size;
        if (named->second.bounded)
          lengthAxis = i;
      }
    } else if (auto bounded = options.boundedAxes.find(info.name());
               bounded != options.boundedAxes.end()) {
      lengthAxis = bounded->second;
    }
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
      if (options.sequenceLength > 0 && shape.size() == 2) {
        if (ShapedType::isDynamic(shape[0]))
          shape[0] = 1;
        if (ShapedType::isDynamic(shape[1]))
          shape[1] = options.sequenceLength;
      }
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
    lengthAxes.push_back(lengthAxis);
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
  support::TensorData data;
  if (!support::readTensorFile(tensorPath.str(), data, error))
    return emitError(inputLoc)
           << "--freeze-input " << info.name() << ": " << error;
  onnx::TensorProto &tensor = storage->frozenTensors[info.name()];
  tensor.set_name(data.name);
  tensor.set_data_type(data.elementType);
  for (int64_t d : data.dims)
    tensor.add_dims(d);
  tensor.mutable_raw_data()->swap(data.bytes);
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
  auto attr = tensors.convertTensor(tensor, inputLoc, info.name());
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
    auto attr = tensors.convertTensor(tensor, tensorLoc, tensor.name());
    if (failed(attr))
      return failure();
    graphValues.values[tensor.name()] =
        ConstantOp::create(builder, tensorLoc, *attr);
  }
  return success();
}

LogicalResult Importer::importNode(const onnx::NodeProto &n, int index) {
  std::string nodeName =
      n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
  Location loc = NameLoc::get(StringAttr::get(&ctx, nodeName), fileLoc);
  StringRef domain = OpRegistry::canonicalDomain(n.domain());
  auto it = domainOpsets.find(domain);
  int64_t version = it == domainOpsets.end() ? 0 : it->second;
  const OpRegistry &registry = OpRegistry::get();
  const OpEntry *entry = registry.lookup(domain, n.op_type(), version);
  if (!entry) {
    std::optional<int64_t> earliest =
        registry.earliestVersion(domain, n.op_type());
    if (earliest)
      return emitError(loc)
             << "operator '" << n.op_type() << "' (domain '"
             << OpRegistry::displayDomain(domain) << "') is supported from "
             << "opset " << *earliest << " on, but the model imports opset "
             << version << " (node '" << nodeName << "')";
    return emitError(loc) << "unsupported operator '" << n.op_type()
                          << "' (domain '" << OpRegistry::displayDomain(domain)
                          << "', opset " << version << ") in node '" << nodeName
                          << "'";
  }
  NodeBinder binder(builder, tensors, graphValues, n, nodeName, loc, version);
  return entry->handler(binder);
}

FailureOr<OwningOpRef<ModuleOp>> Importer::run() {
  // readOpsets may replace the model with its upgraded form.
  if (failed(readOpsets()))
    return failure();
  const onnx::ModelProto &model = storage->model;
  const onnx::GraphProto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  std::string modelName = graph.name();
  if (modelName.empty())
    modelName = llvm::sys::path::stem(path).str();
  (*module)->setAttr("whittle.model_name", builder.getStringAttr(modelName));

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  if (failed(importInputs(argTypes, argNames)))
    return failure();
  graphValues.graphInputNames.assign(argNames.begin(), argNames.end());

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  for (auto [name, arg] : llvm::zip(argNames, entry->getArguments()))
    graphValues.values[name] = arg;
  for (auto &[name, attr] : frozenValues)
    graphValues.values[name] = ConstantOp::create(
        builder, NameLoc::get(StringAttr::get(&ctx, name), fileLoc), attr);

  if (failed(importInitializers()))
    return failure();

  for (const onnx::NodeProto &n : graph.node())
    for (const std::string &name : n.input())
      graphValues.consumed.insert(name);
  for (const onnx::ValueInfoProto &out : graph.output())
    graphValues.consumed.insert(out.name());

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(graph.node(i), i)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Attribute> inputNames, outputNames;
  for (const std::string &name : argNames)
    inputNames.push_back(builder.getStringAttr(name));
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = graphValues.values.find(out.name());
    if (it == graphValues.values.end())
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
  if (llvm::any_of(lengthAxes, [](int64_t a) { return a >= 0; }))
    func->setAttr("whittle.length_axes",
                  builder.getDenseI64ArrayAttr(lengthAxes));

  if (failed(mlir::verify(*module)))
    return failure();
  return module;
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

/// Parses a binary ModelProto from memory. The message copies what it keeps
/// (raw_data included), so `bytes` need not outlive the model.
static LogicalResult parseModelBytes(StringRef bytes, onnx::ModelProto &model,
                                     Location fileLoc) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return emitError(fileLoc)
           << "ONNX model too large (" << bytes.size()
           << " bytes; protobuf reads at most " << INT_MAX << ")";
  google::protobuf::io::CodedInputStream coded(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(bytes.size()));
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage() ||
      !model.has_graph())
    return emitError(fileLoc) << "cannot parse ONNX model (truncated or not "
                                 "an ONNX ModelProto)";
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

FailureOr<OwningOpRef<ModuleOp>>
whittle::importOnnxBuffer(StringRef bytes, StringRef path,
                          const ImportOptions &options, MLIRContext &context) {
  context.loadDialect<WhittleDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto storage = std::make_shared<ModelStorage>();
  if (failed(parseModelBytes(bytes, storage->model, fileLoc)))
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
      part = part.trim();
      if (part.consume_front("?")) {
        if (options.boundedAxes.contains(name)) {
          error =
              "only one dimension may be a bound (?N) in '" + text.str() + "'";
          return false;
        }
        if (part.getAsInteger(10, d) || d < 1) {
          error = "invalid bound '?" + part.str() + "' in '" + text.str() +
                  "' (expected ?N with N >= 1)";
          return false;
        }
        options.boundedAxes[name] = shape.size();
        shape.push_back(d);
        continue;
      }
      if (part.getAsInteger(10, d) || d < 0) {
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
