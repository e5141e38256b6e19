//===- Int4WeightKernels.cpp - Matmuls with constant 4-bit block weights --===//
//
// A whittle.quantized_matmul whose weight is a constant of 4-bit codes with
// one scale and zero point per block of B rows of K and column:
//
//   y[m, n] = Σ_g s[g, n] · Σ_{i<B} x[m, gB+i] · q[gB+i, n]
//             − (s·z)[g, n] · X[m, g]
//
// with X[m, g] the sum of x over block g. The codes are stored two per byte
// in panels of 16 columns, [N/16, K/B, B/2, 16] (low nibble: row i of the
// block, high nibble: row B/2 + i; N padded with zero codes), so that one
// panel is a contiguous stream. The product is a vector kernel that never
// writes a float weight: per panel (one task), blocks of rows as the
// registers allow; the codes are widened in registers, multiplied into
// per-block sums and scaled by s and s·z (a compile-time constant); the
// panel stays in L1 across the row blocks. Without the vectorizing backend
// the weight is dequantized from the same panels for a float matmul.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::lowering;

namespace {

/// Columns per panel: the vector the kernel computes on.
constexpr int64_t kPanel = 16;
/// N is padded to a multiple of every GEMM register-tile width (up to 4
/// vectors of 16 f32), for the dequantized path.
constexpr int64_t kColumnAlignment = 64;
/// The kernel's register block: R rows, each with `chains` partial sums
/// (one per nibble and unrolled byte row: independent FMA chains) and an
/// accumulator, in `registers` vectors of 16 f32 (3 more for the codes and
/// scales). As many rows as fit, up to 4; more chains when there is one
/// row, to hide the FMA latency that several rows hide otherwise.
struct RegisterBlock {
  int64_t rows = 1, unroll = 1;
};
RegisterBlock chooseRegisterBlock(int64_t registers, int64_t rows,
                                  int64_t half) {
  RegisterBlock block;
  for (int64_t r : {4, 2, 1})
    if (r <= rows && r * 2 + r + 3 <= registers) {
      block.rows = r;
      break;
    }
  if (block.rows == 1 && half % 2 == 0 && 4 + 1 + 3 <= registers)
    block.unroll = 2;
  return block;
}

/// The elements of a constant of `count` integers (stored one per byte when
/// narrower) or floats, as floats; signed unless the type is unsigned.
std::optional<std::vector<float>> constantValues(Value v, int64_t count) {
  auto cst = v.getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto type = cast<ShapedType>(cst.getType());
  Type elt = type.getElementType();
  if (type.getNumElements() != count)
    return std::nullopt;
  std::vector<float> out(count);
  if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue())) {
    if (isa<FloatType>(elt)) {
      int64_t i = 0;
      for (APFloat x : dense.getValues<APFloat>())
        out[i++] = x.convertToFloat();
      return out;
    }
    bool isSigned = !elt.isUnsignedInteger();
    int64_t i = 0;
    for (APInt x : dense.getValues<APInt>())
      out[i++] = isSigned ? float(x.getSExtValue()) : float(x.getZExtValue());
    return out;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  if (elt.isF32() && data.size() == size_t(count) * 4) {
    std::memcpy(out.data(), data.data(), data.size());
    return out;
  }
  unsigned bits = elt.getIntOrFloatBitWidth();
  if (!elt.isInteger() || bits > 8 || data.size() != size_t(count))
    return std::nullopt;
  bool isSigned = !elt.isUnsignedInteger();
  for (int64_t i = 0; i < count; ++i) {
    int v = uint8_t(data[i]) & ((1 << bits) - 1);
    if (isSigned && bits < 32 && (v >> (bits - 1)))
      v -= 1 << bits;
    out[i] = float(v);
  }
  return out;
}

/// A blocked 4-bit constant weight in panels, its parameters, and shape.
struct PanelWeight {
  int64_t k, n, paddedN, block, blocks;
  Value codes;             // [N/16, K/B, B/2, 16] i8, two codes per byte
  std::vector<float> s, z; // [N/16, K/B, 16]: a panel's run contiguous
};

