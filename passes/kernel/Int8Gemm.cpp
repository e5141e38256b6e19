//===- Int8Gemm.cpp - The u8 x s8 -> i32 GEMM kernel of tile-kernels ------===//

#include "Int8Gemm.h"

#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace whittle::int8gemm;

namespace {

/// The bytes of an arith.constant holding a non-splat 8-bit tensor.
std::optional<ArrayRef<char>> constantBytes(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  return cst ? whittle::int8ConstantBytes(cst.getValue()) : std::nullopt;
}

/// `v` is an extension (of kind ExtOp) of block argument `index`.
template <typename ExtOp> bool isExtendedArgument(Value v, unsigned index) {
  auto ext = v.getDefiningOp<ExtOp>();
  auto arg = ext ? dyn_cast<BlockArgument>(ext.getIn()) : BlockArgument();
  return arg && arg.getArgNumber() == index;
}

} // namespace

bool whittle::int8gemm::isU8S8Contraction(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3 || !op.hasPureTensorSemantics())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    unsigned width = op.isDpsInit(&operand) ? 32 : 8;
    if (!type || !type.hasStaticShape() ||
        !type.getElementType().isInteger(width))
      return false;
  }
  MLIRContext *ctx = op->getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> expected = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                     AffineMap::get(3, 0, {d(2), d(1)}, ctx),
                                     AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return false;
  // acc + zext(a) * sext(b), in either operand order.
  Block *body = generic.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add || std::distance(body->begin(), body->end()) != 5)
    return false;
  Value acc = body->getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulIOp>() : nullptr;
  if (!mul)
    return false;
  Value x = mul.getLhs(), y = mul.getRhs();
  return (isExtendedArgument<arith::ExtUIOp>(x, 0) &&
          isExtendedArgument<arith::ExtSIOp>(y, 1)) ||
         (isExtendedArgument<arith::ExtUIOp>(y, 0) &&
          isExtendedArgument<arith::ExtSIOp>(x, 1));
}

