//===- ConstantOps.cpp - Constants, shapes and pass-through ops -----------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

LogicalResult importConstant(NodeBinder &b) {
  const onnx::NodeProto &node = b.proto();
  if (node.attribute_size() != 1)
    return b.error() << "expects exactly one value attribute";
  const onnx::AttributeProto &attr = node.attribute(0);
  std::string name = node.output_size() > 0 ? node.output(0) : b.name().str();
  auto typeMismatch = [&]() {
    return b.error() << "attribute '" << attr.name() << "' has the wrong type";
  };
  OpBuilder &builder = b.getBuilder();
  auto i64 = builder.getI64Type();
  auto f32 = builder.getF32Type();
  FailureOr<ElementsAttr> value = failure();
  if (attr.name() == "value") {
    if (!attr.has_t())
      return typeMismatch();
    value = b.convertTensor(attr.t(), name);
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
    value = b.makeElements(
        RankedTensorType::get({attr.floats_size()}, f32),
        ArrayRef<char>(reinterpret_cast<const char *>(attr.floats().data()),
                       attr.floats_size() * sizeof(float)),
        /*borrowed=*/true, name);
  } else if (attr.name() == "value_ints") {
    value = b.makeElements(
        RankedTensorType::get({attr.ints_size()}, i64),
        ArrayRef<char>(reinterpret_cast<const char *>(attr.ints().data()),
                       attr.ints_size() * sizeof(int64_t)),
        /*borrowed=*/true, name);
  } else {
    return b.error() << "attribute '" << attr.name() << "' is not supported";
  }
  if (failed(value))
    return failure();
  return b.setResults(b.constant(*value));
}

LogicalResult importConstantOfShape(NodeBinder &b) {
  Value shape, y;
  if (b.tensor(0, shape))
    return failure();
  TypedAttr value = b.getBuilder().getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *attr = b.findAttr("value")) {
    if (!attr->has_t())
      return b.error() << "attribute 'value' must be a tensor";
    auto elements = b.convertTensor(attr->t(), b.name());
    if (failed(elements))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*elements);
    if (!dense || dense.getNumElements() != 1)
      return b.error() << "attribute 'value' must hold one element";
    value = cast<TypedAttr>(*dense.value_begin<Attribute>());
  }
  if (b.create<ConstantOfShapeOp>(y, shape, value))
    return failure();
  return b.setResults(y);
}

LogicalResult importShape(NodeBinder &b) {
  Value x, y;
  int64_t start;
  std::optional<int64_t> end;
  if (b.tensor(0, x) || b.attr("start", start, 0) || b.attr("end", end))
    return failure();
  OpBuilder &builder = b.getBuilder();
  if (b.create<ShapeOp>(y, x, builder.getI64IntegerAttr(start),
                        end ? builder.getI64IntegerAttr(*end) : IntegerAttr()))
    return failure();
  return b.setResults(y);
}

LogicalResult importRange(NodeBinder &b) {
  Value start, limit, delta, y;
  if (b.tensor(0, start) || b.tensor(1, limit) || b.tensor(2, delta) ||
      b.create<RangeOp>(y, start, limit, delta))
    return failure();
  return b.setResults(y);
}

LogicalResult importIdentity(NodeBinder &b) {
  Value x;
  if (b.tensor(0, x))
    return failure();
  return b.setResults(x);
}

LogicalResult importDropout(NodeBinder &b) {
  Value x, training;
  if (b.tensor(0, x) || b.optionalTensor(2, training))
    return failure();
  // Training mode drops at random: only a constant false is inference.
  if (training) {
    double mode;
    if (b.constantScalar(training, "training_mode", mode))
      return failure();
    if (mode != 0.0)
      return b.error() << "training-mode Dropout (random output) is not "
                          "supported";
  }
  if (!b.isConsumed(1))
    return b.setResults(x);
  // Inference: nothing is dropped, so the mask is all true.
  auto type = NodeBinder::typeOf(x);
  OpBuilder &builder = b.getBuilder();
  Type i1 = builder.getI1Type();
  Value mask, shape;
  if (type.hasStaticShape()) {
    mask = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get(type.getShape(), i1), true)));
  } else if (b.create<ShapeOp>(shape, x, builder.getI64IntegerAttr(0),
                               IntegerAttr()) ||
             b.create<ConstantOfShapeOp>(mask, shape,
                                         builder.getIntegerAttr(i1, 1))) {
    return failure();
  }
  return b.setResults({x, mask});
}

} // namespace

void whittle::registerConstantOps(OpRegistry &r) {
  r.add("", "Constant", 13, importConstant, "constant",
        "every `value*` form but strings and sparse tensors");
  r.add("", "ConstantOfShape", 9, importConstantOfShape, "constant_of_shape",
        "folds to a splat");
  r.add("", "Shape", 13, importShape, "shape",
        "start/end; folds when the input shape is static");
  r.add("", "Range", 11, importRange, "range",
        "folds to a constant when its operands are constant");
  r.add("", "Identity", 13, importIdentity, "(removed)");
  r.add("", "Dropout", 13, importDropout, "(removed)",
        "inference-mode identity; its mask is all true");
}