std::optional<PanelWeight> panelWeight(PatternRewriter &rewriter,
                                       QuantizedMatMulOp op) {
  auto rhsType = op.getRhs().getType();
  Type codeType = rhsType.getElementType();
  PanelWeight w;
  w.k = rhsType.getDimSize(0);
  w.n = rhsType.getDimSize(1);
  w.block = op.getBlockSize();
  if (codeType.getIntOrFloatBitWidth() != 4 || w.block <= 0 ||
      w.block % 2 != 0 || w.k % w.block != 0 ||
      !op.getResult().getType().getElementType().isF32())
    return std::nullopt;
  w.blocks = w.k / w.block;
  w.paddedN = llvm::alignTo(w.n, kColumnAlignment);
  // Signed codes are stored as q + 8 in [0, 15] with the zero point
  // z + 8 (the difference, and so the weight, is the same), so that every
  // nibble is unpacked by a mask or a shift alone.
  int offset = codeType.isUnsignedInteger() ? 0 : 8;
  auto codes = constantValues(op.getRhs(), w.k * w.n);
  auto scale = constantValues(op.getScale(), w.blocks * w.n);
  auto zero = constantValues(op.getZeroPoint(), w.blocks * w.n);
  if (!codes || !scale || !zero)
    return std::nullopt;
  w.s.assign(w.blocks * w.paddedN, 0.0f);
  w.z.assign(w.blocks * w.paddedN, 0.0f);
  for (int64_t g = 0; g < w.blocks; ++g)
    for (int64_t j = 0; j < w.n; ++j) {
      int64_t at = ((j / kPanel) * w.blocks + g) * kPanel + j % kPanel;
      w.s[at] = (*scale)[g * w.n + j];
      w.z[at] = (*zero)[g * w.n + j] + offset;
    }

  int64_t half = w.block / 2, panels = w.paddedN / kPanel;
  auto i8 = rewriter.getI8Type();
  auto packedType = RankedTensorType::get({panels, w.blocks, half, kPanel}, i8);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(packedType.getNumElements(), 64);
  MutableArrayRef<char> out = blob.getMutableData();
  auto code = [&](int64_t row, int64_t col) -> uint8_t {
    return col < w.n ? uint8_t(int((*codes)[row * w.n + col]) + offset) & 0xF
                     : 0;
  };
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t g = 0; g < w.blocks; ++g)
      for (int64_t i = 0; i < half; ++i)
        for (int64_t l = 0; l < kPanel; ++l) {
          int64_t col = p * kPanel + l;
          uint8_t lo = code(g * w.block + i, col);
          uint8_t hi = code(g * w.block + half + i, col);
          out[((p * w.blocks + g) * half + i) * kPanel + l] =
              char(lo | (hi << 4));
        }
  w.codes = ConstantOp::create(
      rewriter, op.getLoc(),
      DenseResourceElementsAttr::get(packedType, "whittle_int4_panels",
                                     std::move(blob)));
  return w;
}

Value f32Constant(PatternRewriter &rewriter, Location loc,
                  ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  return ConstantOp::create(rewriter, loc,
                            DenseElementsAttr::get(type, values));
}

/// The code of one nibble (h = 0 low, 1 high) of each byte (of a vector or
/// a scalar), as f32.
Value nibble(OpBuilder &b, Location loc, Value bytes, int h) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto vec = dyn_cast<VectorType>(bytes.getType());
  if (vec) {
    i32 = VectorType::get(vec.getShape(), b.getI32Type());
    f32 = VectorType::get(vec.getShape(), b.getF32Type());
  }
  auto splat = [&](int32_t v) -> Value {
    Attribute attr = b.getI32IntegerAttr(v);
    if (vec)
      attr = DenseElementsAttr::get(cast<ShapedType>(i32), attr);
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  };
  Value wide = arith::ExtUIOp::create(b, loc, i32, bytes);
  Value code = h == 0
                   ? arith::AndIOp::create(b, loc, wide, splat(15)).getResult()
                   : arith::ShRUIOp::create(b, loc, wide, splat(4)).getResult();
  return arith::SIToFPOp::create(b, loc, f32, code);
}

