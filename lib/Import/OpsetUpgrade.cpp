//===- OpsetUpgrade.cpp - Old opsets to opset 13 --------------------------===//
//
// Models below opset 13 are upgraded with ONNX's C++ version converter
// before import, so that the op handlers know only opset-13+ semantics.
// libonnx 1.12's converter and shape inference trust their input (a missing
// required attribute, an undefined graph output or a rank-0 weight crash
// them), so the model is validated first and shape inference runs only when
// an adapter needs ranks; a node that cannot be upgraded is named.
//
//===----------------------------------------------------------------------===//

#include "OpsetUpgrade.h"

#include "whittle/Import/OpRegistry.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

using namespace mlir;
using namespace whittle;

static bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// The first default-domain node that the version converter fails on when
/// converted alone (the converter's own errors rarely name the node).
static const onnx::NodeProto *
findUnconvertibleNode(const onnx::ModelProto &model) {
  const onnx::GraphProto &graph = model.graph();
  llvm::StringMap<const onnx::TypeProto *> types;
  for (const auto *list :
       {&graph.input(), &graph.value_info(), &graph.output()})
    for (const onnx::ValueInfoProto &info : *list)
      if (info.has_type())
        types[info.name()] = &info.type();
  llvm::StringMap<const onnx::TensorProto *> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers[t.name()] = &t;
  // One converter for every node: ConvertVersion builds a fresh one (copying
  // every op schema) per call, which made this loop take seconds on a model
  // of a few hundred nodes. `from` is the opset ConvertVersion would pick.
  onnx::version_conversion::DefaultVersionConverter converter;
  int64_t from = 0;
  for (const onnx::OperatorSetIdProto &id : model.opset_import())
    if (isDefaultDomain(id.domain())) {
      from = id.version();
      break;
    }
  for (const onnx::NodeProto &node : graph.node()) {
    if (!isDefaultDomain(node.domain()))
      continue;
    onnx::ModelProto single;
    single.set_ir_version(model.ir_version());
    *single.mutable_opset_import() = model.opset_import();
    onnx::GraphProto *g = single.mutable_graph();
    g->set_name("node");
    *g->add_node() = node;
    auto declare = [&](auto *list, const std::string &name) {
      if (name.empty())
        return;
      onnx::ValueInfoProto *info = list->Add();
      info->set_name(name);
      if (auto it = types.find(name); it != types.end())
        *info->mutable_type() = *it->second;
      else
        info->mutable_type()->mutable_tensor_type()->set_elem_type(
            onnx::TensorProto::FLOAT);
    };
    for (const std::string &in : node.input()) {
      if (auto it = initializers.find(in); it != initializers.end())
        *g->add_initializer() = *it->second;
      else
        declare(g->mutable_input(), in);
    }
    for (const std::string &out : node.output())
      declare(g->mutable_output(), out);
    try {
      (void)converter.convert_version(single, onnx::OpSetID(from),
                                      onnx::OpSetID(kMinOpset));
    } catch (const std::exception &) {
      return &node;
    }
  }
  return nullptr;
}

/// The first default-domain node, subgraphs included, that fails its ONNX
/// schema check (input/output counts, required attributes and their types).
/// ONNX 1.12's shape inference and version adapters read required attributes
/// without checking that they exist, so such a node crashes them.
static const onnx::NodeProto *findInvalidNode(const onnx::GraphProto &graph,
                                              int64_t opset,
                                              std::string &error) {
  for (const onnx::NodeProto &node : graph.node()) {
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        if (const onnx::NodeProto *n = findInvalidNode(attr.g(), opset, error))
          return n;
      for (const onnx::GraphProto &g : attr.graphs())
        if (const onnx::NodeProto *n = findInvalidNode(g, opset, error))
          return n;
    }
    if (!isDefaultDomain(node.domain()))
      continue;
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
    if (!schema)
      continue;
    try {
      schema->Verify(node);
    } catch (const std::exception &e) {
      error = StringRef(e.what()).trim().str();
      return &node;
    }
  }
  return nullptr;
}

