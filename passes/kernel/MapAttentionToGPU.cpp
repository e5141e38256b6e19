//===- MapAttentionToGPU.cpp - whittle.attention as a GPU flash kernel ----===//
//
// On a GPU target whittle.attention (f32, static shapes) becomes one launch
// that never materializes the scores:
//
//   block (query block of BQ rows, query head, batch), one thread per row
//     q = Q[row] * scale, o = 0, m = -inf, l = 0        (private registers)
//     for key block of BK keys (causal: up to the block's last diagonal)
//       stage K and V rows of the block in shared memory; barrier
//       s[j] = q . K[j] + mask, -inf past the end or above the diagonal
//       online softmax: m' = max(m, max s), rescale o and l by e^(m - m'),
//       o += e^(s[j] - m') V[j], l += e^(s[j] - m'); barrier
//     O[row] = o / l
//
// The key/value head of query head h is h / (Hq / Hkv); the additive mask is
// read through its own broadcast shape. A row whose running maximum is still
// -inf offsets by 0 instead, so that fully masked leading blocks add 0 rather
// than NaN; a row with no visible key ends as 0/0 = NaN, like the reference
// softmax over -inf.
//
// The op's tensors enter and leave through bufferization.to_buffer and
// to_tensor, so that one-shot bufferization hands the launch their buffers
// and whittle-plan-memory places its output.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <limits>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEMAPATTENTIONTOGPU
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Query rows (threads) per block.
constexpr int64_t kRows = 64;
/// Floats of K and V rows staged per key block (32 KiB of shared memory).
constexpr int64_t kStagedFloats = 8192;

