//===- TileAttention.cpp - whittle.attention as a streaming kernel --------===//
//
// Lowers whittle.attention (f32, static shapes) to a flash-style loop nest on
// tensors that never materializes the scores:
//
//   forall (batch, head, query chunk)           -- one executor task each
//     for query block of `block-q` rows         -- rows past the chunk clamp
//       for key block of `block-k` keys < limit -- causal: stops at diagonal
//         S = Q_blk K^T_blk     (broadcast-FMA over D, keys along lanes)
//         online softmax: running max m, sum l, rescale of the accumulator
//         acc += P V_blk        (broadcast-FMA over keys, Dv along lanes)
//       O = acc / l
//
// Everything a block needs lives in vector SSA values (registers), so the
// tasks need no scratch memory. K is packed once into key-block panels
// [B, Hkv, Tk/Bk, D, Bk] (composed with the transpose that usually produced
// it) so that both contractions read their vector operand with unit stride
// (a decode step's key cache, kept as [B, Hkv, D, S], is read in place);
// Q and V are read through the transposes that produced them, and a result
// that is only transposed back to [B, T, H, Dv] is written in that layout.
// Rows of a partial query block are clamped to the chunk's last row: they
// recompute and rewrite that row with identical values instead of needing a
// masked tail. Scores are kept in base-2 units and exponentiated by a
// polynomial 2^x (cheaper than exp, and exact to f32 rounding). A row whose
// running max is still -inf uses 0 as its offset, so that fully masked leading
// blocks do not poison the sums with NaN; keys hidden by causality or the
// sequence end weigh exactly 0, so a row with no visible key ends as
// 0/0 = NaN, like the reference softmax over -inf. (A key hidden by an
// additive -inf mask weighs at most 2^-125 of its row's largest weight.)
//
// This runs before tile-kernels, so the transpose it creates is tiled and
// vectorized like any other.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/RegionUtils.h"

#include <limits>

namespace whittle {
#define GEN_PASS_DEF_WHITTLETILEATTENTION
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Block sizes of one attention kernel.
struct AttentionTiles {
  int64_t blockQ;    // query rows per register block
  int64_t blockK;    // keys per score vector
  int64_t chunkRows; // query rows per task (a multiple of blockQ)
};

bool isStaticF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// Attentions this kernel handles: f32 with static shapes.
bool isStreamable(whittle::AttentionOp op) {
  return isStaticF32(op.getQuery()) && isStaticF32(op.getKey()) &&
         isStaticF32(op.getValue()) && isStaticF32(op.getResult()) &&
         (!op.getMask() || isStaticF32(op.getMask())) &&
         (!op.getPosition() || op.getPosition().getType().hasStaticShape());
}

/// K [B, H, Tk, D] packed into key blocks [B, H, Tk/Bk, D, Bk] (zero
/// padded to whole blocks), so that the block a score step reads is one
/// contiguous D x Bk panel instead of D rows Tk apart (which alias in the
/// cache at long sequences). When K is itself a transpose, the two compose
/// into one, so a [B, T, H, D] key is read once.
Value packKeys(ImplicitLocOpBuilder &b, Value key, int64_t blockK) {
  SmallVector<int64_t> perm = {0, 1, 2, 3};
  Value source = key;
  if (auto producer = key.getDefiningOp<linalg::TransposeOp>()) {
    perm.assign(producer.getPermutation().begin(),
                producer.getPermutation().end());
    source = producer.getInput();
  }
  auto srcType = cast<RankedTensorType>(source.getType());
  Type elt = srcType.getElementType();
  int64_t seqDim = perm[2];
  int64_t tk = srcType.getDimSize(seqDim);
  int64_t blocks = llvm::divideCeil(tk, blockK);
  if (blocks * blockK != tk) {
    SmallVector<int64_t> padded(srcType.getShape());
    padded[seqDim] = blocks * blockK;
    Value zero = arith::ConstantOp::create(b, b.getZeroAttr(elt));
    source = tensor::createPadHighOp(RankedTensorType::get(padded, elt), source,
                                     zero, /*nofold=*/false, b.getLoc(), b);
  }
  // Split the sequence dim of the source into (block, key in block).
  SmallVector<int64_t> expanded;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i < srcType.getRank(); ++i) {
    int64_t first = expanded.size();
    if (i == seqDim) {
      expanded.append({blocks, blockK});
      reassociation.push_back({first, first + 1});
    } else {
      expanded.push_back(srcType.getDimSize(i));
      reassociation.push_back({first});
    }
  }
  Value split = tensor::ExpandShapeOp::create(
      b, RankedTensorType::get(expanded, elt), source, reassociation);
  auto at = [&](int64_t dim) { return dim < seqDim ? dim : dim + 1; };
  SmallVector<int64_t> packedPerm = {at(perm[0]), at(perm[1]), seqDim,
                                     at(perm[3]), seqDim + 1};
  SmallVector<int64_t> shape;
  for (int64_t p : packedPerm)
    shape.push_back(expanded[p]);
  Value empty = tensor::EmptyOp::create(b, shape, elt).getResult();
  return linalg::TransposeOp::create(b, split, empty, packedPerm)
      .getResult()[0];
}