/// The first Gemm below opset 7 (top-level graph) whose A or B has no
/// declared rank-2 shape: libonnx 1.12's Gemm 6 -> 7 adapter indexes both
/// shapes without checking their rank.
static const onnx::NodeProto *
findGemmWithoutShapes(const onnx::GraphProto &graph, int64_t opset) {
  if (opset >= 7)
    return nullptr;
  llvm::StringMap<int> ranks;
  for (const onnx::ValueInfoProto &v : graph.input())
    if (v.type().tensor_type().has_shape())
      ranks[v.name()] = v.type().tensor_type().shape().dim_size();
  for (const onnx::ValueInfoProto &v : graph.value_info())
    if (v.type().tensor_type().has_shape())
      ranks[v.name()] = v.type().tensor_type().shape().dim_size();
  for (const onnx::TensorProto &t : graph.initializer())
    ranks[t.name()] = t.dims_size();
  for (const onnx::NodeProto &node : graph.node()) {
    if (!isDefaultDomain(node.domain()) || node.op_type() != "Gemm")
      continue;
    for (int i = 0; i < 2; ++i)
      if (node.input_size() <= i || ranks.lookup(node.input(i)) != 2)
        return &node;
  }
  return nullptr;
}

/// Whether a Softmax, LogSoftmax or Hardmax node (subgraphs included) has an
/// axis other than the last, for which the 12 -> 13 adapter needs the
/// input's rank (old semantics: flatten at axis).
static bool softmaxNeedsRank(const onnx::GraphProto &graph) {
  for (const onnx::NodeProto &node : graph.node()) {
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g() && softmaxNeedsRank(attr.g()))
        return true;
      for (const onnx::GraphProto &g : attr.graphs())
        if (softmaxNeedsRank(g))
          return true;
    }
    if (!isDefaultDomain(node.domain()) ||
        !llvm::is_contained({"Softmax", "LogSoftmax", "Hardmax"},
                            StringRef(node.op_type())))
      continue;
    int64_t axis = 1; // the default below opset 13
    for (const onnx::AttributeProto &attr : node.attribute())
      if (attr.name() == "axis")
        axis = attr.i();
    if (axis != -1)
      return true;
  }
  return false;
}

