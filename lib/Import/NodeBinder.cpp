//===- NodeBinder.cpp - Typed access to one ONNX node ---------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

double whittle::import::widenFloat(float value) {
  char text[32];
  for (int precision = 1; precision < 10; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    double candidate = std::strtod(text, nullptr);
    if (static_cast<float>(candidate) == value)
      return candidate;
  }
  return value;
}

std::string whittle::import::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

//===----------------------------------------------------------------------===//
// Inputs and results
//===----------------------------------------------------------------------===//

ParseResult NodeBinder::tensor(int i, Value &v) {
  if (!hasInput(i))
    return error() << "missing required input #" << i;
  return optionalTensor(i, v);
}

ParseResult NodeBinder::optionalTensor(int i, Value &v) {
  v = Value();
  if (!hasInput(i))
    return success();
  auto it = graph.values.find(node.input(i));
  if (it == graph.values.end())
    return error() << "input '" << node.input(i)
                   << "' is not defined by an earlier node, an initializer or "
                      "a graph input";
  v = it->second;
  return success();
}

ParseResult NodeBinder::tensors(SmallVectorImpl<Value> &vs) {
  vs.clear();
  for (int i = 0; i < node.input_size(); ++i) {
    Value v;
    if (tensor(i, v))
      return failure();
    vs.push_back(v);
  }
  if (vs.empty())
    return error() << "needs at least one input";
  return success();
}

LogicalResult NodeBinder::setResults(ValueRange results) {
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &name = node.output(i);
    if (name.empty())
      continue;
    if (i >= static_cast<int>(results.size()) || !results[i]) {
      if (!graph.consumed.contains(name))
        continue;
      return error() << "output #" << i << " ('" << name
                     << "') is not supported";
    }
    graph.values[name] = results[i];
  }
  return success();
}

Value NodeBinder::constant(ElementsAttr value) {
  return ConstantOp::create(builder, loc, value);
}

Value NodeBinder::scalarConstant(Type elt, double value) {
  auto type = RankedTensorType::get({}, elt);
  Attribute attr =
      isa<FloatType>(elt)
          ? Attribute(builder.getFloatAttr(elt, value))
          : Attribute(builder.getIntegerAttr(elt, static_cast<int64_t>(value)));
  return constant(cast<ElementsAttr>(DenseElementsAttr::get(type, attr)));
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *NodeBinder::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

/// Whether `attr` has `type`; attributes of models written before the type
/// field existed (UNDEFINED) are accepted when the value field is present.
static bool hasType(const onnx::AttributeProto &attr,
                    onnx::AttributeProto::AttributeType type, bool present) {
  return attr.type() == type ||
         (attr.type() == onnx::AttributeProto::UNDEFINED && present);
}

ParseResult NodeBinder::attr(StringRef name, std::optional<int64_t> &v) {
  v.reset();
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return success();
  if (!hasType(*a, onnx::AttributeProto::INT, a->has_i()))
    return error() << "attribute '" << name << "' must be an int";
  v = a->i();
  return success();
}

ParseResult NodeBinder::attr(StringRef name, int64_t &v, int64_t dflt) {
  std::optional<int64_t> value;
  if (attr(name, value))
    return failure();
  v = value.value_or(dflt);
  return success();
}

ParseResult NodeBinder::attr(StringRef name, bool &v, bool dflt) {
  int64_t value;
  if (attr(name, value, dflt ? 1 : 0))
    return failure();
  v = value != 0;
  return success();
}

ParseResult NodeBinder::attr(StringRef name, float &v, float dflt) {
  v = dflt;
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return success();
  if (!hasType(*a, onnx::AttributeProto::FLOAT, a->has_f()))
    return error() << "attribute '" << name << "' must be a float";
  v = a->f();
  return success();
}

ParseResult NodeBinder::attr(StringRef name, std::string &v, StringRef dflt) {
  v = dflt.str();
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return success();
  if (!hasType(*a, onnx::AttributeProto::STRING, a->has_s()))
    return error() << "attribute '" << name << "' must be a string";
  v = a->s();
  return success();
}

ParseResult NodeBinder::attr(StringRef name,
                             std::optional<SmallVector<int64_t>> &v) {
  v.reset();
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return success();
  if (!hasType(*a, onnx::AttributeProto::INTS, true))
    return error() << "attribute '" << name << "' must be a list of ints";
  v = SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  return success();
}

ParseResult NodeBinder::enumAttr(StringRef name, std::string &v,
                                 ArrayRef<StringRef> allowed) {
  if (attr(name, v, allowed.front()))
    return failure();
  if (llvm::is_contained(allowed, v))
    return success();
  auto diag = error() << "attribute '" << name << "' is '" << v
                      << "'; expected one of ";
  llvm::interleave(
      allowed, [&](StringRef s) { diag << "'" << s << "'"; },
      [&]() { diag << ", "; });
  return diag;
}

//===----------------------------------------------------------------------===//
// Compile-time operands
//===----------------------------------------------------------------------===//

void NodeBinder::notConstantError(Value v, StringRef what) {
  // A graph input can be frozen; anything else depends on dynamic shapes.
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    StringRef name = graph.graphInputNames[arg.getArgNumber()];
    error() << "the " << what << " input is graph input '" << name
            << "', which is not a constant; freeze it with --freeze-input "
            << name << "=FILE";
    return;
  }
  error() << "the " << what
          << " input is not a constant; set --input-shape for dynamic inputs";
}