/// A [B, H, T, D] operand read where it was produced: through the transpose
/// that made it, when there is one that keeps D innermost, so that the
/// transposed copy is never needed (the kernel reads rows along D only).
struct TransposedView {
  Value source;
  SmallVector<int64_t> perm = {0, 1, 2, 3};

  explicit TransposedView(Value v) : source(v) {
    auto producer = v.getDefiningOp<linalg::TransposeOp>();
    if (producer && producer.getPermutation().back() == 3) {
      source = producer.getInput();
      perm.assign(producer.getPermutation().begin(),
                  producer.getPermutation().end());
    }
  }

  /// Source indices of the element at `logical` [b, h, t, d].
  SmallVector<Value> indices(ArrayRef<Value> logical) const {
    SmallVector<Value> result(4);
    for (int64_t i = 0; i < 4; ++i)
      result[perm[i]] = logical[i];
    return result;
  }
};

class StreamingAttentionBuilder {
public:
  StreamingAttentionBuilder(ImplicitLocOpBuilder &b, whittle::AttentionOp op,
                            const AttentionTiles &tiles)
      : b(b), op(op), tiles(tiles) {
    auto qType = op.getQuery().getType();
    auto kType = op.getKey().getType();
    auto vType = op.getValue().getType();
    batch = qType.getDimSize(0);
    heads = qType.getDimSize(1);
    tq = qType.getDimSize(2);
    headDim = qType.getDimSize(3);
    kvHeads = kType.getDimSize(1);
    tk = kType.getDimSize(2);
    valueDim = vType.getDimSize(3);
    f32 = b.getF32Type();
    scoreType = VectorType::get({tiles.blockK}, f32);
    rowType = VectorType::get({valueDim}, f32);
  }

