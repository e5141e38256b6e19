//===- ReductionToLinalg.cpp - Reductions and normalizations to linalg ----===//
//
// Reductions are linalg.generic ops with reduction iterators whose result
// drops the reduced dims; keepdims is a free expand_shape afterwards.
// Softmax and layer norm are a few such generics plus elementwise generics,
// each reading its operands through broadcast maps so they stay fusable.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::lowering;

namespace {

enum class ReduceKind { Sum, Mean, Max, Min };

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

// Scalars still carry the whittle op's element type (the pass makes types
// signless afterwards), so ui8..ui64 select the unsigned variants.
Value maximum(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (x.getType().isUnsignedInteger())
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value minimum(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (x.getType().isUnsignedInteger())
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value divide(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::DivFOp::create(b, loc, x, y);
  if (x.getType().isUnsignedInteger())
    return arith::DivUIOp::create(b, loc, x, y);
  return arith::DivSIOp::create(b, loc, x, y);
}

/// Identity maps for inputs that span the whole iteration space.
SmallVector<AffineMap> identityMaps(OpBuilder &b, int64_t rank, size_t count) {
  return SmallVector<AffineMap>(count, b.getMultiDimIdentityMap(rank));
}

/// reduce_sum / reduce_mean / reduce_max / reduce_min over sorted axes.
template <typename OpTy, ReduceKind Kind>
struct ReduceOpLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto inputType = op.getInput().getType();
    auto resultType = op.getResult().getType();
    Type elementType = inputType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    if (axes.empty()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    Value init = Kind == ReduceKind::Max
                     ? lowestConstant(rewriter, loc, elementType)
                 : Kind == ReduceKind::Min
                     ? highestConstant(rewriter, loc, elementType)
                     : scalarConstant(rewriter, loc, elementType, 0.0);
    auto reduce = [&](Value input, ArrayRef<int64_t> reduced) {
      auto type = cast<RankedTensorType>(input.getType());
      return buildReduction(rewriter, loc, type.getShape(), reduced, input,
                            identityMaps(rewriter, type.getRank(), 1), init,
                            [](OpBuilder &b, Location l, ValueRange args) {
                              if (Kind == ReduceKind::Max)
                                return maximum(b, l, args[0], args[1]);
                              if (Kind == ReduceKind::Min)
                                return minimum(b, l, args[0], args[1]);
                              return add(b, l, args[0], args[1]);
                            });
    };
    // A reduction to one value (a dynamic quantization's range) is one
    // serial loop; reducing the rows first gives a row-parallel, vectorized
    // reduction and leaves a short one.
    int64_t rank = inputType.getRank();
    Value result;
    if (rank >= 2 && int64_t(axes.size()) == rank &&
        inputType.getShape().back() > 1) {
      Value rows = reduce(op.getInput(), {rank - 1});
      result = reduce(rows, llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)));
    } else {
      result = reduce(op.getInput(), axes);
    }
    auto reducedType = cast<RankedTensorType>(result.getType());
    if (Kind == ReduceKind::Mean) {
      int64_t count = 1;
      for (int64_t axis : axes)
        count *= inputType.getDimSize(axis);
      result = buildElementwise(rewriter, loc, reducedType, result,
                                [&](OpBuilder &b, Location l, ValueRange args) {
                                  return divide(
                                      b, l, args[0],
                                      scalarConstant(b, l, elementType, count));
                                });
    }
    if (op.getKeepdims())
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, resultType, result,
          unitDimReassociation(resultType.getRank(), axes));
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Numerically stable softmax: exp(x - max) / sum(exp(x - max)) along the
/// axis. f16/bf16 exponentials and sums are computed in f32.
struct SoftmaxOpLowering : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getInput().getType();
    Type elementType = type.getElementType();
    Type ct = computeType(elementType);
    int64_t rank = type.getRank();
    int64_t axes[] = {static_cast<int64_t>(op.getAxis())};
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reducedMap = dropDimsMap(rank, axes, ctx);

    Value max =
        buildReduction(rewriter, loc, type.getShape(), axes, op.getInput(),
                       {identity}, lowestConstant(rewriter, loc, elementType),
                       [](OpBuilder &b, Location l, ValueRange args) {
                         return maximum(b, l, args[0], args[1]);
                       });

    auto expType = RankedTensorType::get(type.getShape(), ct);
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value exps =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{expType}, ValueRange{op.getInput(), max},
            ValueRange{emptyTensor(rewriter, loc, expType)},
            ArrayRef<AffineMap>{identity, reducedMap, identity}, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
              Value e =
                  math::ExpOp::create(b, l, convertScalar(b, l, diff, ct));
              linalg::YieldOp::create(b, l, e);
            })
            .getResult(0);

    Value sum =
        buildReduction(rewriter, loc, type.getShape(), axes, exps, {identity},
                       scalarConstant(rewriter, loc, ct, 0.0),
                       [](OpBuilder &b, Location l, ValueRange args) {
                         return add(b, l, args[0], args[1]);
                       });

    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{exps, sum},
            ValueRange{emptyTensor(rewriter, loc, type)},
            ArrayRef<AffineMap>{identity, reducedMap, identity}, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value r = arith::DivFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(b, l,
                                      convertScalar(b, l, r, elementType));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Layer norm over dims [axis, rank): mean, variance E[(x - mean)^2], then