FailureOr<linalg::GenericOp> whittle::int8gemm::packWeights(
    RewriterBase &rewriter, linalg::LinalgOp op, int64_t nr, int64_t padTo,
    int64_t lanes, DotProduct &dot, uint64_t &bytesPacked,
    SmallVectorImpl<linalg::LinalgOp> &elementwise, PackedWeightCache &cache) {
  Value a = op.getDpsInputOperand(0)->get();
  Value b = op.getDpsInputOperand(1)->get();
  Value init = op.getDpsInitOperand(0)->get();
  auto bType = cast<RankedTensorType>(b.getType());
  int64_t m = cast<RankedTensorType>(a.getType()).getDimSize(0);
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
  std::optional<ArrayRef<char>> data = constantBytes(b);
  if (!data || k % 4 != 0)
    return failure();
  // vpmaddubsw adds a0·w0 + a1·w1 (K pairs 4q, 4q+1 and 4q+2, 4q+3) in
  // saturating i16: with a in [0, 255] that is exact when |w0| + |w1| <= 128.
  if (dot == DotProduct::Pmaddubsw)
    for (int64_t q = 0; q < k && dot == DotProduct::Pmaddubsw; q += 2)
      for (int64_t j = 0; j < n; ++j)
        if (std::abs(int(int8_t((*data)[q * n + j]))) +
                std::abs(int(int8_t((*data)[(q + 1) * n + j]))) >
            128) {
          dot = DotProduct::Pmaddwd;
          break;
        }
  int64_t paddedN = llvm::divideCeil(n, padTo) * padTo;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (paddedN != n && !fill)
    return failure();

  MLIRContext *ctx = op->getContext();
  Location loc = op.getLoc();
  int64_t nb = paddedN / nr, k4 = k / 4;
  Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
  // Each (panel, K group) row of nr x 4 bytes is one contiguous vector
  // read; as a 4-D [nb, k4, nr, 4] tensor it would be read 4 bytes at a time.
  auto packedType = RankedTensorType::get({nb, k4, nr * 4}, i8);
  auto pack = [&]() -> Attribute {
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(packedType.getNumElements(), 64);
    MutableArrayRef<char> out = blob.getMutableData();
    // Byte j of column i within its row of nr * 4 bytes.
    auto position = [&](int64_t i, int64_t j) {
      if (dot != DotProduct::Pmaddwd)
        return i * 4 + j;
      int64_t group = i / lanes, lane = i % lanes;
      return group * lanes * 4 + (j / 2) * lanes * 2 + lane * 2 + j % 2;
    };
    for (int64_t p = 0; p < nb; ++p)
      for (int64_t q = 0; q < k4; ++q)
        for (int64_t i = 0; i < nr; ++i) {
          int64_t col = p * nr + i;
          for (int64_t j = 0; j < 4; ++j)
            out[(p * k4 + q) * nr * 4 + position(i, j)] =
                col < n ? (*data)[(q * 4 + j) * n + col] : 0;
        }
    bytesPacked += out.size();
    return DenseResourceElementsAttr::get(packedType, "whittle_packed",
                                          std::move(blob));
  };
  Attribute source;
  if (!matchPattern(b, m_Constant(&source)))
    return failure();
  int64_t layout = ((nr * 1000003 + padTo) * 64 + lanes) * 8 + int64_t(dot);
  Attribute packedAttr = cache.getOrPack(source, layout, pack);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(b.getDefiningOp());
  Value packed =
      arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(packedAttr));

  rewriter.setInsertionPoint(op);
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // The s16 kernel reads A already widened (one pass over M x K) so that
  // each pair of a row reaches its lanes by a single broadcast load.
  Type aElement = dot == DotProduct::Pmaddwd ? rewriter.getI16Type() : i8;
  if (dot == DotProduct::Pmaddwd) {
    auto wideType = RankedTensorType::get({m, k}, aElement);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto widen = linalg::GenericOp::create(
        rewriter, loc, TypeRange{wideType}, ValueRange{a},
        ValueRange{tensor::EmptyOp::create(rewriter, loc, wideType.getShape(),
                                           aElement)},
        ArrayRef<AffineMap>{identity, identity},
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location l, ValueRange args) {
          linalg::YieldOp::create(
              bb, l,
              ValueRange{arith::ExtUIOp::create(bb, l, aElement, args[0])});
        });
    elementwise.push_back(cast<linalg::LinalgOp>(widen.getOperation()));
    a = widen.getResult(0);
  }
  auto a3Type = RankedTensorType::get({m, k4, 4}, aElement);
  Value a3 = tensor::ExpandShapeOp::create(
      rewriter, loc, a3Type, a, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  auto c3Type = RankedTensorType::get({m, nb, nr}, i32);
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}};
  Value c3;
  if (fill) {
    Value empty =
        paddedN == n
            ? tensor::ExpandShapeOp::create(rewriter, loc, c3Type,
                                            fill.getOutputs()[0], reassoc)
                  .getResult()
            : tensor::EmptyOp::create(rewriter, loc, c3Type.getShape(), i32)
                  .getResult();
    c3 = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty)
             .getResult(0);
  } else {
    c3 = tensor::ExpandShapeOp::create(rewriter, loc, c3Type, init, reassoc);
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {d(0), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(1), d(2), d(3) * 4 + d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::reduction, utils::IteratorType::parallel,
      utils::IteratorType::reduction};
  auto generic = linalg::GenericOp::create(rewriter, loc, TypeRange{c3Type},
                                           ValueRange{a3, packed},
                                           ValueRange{c3}, maps, iterators);
  rewriter.cloneRegionBefore(op->getRegion(0), generic.getRegion(),
                             generic.getRegion().begin());
  // The body's zext(a) (isU8S8Contraction) of the widened A is still the u8
  // value.
  generic.getBody()->getArgument(0).setType(aElement);
  Value result = tensor::CollapseShapeOp::create(
      rewriter, loc, RankedTensorType::get({m, paddedN}, i32),
      generic.getResult(0), reassoc);
  if (paddedN != n)
    result = tensor::ExtractSliceOp::create(
        rewriter, loc, cast<RankedTensorType>(init.getType()), result,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                               rewriter.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(m),
                               rewriter.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                               rewriter.getIndexAttr(1)});
  if (dot == DotProduct::Sdot) {
    // Σ a·b = Σ (a − 128)·b + 128·colsum(b), the first term sdot's.
    SmallVector<int32_t> offsets(n, 0);
    for (int64_t q = 0; q < k; ++q)
      for (int64_t j = 0; j < n; ++j)
        offsets[j] += 128 * int32_t(int8_t((*data)[q * n + j]));
    Value offset = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({n}, i32),
                               ArrayRef<int32_t>(offsets)));
    auto resultType = cast<RankedTensorType>(result.getType());
    auto add = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{result, offset},
        ValueRange{
            tensor::EmptyOp::create(rewriter, loc, resultType.getShape(), i32)},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, {d(0), d(1)}, ctx),
                            AffineMap::get(2, 0, {d(1)}, ctx),
                            AffineMap::get(2, 0, {d(0), d(1)}, ctx)},
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location l, ValueRange args) {
          linalg::YieldOp::create(
              bb, l,
              ValueRange{arith::AddIOp::create(bb, l, args[0], args[1])});
        });
    elementwise.push_back(cast<linalg::LinalgOp>(add.getOperation()));
    result = add.getResult(0);
  }
  rewriter.replaceOp(op, result);
  if (b.use_empty())
    rewriter.eraseOp(b.getDefiningOp());
  return generic;
}