  Value build() {
    query = TransposedView(op.getQuery());
    value = TransposedView(op.getValue());
    mask = op.getMask();
    if (Value p = op.getPosition())
      position = arith::IndexCastOp::create(
          b, b.getIndexType(), tensor::ExtractOp::create(b, p, idx(0)));
    // A key cache kept as [B, Hkv, D, S] (a decode step's) is read in place:
    // its D rows are already keys along the lanes, and packing it would
    // copy the whole cache at every step.
    auto keyTranspose = op.getKey().getDefiningOp<linalg::TransposeOp>();
    if (op.getPosition() && keyTranspose &&
        keyTranspose.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2} &&
        tk % tiles.blockK == 0) {
      keysT = keyTranspose.getInput();
      keysInPlace = true;
    } else {
      keysT = packKeys(b, op.getKey(), tiles.blockK);
    }
    // A result consumed only by a transpose that keeps Dv innermost (back
    // to [B, T, H, Dv], as every model does) is written in that layout.
    if (op.getResult().hasOneUse())
      if (auto consumer =
              dyn_cast<linalg::TransposeOp>(*op.getResult().user_begin());
          consumer && consumer.getInput() == op.getResult() &&
          consumer.getPermutation().back() == 3) {
        replacedTranspose = consumer;
        outPerm.assign(consumer.getPermutation().begin(),
                       consumer.getPermutation().end());
      }
    auto resultType = cast<RankedTensorType>(
        replacedTranspose ? replacedTranspose.getResult()[0].getType()
                          : op.getResult().getType());
    Value init =
        tensor::EmptyOp::create(b, resultType.getShape(), f32).getResult();
    int64_t chunks = llvm::divideCeil(tq, tiles.chunkRows);
    auto forall = scf::ForallOp::create(
        b,
        ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(heads),
                               b.getIndexAttr(chunks)},
        ValueRange{init}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    buildTask(forall);
    return forall.getResult(0);
  }

  /// The transpose of the result that the kernel's output replaces, if any.
  linalg::TransposeOp replacedTranspose;

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Const(double v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  Value splat(Value scalar, VectorType type) {
    return vector::BroadcastOp::create(b, type, scalar);
  }
  Value minIndex(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  /// A constant of `type` (f32 or a vector of f32) with every element `v`.
  Value floatLike(Type type, double v) {
    Value c = f32Const(v);
    if (auto vec = dyn_cast<VectorType>(type))
      return splat(c, vec);
    return c;
  }

  /// 2^x for x <= 0 (or -inf), elementwise on f32 or a vector of f32:
  /// x = n + r with n integral and |r| <= 1/2, 2^r from a degree-5
  /// polynomial (relative error 8e-8, below f32 rounding), 2^n added to
  /// the exponent bits. x is clamped to -125, where 2^x ~ 2e-38 is still a
  /// normal number: a hidden key weighs at most 2^-125 of the row's largest.
  Value exp2NonPositive(Value x) {
    Type type = x.getType();
    Type intType = b.getI32Type();
    if (auto vec = dyn_cast<VectorType>(type))
      intType = VectorType::get(vec.getShape(), intType);
    x = arith::MaxNumFOp::create(b, x, floatLike(type, -125.0));
    Value n = math::RoundEvenOp::create(b, x);
    Value r = arith::SubFOp::create(b, x, n);
    static constexpr double coefficients[] = {
        1.0000001192092896,  0.6931469440460205,   0.24022121727466583,
        0.05550742521882057, 0.009675459936261177, 0.0013266970636323094};
    Value poly = floatLike(type, coefficients[5]);
    for (int i = 4; i >= 0; --i)
      poly = math::FmaOp::create(b, poly, r, floatLike(type, coefficients[i]));
    Value shift = arith::ConstantOp::create(b, b.getI32IntegerAttr(23));
    if (auto vec = dyn_cast<VectorType>(intType))
      shift = splat(shift, vec);
    Value exponent =
        arith::ShLIOp::create(b, arith::FPToSIOp::create(b, intType, n), shift);
    Value bits = arith::BitcastOp::create(b, intType, poly);
    return arith::BitcastOp::create(b, type,
                                    arith::AddIOp::create(b, bits, exponent));
  }

  /// One task: the rows [c0, c0 + rows) of one (batch, head).
  void buildTask(scf::ForallOp forall) {
    SmallVector<Value> ivs = forall.getInductionVars();
    batchIv = ivs[0];
    headIv = ivs[1];
    kvHeadIv = arith::DivUIOp::create(b, headIv, idx(heads / kvHeads));
    Value c0 = arith::MulIOp::create(b, ivs[2], idx(tiles.chunkRows));
    Value rows =
        minIndex(idx(tiles.chunkRows), arith::SubIOp::create(b, idx(tq), c0));
    Value out = forall.getRegionIterArgs()[0];
    auto tileType =
        RankedTensorType::get({ShapedType::kDynamic, valueDim}, f32);
    SmallVector<OpFoldResult> logicalOffsets = {batchIv, headIv, c0,
                                                b.getIndexAttr(0)};
    SmallVector<OpFoldResult> logicalSizes = {
        b.getIndexAttr(1), b.getIndexAttr(1), rows, b.getIndexAttr(valueDim)};
    SmallVector<OpFoldResult> offsets, sizes;
    for (int64_t p : outPerm) {
      offsets.push_back(logicalOffsets[p]);
      sizes.push_back(logicalSizes[p]);
    }
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    Value tile = tensor::ExtractSliceOp::create(b, tileType, out, offsets,
                                                sizes, strides);
    Value lastRow = arith::SubIOp::create(b, rows, idx(1));
    auto blocks = scf::ForOp::create(
        b, idx(0), rows, idx(tiles.blockQ), ValueRange{tile},
        [&](OpBuilder &nested, Location loc, Value q0, ValueRange args) {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          Value t = buildQueryBlock(c0, q0, lastRow, args[0]);
          scf::YieldOp::create(b, t);
        });
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, blocks.getResult(0), out, offsets,
                                          sizes, strides);
  }

  /// Rows c0 + min(q0 + i, lastRow) for i < blockQ, written into `tile`.
  Value buildQueryBlock(Value c0, Value q0, Value lastRow, Value tile) {
    SmallVector<Value> localRows, globalRows;
    for (int64_t i = 0; i < tiles.blockQ; ++i) {
      Value r = minIndex(arith::AddIOp::create(b, q0, idx(i)), lastRow);
      localRows.push_back(r);
      globalRows.push_back(arith::AddIOp::create(b, c0, r));
    }
    // Query i sees keys j < limit_i: all of them, j <= i + (tk - tq), or
    // j <= position + i in a longer sequence.
    SmallVector<Value> limits;
    for (Value r : globalRows) {
      if (position)
        limits.push_back(minIndex(
            idx(tk), arith::AddIOp::create(
                         b, r, arith::AddIOp::create(b, position, idx(1)))));
      else
        limits.push_back(op.getCausal()
                             ? minIndex(idx(tk), arith::AddIOp::create(
                                                     b, r, idx(tk - tq + 1)))
                             : idx(tk));
    }
    Value keyBound = limits.back(); // the last row sees the most keys

    SmallVector<Value> inits;
    Value zeroRow = arith::ConstantOp::create(
        b, rowType, DenseElementsAttr::get(rowType, 0.0f));
    Value zeroScores = arith::ConstantOp::create(
        b, scoreType, DenseElementsAttr::get(scoreType, 0.0f));
    Value minusInf = f32Const(-std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < tiles.blockQ; ++i)
      inits.push_back(zeroRow); // accumulators
    for (int64_t i = 0; i < tiles.blockQ; ++i)
      inits.push_back(zeroScores); // lane-wise running sums
    for (int64_t i = 0; i < tiles.blockQ; ++i)
      inits.push_back(minusInf); // running maxima
    auto keyLoop = scf::ForOp::create(
        b, idx(0), keyBound, idx(tiles.blockK), inits,
        [&](OpBuilder &nested, Location loc, Value j0, ValueRange args) {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          SmallVector<Value> next =
              buildKeyBlock(globalRows, limits, j0, args, zeroScores);
          scf::YieldOp::create(b, next);
        });

    int64_t n = tiles.blockQ;
    for (int64_t i = 0; i < n; ++i) {
      Value acc = keyLoop.getResult(i);
      Value sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                              keyLoop.getResult(n + i));
      Value o = arith::DivFOp::create(b, acc, splat(sum, rowType));
      tile = vector::TransferWriteOp::create(b, o, tile,
                                             ValueRange{localRows[i], idx(0)},
                                             ArrayRef<bool>{true})
                 .getResult();
    }
    return tile;
  }

  /// One key block [j0, j0 + blockK): scores, online softmax, P V.
  SmallVector<Value> buildKeyBlock(ArrayRef<Value> rows, ArrayRef<Value> limits,
                                   Value j0, ValueRange state,
                                   Value zeroScores) {
    int64_t n = tiles.blockQ;
    bool keysInBounds = tk % tiles.blockK == 0;
    Value zero = f32Const(0.0);

    Value keyBlock = arith::DivUIOp::create(b, j0, idx(tiles.blockK));
    // S = Q K^T over the head dim: one K^T row (keys along the lanes) feeds
    // a broadcast FMA per query row.
    SmallVector<Value> scoreInits(n, zeroScores);
    auto dLoop = scf::ForOp::create(
        b, idx(0), idx(headDim), idx(1), scoreInits,
        [&](OpBuilder &nested, Location loc, Value d, ValueRange acc) {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          SmallVector<Value> at =
              keysInPlace
                  ? SmallVector<Value>{batchIv, kvHeadIv, d, j0}
                  : SmallVector<Value>{batchIv, kvHeadIv, keyBlock, d, idx(0)};
          Value kRow = vector::TransferReadOp::create(
              b, scoreType, keysT, at, zero, ArrayRef<bool>{true});
          SmallVector<Value> updated;
          for (int64_t i = 0; i < n; ++i) {
            Value qs = tensor::ExtractOp::create(
                b, query.source, query.indices({batchIv, headIv, rows[i], d}));
            updated.push_back(
                vector::FMAOp::create(b, splat(qs, scoreType), kRow, acc[i]));
          }
          scf::YieldOp::create(b, updated);
        });

    auto i32Vec = VectorType::get({tiles.blockK}, b.getI32Type());
    SmallVector<int32_t> laneIds;
    for (int64_t l = 0; l < tiles.blockK; ++l)
      laneIds.push_back(l);
    Value lanes = arith::ConstantOp::create(
        b, i32Vec, DenseElementsAttr::get(i32Vec, ArrayRef<int32_t>(laneIds)));
    auto toI32 = [&](Value v) {
      return arith::IndexCastOp::create(b, b.getI32Type(), v);
    };
    Value keyIds = arith::AddIOp::create(b, lanes, splat(toI32(j0), i32Vec));
    Value minusInf =
        splat(f32Const(-std::numeric_limits<float>::infinity()), scoreType);
    // Scores in base-2 units (scale * log2(e) folded into one multiply), so
    // that the exponentials are 2^x without a further scaling.
    constexpr double log2e = 1.4426950408889634;
    double scale = op.getScale().convertToDouble() * log2e;

    SmallVector<Value> acc, sums, maxima, probs;
    for (int64_t i = 0; i < n; ++i) {
      Value s = dLoop.getResult(i);
      if (mask)
        s = vector::FMAOp::create(
            b, maskRow(rows[i], j0), splat(f32Const(log2e), scoreType),
            arith::MulFOp::create(b, s, splat(f32Const(scale), scoreType)));
      else
        s = arith::MulFOp::create(b, s, splat(f32Const(scale), scoreType));
      Value visible =
          arith::CmpIOp::create(b, arith::CmpIPredicate::slt, keyIds,
                                splat(toI32(limits[i]), i32Vec));
      s = arith::SelectOp::create(b, visible, s, minusInf);
      Value oldMax = state[2 * n + i];
      // No NaN handling in the reduction: a NaN score reaches the output
      // through the sums anyway.
      Value blockMax = vector::ReductionOp::create(
          b, vector::CombiningKind::MAXNUMF, s, arith::FastMathFlags::nnan);
      Value newMax = arith::MaxNumFOp::create(b, oldMax, blockMax);
      Value noneYet = arith::CmpFOp::create(
          b, arith::CmpFPredicate::OEQ, newMax,
          f32Const(-std::numeric_limits<float>::infinity()));
      Value offset = arith::SelectOp::create(b, noneYet, zero, newMax);
      // Hidden keys weigh exactly 0, so that a row with no visible key
      // ends as 0/0 = NaN, as the reference softmax over -inf does.
      Value p = arith::SelectOp::create(b, visible,
                                        exp2NonPositive(arith::SubFOp::create(
                                            b, s, splat(offset, scoreType))),
                                        zeroScores);
      Value alpha = exp2NonPositive(arith::SubFOp::create(b, oldMax, offset));
      sums.push_back(
          vector::FMAOp::create(b, state[n + i], splat(alpha, scoreType), p));
      acc.push_back(arith::MulFOp::create(b, state[i], splat(alpha, rowType)));
      maxima.push_back(newMax);
      probs.push_back(p);
    }

    // acc += P V: one V row (Dv along the lanes) per key, broadcast FMAs per
    // query row. Keys past the end read the last row; their P is 0.
    for (int64_t jj = 0; jj < tiles.blockK; ++jj) {
      Value key = arith::AddIOp::create(b, j0, idx(jj));
      if (!keysInBounds)
        key = minIndex(key, idx(tk - 1));
      Value vRow = vector::TransferReadOp::create(
          b, rowType, value.source,
          value.indices({batchIv, kvHeadIv, key, idx(0)}), zero,
          ArrayRef<bool>{true});
      for (int64_t i = 0; i < n; ++i) {
        Value pij =
            vector::ExtractOp::create(b, probs[i], ArrayRef<int64_t>{jj});
        acc[i] = vector::FMAOp::create(b, splat(pij, rowType), vRow, acc[i]);
      }
    }
    SmallVector<Value> next = acc;
    next.append(sums);
    next.append(maxima);
    return next;
  }

  /// The mask's scores for one query row and key block, broadcast along the
  /// dims where the mask has extent 1 (numpy rules, right-aligned).
  Value maskRow(Value row, Value j0) {
    auto type = cast<RankedTensorType>(mask.getType());
    int64_t rank = type.getRank();
    SmallVector<Value> full = {batchIv, headIv, row, j0};
    SmallVector<Value> indices;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t dim = 4 - rank + i;
      indices.push_back(type.getDimSize(i) == 1 ? idx(0) : full[dim]);
    }
    if (rank == 0 || type.getDimSize(rank - 1) == 1)
      return splat(tensor::ExtractOp::create(b, mask, indices), scoreType);
    return vector::TransferReadOp::create(
        b, scoreType, mask, indices, f32Const(0.0),
        ArrayRef<bool>{tk % tiles.blockK == 0});
  }

  ImplicitLocOpBuilder &b;
  whittle::AttentionOp op;
  AttentionTiles tiles;
  int64_t batch, heads, kvHeads, tq, tk, headDim, valueDim;
  Type f32;
  VectorType scoreType, rowType;
  TransposedView query{Value()}, value{Value()};
  Value keysT, mask, position;
  /// keysT is a [B, Hkv, D, Tk] key cache, not key-block panels.
  bool keysInPlace = false;
  SmallVector<int64_t> outPerm = {0, 1, 2, 3};
  Value batchIv, headIv, kvHeadIv;
};

