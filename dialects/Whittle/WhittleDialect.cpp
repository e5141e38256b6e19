//===- WhittleDialect.cpp - The whittle dialect ---------------------------===//

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace whittle;

#include "dialects/Whittle/WhittleDialect.cpp.inc"

void WhittleDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Whittle/WhittleOps.cpp.inc"
      >();
}

Operation *WhittleDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}

std::optional<llvm::ArrayRef<char>>
whittle::int8ConstantBytes(mlir::Attribute value) {
  auto typed = llvm::dyn_cast<mlir::TypedAttr>(value);
  auto type = typed ? llvm::dyn_cast<mlir::ShapedType>(typed.getType())
                    : mlir::ShapedType();
  if (!type || !type.hasStaticShape() || type.getElementTypeBitWidth() != 8)
    return std::nullopt;
  if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(value)) {
    mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size_t(type.getNumElements()))
      return std::nullopt;
    return blob->getData();
  }
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(value))
    if (!dense.isSplat())
      return dense.getRawData();
  return std::nullopt;
}