/// The vector kernel for `rows` rows of x [rows, K].
Value panelKernel(PatternRewriter &rewriter, Location loc, const PanelWeight &w,
                  Value x, int64_t rows, int64_t registers) {
  ImplicitLocOpBuilder b(loc, rewriter);
  Type f32 = b.getF32Type();
  int64_t half = w.block / 2, panels = w.paddedN / kPanel;
  // Block sums of x, and s · z per block and column.
  Value blocked = ReshapeOp::create(
      b, x, b.getDenseI64ArrayAttr({rows, w.blocks, w.block}));
  Value sums = ReduceSumOp::create(b, blocked, b.getDenseI64ArrayAttr({2}),
                                   b.getBoolAttr(false));
  std::vector<float> sz(w.s.size());
  for (size_t i = 0; i < sz.size(); ++i)
    sz[i] = w.s[i] * w.z[i];
  Value scale = f32Constant(rewriter, loc, {panels, w.blocks, kPanel}, w.s);
  Value scaledZero = f32Constant(rewriter, loc, {panels, w.blocks, kPanel}, sz);

  auto vec = VectorType::get({kPanel}, f32);
  auto byteVec = VectorType::get({kPanel}, b.getI8Type());
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, v);
  };
  Value zeroVec =
      arith::ConstantOp::create(b, vec, DenseElementsAttr::get(vec, 0.0f));
  Value zeroF = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  Value zeroI8 = arith::ConstantOp::create(b, b.getI8IntegerAttr(0));
  auto outType = RankedTensorType::get({rows, w.paddedN}, f32);
  Value init = tensor::EmptyOp::create(b, outType.getShape(), f32);
  auto forall =
      scf::ForallOp::create(b, ArrayRef<OpFoldResult>{b.getIndexAttr(panels)},
                            ValueRange{init}, std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value p = forall.getInductionVars()[0];
    // Rows in blocks of R (the registers hold R x 4 partial sums and R
    // accumulators); the panel stays in L1 across row blocks. Rows of a
    // partial last block repeat the last row (the same values, rewritten).
    RegisterBlock block = chooseRegisterBlock(registers, rows, half);
    int64_t r = block.rows;
    auto tileType = RankedTensorType::get({rows, kPanel}, f32);
    Value tileInit = tensor::EmptyOp::create(b, tileType.getShape(), f32);
    auto rowBlocks = scf::ForOp::create(
        b, idx(0), idx(rows), idx(r), ValueRange{tileInit},
        [&](OpBuilder &outer, Location ol, Value r0, ValueRange tileArg) {
          ImplicitLocOpBuilder ob(ol, outer);
          SmallVector<Value> rowOf;
          for (int64_t m = 0; m < r; ++m)
            rowOf.push_back(arith::MinSIOp::create(
                ob, arith::AddIOp::create(ob, r0, idx(m)), idx(rows - 1)));
          SmallVector<Value> accInit(r, zeroVec);
          auto blockLoop = scf::ForOp::create(
              ob, idx(0), idx(w.blocks), idx(1), accInit,
              [&](OpBuilder &nested, Location l, Value g, ValueRange acc) {
                ImplicitLocOpBuilder nb(l, nested);
                Value k0 = arith::MulIOp::create(nb, g, idx(w.block));
                int64_t unroll = block.unroll;
                int64_t chains = 2 * unroll;
                SmallVector<Value> partInit(chains * r, zeroVec);
                auto byteRows = scf::ForOp::create(
                    nb, idx(0), idx(half), idx(unroll), partInit,
                    [&](OpBuilder &inner, Location il, Value i0,
                        ValueRange part) {
                      ImplicitLocOpBuilder ib(il, inner);
                      SmallVector<Value> next(part.begin(), part.end());
                      for (int64_t u = 0; u < unroll; ++u) {
                        Value i = arith::AddIOp::create(ib, i0, idx(u));
                        Value bytes = vector::TransferReadOp::create(
                            ib, byteVec, w.codes, ValueRange{p, g, i, idx(0)},
                            zeroI8, ArrayRef<bool>{true});
                        Value kLo = arith::AddIOp::create(ib, k0, i);
                        Value kHi = arith::AddIOp::create(ib, kLo, idx(half));
                        for (int h = 0; h < 2; ++h) {
                          Value codes = nibble(ib, il, bytes, h);
                          for (int64_t m = 0; m < r; ++m) {
                            Value xk = tensor::ExtractOp::create(
                                ib, x,
                                ValueRange{rowOf[m], h == 0 ? kLo : kHi});
                            Value &sum = next[m * chains + 2 * u + h];
                            sum = vector::FMAOp::create(
                                ib, vector::BroadcastOp::create(ib, vec, xk),
                                codes, sum);
                          }
                        }
                      }
                      scf::YieldOp::create(ib, next);
                    });
                Value s = vector::TransferReadOp::create(
                    nb, vec, scale, ValueRange{p, g, idx(0)}, zeroF,
                    ArrayRef<bool>{true});
                Value sz = vector::TransferReadOp::create(
                    nb, vec, scaledZero, ValueRange{p, g, idx(0)}, zeroF,
                    ArrayRef<bool>{true});
                SmallVector<Value> next;
                for (int64_t m = 0; m < r; ++m) {
                  Value part = byteRows.getResult(m * chains);
                  for (int64_t c = 1; c < chains; ++c)
                    part = arith::AddFOp::create(
                        nb, part, byteRows.getResult(m * chains + c));
                  Value sum = tensor::ExtractOp::create(
                      nb, sums, ValueRange{rowOf[m], g});
                  Value negSum = arith::NegFOp::create(nb, sum);
                  Value a = vector::FMAOp::create(nb, s, part, acc[m]);
                  next.push_back(vector::FMAOp::create(
                      nb, vector::BroadcastOp::create(nb, vec, negSum), sz, a));
                }
                scf::YieldOp::create(nb, next);
              });
          Value tile = tileArg[0];
          for (int64_t m = 0; m < r; ++m)
            tile = vector::TransferWriteOp::create(
                       ob, blockLoop.getResult(m), tile,
                       ValueRange{rowOf[m], idx(0)}, ArrayRef<bool>{true})
                       .getResult();
          scf::YieldOp::create(ob, tile);
        });
    Value tile = rowBlocks.getResult(0);
    Value col = arith::MulIOp::create(b, p, idx(kPanel));
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, tile, forall.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), col},
        ArrayRef<OpFoldResult>{b.getIndexAttr(rows), b.getIndexAttr(kPanel)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  return forall.getResult(0);
}

