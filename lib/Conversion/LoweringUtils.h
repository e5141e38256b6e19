//===- LoweringUtils.h - Helpers shared by the whittle lowerings -*- C++
//-*-===//
//
// Builders for the linalg.generic shapes every lowering needs: broadcasting
// elementwise maps, reductions over a set of dims, scalar casts and
// constants. Internal to lib/Conversion.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_LIB_CONVERSION_LOWERINGUTILS_H
#define WHITTLE_LIB_CONVERSION_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace whittle {
class QuantizedMatMulOp;
} // namespace whittle

namespace whittle::lowering {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;

/// Fails the match (with a reason) unless `op` has static shapes.
mlir::LogicalResult requireStaticShapes(mlir::Operation *op,
                                        mlir::PatternRewriter &rewriter);

/// A scalar arith.constant of `type` (float, integer or index) with `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// Smallest value of `type`: -inf for floats, the signed minimum for signed
/// and signless integers, 0 for unsigned ones and i1. Neutral element of a max
/// reduction.
mlir::Value lowestConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type);

/// Largest value of `type`: +inf for floats, the unsigned maximum for
/// unsigned integers and i1, the signed maximum otherwise. Neutral element of
/// a min reduction.
mlir::Value highestConstant(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Type type);

/// tensor.empty of `type`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);

/// `type` filled with the scalar `value` (linalg.fill).
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::Value value);

/// Numpy broadcast map from a result of `resultShape` to an operand of
/// `operandShape` (right-aligned; size-1 dims that broadcast read index 0).
mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape,
                             mlir::MLIRContext *ctx);

/// One linalg.generic with parallel iterators over `resultType`, reading
/// `inputs` through numpy broadcast maps. `body` gets one scalar per input
/// and returns the result scalar.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs, BodyFn body);

/// The same with explicit maps from the result's dims to each input.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs,
                             llvm::ArrayRef<mlir::AffineMap> inputMaps,
                             BodyFn body);

/// A linalg.generic over the iteration space `shape` that reduces the dims in
/// `reducedDims` (sorted). `inputs` are read through `inputMaps` (maps of
/// rank(shape) dims); the accumulator starts at `init` and has the element
/// type of `init`. `body` gets the input scalars followed by the accumulator.
/// The result drops the reduced dims.
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc,
                           llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int64_t> reducedDims,
                           mlir::ValueRange inputs,
                           llvm::ArrayRef<mlir::AffineMap> inputMaps,
                           mlir::Value init, BodyFn body);

/// Map from the full iteration space of rank `rank` to the dims that are not
/// in `reducedDims` (the layout of buildReduction's result).
mlir::AffineMap dropDimsMap(int64_t rank, llvm::ArrayRef<int64_t> reducedDims,
                            mlir::MLIRContext *ctx);

/// Converts a scalar to `to` with ONNX Cast semantics: float->int rounds
/// toward zero, x->i1 is x != 0, i1->x is 0 or 1; unsigned integer types
/// (ui8..ui64) convert and extend as unsigned, all other integers as signed.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::Type to);

/// f16 and bf16 compute in f32; other types compute in themselves.
mlir::Type computeType(mlir::Type elementType);

/// Reassociation between a shape of rank `bigRank` and the shape without the
/// unit dims `unitDims`: each kept dim absorbs the unit dims before it
/// (trailing unit dims join the last group).
llvm::SmallVector<mlir::ReassociationIndices>
unitDimReassociation(int64_t bigRank, llvm::ArrayRef<int64_t> unitDims);

/// Reshapes `value` to `type` with collapse_shape/expand_shape, going through
/// a 1-D tensor when neither alone expresses the reshape.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::RankedTensorType type);

/// A quantized_matmul with a constant blocked 4-bit weight
/// (Int4WeightKernels.cpp): a vector kernel over weight panels using up to
/// `vectorRegisters` 512-bit registers, or with 0 the weight dequantized for
/// a float matmul. Null when the weight has another form.
mlir::Value blockedInt4Product(mlir::PatternRewriter &rewriter,
                               whittle::QuantizedMatMulOp op,
                               int64_t vectorRegisters);

} // namespace whittle::lowering

#endif // WHITTLE_LIB_CONVERSION_LOWERINGUTILS_H
