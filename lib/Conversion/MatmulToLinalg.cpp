//===- MatmulToLinalg.cpp - matmul, gemm and conv to linalg ---------------===//
//
// Contractions become named linalg ops where the shapes allow (linalg.matmul,
// linalg.batch_matmul, the conv_2d family) so later tiling, packing and
// microkernel selection can recognize them; numpy batch broadcasting that no
// named op expresses becomes a linalg.generic with broadcast indexing maps.
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

/// acc + a * b in the element type of acc (ints accumulate in their own type).
Value multiplyAccumulate(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         Value acc) {
  if (isa<FloatType>(acc.getType()))
    return arith::AddFOp::create(b, loc, acc,
                                 arith::MulFOp::create(b, loc, lhs, rhs));
  return arith::AddIOp::create(b, loc, acc,
                               arith::MulIOp::create(b, loc, lhs, rhs));
}

Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  return filledTensor(b, loc, type,
                      scalarConstant(b, loc, type.getElementType(), 0.0));
}

/// Reassociation [[0 .. n-2], [n-1]] that folds all leading dims into one.
SmallVector<ReassociationIndices> foldLeadingDims(int64_t rank) {
  ReassociationIndices leading;
  for (int64_t d = 0; d + 1 < rank; ++d)
    leading.push_back(d);
  return {leading, {rank - 1}};
}

/// Reassociation folding the first `batchRank` dims into one and keeping the
/// trailing two.
SmallVector<ReassociationIndices> foldBatchDims(int64_t batchRank) {
  ReassociationIndices batch;
  for (int64_t d = 0; d < batchRank; ++d)
    batch.push_back(d);
  return {batch, {batchRank}, {batchRank + 1}};
}

RankedTensorType withShape(RankedTensorType type, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, type.getElementType());
}

/// Numpy matmul on operands of rank >= 2 with result type `resultType`.
Value buildBatchedMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         RankedTensorType resultType) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t rank = resultType.getRank();
  ArrayRef<int64_t> lhsBatch = lhsType.getShape().drop_back(2);
  ArrayRef<int64_t> rhsBatch = rhsType.getShape().drop_back(2);
  int64_t m = lhsType.getShape()[lhsType.getRank() - 2];
  int64_t k = lhsType.getShape().back();
  int64_t n = rhsType.getShape().back();

  // [M, K] x [K, N].
  if (lhsType.getRank() == 2 && rhsType.getRank() == 2)
    return linalg::MatmulOp::create(b, loc, TypeRange{resultType},
                                    ValueRange{lhs, rhs},
                                    ValueRange{zeroFilled(b, loc, resultType)})
        .getResult(0);

  // [B..., M, K] x [K, N]: the batch folds into M (the common projection).
  if (rhsType.getRank() == 2) {
    int64_t rows = lhsType.getNumElements() / k;
    auto flatLhsType = withShape(lhsType, {rows, k});
    auto flatResultType = withShape(resultType, {rows, n});
    auto reassociation = foldLeadingDims(lhsType.getRank());
    Value flatLhs = tensor::CollapseShapeOp::create(b, loc, flatLhsType, lhs,
                                                    reassociation);
    Value product =
        linalg::MatmulOp::create(b, loc, TypeRange{flatResultType},
                                 ValueRange{flatLhs, rhs},
                                 ValueRange{zeroFilled(b, loc, flatResultType)})
            .getResult(0);
    return tensor::ExpandShapeOp::create(b, loc, resultType, product,
                                         reassociation);
  }

  // Equal batch dims: one batch_matmul over the folded batch.
  if (lhsBatch == rhsBatch) {
    int64_t batchRank = lhsBatch.size();
    int64_t batch = 1;
    for (int64_t d : lhsBatch)
      batch *= d;
    auto reassociation = foldBatchDims(batchRank);
    auto fold = [&](Value v, RankedTensorType type) -> Value {
      if (batchRank == 1)
        return v;
      auto flatType = withShape(type, {batch, type.getShape()[batchRank],
                                       type.getShape()[batchRank + 1]});
      return tensor::CollapseShapeOp::create(b, loc, flatType, v,
                                             reassociation);
    };
    auto flatResultType = withShape(resultType, {batch, m, n});
    Value product = linalg::BatchMatmulOp::create(
                        b, loc, TypeRange{flatResultType},
                        ValueRange{fold(lhs, lhsType), fold(rhs, rhsType)},
                        ValueRange{zeroFilled(b, loc, flatResultType)})
                        .getResult(0);
    if (batchRank == 1)
      return product;
    return tensor::ExpandShapeOp::create(b, loc, resultType, product,
                                         reassociation);
  }

  // Broadcast batch dims: a generic over (batch..., m, n, k) whose operand
  // maps read index 0 of broadcast dims.
  MLIRContext *ctx = b.getContext();
  int64_t numLoops = rank + 1;
  ArrayRef<int64_t> resultBatch = resultType.getShape().drop_back(2);
  auto operandMap = [&](ArrayRef<int64_t> batchShape, AffineExpr row,
                        AffineExpr col) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = resultBatch.size() - batchShape.size();
    for (auto [i, size] : llvm::enumerate(batchShape)) {
      int64_t loop = offset + i;
      exprs.push_back(size == 1 && resultBatch[loop] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(loop, ctx));
    }
    exprs.push_back(row);
    exprs.push_back(col);
    return AffineMap::get(numLoops, 0, exprs, ctx);
  };
  AffineExpr mDim = getAffineDimExpr(rank - 2, ctx);
  AffineExpr nDim = getAffineDimExpr(rank - 1, ctx);
  AffineExpr kDim = getAffineDimExpr(rank, ctx);
  // The output map is the identity over the first `rank` loops.
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {operandMap(lhsBatch, mDim, kDim),
                                 operandMap(rhsBatch, kDim, nDim),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{lhs, rhs},
             ValueRange{zeroFilled(b, loc, resultType)}, maps, iterators,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   multiplyAccumulate(nb, nl, args[0], args[1], args[2]));
             })
      .getResult(0);
}

