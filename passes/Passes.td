//===- Passes.td - Whittle passes --------------------------*- tablegen -*-===//
//
// Every whittle pass is declared here. Graph passes live in passes/, the
// whittle-to-linalg conversion in lib/Conversion, backend passes in
// lib/Target.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_TD
#define WHITTLE_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Graph passes (whittle dialect)
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

def ConvertWhittleToLinalg : Pass<"convert-whittle-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower whittle ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Converts every whittle op into named linalg ops or linalg.generic on
    tensors (with tensor, arith and math ops for the scalar bodies).
    Requires static shapes; reports an error naming the op otherwise.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::bufferization::BufferizationDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Backend passes (after conversion to linalg)
//===----------------------------------------------------------------------===//

#endif // WHITTLE_PASSES_TD