Value whittle::int8gemm::emitRegisterTile(OpBuilder &b, Location loc, Value a,
                                          Value bPanel, Value acc,
                                          int64_t lanes, DotProduct dot) {
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t mr = accType.getDimSize(0), nr = accType.getDimSize(2);
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  auto read = [&](Value source, VectorType type, Attribute padding) {
    SmallVector<Value> indices(type.getRank(), zero);
    SmallVector<bool> inBounds(type.getRank(), true);
    Value pad = arith::ConstantOp::create(b, loc, cast<TypedAttr>(padding));
    return vector::TransferReadOp::create(b, loc, type, source, indices, pad,
                                          inBounds)
        .getResult();
  };
  Type aElement = cast<RankedTensorType>(a.getType()).getElementType();
  Value aVec =
      vector::ShapeCastOp::create(b, loc, VectorType::get({mr, 4}, aElement),
                                  read(a, VectorType::get({mr, 1, 4}, aElement),
                                       b.getIntegerAttr(aElement, 0)));
  Value bVec =
      read(bPanel, VectorType::get({1, 1, nr * 4}, i8), b.getI8IntegerAttr(0));
  Value cVec = vector::ShapeCastOp::create(
      b, loc, VectorType::get({mr, nr}, i32),
      read(acc, VectorType::get({mr, 1, nr}, i32), b.getI32IntegerAttr(0)));

  if (dot == DotProduct::None) {
    MLIRContext *ctx = b.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    Value lhs =
        arith::ExtUIOp::create(b, loc, VectorType::get({mr, 4}, i32), aVec);
    Value rhs =
        arith::ExtSIOp::create(b, loc, VectorType::get({nr, 4}, i32),
                               vector::ShapeCastOp::create(
                                   b, loc, VectorType::get({nr, 4}, i8), bVec));
    cVec = vector::ContractionOp::create(
        b, loc, lhs, rhs, cVec,
        b.getAffineMapArrayAttr({AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(0), d(1)}, ctx)}),
        b.getArrayAttr(
            {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
             vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
             vector::IteratorTypeAttr::get(ctx,
                                           vector::IteratorType::reduction)}));
  } else {
    // Four bytes of a row of A broadcast as one i32 to every lane; each
    // i32 lane of a B vector holds the four bytes of one column. (LLVM's
    // vpdpbusd takes the byte operands as vectors of i8.)
    auto wordType = VectorType::get({lanes}, i32);
    Value bBytes = vector::ShapeCastOp::create(
        b, loc, VectorType::get({nr * 4}, i8), bVec);
    auto bytesType = VectorType::get({lanes * 4}, i8);
    SmallVector<Value> bGroups;
    for (int64_t g = 0; g < nr / lanes; ++g)
      bGroups.push_back(vector::ExtractStridedSliceOp::create(
          b, loc, bBytes, {g * lanes * 4}, {lanes * 4}, {1}));
    Type i16 = b.getI16Type();
    auto pairsType = VectorType::get({lanes * 2}, i16);
    Value ones = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(pairsType, b.getI16IntegerAttr(1)));
    StringAttr intrinsic = b.getStringAttr(
        dot == DotProduct::Pmaddubsw ? "llvm.x86.avx2.pmadd.ub.sw"
        : dot == DotProduct::Sdot
            ? "llvm.aarch64.neon.sdot.v" + std::to_string(lanes) + "i32.v" +
                  std::to_string(lanes * 4) + "i8"
            : "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32));
    // vpmaddwd's s16 operands: the K pairs (0, 1) and (2, 3) of each group.
    SmallVector<std::array<Value, 2>> bPairs;
    if (dot == DotProduct::Pmaddwd)
      for (Value group : bGroups) {
        std::array<Value, 2> halves;
        for (int64_t h = 0; h < 2; ++h)
          halves[h] = arith::ExtSIOp::create(
              b, loc, pairsType,
              vector::ExtractStridedSliceOp::create(
                  b, loc, group, {h * lanes * 2}, {lanes * 2}, {1}));
        bPairs.push_back(halves);
      }
    auto madd = [&](Value x, Value y) {
      return LLVM::CallIntrinsicOp::create(
                 b, loc, wordType, b.getStringAttr("llvm.x86.avx2.pmadd.wd"),
                 ValueRange{x, y})
          .getResult(0);
    };
    for (int64_t row = 0; row < mr; ++row) {
      // What the row contributes to every lane: its four bytes as one i32,
      // or (Pmaddwd) its (0, 1) and (2, 3) s16 pairs, each read on its own
      // so that it becomes one broadcast load.
      SmallVector<Value, 2> broadcasts;
      if (dot == DotProduct::Pmaddwd) {
        for (int64_t h = 0; h < 2; ++h) {
          Value pair = vector::TransferReadOp::create(
              b, loc, VectorType::get({2}, aElement), a,
              ValueRange{arith::ConstantIndexOp::create(b, loc, row), zero,
                         arith::ConstantIndexOp::create(b, loc, 2 * h)},
              arith::ConstantOp::create(b, loc, b.getIntegerAttr(aElement, 0)),
              ArrayRef<bool>{true});
          Value word = vector::ExtractOp::create(
              b, loc,
              vector::BitCastOp::create(b, loc, VectorType::get({1}, i32),
                                        pair),
              0);
          broadcasts.push_back(vector::BitCastOp::create(
              b, loc, pairsType,
              vector::BroadcastOp::create(b, loc, wordType, word)));
        }
      } else {
        Value word = vector::BitCastOp::create(
            b, loc, VectorType::get({1}, i32),
            vector::ExtractOp::create(b, loc, aVec, row));
        Value scalar = vector::ExtractOp::create(b, loc, word, 0);
        if (dot == DotProduct::Sdot) // a − 128 as s8: flip each byte's top bit
          scalar = arith::XOrIOp::create(
              b, loc, scalar,
              arith::ConstantOp::create(
                  b, loc, b.getI32IntegerAttr(int32_t(0x80808080))));
        broadcasts.push_back(vector::BitCastOp::create(
            b, loc, bytesType,
            vector::BroadcastOp::create(b, loc, wordType, scalar)));
      }
      Value accRow = vector::ExtractOp::create(b, loc, cVec, row);
      for (int64_t g = 0; g < nr / lanes; ++g) {
        Value part = vector::ExtractStridedSliceOp::create(
            b, loc, accRow, {g * lanes}, {lanes}, {1});
        if (dot == DotProduct::Pmaddwd) {
          for (int64_t h = 0; h < 2; ++h)
            part = arith::AddIOp::create(b, loc, part,
                                         madd(broadcasts[h], bPairs[g][h]));
        } else if (dot == DotProduct::Pmaddubsw) {
          // u8 x s8 pairs into i16 (exact for these weights), the i16 pairs
          // summed into i32 by vpmaddwd with ones.
          Value pairs = LLVM::CallIntrinsicOp::create(
                            b, loc, pairsType, intrinsic,
                            ValueRange{broadcasts[0], bGroups[g]})
                            .getResult(0);
          part = arith::AddIOp::create(b, loc, part, madd(pairs, ones));
        } else {
          part = LLVM::CallIntrinsicOp::create(
                     b, loc, wordType, intrinsic,
                     ValueRange{part, broadcasts[0], bGroups[g]})
                     .getResult(0);
        }
        accRow = vector::InsertStridedSliceOp::create(b, loc, part, accRow,
                                                      {g * lanes}, {1});
      }
      cVec = vector::InsertOp::create(b, loc, accRow, cVec, row);
    }
  }
  Value cOut = vector::ShapeCastOp::create(
      b, loc, VectorType::get({mr, 1, nr}, i32), cVec);
  SmallVector<Value> indices(3, zero);
  return vector::TransferWriteOp::create(b, loc, cOut, acc, indices,
                                         ArrayRef<bool>{true, true, true})
      .getResult();
}