/// Carries `whittle.seq_rows` (rows that are sequence positions of a length
/// variant; whittle-build-length-variants) from a matmul to the contraction
/// that computes `result`, seen through the reshapes around it.
void markSequenceRows(Operation *op, Value result) {
  if (!op->hasAttr("whittle.seq_rows"))
    return;
  if (auto expand = result.getDefiningOp<tensor::ExpandShapeOp>())
    result = expand.getSrc();
  if (auto contraction = result.getDefiningOp<linalg::LinalgOp>())
    contraction->setAttr("whittle.seq_rows", op->getAttr("whittle.seq_rows"));
}

/// Numpy matmul: 1-D operands are promoted to matrices (and the added dim
/// removed from the result), batch dims broadcast.
struct MatMulOpLowering : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    auto lhsType = op.getLhs().getType(), rhsType = op.getRhs().getType();
    auto resultType = op.getResult().getType();
    bool lhsVector = lhsType.getRank() == 1, rhsVector = rhsType.getRank() == 1;
    if (lhsVector) {
      lhsType = withShape(lhsType, {1, lhsType.getDimSize(0)});
      lhs = tensor::ExpandShapeOp::create(rewriter, loc, lhsType, lhs,
                                          {ReassociationIndices{0, 1}});
    }
    if (rhsVector) {
      rhsType = withShape(rhsType, {rhsType.getDimSize(0), 1});
      rhs = tensor::ExpandShapeOp::create(rewriter, loc, rhsType, rhs,
                                          {ReassociationIndices{0, 1}});
    }
    // Result shape with the promoted unit dims still present.
    SmallVector<int64_t> shape(resultType.getShape());
    SmallVector<int64_t> unitDims;
    if (lhsVector) {
      shape.insert(shape.end() - (rhsVector ? 0 : 1), 1);
    }
    if (rhsVector)
      shape.push_back(1);
    int64_t rank = shape.size();
    if (lhsVector)
      unitDims.push_back(rank - 2);
    if (rhsVector)
      unitDims.push_back(rank - 1);
    auto fullType = withShape(resultType, shape);
    Value result = buildBatchedMatmul(rewriter, loc, lhs, rhs, fullType);
    markSequenceRows(op, result);
    if (!unitDims.empty())
      result =
          tensor::CollapseShapeOp::create(rewriter, loc, resultType, result,
                                          unitDimReassociation(rank, unitDims));
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// alpha * op(A) * op(B) + beta * C. Transposes are folded into the
/// indexing maps of linalg.matmul; with alpha == 1 the product accumulates
/// straight into beta * C.
struct GemmOpLowering : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = op.getResult().getType();
    Type elementType = resultType.getElementType();
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool fp = isa<FloatType>(elementType);
    auto mul = [&](OpBuilder &b, Location l, Value x, Value y) -> Value {
      if (fp)
        return arith::MulFOp::create(b, l, x, y);
      return arith::MulIOp::create(b, l, x, y);
    };
    auto add = [&](OpBuilder &b, Location l, Value x, Value y) -> Value {
      if (fp)
        return arith::AddFOp::create(b, l, x, y);
      return arith::AddIOp::create(b, l, x, y);
    };

    Value c = op.getC();
    if (c && beta == 0.0)
      c = nullptr;
    // beta * C broadcast to the result (or zeros).
    Value init;
    if (c && alpha == 1.0) {
      init = buildElementwise(
          rewriter, loc, resultType, c,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            if (beta == 1.0)
              return args[0];
            return mul(b, l, args[0], scalarConstant(b, l, elementType, beta));
          });
    } else {
      init = zeroFilled(rewriter, loc, resultType);
    }

    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto map = [&](AffineExpr r, AffineExpr c) {
      return AffineMap::get(3, 0, {r, c}, ctx);
    };
    SmallVector<AffineMap> maps = {op.getTransA() ? map(k, m) : map(m, k),
                                   op.getTransB() ? map(n, k) : map(k, n),
                                   map(m, n)};
    SmallVector<NamedAttribute> attrs;
    if (op.getTransA() || op.getTransB())
      attrs.push_back(rewriter.getNamedAttr(
          "indexing_maps", rewriter.getAffineMapArrayAttr(maps)));
    Value product =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{resultType},
                                 ValueRange{op.getA(), op.getB()},
                                 ValueRange{init}, attrs)
            .getResult(0);
    markSequenceRows(op, product);

    if (alpha != 1.0) {
      SmallVector<Value> inputs = {product};
      if (c)
        inputs.push_back(c);
      product = buildElementwise(
          rewriter, loc, resultType, inputs,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value r =
                mul(b, l, args[0], scalarConstant(b, l, elementType, alpha));
            if (args.size() == 1)
              return r;
            Value bc = beta == 1.0
                           ? args[1]
                           : mul(b, l, args[1],
                                 scalarConstant(b, l, elementType, beta));
            return add(b, l, r, bc);
          });
    }
    rewriter.replaceOp(op, product);
    return success();
  }
};