/// The float weight [K, paddedN], dequantized from the panels by one loop
/// nest per nibble whose operands are all read through projections.
Value dequantizePanels(PatternRewriter &rewriter, Location loc,
                       const PanelWeight &w) {
  MLIRContext *ctx = rewriter.getContext();
  Type f32 = rewriter.getF32Type();
  int64_t half = w.block / 2, panels = w.paddedN / kPanel;
  Value scale = f32Constant(rewriter, loc, {panels, w.blocks, kPanel}, w.s);
  Value zero = f32Constant(rewriter, loc, {panels, w.blocks, kPanel}, w.z);
  // Iteration (g, i, p, l); codes [p, g, i, l], parameters [p, g, l], the
  // result [g, i, p, l] (one half of each block).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap codesMap = AffineMap::get(4, 0, {d(2), d(0), d(1), d(3)}, ctx);
  AffineMap params = AffineMap::get(4, 0, {d(2), d(0), d(3)}, ctx);
  AffineMap identity = rewriter.getMultiDimIdentityMap(4);
  auto halfType = RankedTensorType::get({w.blocks, half, panels, kPanel}, f32);
  auto fullType =
      RankedTensorType::get({w.blocks, 2, half, panels, kPanel}, f32);
  Value weight = emptyTensor(rewriter, loc, fullType);
  for (int h = 0; h < 2; ++h) {
    Value part =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{halfType},
            ValueRange{w.codes, scale, zero},
            ValueRange{emptyTensor(rewriter, loc, halfType)},
            ArrayRef<AffineMap>{codesMap, params, params, identity},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value diff = arith::SubFOp::create(b, l, nibble(b, l, args[0], h),
                                                 args[2]);
              linalg::YieldOp::create(
                  b, l, arith::MulFOp::create(b, l, diff, args[1]).getResult());
            })
            .getResult(0);
    SmallVector<OpFoldResult> offsets(5, rewriter.getIndexAttr(0));
    offsets[1] = rewriter.getIndexAttr(h);
    SmallVector<OpFoldResult> sizes = {
        rewriter.getIndexAttr(w.blocks), rewriter.getIndexAttr(1),
        rewriter.getIndexAttr(half), rewriter.getIndexAttr(panels),
        rewriter.getIndexAttr(kPanel)};
    SmallVector<OpFoldResult> strides(5, rewriter.getIndexAttr(1));
    weight = tensor::InsertSliceOp::create(rewriter, loc, part, weight, offsets,
                                           sizes, strides);
  }
  return tensor::CollapseShapeOp::create(
      rewriter, loc, RankedTensorType::get({w.k, w.paddedN}, f32), weight,
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}});
}

} // namespace

Value whittle::lowering::blockedInt4Product(PatternRewriter &rewriter,
                                            QuantizedMatMulOp op,
                                            int64_t vectorRegisters) {
  std::optional<PanelWeight> w = panelWeight(rewriter, op);
  if (!w)
    return {};
  Location loc = op.getLoc();
  auto lhsType = op.getLhs().getType();
  int64_t rows = lhsType.getNumElements() / w->k;
  Value x = ReshapeOp::create(rewriter, loc, op.getLhs(),
                              rewriter.getDenseI64ArrayAttr({rows, w->k}));
  Value product;
  if (vectorRegisters > 0) {
    product = panelKernel(rewriter, loc, *w, x, rows, vectorRegisters);
  } else {
    Value weight = dequantizePanels(rewriter, loc, *w);
    product = MatMulOp::create(rewriter, loc, x, weight);
  }
  auto resultType = op.getResult().getType();
  if (w->paddedN != w->n)
    product =
        SliceOp::create(rewriter, loc, product, ArrayRef<int64_t>{0, 0},
                        ArrayRef<int64_t>{rows, w->n}, ArrayRef<int64_t>{1, 1});
  return ReshapeOp::create(
      rewriter, loc, product,
      rewriter.getDenseI64ArrayAttr(resultType.getShape()));
}
