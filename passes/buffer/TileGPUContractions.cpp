//===- TileGPUContractions.cpp - Shared-memory tiled GPU contractions -----===//
//
// A contraction run one thread per output reads each operand from global
// memory once per multiply-add. Here a linalg contraction on buffers
// (out += x * y, where x is computed from the operands that do not vary
// along the output's N dimensions and y from those that do not vary along
// M) becomes one gpu.launch per (batch, BM x BN output tile): its 256
// threads stage BK-deep slices of x and y in shared memory, evaluating
// whatever the exporter and the elementwise fusion put into the operands
// (a layer norm, a dequantization, a softmax's normalization) once per
// staged element, and each thread accumulates a T x T block of outputs in
// registers from the staged slices. Several M, N or K dimensions (heads
// times head size, say) are linearized.
//
//===----------------------------------------------------------------------===//

#include "LinalgBodySlice.h"

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLETILEGPUCONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

constexpr int64_t kThreads = 256;
/// Threads per tile row and column: a thread's outputs are spaced by this.
constexpr int64_t kThreadGrid = 16;
constexpr int64_t kTileK = 16;

/// A contraction out = out + x * y in the shape the kernel handles.
struct Contraction {
  BodySlice x, y; // x varies along M, y along N.
  SmallVector<unsigned> batchDims, mDims, nDims, kDims;
};

FailureOr<Contraction> matchContraction(linalg::LinalgOp op) {
  FailureOr<AccumulatorFold> fold = matchAccumulatorFold(op);
  if (failed(fold) || !isa<arith::AddFOp>(fold->combiner))
    return failure();
  auto mul = fold->value.getDefiningOp<arith::MulFOp>();
  if (!mul || !mul->hasOneUse())
    return failure();
  FailureOr<BodySlice> x = sliceBody(op, mul.getLhs());
  FailureOr<BodySlice> y = sliceBody(op, mul.getRhs());
  if (failed(x) || failed(y))
    return failure();
  // Every parallel dimension indexes the output (one writer per element).
  const llvm::SmallDenseSet<unsigned> &outDims = fold->outputDims;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  Contraction c{*x, *y, {}, {}, {}, {}};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [dim, kind] : llvm::enumerate(iterators)) {
    unsigned d = dim;
    if (kind == utils::IteratorType::reduction) {
      if (outDims.contains(d))
        return failure();
      c.kDims.push_back(d);
      continue;
    }
    if (!outDims.contains(d))
      return failure();
    bool inX = c.x.dims.contains(d), inY = c.y.dims.contains(d);
    if (inX && !inY)
      c.mDims.push_back(d);
    else if (inY && !inX)
      c.nDims.push_back(d);
    else
      c.batchDims.push_back(d);
  }
  if (c.mDims.empty() || c.nDims.empty())
    return failure(); // A matrix-vector product: no reuse to stage.
  // The output's innermost dimension should run along the threads of a row.
  if (auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
      last && llvm::is_contained(c.mDims, last.getPosition())) {
    std::swap(c.x, c.y);
    std::swap(c.mDims, c.nDims);
  }
  return c;
}

