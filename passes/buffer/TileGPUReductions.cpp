//===- TileGPUReductions.cpp - One GPU block per reduced row --------------===//
//
// Mapped one thread per output, a row reduction (a softmax's maximum and
// sum, a layer norm's mean and variance) runs its whole row serially in one
// thread, and a model has few rows: a BERT at sequence 128 reduces 128-wide
// rows of 768. Here a linalg reduction on buffers whose body combines the
// accumulator with a value computed from the inputs, by an associative and
// commutative op with an identity (add, mul, max, min), becomes a launch of
// one block per output element: each thread combines a strided share of
// the row (the value's computation fused in), then the block combines the
// partial results in a tree through shared memory. Reassociating the row is
// what any parallel reduction does; float sums round differently from the
// serial order, within the usual tolerance.
//
//===----------------------------------------------------------------------===//

#include "LinalgBodySlice.h"

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/APFloat.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLETILEGPUREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

constexpr int64_t kMaxThreads = 256;
constexpr int64_t kMinLength = 64;

/// A row reduction out = combine(out, value).
struct Reduction {
  Operation *combiner;
  BodySlice value;
  SmallVector<unsigned> rowDims, reducedDims;
};

/// The identity of `combiner` (an f32 op), if it is associative and
/// commutative.
std::optional<APFloat> identityOf(Operation *combiner) {
  const llvm::fltSemantics &f32 = APFloat::IEEEsingle();
  if (isa<arith::AddFOp>(combiner))
    return APFloat::getZero(f32, /*Negative=*/true);
  if (isa<arith::MulFOp>(combiner))
    return APFloat(1.0f);
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    return APFloat::getInf(f32, /*Negative=*/true);
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(combiner))
    return APFloat::getInf(f32, /*Negative=*/false);
  return std::nullopt;
}

FailureOr<Reduction> matchReduction(linalg::LinalgOp op) {
  FailureOr<AccumulatorFold> fold = matchAccumulatorFold(op);
  if (failed(fold) || !identityOf(fold->combiner))
    return failure();
  FailureOr<BodySlice> slice = sliceBody(op, fold->value);
  if (failed(slice))
    return failure();
  Operation *combiner = fold->combiner;
  const llvm::SmallDenseSet<unsigned> &outDims = fold->outputDims;
  Reduction r{combiner, *slice, {}, {}};
  for (auto [dim, kind] : llvm::enumerate(op.getIteratorTypesArray())) {
    bool reduced = kind == utils::IteratorType::reduction;
    if (reduced == outDims.contains(dim))
      return failure(); // Each output element is one row.
    (reduced ? r.reducedDims : r.rowDims).push_back(dim);
  }
  // Short rows are better reduced by one thread each.
  int64_t length = 1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d : r.reducedDims)
    length = ShapedType::isDynamic(ranges[d]) || ShapedType::isDynamic(length)
                 ? ShapedType::kDynamic
                 : length * ranges[d];
  if (!ShapedType::isDynamic(length) && length < kMinLength)
    return failure();
  return r;
}