struct WhittleMapAttentionToGPUPass
    : whittle::impl::WhittleMapAttentionToGPUBase<
          WhittleMapAttentionToGPUPass> {
  using Base::Base;

  static bool supported(whittle::AttentionOp op) {
    if (op.getPosition())
      return false;
    // Causal with fewer keys than queries hides whole rows: the reference
    // form handles it.
    auto dims = [&](Value v) {
      return cast<RankedTensorType>(v.getType()).getShape();
    };
    if (op.getCausal() && dims(op.getKey())[2] < dims(op.getQuery())[2])
      return false;
    for (Value v : op->getOperands())
      if (auto type = cast<RankedTensorType>(v.getType());
          !type.hasStaticShape() || !type.getElementType().isF32())
        return false;
    return true;
  }

  void lower(whittle::AttentionOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto shape = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getShape();
    };
    ArrayRef<int64_t> qShape = shape(op.getQuery()),
                      kShape = shape(op.getKey()),
                      vShape = shape(op.getValue());
    int64_t batch = qShape[0], heads = qShape[1], queries = qShape[2],
            depth = qShape[3], kvHeads = kShape[1], keys = kShape[2],
            valueDepth = vShape[3];
    int64_t group = heads / kvHeads;
    int64_t keyBlock = 64;
    while (keyBlock > 8 && keyBlock * (depth + valueDepth) > kStagedFloats)
      keyBlock /= 2;

    // The operands' buffers, in whatever layout bufferization gives them.
    auto bufferOf = [&](Value tensor) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType());
      auto layout = StridedLayoutAttr::get(
          ctx, ShapedType::kDynamic,
          SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic));
      return bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(type.getShape(), f32, layout), tensor,
          /*read_only=*/true);
    };
    Value query = bufferOf(op.getQuery()), key = bufferOf(op.getKey()),
          value = bufferOf(op.getValue());
    Value mask = op.getMask() ? bufferOf(op.getMask()) : Value();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get(resultType.getShape(), f32), ValueRange{},
        b.getI64IntegerAttr(64));

    auto cst = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(ob, loc, v);
    };
    auto workgroup =
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto priv = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Private);
    auto launch = gpu::LaunchOp::create(
        b, loc, cst(b, (queries + kRows - 1) / kRows), cst(b, heads),
        cst(b, batch), cst(b, kRows), cst(b, 1), cst(b, 1),
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{},
        TypeRange{
            MemRefType::get({keyBlock, depth}, f32, nullptr, workgroup),
            MemRefType::get({keyBlock, valueDepth}, f32, nullptr, workgroup)},
        TypeRange{MemRefType::get({depth}, f32, nullptr, priv),
                  MemRefType::get({valueDepth}, f32, nullptr, priv),
                  MemRefType::get({keyBlock}, f32, nullptr, priv)});
    Value keyTile = launch.getWorkgroupAttributions()[0];
    Value valueTile = launch.getWorkgroupAttributions()[1];
    Value q = launch.getPrivateAttributions()[0];
    Value o = launch.getPrivateAttributions()[1];
    Value scores = launch.getPrivateAttributions()[2];

    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(kb, loc);
    kb.setInsertionPoint(terminator);
    Value tid = launch.getThreadIds().x;
    Value blockRow =
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x, cst(kb, kRows));
    Value row = arith::AddIOp::create(kb, loc, blockRow, tid);
    // Rows past the end compute with the last row and store nothing.
    Value lastRow = cst(kb, queries - 1);
    Value clamped = arith::MinUIOp::create(kb, loc, row, lastRow);
    Value head = launch.getBlockIds().y, bat = launch.getBlockIds().z;
    Value kvHead = arith::DivUIOp::create(kb, loc, head, cst(kb, group));
    Value zeroF = arith::ConstantOp::create(kb, loc, kb.getF32FloatAttr(0));
    Value negInf = arith::ConstantOp::create(
        kb, loc, kb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
    auto forLoop =
        [&](OpBuilder &ob, int64_t from, Value to, int64_t step,
            ValueRange inits,
            function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)>
                body) {
          return scf::ForOp::create(
              ob, loc, cst(ob, from), to, cst(ob, step), inits,
              [&](OpBuilder &fb, Location, Value i, ValueRange carried) {
                scf::YieldOp::create(fb, loc, body(fb, i, carried));
              });
        };

    // q = Q[row] * scale, o = 0.
    Value scale = arith::ConstantOp::create(
        kb, loc, kb.getF32FloatAttr(op.getScale().convertToDouble()));
    forLoop(kb, 0, cst(kb, depth), 1, {},
            [&](OpBuilder &fb, Value d, ValueRange) -> SmallVector<Value> {
              Value x = memref::LoadOp::create(
                  fb, loc, query, ValueRange{bat, head, clamped, d});
              memref::StoreOp::create(
                  fb, loc, arith::MulFOp::create(fb, loc, x, scale), q, d);
              return {};
            });
    forLoop(kb, 0, cst(kb, valueDepth), 1, {},
            [&](OpBuilder &fb, Value d, ValueRange) -> SmallVector<Value> {
              memref::StoreOp::create(fb, loc, zeroF, o, d);
              return {};
            });

    // The keys this block needs: causal rows see keys up to row + Tk - Tq.
    Value keyEnd = cst(kb, keys);
    if (op.getCausal())
      keyEnd = arith::MinUIOp::create(
          kb, loc, keyEnd,
          arith::AddIOp::create(kb, loc, blockRow,
                                cst(kb, kRows + keys - queries)));
    auto keyLoop = forLoop(
        kb, 0, keyEnd, keyBlock, ValueRange{negInf, zeroF},
        [&](OpBuilder &lb, Value k0, ValueRange carried) -> SmallVector<Value> {
          // Stage the block's key and value rows (zeros past the end).
          auto stage = [&](Value source, Value tile, int64_t width) {
            forLoop(lb, 0, cst(lb, keyBlock * width), kRows, {},
                    [&](OpBuilder &fb, Value e0, ValueRange) {
                      Value e = arith::AddIOp::create(fb, loc, e0, tid);
                      Value j =
                          arith::DivUIOp::create(fb, loc, e, cst(fb, width));
                      Value d =
                          arith::RemUIOp::create(fb, loc, e, cst(fb, width));
                      Value k = arith::AddIOp::create(fb, loc, k0, j);
                      Value inside = arith::CmpIOp::create(
                          fb, loc, arith::CmpIPredicate::ult, k, cst(fb, keys));
                      auto ifOp = scf::IfOp::create(
                          fb, loc, inside,
                          [&](OpBuilder &tb, Location) {
                            scf::YieldOp::create(
                                tb, loc,
                                ValueRange{memref::LoadOp::create(
                                    tb, loc, source,
                                    ValueRange{bat, kvHead, k, d})});
                          },
                          [&](OpBuilder &eb, Location) {
                            scf::YieldOp::create(eb, loc, ValueRange{zeroF});
                          });
                      memref::StoreOp::create(fb, loc, ifOp.getResult(0), tile,
                                              ValueRange{j, d});
                      return SmallVector<Value>{};
                    });
          };
          stage(key, keyTile, depth);
          stage(value, valueTile, valueDepth);
          gpu::BarrierOp::create(lb, loc);

          // Scores of the block and their maximum.
          Value visibleEnd = cst(lb, keys);
          if (op.getCausal())
            visibleEnd = arith::MinUIOp::create(
                lb, loc, visibleEnd,
                arith::AddIOp::create(lb, loc, clamped,
                                      cst(lb, keys - queries + 1)));
          auto scoreLoop = forLoop(
              lb, 0, cst(lb, keyBlock), 1, ValueRange{negInf},
              [&](OpBuilder &fb, Value j, ValueRange blockMax) {
                auto dot =
                    forLoop(fb, 0, cst(fb, depth), 1, ValueRange{zeroF},
                            [&](OpBuilder &db, Value d, ValueRange sum) {
                              Value x = memref::LoadOp::create(db, loc, q, d);
                              Value y = memref::LoadOp::create(
                                  db, loc, keyTile, ValueRange{j, d});
                              return SmallVector<Value>{
                                  math::FmaOp::create(db, loc, x, y, sum[0])};
                            });
                Value k = arith::AddIOp::create(fb, loc, k0, j);
                Value s = dot.getResult(0);
                Value visible = arith::CmpIOp::create(
                    fb, loc, arith::CmpIPredicate::ult, k, visibleEnd);
                if (mask) {
                  // Read through the mask's broadcast shape.
                  auto maskType = cast<MemRefType>(mask.getType());
                  SmallVector<Value> full = {bat, head, clamped, k}, at;
                  int64_t rank = maskType.getRank();
                  for (int64_t i = 0; i < rank; ++i) {
                    Value index = full[4 - rank + i];
                    at.push_back(maskType.getDimSize(i) == 1 ? cst(fb, 0)
                                                             : index);
                  }
                  // Past the end the key is hidden anyway; keep the read
                  // inside the mask.
                  if (maskType.getDimSize(rank - 1) != 1)
                    at.back() =
                        arith::MinUIOp::create(fb, loc, k, cst(fb, keys - 1));
                  s = arith::AddFOp::create(
                      fb, loc, s, memref::LoadOp::create(fb, loc, mask, at));
                }
                s = arith::SelectOp::create(fb, loc, visible, s, negInf);
                memref::StoreOp::create(fb, loc, s, scores, j);
                return SmallVector<Value>{
                    arith::MaximumFOp::create(fb, loc, blockMax[0], s)};
              });
          Value m = carried[0], l = carried[1];
          Value newMax =
              arith::MaximumFOp::create(lb, loc, m, scoreLoop.getResult(0));
          Value noneYet = arith::CmpFOp::create(
              lb, loc, arith::CmpFPredicate::OEQ, newMax, negInf);
          Value offset =
              arith::SelectOp::create(lb, loc, noneYet, zeroF, newMax);
          Value correction = math::ExpOp::create(
              lb, loc, arith::SubFOp::create(lb, loc, m, offset));
          forLoop(lb, 0, cst(lb, valueDepth), 1, {},
                  [&](OpBuilder &fb, Value d, ValueRange) {
                    Value x = memref::LoadOp::create(fb, loc, o, d);
                    memref::StoreOp::create(
                        fb, loc, arith::MulFOp::create(fb, loc, x, correction),
                        o, d);
                    return SmallVector<Value>{};
                  });
          auto weightLoop = forLoop(
              lb, 0, cst(lb, keyBlock), 1,
              ValueRange{arith::MulFOp::create(lb, loc, l, correction)},
              [&](OpBuilder &fb, Value j, ValueRange sum) {
                Value s = memref::LoadOp::create(fb, loc, scores, j);
                Value p = math::ExpOp::create(
                    fb, loc, arith::SubFOp::create(fb, loc, s, offset));
                forLoop(fb, 0, cst(fb, valueDepth), 1, {},
                        [&](OpBuilder &db, Value d, ValueRange) {
                          Value x = memref::LoadOp::create(db, loc, o, d);
                          Value y = memref::LoadOp::create(db, loc, valueTile,
                                                           ValueRange{j, d});
                          memref::StoreOp::create(
                              db, loc, math::FmaOp::create(db, loc, p, y, x), o,
                              d);
                          return SmallVector<Value>{};
                        });
                return SmallVector<Value>{
                    arith::AddFOp::create(fb, loc, sum[0], p)};
              });
          // The next block overwrites the tiles once every row is done.
          gpu::BarrierOp::create(lb, loc);
          return SmallVector<Value>{newMax, weightLoop.getResult(0)};
        });

    // O[row] = o / l.
    Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult,
                                          row, cst(kb, queries));
    auto ifOp = scf::IfOp::create(kb, loc, inRange, /*withElse=*/false);
    OpBuilder tb = ifOp.getThenBodyBuilder();
    Value total = keyLoop.getResult(1);
    forLoop(tb, 0, cst(tb, valueDepth), 1, {},
            [&](OpBuilder &fb, Value d, ValueRange) {
              Value x = memref::LoadOp::create(fb, loc, o, d);
              memref::StoreOp::create(fb, loc,
                                      arith::DivFOp::create(fb, loc, x, total),
                                      out, ValueRange{bat, head, row, d});
              return SmallVector<Value>{};
            });

    Value result = bufferization::ToTensorOp::create(
        b, loc, resultType, out, b.getUnitAttr(), b.getUnitAttr());
    op.getResult().replaceAllUsesWith(result);
    op.erase();
    ++numMapped;
  }

  void runOnOperation() override {
    SmallVector<whittle::AttentionOp> ops;
    getOperation().walk([&](whittle::AttentionOp op) {
      if (supported(op))
        ops.push_back(op);
    });
    for (whittle::AttentionOp op : ops)
      lower(op);
  }
};

} // namespace
