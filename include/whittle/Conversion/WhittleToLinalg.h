//===- WhittleToLinalg.h - Lower whittle ops to linalg ----------*- C++ -*-===//
//
// Patterns that lower every whittle op to linalg, tensor, arith and math ops
// on tensors. They are plain rewrite patterns, so they work with the dialect
// conversion driver and the greedy driver. Unsigned element types (ui8..ui64)
// pass through them unchanged so that each pattern can pick the unsigned
// arith variant; convertUnsignedToSignless must run once all whittle ops are
// gone, as arith ops accept only signless integers.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_CONVERSION_WHITTLETOLINALG_H
#define WHITTLE_CONVERSION_WHITTLETOLINALG_H

#include <cstdint>

namespace mlir {
class Operation;
class RewritePatternSet;
} // namespace mlir

namespace whittle {

/// Adds the patterns lowering every whittle op.
void populateWhittleToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// Pattern families, added by populateWhittleToLinalgPatterns.
void populateElementwiseToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateMatmulToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// With `vectorRegisters` (512-bit registers the kernel may use; 0: none),
/// products with a constant 4-bit block weight become a vector kernel
/// (which needs the vector lowering of the backend) instead of a
/// dequantized weight and a matmul.
void populateQuantizedMatmulToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                             int64_t vectorRegisters = 0);
void populateReductionToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateAttentionToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// Replaces every unsigned integer type under `root` (values, block
/// arguments, function types, constant attributes) by the signless type of
/// the same width.
void convertUnsignedToSignless(mlir::Operation *root);

/// True if every operand and result of `op` is a statically shaped tensor;
/// code generation needs that.
bool hasStaticShapes(mlir::Operation *op);

} // namespace whittle

#endif // WHITTLE_CONVERSION_WHITTLETOLINALG_H