/// 2-D NCHW convolution: explicit zero padding with tensor.pad, then
/// linalg.conv_2d_nchw_fchw (or conv_2d_ngchw_gfchw for groups) accumulating
/// into the broadcast bias.
struct ConvOpLowering : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStaticShapes(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto inputType = op.getInput().getType();
    auto weightType = op.getWeight().getType();
    auto resultType = op.getResult().getType();
    Type elementType = resultType.getElementType();
    ArrayRef<int64_t> pads = op.getPads();
    int64_t group = op.getGroup();

    Value input = op.getInput();
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      SmallVector<int64_t> paddedShape(inputType.getShape());
      paddedShape[2] += pads[0] + pads[2];
      paddedShape[3] += pads[1] + pads[3];
      SmallVector<OpFoldResult> low = {
          rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
          rewriter.getIndexAttr(pads[0]), rewriter.getIndexAttr(pads[1])};
      SmallVector<OpFoldResult> high = {
          rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
          rewriter.getIndexAttr(pads[2]), rewriter.getIndexAttr(pads[3])};
      inputType = withShape(inputType, paddedShape);
      input = tensor::PadOp::create(
          rewriter, loc, inputType, input, low, high,
          scalarConstant(rewriter, loc, elementType, 0.0));
    }

    Value init;
    if (Value bias = op.getBias()) {
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {
          AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx),
          rewriter.getMultiDimIdentityMap(4)};
      SmallVector<utils::IteratorType> iterators(4,
                                                 utils::IteratorType::parallel);
      init = linalg::GenericOp::create(
                 rewriter, loc, TypeRange{resultType}, ValueRange{bias},
                 ValueRange{emptyTensor(rewriter, loc, resultType)}, maps,
                 iterators,
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = zeroFilled(rewriter, loc, resultType);
    }

    auto vec2 = [&](ArrayRef<int64_t> values) {
      return DenseIntElementsAttr::get(
          RankedTensorType::get({2}, rewriter.getI64Type()), values);
    };
    Attribute strides = vec2(op.getStrides());
    Attribute dilations = vec2(op.getDilations());

    if (group == 1) {
      Value result =
          linalg::Conv2DNchwFchwOp::create(rewriter, loc, TypeRange{resultType},
                                           ValueRange{input, op.getWeight()},
                                           ValueRange{init}, strides, dilations)
              .getResult(0);
      rewriter.replaceOp(op, result);
      return success();
    }

    // Grouped: split the channel dims into (group, channels per group).
    ArrayRef<int64_t> in = inputType.getShape();
    ArrayRef<int64_t> w = weightType.getShape();
    ArrayRef<int64_t> out = resultType.getShape();
    SmallVector<ReassociationIndices> splitDim1 = {{0}, {1, 2}, {3}, {4}};
    SmallVector<ReassociationIndices> splitDim0 = {{0, 1}, {2}, {3}, {4}};
    auto groupedInputType =
        withShape(inputType, {in[0], group, in[1] / group, in[2], in[3]});
    auto groupedWeightType =
        withShape(weightType, {group, w[0] / group, w[1], w[2], w[3]});
    auto groupedResultType =
        withShape(resultType, {out[0], group, out[1] / group, out[2], out[3]});
    Value groupedInput = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedInputType, input, splitDim1);
    Value groupedWeight = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedWeightType, op.getWeight(), splitDim0);
    Value groupedInit = tensor::ExpandShapeOp::create(
        rewriter, loc, groupedResultType, init, splitDim1);
    Value result = linalg::Conv2DNgchwGfchwOp::create(
                       rewriter, loc, TypeRange{groupedResultType},
                       ValueRange{groupedInput, groupedWeight},
                       ValueRange{groupedInit}, strides, dilations)
                       .getResult(0);
    result = tensor::CollapseShapeOp::create(rewriter, loc, resultType, result,
                                             splitDim1);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void whittle::populateMatmulToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulOpLowering, GemmOpLowering, ConvOpLowering>(
      patterns.getContext());
}
