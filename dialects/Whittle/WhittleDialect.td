//===- WhittleDialect.td - The whittle dialect -------------*- tablegen -*-===//
//
// Tensor-level graph dialect that the ONNX importer targets.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_DIALECT_TD
#define WHITTLE_DIALECT_TD

include "mlir/IR/OpBase.td"

def Whittle_Dialect : Dialect {
  let name = "whittle";
  let cppNamespace = "::whittle";
  let summary = "Graph-level dialect for transformer inference";
  let description = [{
    Ops with value semantics on ranked tensors, close to ONNX but normalized:
    attributes that ONNX passes as constant inputs (axes, shapes, slice
    bounds) are attributes here, and broadcasting follows numpy rules.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 0;
}

#endif // WHITTLE_DIALECT_TD
