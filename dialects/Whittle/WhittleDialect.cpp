//===- WhittleDialect.cpp - The whittle dialect ---------------------------===//

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

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