struct WhittleTileGPUContractionsPass
    : whittle::impl::WhittleTileGPUContractionsBase<
          WhittleTileGPUContractionsPass> {
  using Base::Base;

  /// `then` where `cond` holds, else 0.0.
  static Value guarded(OpBuilder &b, Location loc, Value cond,
                       function_ref<Value(OpBuilder &)> then) {
    auto ifOp = scf::IfOp::create(
        b, loc, cond,
        [&](OpBuilder &tb, Location l) {
          scf::YieldOp::create(tb, l, then(tb));
        },
        [&](OpBuilder &eb, Location l) {
          Value zero =
              arith::ConstantOp::create(eb, l, eb.getF32FloatAttr(0.0f));
          scf::YieldOp::create(eb, l, zero);
        });
    return ifOp.getResult(0);
  }

  void tile(linalg::LinalgOp op, Contraction &c) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    SmallVector<Value> sizes = loopSizes(b, loc, op);
    auto cst = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(ob, loc, v);
    };
    auto product = [&](ArrayRef<unsigned> dims) {
      return productOf(b, loc, dims, sizes);
    };
    Value m = product(c.mDims), n = product(c.nDims), k = product(c.kDims),
          batch = product(c.batchDims);

    // T x T outputs per thread; smaller tiles for small matrices so that
    // fewer threads idle.
    int64_t perThread = 4;
    std::optional<int64_t> staticM = getConstantIntValue(m),
                           staticN = getConstantIntValue(n);
    int64_t smaller =
        std::min(staticM.value_or(INT64_MAX), staticN.value_or(INT64_MAX));
    while (perThread > 1 && smaller < perThread * kThreadGrid)
      perThread /= 2;
    int64_t tile = perThread * kThreadGrid;

    Value gridX = b.createOrFold<arith::CeilDivUIOp>(loc, n, cst(b, tile));
    Value gridY = b.createOrFold<arith::CeilDivUIOp>(loc, m, cst(b, tile));
    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto workgroup =
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto priv = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Private);
    Type tileType = MemRefType::get({kTileK, tile}, f32, nullptr, workgroup);
    Type accType = MemRefType::get({perThread * perThread}, f32, nullptr, priv);
    auto launch = gpu::LaunchOp::create(
        b, loc, gridX, gridY, batch, cst(b, kThreads), cst(b, 1), cst(b, 1),
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{tileType, tileType},
        TypeRange{accType});
    Value xTile = launch.getWorkgroupAttributions()[0];
    Value yTile = launch.getWorkgroupAttributions()[1];
    Value acc = launch.getPrivateAttributions()[0];

    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(kb, loc);
    kb.setInsertionPoint(terminator);
    Value tid = launch.getThreadIds().x;
    Value rowBase =
        arith::MulIOp::create(kb, loc, launch.getBlockIds().y, cst(kb, tile));
    Value colBase =
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x, cst(kb, tile));
    DenseMap<unsigned, Value> batchValues;
    delinearize(kb, loc, launch.getBlockIds().z, c.batchDims, sizes,
                batchValues);
    Value grid = cst(kb, kThreadGrid);
    Value threadRow = arith::DivUIOp::create(kb, loc, tid, grid);
    Value threadCol = arith::RemUIOp::create(kb, loc, tid, grid);
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    Value out = op.getDpsInitOperand(0)->get();
    auto lessThan = [&](OpBuilder &ob, Value a, Value bound) {
      return arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::ult, a,
                                   bound);
    };

    // Output (i, j) of this thread: the point of the iteration space, and
    // whether it exists.
    auto outputPoint = [&](OpBuilder &ob, int64_t i, int64_t j,
                           DenseMap<unsigned, Value> &dims) {
      Value row = arith::AddIOp::create(
          ob, loc, rowBase,
          arith::AddIOp::create(ob, loc, threadRow, cst(ob, i * kThreadGrid)));
      Value col = arith::AddIOp::create(
          ob, loc, colBase,
          arith::AddIOp::create(ob, loc, threadCol, cst(ob, j * kThreadGrid)));
      dims = batchValues;
      delinearize(ob, loc, row, c.mDims, sizes, dims);
      delinearize(ob, loc, col, c.nDims, sizes, dims);
      return arith::AndIOp::create(ob, loc, lessThan(ob, row, m),
                                   lessThan(ob, col, n));
    };

    // The accumulators start from the output's current value.
    for (int64_t i = 0; i < perThread; ++i)
      for (int64_t j = 0; j < perThread; ++j) {
        DenseMap<unsigned, Value> dims;
        Value exists = outputPoint(kb, i, j, dims);
        Value init = guarded(kb, loc, exists, [&](OpBuilder &tb) {
          return memref::LoadOp::create(tb, loc, out,
                                        indicesAt(tb, loc, outMap, dims));
        });
        memref::StoreOp::create(kb, loc, init, acc,
                                ValueRange{cst(kb, i * perThread + j)});
      }

    auto kLoop = scf::ForOp::create(kb, loc, cst(kb, 0), k, cst(kb, kTileK));
    OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
    lb.setInsertionPoint(kLoop.getBody()->getTerminator());
    Value k0 = kLoop.getInductionVar();
    // Stage x[rows, k0 : k0 + BK] as xTile[k][row] (consecutive threads
    // read consecutive k) and y[k0 : k0 + BK, cols] as yTile[k][col].
    auto stage = [&](const BodySlice &factor, ArrayRef<unsigned> dims,
                     Value extent, Value base, Value stagedTile,
                     bool kFastest) {
      for (int64_t r = 0; r < perThread; ++r) {
        Value e = arith::AddIOp::create(lb, loc, tid, cst(lb, r * kThreads));
        Value kk, along;
        if (kFastest) {
          kk = arith::RemUIOp::create(lb, loc, e, cst(lb, kTileK));
          along = arith::DivUIOp::create(lb, loc, e, cst(lb, kTileK));
        } else {
          along = arith::RemUIOp::create(lb, loc, e, cst(lb, tile));
          kk = arith::DivUIOp::create(lb, loc, e, cst(lb, tile));
        }
        Value index = arith::AddIOp::create(lb, loc, base, along);
        Value kIndex = arith::AddIOp::create(lb, loc, k0, kk);
        Value inside = arith::AndIOp::create(
            lb, loc, lessThan(lb, index, extent), lessThan(lb, kIndex, k));
        Value v = guarded(lb, loc, inside, [&](OpBuilder &tb) {
          DenseMap<unsigned, Value> point = batchValues;
          delinearize(tb, loc, index, dims, sizes, point);
          delinearize(tb, loc, kIndex, c.kDims, sizes, point);
          return evaluateSlice(tb, loc, op, factor, point);
        });
        memref::StoreOp::create(lb, loc, v, stagedTile, ValueRange{kk, along});
      }
    };
    stage(c.x, c.mDims, m, rowBase, xTile, /*kFastest=*/true);
    stage(c.y, c.nDims, n, colBase, yTile, /*kFastest=*/false);
    gpu::BarrierOp::create(lb, loc);
    // The accumulators stay in registers (iter_args) across the slice; private
    // memory only carries them from one slice to the next.
    SmallVector<Value> sums;
    for (int64_t slot = 0; slot < perThread * perThread; ++slot)
      sums.push_back(memref::LoadOp::create(lb, loc, acc, cst(lb, slot)));
    auto inner = scf::ForOp::create(
        lb, loc, cst(lb, 0), cst(lb, kTileK), cst(lb, 1), sums,
        [&](OpBuilder &ib, Location l, Value kk, ValueRange carried) {
          SmallVector<Value> xs, ys, next;
          for (int64_t i = 0; i < perThread; ++i) {
            Value row = arith::AddIOp::create(ib, l, threadRow,
                                              cst(ib, i * kThreadGrid));
            xs.push_back(
                memref::LoadOp::create(ib, l, xTile, ValueRange{kk, row}));
            Value col = arith::AddIOp::create(ib, l, threadCol,
                                              cst(ib, i * kThreadGrid));
            ys.push_back(
                memref::LoadOp::create(ib, l, yTile, ValueRange{kk, col}));
          }
          for (int64_t i = 0; i < perThread; ++i)
            for (int64_t j = 0; j < perThread; ++j)
              next.push_back(math::FmaOp::create(ib, l, xs[i], ys[j],
                                                 carried[i * perThread + j]));
          scf::YieldOp::create(ib, l, next);
        });
    for (int64_t slot = 0; slot < perThread * perThread; ++slot)
      memref::StoreOp::create(lb, loc, inner.getResult(slot), acc,
                              cst(lb, slot));
    // The next slices overwrite the tiles only once every thread is done.
    gpu::BarrierOp::create(lb, loc);

    for (int64_t i = 0; i < perThread; ++i)
      for (int64_t j = 0; j < perThread; ++j) {
        DenseMap<unsigned, Value> dims;
        Value exists = outputPoint(kb, i, j, dims);
        auto ifOp = scf::IfOp::create(kb, loc, exists, /*withElse=*/false);
        OpBuilder tb = ifOp.getThenBodyBuilder();
        Value result = memref::LoadOp::create(
            tb, loc, acc, ValueRange{cst(tb, i * perThread + j)});
        memref::StoreOp::create(tb, loc, result, out,
                                indicesAt(tb, loc, outMap, dims));
      }
    op->erase();
    ++numTiled;
  }

  void runOnOperation() override {
    for (auto &[op, c] :
         matchTopLevelLinalgOps(getOperation(), matchContraction))
      tile(op, c);
  }
};

} // namespace
