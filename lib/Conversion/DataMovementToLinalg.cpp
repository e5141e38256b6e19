//===- DataMovementToLinalg.cpp - Shape and data movement ops to tensor ---===//
//
// Reshapes become collapse/expand_shape (views after bufferization), slices
// become extract_slice, concat an insert_slice chain into one tensor.empty,
// gathers and broadcasts linalg.generic ops. Constants pass their attribute
// through unchanged, so weight blobs are never copied.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::lowering;

namespace {

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::map_to_vector(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

struct ConstantOpLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct ConstantOfShapeOpLowering : OpRewritePattern<ConstantOfShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConstantOfShapeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto type = cast<RankedTensorType>(op.getResult().getType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, DenseElementsAttr::get(type, ArrayRef<Attribute>{op.getValue()}));
    return success();
  }
};

struct ShapeOpLowering : OpRewritePattern<ShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ShapeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto type = op.getResult().getType();
    ArrayRef<int64_t> shape = op.getInput().getType().getShape();
    int64_t rank = shape.size();
    int64_t start = op.getStart() < 0 ? op.getStart() + rank : op.getStart();
    start = std::clamp<int64_t>(start, 0, rank);
    SmallVector<int64_t> values(shape.begin() + start,
                                shape.begin() + start + type.getDimSize(0));
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, DenseIntElementsAttr::get(type, values));
    return success();
  }
};

/// range: result[i] = start + i * delta, computed by a generic on the index.
struct RangeOpLowering : OpRewritePattern<RangeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RangeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Type elementType = type.getElementType();
    Value start = tensor::ExtractOp::create(rewriter, loc, op.getStart());
    Value delta = tensor::ExtractOp::create(rewriter, loc, op.getDelta());
    Value result = buildElementwise(
        rewriter, loc, type, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value i = linalg::IndexOp::create(b, l, 0);
          if (isa<FloatType>(elementType)) {
            Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
            Value f = arith::SIToFPOp::create(b, l, elementType, i64);
            return arith::AddFOp::create(b, l, start,
                                         arith::MulFOp::create(b, l, f, delta));
          }
          Value n = arith::IndexCastOp::create(b, l, elementType, i);
          return arith::AddIOp::create(b, l, start,
                                       arith::MulIOp::create(b, l, n, delta));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ReshapeOpLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), op.getInput(),
                                     op.getResult().getType()));
    return success();
  }
};

struct SqueezeOpLowering : OpRewritePattern<SqueezeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SqueezeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    if (op.getAxes().empty()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getResult().getType(), op.getInput(),
        unitDimReassociation(op.getInput().getType().getRank(), op.getAxes()));
    return success();
  }
};

struct UnsqueezeOpLowering : OpRewritePattern<UnsqueezeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(UnsqueezeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    if (op.getAxes().empty()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto type = op.getResult().getType();
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, type, op.getInput(),
        unitDimReassociation(type.getRank(), op.getAxes()));
    return success();
  }
};

struct TransposeOpLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Value init = emptyTensor(rewriter, op.getLoc(), op.getResult().getType());
    Value result = linalg::TransposeOp::create(
                       rewriter, op.getLoc(), op.getInput(), init, op.getPerm())
                       .getResult()[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Broadcast to the target shape by a generic copy with a broadcast map.
struct ExpandOpLowering : OpRewritePattern<ExpandOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ExpandOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    auto type = op.getResult().getType();
    if (type == op.getInput().getType()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), type, op.getInput(),
                             [](OpBuilder &, Location, ValueRange args) {
                               return args[0];
                             }));
    return success();
  }
};

struct ConcatOpLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank(), axis = op.getAxis();
    Value result = emptyTensor(rewriter, loc, type);
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    for (Value input : op.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      if (inputType.getDimSize(axis) == 0)
        continue;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, input, result, indexAttrs(rewriter, offsets),
          indexAttrs(rewriter, inputType.getShape()),
          indexAttrs(rewriter, strides));
      offsets[axis] += inputType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SplitOpLowering : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SplitOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    int64_t rank = op.getInput().getType().getRank(), axis = op.getAxis();
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    SmallVector<Value> results;
    for (Value result : op.getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      // An empty piece may start past the end, where extract_slice is
      // invalid; it reads nothing anyway.
      if (type.getNumElements() == 0) {
        results.push_back(tensor::EmptyOp::create(
            rewriter, op.getLoc(), type.getShape(), type.getElementType()));
        continue;
      }
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), type, op.getInput(),
          indexAttrs(rewriter, offsets), indexAttrs(rewriter, type.getShape()),
          indexAttrs(rewriter, strides)));
      offsets[axis] += type.getDimSize(axis);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Positive steps are one extract_slice. A negative step reads the same