/// (x - mean) * rsqrt(var + eps) * scale + bias. Statistics are computed in
/// f32 for f16/bf16 inputs and in the element type otherwise.
struct LayerNormOpLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getInput().getType();
    Type elementType = type.getElementType();
    Type ct = computeType(elementType);
    int64_t rank = type.getRank();
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t d = op.getAxis(); d < rank; ++d) {
      axes.push_back(d);
      count *= type.getDimSize(d);
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap statsMap = dropDimsMap(rank, axes, ctx);
    Value x = op.getInput();

    Value sum =
        buildReduction(rewriter, loc, type.getShape(), axes, x, {identity},
                       scalarConstant(rewriter, loc, ct, 0.0),
                       [&](OpBuilder &b, Location l, ValueRange args) {
                         return arith::AddFOp::create(
                             b, l, args[1], convertScalar(b, l, args[0], ct));
                       });
    auto statsType = cast<RankedTensorType>(sum.getType());
    Value mean =
        buildElementwise(rewriter, loc, statsType, sum,
                         [&](OpBuilder &b, Location l, ValueRange args) {
                           return arith::DivFOp::create(
                               b, l, args[0], scalarConstant(b, l, ct, count));
                         });

    Value squares = buildReduction(
        rewriter, loc, type.getShape(), axes, ValueRange{x, mean},
        {identity, statsMap}, scalarConstant(rewriter, loc, ct, 0.0),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value d = arith::SubFOp::create(
              b, l, convertScalar(b, l, args[0], ct), args[1]);
          return arith::AddFOp::create(b, l, args[2],
                                       arith::MulFOp::create(b, l, d, d));
        });
    double epsilon = op.getEpsilon().convertToDouble();
    Value rstd =
        buildElementwise(rewriter, loc, statsType, squares,
                         [&](OpBuilder &b, Location l, ValueRange args) {
                           Value var = arith::DivFOp::create(
                               b, l, args[0], scalarConstant(b, l, ct, count));
                           Value shifted = arith::AddFOp::create(
                               b, l, var, scalarConstant(b, l, ct, epsilon));
                           return math::RsqrtOp::create(b, l, shifted);
                         });

    SmallVector<Value> inputs = {x, mean, rstd, op.getScale()};
    SmallVector<AffineMap> maps = {
        identity, statsMap, statsMap,
        broadcastMap(op.getScale().getType().getShape(), type.getShape(), ctx)};
    if (Value bias = op.getBias()) {
      inputs.push_back(bias);
      maps.push_back(
          broadcastMap(cast<RankedTensorType>(bias.getType()).getShape(),
                       type.getShape(), ctx));
    }
    maps.push_back(identity);
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, inputs,
            ValueRange{emptyTensor(rewriter, loc, type)}, maps, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value centered = arith::SubFOp::create(
                  b, l, convertScalar(b, l, args[0], ct), args[1]);
              Value r = arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, centered, args[2]),
                  convertScalar(b, l, args[3], ct));
              if (inputs.size() == 5)
                r = arith::AddFOp::create(b, l, r,
                                          convertScalar(b, l, args[4], ct));
              linalg::YieldOp::create(b, l,
                                      convertScalar(b, l, r, elementType));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Cumulative sum as a masked reduction: result[..., i, ...] sums
/// input[..., j, ...] over the j that the direction and exclusivity admit,
/// a reduction over a second copy of the axis. It costs L^2 per row of length
/// L, which the position ids of an attention mask (its common use) afford,
/// and maps onto every target's reductions.
struct CumSumOpLowering : OpRewritePattern<CumSumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(CumSumOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getInput().getType();
    Type elementType = type.getElementType();
    Type ct = computeType(elementType);
    int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<int64_t> shape(type.getShape());
    shape.push_back(type.getDimSize(axis));
    SmallVector<AffineExpr> inputIndex;
    for (int64_t d = 0; d < rank; ++d)
      inputIndex.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    AffineMap inputMap = AffineMap::get(rank + 1, 0, inputIndex, ctx);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    arith::CmpIPredicate admitted =
        reverse ? (exclusive ? arith::CmpIPredicate::ugt
                             : arith::CmpIPredicate::uge)
                : (exclusive ? arith::CmpIPredicate::ult
                             : arith::CmpIPredicate::ule);
    Value sum = buildReduction(
        rewriter, loc, shape, {rank}, op.getInput(), {inputMap},
        scalarConstant(rewriter, loc, ct, 0.0),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          Value x = convertScalar(b, l, args[0], ct);
          Value term = arith::SelectOp::create(
              b, l, arith::CmpIOp::create(b, l, admitted, j, i), x,
              scalarConstant(b, l, ct, 0.0));
          return isa<FloatType>(ct)
                     ? arith::AddFOp::create(b, l, args[1], term).getResult()
                     : arith::AddIOp::create(b, l, args[1], term).getResult();
        });
    if (ct != elementType)
      sum = buildElementwise(rewriter, loc, type, sum,
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               return convertScalar(b, l, args[0], elementType);
                             });
    rewriter.replaceOp(op, sum);
    return success();
  }
};

} // namespace

void whittle::populateReductionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceOpLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceOpLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceOpLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceOpLowering<ReduceMinOp, ReduceKind::Min>,
               SoftmaxOpLowering, LayerNormOpLowering, CumSumOpLowering>(
      patterns.getContext());
}