ParseResult NodeBinder::constantInts(Value v, StringRef what,
                                     SmallVectorImpl<int64_t> &out) {
  out.clear();
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)) &&
      isa<IntegerType>(attr.getElementType())) {
    if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
      for (const APInt &x : dense.getValues<APInt>())
        out.push_back(x.getSExtValue());
      return success();
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
            out.push_back(x);
          } else {
            int32_t x;
            std::memcpy(&x, data.data() + i, sizeof(x));
            out.push_back(x);
          }
        }
        return success();
      }
    }
  }
  notConstantError(v, what);
  return failure();
}

ParseResult NodeBinder::constantBytes(Value v, StringRef what,
                                      std::vector<char> &out) {
  out.clear();
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)) &&
      !attr.getElementType().isInteger(1)) {
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
      if (AsmResourceBlob *blob = resource.getRawHandle().getBlob()) {
        ArrayRef<char> data = blob->getData();
        out.assign(data.begin(), data.end());
        return success();
      }
    } else if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(attr)) {
      ArrayRef<char> data = dense.getRawData();
      int64_t n = dense.getNumElements();
      out.reserve(n * data.size());
      for (int64_t i = 0, copies = dense.isSplat() ? n : 1; i < copies; ++i)
        out.insert(out.end(), data.begin(), data.end());
      return success();
    }
  }
  notConstantError(v, what);
  return failure();
}

ParseResult NodeBinder::constantScalar(Value v, StringRef what, double &out) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr))) {
    notConstantError(v, what);
    return failure();
  }
  if (attr.getNumElements() != 1)
    return error() << "the " << what << " input must be a scalar";
  if (isa<FloatType>(attr.getElementType())) {
    out = (*attr.getValues<APFloat>().begin()).convertToDouble();
    return success();
  }
  APInt x = *attr.getValues<APInt>().begin();
  out = attr.getElementType().isUnsignedInteger()
            ? static_cast<double>(x.getZExtValue())
            : static_cast<double>(x.getSExtValue());
  return success();
}

ParseResult NodeBinder::normalizeAxis(int64_t axis, int64_t rank,
                                      int64_t &out) {
  if (axis < -rank || axis >= rank)
    return error() << "axis " << axis << " is out of range for rank " << rank;
  out = axis < 0 ? axis + rank : axis;
  return success();
}

ParseResult NodeBinder::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank,
                                      SmallVectorImpl<int64_t> &out) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    int64_t a;
    if (normalizeAxis(axis, rank, a))
      return failure();
    result.push_back(a);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end())
    return error() << "axes must be unique";
  out.assign(result.begin(), result.end());
  return success();
}