/// elements with a positive stride and reverses them with a generic whose
/// input map is (size - 1 - d) on those dims.
struct SliceOpLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getResult().getType();
    ArrayRef<int64_t> sizes = op.getSizes();
    SmallVector<int64_t> offsets(op.getStarts()), strides(op.getSteps());
    SmallVector<AffineExpr> reverseExprs;
    bool reversed = false;
    for (int64_t d = 0, e = sizes.size(); d < e; ++d) {
      AffineExpr dim = getAffineDimExpr(d, ctx);
      if (strides[d] > 0 || sizes[d] == 0) {
        strides[d] = std::abs(strides[d]);
        reverseExprs.push_back(dim);
        continue;
      }
      offsets[d] += (sizes[d] - 1) * strides[d];
      strides[d] = -strides[d];
      reverseExprs.push_back(sizes[d] - 1 - dim);
      reversed = true;
    }
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, type, op.getInput(), indexAttrs(rewriter, offsets),
        indexAttrs(rewriter, sizes), indexAttrs(rewriter, strides));
    if (reversed) {
      int64_t rank = type.getRank();
      SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, reverseExprs, ctx),
                                     rewriter.getMultiDimIdentityMap(rank)};
      SmallVector<utils::IteratorType> parallel(rank,
                                                utils::IteratorType::parallel);
      slice = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type}, ValueRange{slice},
                  ValueRange{emptyTensor(rewriter, loc, type)}, maps, parallel,
                  [](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(b, l, args[0]);
                  })
                  .getResult(0);
    }
    rewriter.replaceOp(op, slice);
    return success();
  }
};

/// Gather along `axis`: a generic over the result shape reads the index
/// tensor, wraps negative indices, clamps to stay in bounds, and extracts
/// from the data tensor.
/// An index of a gather as a position along an axis of `dimSize`:
/// negative indices wrap, and the result is clamped (a run-time index out of
/// range reads the nearest element instead of memory outside the tensor).
Value gatherIndex(OpBuilder &b, Location l, Value raw, int64_t dimSize) {
  Value index = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value size = arith::ConstantIndexOp::create(b, l, dimSize);
  Value last = arith::ConstantIndexOp::create(b, l, dimSize - 1);
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
  Value wrapped = arith::SelectOp::create(
      b, l, negative, arith::AddIOp::create(b, l, index, size), index);
  return arith::MinSIOp::create(
      b, l, arith::MaxSIOp::create(b, l, wrapped, zero), last);
}

struct GatherOpLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getResult().getType();
    auto dataType = op.getData().getType();
    auto indicesType = op.getIndices().getType();
    int64_t axis = op.getAxis();
    int64_t indicesRank = indicesType.getRank();
    int64_t rank = type.getRank();
    int64_t dimSize = dataType.getDimSize(axis);
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < indicesRank; ++d)
      indexExprs.push_back(getAffineDimExpr(axis + d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexExprs, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value data = op.getData();
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{op.getIndices()},
            ValueRange{emptyTensor(rewriter, loc, type)}, maps, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value clamped = gatherIndex(b, l, args[0], dimSize);
              SmallVector<Value> coords;
              for (int64_t d = 0; d < axis; ++d)
                coords.push_back(linalg::IndexOp::create(b, l, d));
              coords.push_back(clamped);
              for (int64_t d = axis + indicesRank; d < rank; ++d)
                coords.push_back(linalg::IndexOp::create(b, l, d));
              Value element = tensor::ExtractOp::create(b, l, data, coords);
              linalg::YieldOp::create(b, l, element);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// result[i...] = data[i... with index[i...] along the axis].
struct GatherElementsOpLowering : OpRewritePattern<GatherElementsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherElementsOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    int64_t axis = op.getAxis(), rank = type.getRank();
    int64_t dimSize = op.getData().getType().getDimSize(axis);
    Value data = op.getData();
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{op.getIndices()},
            ValueRange{emptyTensor(rewriter, loc, type)}, maps, parallel,
            [&](OpBuilder &b, Location l, ValueRange args) {
              SmallVector<Value> coords;
              for (int64_t d = 0; d < rank; ++d)
                coords.push_back(d == axis ? gatherIndex(b, l, args[0], dimSize)
                                           : linalg::IndexOp::create(b, l, d));
              Value element = tensor::ExtractOp::create(b, l, data, coords);
              linalg::YieldOp::create(b, l, element);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void whittle::populateDataMovementToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConstantOpLowering, ConstantOfShapeOpLowering, ShapeOpLowering,
               RangeOpLowering, ReshapeOpLowering, SqueezeOpLowering,
               UnsqueezeOpLowering, TransposeOpLowering, ExpandOpLowering,
               ConcatOpLowering, SplitOpLowering, SliceOpLowering,
               GatherOpLowering, GatherElementsOpLowering>(
      patterns.getContext());
}