struct WhittleTileGPUReductionsPass
    : whittle::impl::WhittleTileGPUReductionsBase<
          WhittleTileGPUReductionsPass> {
  using Base::Base;

  void tile(linalg::LinalgOp op, Reduction &r) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    SmallVector<Value> sizes = loopSizes(b, loc, op);
    auto cst = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(ob, loc, v);
    };
    auto product = [&](ArrayRef<unsigned> dims) {
      return productOf(b, loc, dims, sizes);
    };
    Value rows = product(r.rowDims), length = product(r.reducedDims);
    // A power of two (for the tree), no more threads than the row has
    // elements, at least a warp.
    int64_t threads = kMaxThreads;
    if (std::optional<int64_t> n = getConstantIntValue(length))
      while (threads > 32 && threads / 2 >= *n)
        threads /= 2;

    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto workgroup =
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type partialType = MemRefType::get({threads}, f32, nullptr, workgroup);
    Value one = cst(b, 1);
    auto launch = gpu::LaunchOp::create(
        b, loc, rows, one, one, cst(b, threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{partialType});
    Value partials = launch.getWorkgroupAttributions()[0];
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(kb, loc);
    kb.setInsertionPoint(terminator);
    Value tid = launch.getThreadIds().x;
    DenseMap<unsigned, Value> rowPoint;
    delinearize(kb, loc, launch.getBlockIds().x, r.rowDims, sizes, rowPoint);
    auto combine = [&](OpBuilder &ob, Value lhs, Value rhs) {
      OperationState state(loc, r.combiner->getName(), ValueRange{lhs, rhs},
                           TypeRange{f32}, r.combiner->getAttrs());
      return ob.create(state)->getResult(0);
    };

    // Each thread's strided share of the row.
    Value identity = arith::ConstantOp::create(
        kb, loc, FloatAttr::get(f32, *identityOf(r.combiner)));
    auto share = scf::ForOp::create(
        kb, loc, tid, length, cst(kb, threads), ValueRange{identity},
        [&](OpBuilder &fb, Location l, Value i, ValueRange carried) {
          DenseMap<unsigned, Value> point = rowPoint;
          delinearize(fb, l, i, r.reducedDims, sizes, point);
          Value v = evaluateSlice(fb, l, op, r.value, point);
          scf::YieldOp::create(fb, l, combine(fb, carried[0], v));
        });
    memref::StoreOp::create(kb, loc, share.getResult(0), partials,
                            ValueRange{tid});
    gpu::BarrierOp::create(kb, loc);

    // Tree: in step s (threads/2, threads/4, ..., 1) thread t < s combines
    // partials t and t + s.
    int64_t steps = llvm::Log2_64(threads);
    auto tree =
        scf::ForOp::create(kb, loc, cst(kb, 0), cst(kb, steps), cst(kb, 1));
    {
      OpBuilder tb = OpBuilder::atBlockBegin(tree.getBody());
      tb.setInsertionPoint(tree.getBody()->getTerminator());
      Value shift =
          arith::AddIOp::create(tb, loc, tree.getInductionVar(), cst(tb, 1));
      Value stride = arith::ShRUIOp::create(tb, loc, cst(tb, threads), shift);
      Value active = arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::ult,
                                           tid, stride);
      auto ifOp = scf::IfOp::create(tb, loc, active, /*withElse=*/false);
      OpBuilder ib = ifOp.getThenBodyBuilder();
      Value other = arith::AddIOp::create(ib, loc, tid, stride);
      Value mine = memref::LoadOp::create(ib, loc, partials, ValueRange{tid});
      Value theirs =
          memref::LoadOp::create(ib, loc, partials, ValueRange{other});
      memref::StoreOp::create(ib, loc, combine(ib, mine, theirs), partials,
                              ValueRange{tid});
      gpu::BarrierOp::create(tb, loc);
    }

    // Thread 0 folds the row into the output's initial value.
    Value first = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq, tid,
                                        cst(kb, 0));
    auto ifOp = scf::IfOp::create(kb, loc, first, /*withElse=*/false);
    OpBuilder ib = ifOp.getThenBodyBuilder();
    Value out = op.getDpsInitOperand(0)->get();
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    SmallVector<Value> index = indicesAt(ib, loc, outMap, rowPoint);
    Value init = memref::LoadOp::create(ib, loc, out, index);
    Value total =
        memref::LoadOp::create(ib, loc, partials, ValueRange{cst(ib, 0)});
    memref::StoreOp::create(ib, loc, combine(ib, init, total), out, index);
    op->erase();
    ++numTiled;
  }

  void runOnOperation() override {
    for (auto &[op, r] : matchTopLevelLinalgOps(getOperation(), matchReduction))
      tile(op, r);
  }
};

} // namespace