/// Upgrades an opset-1..12 model to opset 13 with ONNX's version converter,
/// so that the handlers only know opset-13+ semantics. The converter copies
/// the whole model; the weights' bytes are moved out around it and back into
/// the converted model, so they are never duplicated. Some adapters (Softmax
/// 12->13) need ranks, so shapes are inferred first, with the --input-shape
/// dims filled in.
LogicalResult whittle::import::upgradeToMinOpset(onnx::ModelProto &model,
                                                 int64_t opset,
                                                 const ImportOptions &options,
                                                 Location fileLoc) {
  MLIRContext &ctx = *fileLoc.getContext();
  // ONNX 1.12's IR import (inside ConvertVersion) dereferences a null value
  // for a top-level graph output that nothing defines, and its inference
  // functions one for a missing required attribute: reject both first.
  {
    const onnx::GraphProto &graph = model.graph();
    llvm::StringSet<> defined;
    for (const onnx::ValueInfoProto &in : graph.input())
      defined.insert(in.name());
    // Below IR version 4 an initializer defines a value only as an input.
    if (model.ir_version() >= 4)
      for (const onnx::TensorProto &t : graph.initializer())
        defined.insert(t.name());
    for (const onnx::NodeProto &n : graph.node())
      for (const std::string &out : n.output())
        defined.insert(out);
    for (const onnx::ValueInfoProto &out : graph.output())
      if (!out.name().empty() && !defined.contains(out.name()))
        return emitError(fileLoc) << "graph output '" << out.name()
                                  << "' is not produced by any node";
    // Only ops the importer knows are worth upgrading (none is renamed into a
    // supported one), and rejecting the rest first keeps libonnx's adapters
    // and IR import away from ops Whittle never imports (Upsample's adapter
    // reads inputs it does not check; a node of an undeclared domain
    // crashes the IR import).
    llvm::StringMap<int64_t> versions;
    for (const onnx::OperatorSetIdProto &id : model.opset_import())
      versions[OpRegistry::canonicalDomain(id.domain())] = id.version();
    for (const onnx::NodeProto &n : model.graph().node()) {
      StringRef domain = OpRegistry::canonicalDomain(n.domain());
      if (versions.contains(domain) &&
          OpRegistry::get().earliestVersion(domain, n.op_type()))
        continue;
      std::string name = n.name().empty() ? n.op_type() : n.name();
      auto it = versions.find(domain);
      return emitError(NameLoc::get(StringAttr::get(&ctx, name), fileLoc))
             << "unsupported operator '" << n.op_type() << "' (domain '"
             << OpRegistry::displayDomain(domain) << "', opset "
             << (it == versions.end() ? 0 : it->second) << ") in node '" << name
             << "'";
    }
    std::string error;
    if (const onnx::NodeProto *n = findInvalidNode(graph, opset, error)) {
      std::string name = n->name().empty() ? n->op_type() : n->name();
      return emitError(NameLoc::get(StringAttr::get(&ctx, name), fileLoc))
             << "node '" << name << "' (" << n->op_type()
             << "): cannot be upgraded from opset " << opset << " to "
             << kMinOpset << ": " << error;
    }
    if (const onnx::NodeProto *n = findGemmWithoutShapes(graph, opset)) {
      std::string name = n->name().empty() ? n->op_type() : n->name();
      return emitError(NameLoc::get(StringAttr::get(&ctx, name), fileLoc))
             << "node '" << name << "' (Gemm): cannot be upgraded from opset "
             << opset << " to " << kMinOpset
             << ": the upgrade needs A and B declared with rank-2 shapes "
                "(graph inputs, value_info or initializers)";
    }
  }
  // Shape tensors stay: shape inference reads their values.
  constexpr size_t kMinMovedBytes = 4096;
  llvm::StringMap<std::string> rawData;
  for (onnx::TensorProto &t : *model.mutable_graph()->mutable_initializer())
    if (t.raw_data().size() >= kMinMovedBytes && !t.name().empty())
      rawData[t.name()].swap(*t.mutable_raw_data());
  for (onnx::ValueInfoProto &input : *model.mutable_graph()->mutable_input()) {
    auto it = options.inputShapes.find(input.name());
    if (it == options.inputShapes.end() || !input.type().has_tensor_type() ||
        !input.type().tensor_type().has_shape())
      continue;
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != static_cast<int>(it->second.size()))
      continue; // importInputs reports the mismatch
    for (auto [dim, given] : llvm::zip(*shape->mutable_dim(), it->second))
      if (!dim.has_dim_value())
        dim.set_dim_value(given);
  }
  int64_t from = opset;
  onnx::ModelProto converted;
  std::string error;
  // libonnx's shape inference trusts declared shapes (a rank-0 weight
  // crashes ConvTranspose's), so it runs only for the adapters that need it.
  if (softmaxNeedsRank(model.graph())) {
    try {
      onnx::shape_inference::InferShapes(model);
    } catch (const std::exception &) {
      // Best effort: the converter reports what it still cannot do.
    }
  }
  try {
    converted = onnx::version_conversion::ConvertVersion(model, kMinOpset);
  } catch (const std::exception &e) {
    error = e.what();
  }
  if (!error.empty()) {
    // Restore the weights so that storage stays consistent, then name the
    // node the converter fails on.
    for (onnx::TensorProto &t : *model.mutable_graph()->mutable_initializer())
      if (auto it = rawData.find(t.name()); it != rawData.end())
        t.mutable_raw_data()->swap(it->second);
    StringRef message = StringRef(error).trim();
    if (const onnx::NodeProto *n = findUnconvertibleNode(model)) {
      std::string name = n->name().empty() ? n->op_type() : n->name();
      return emitError(NameLoc::get(StringAttr::get(&ctx, name), fileLoc))
             << "node '" << name << "' (" << n->op_type()
             << "): cannot be upgraded from opset " << from << " to "
             << kMinOpset << ": " << message;
    }
    return emitError(fileLoc) << "cannot upgrade the model from opset " << from
                              << " to " << kMinOpset << ": " << message;
  }
  for (onnx::TensorProto &t : *converted.mutable_graph()->mutable_initializer())
    if (auto it = rawData.find(t.name()); it != rawData.end())
      t.mutable_raw_data()->swap(it->second);
  model.Swap(&converted);
  return success();
}
