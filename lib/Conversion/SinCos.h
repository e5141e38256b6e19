//===- SinCos.h - Accurate sine and cosine for elementwise lowering -*- C++
//-*-===//
//
// ONNX Sin and Cos are mostly met as rotary position embeddings computed in
// the graph (positions times inverse frequencies, then cos and sin), whose
// arguments reach thousands of radians. A single-precision range reduction
// loses digits there (k·π/2 carries k times the error of π/2), so the
// reduction runs in f64 with π/2 split in two (Cody–Waite), and the result
// comes from Taylor polynomials on [-π/4, π/4] in f64: within an ulp of the
// f32 result for |x| up to about 1e9.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_LIB_CONVERSION_SINCOS_H
#define WHITTLE_LIB_CONVERSION_SINCOS_H

#include "mlir/IR/Builders.h"

namespace whittle {

/// sin(x) (or cos(x) when `cosine`) of a scalar float `x` (f16, bf16, f32 or
/// f64), of x's type.
mlir::Value emitSinCos(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       bool cosine);

} // namespace whittle

#endif // WHITTLE_LIB_CONVERSION_SINCOS_H