struct WhittleTileAttentionPass
    : whittle::impl::WhittleTileAttentionBase<WhittleTileAttentionPass> {
  using Base::Base;

  /// Block sizes for the target's registers. Measured on D = 64 (see
  /// docs/benchmarks.md): four vectors of keys per score row, and as many
  /// query rows as an eighth of the register file (4 with 32 AVX-512
  /// registers, 2 with 16 AVX2 ones), fewer when their accumulators alone
  /// would exceed the register file.
  AttentionTiles chooseTiles(whittle::AttentionOp op) const {
    auto qType = op.getQuery().getType();
    int64_t batchHeads = qType.getDimSize(0) * qType.getDimSize(1);
    int64_t tq = qType.getDimSize(2);
    int64_t valueDim = op.getValue().getType().getDimSize(3);
    int64_t lanes = std::max<int64_t>(1, vectorWidthBits / 32);
    int64_t registers = numVectorRegisters;
    AttentionTiles t;
    // Short sequences: no more whole vectors of keys than there are keys.
    int64_t tk = op.getKey().getType().getDimSize(2);
    t.blockK =
        blockK > 0
            ? blockK
            : std::min<int64_t>(4 * lanes, llvm::divideCeil(tk, lanes) * lanes);
    int64_t rowVectors = llvm::divideCeil(valueDim, lanes);
    t.blockQ = std::clamp<int64_t>(registers / 8, 1, 4);
    while (t.blockQ > 1 && t.blockQ * rowVectors > registers)
      t.blockQ /= 2;
    if (blockQ > 0)
      t.blockQ = blockQ;
    t.blockQ = std::min(t.blockQ, tq);
    // Enough tasks to balance threads (the causal triangle makes the last
    // chunks the heaviest): about 128 in all.
    int64_t blocks = llvm::divideCeil(tq, t.blockQ);
    int64_t perTask = std::max<int64_t>(
        1, llvm::divideCeil(blocks * batchHeads, int64_t(128)));
    t.chunkRows = std::min(blocks, perTask) * t.blockQ;
    return t;
  }

  void runOnOperation() override {
    SmallVector<whittle::AttentionOp> ops;
    getOperation().walk([&](whittle::AttentionOp op) {
      if (isStreamable(op))
        ops.push_back(op);
    });
    for (whittle::AttentionOp op : ops) {
      AttentionTiles tiles = chooseTiles(op);
      ImplicitLocOpBuilder b(op.getLoc(), op);
      StreamingAttentionBuilder builder(b, op, tiles);
      Value result = builder.build();
      if (reportTiles)
        op.emitRemark() << "tile-attention: block-q=" << tiles.blockQ
                        << " block-k=" << tiles.blockK
                        << " chunk=" << tiles.chunkRows;
      if (auto forall = result.getDefiningOp<scf::ForallOp>())
        forall->setAttr(
            "whittle.attention_tiles",
            b.getDictionaryAttr(
                {b.getNamedAttr("block_q", b.getI64IntegerAttr(tiles.blockQ)),
                 b.getNamedAttr("block_k", b.getI64IntegerAttr(tiles.blockK)),
                 b.getNamedAttr("chunk",
                                b.getI64IntegerAttr(tiles.chunkRows))}));
      if (linalg::TransposeOp transpose = builder.replacedTranspose) {
        transpose.getResult()[0].replaceAllUsesWith(result);
        transpose.erase();
      } else {
        op.getResult().replaceAllUsesWith(result);
      }
      SmallVector<Operation *> producers;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          producers.push_back(def);
      op.erase();
      // The transposes the kernel reads through are dead now.
      for (Operation *def : producers)
        if (isa<linalg::TransposeOp>(def) && isOpTriviallyDead(def))
          def->erase();
      ++numAttentionTiled;
    }
  }
};

} // namespace
