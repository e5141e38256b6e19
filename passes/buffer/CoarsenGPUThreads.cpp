//===- CoarsenGPUThreads.cpp - Several outputs per GPU thread -------------===//
//
// With one thread per output, a matmul thread loads A[i, k] and B[k, j] for
// each multiply-add: two global loads per FMA. A thread that computes an
// R x C block of outputs loads R values of A and C of B per k and does R·C
// FMAs with them. Here a parallel loop whose body reduces in one serial
// loop (a matmul's k loop, after whittle-promote-loop-accumulators) gets its
// last two parallel dimensions divided by R and C and its body unrolled and
// jammed: one k loop carrying the R·C accumulators. Output (i, j) of thread
// (i', j') is i = i' + a·M/R, j = j' + b·N/C, so that threads next to each
// other still touch columns next to each other (coalesced). CSE then shares
// the loads that the copies have in common.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLECOARSENGPUTHREADS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

std::optional<int64_t> constantIndex(Value v) {
  llvm::APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// True when nothing in `op` writes memory.
bool readsOnly(Operation *op) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  return effects && llvm::none_of(*effects, [](auto &e) {
           return isa<MemoryEffects::Write, MemoryEffects::Allocate,
                      MemoryEffects::Free>(e.getEffect());
         });
}

struct WhittleCoarsenGPUThreadsPass
    : whittle::impl::WhittleCoarsenGPUThreadsBase<
          WhittleCoarsenGPUThreadsPass> {
  using Base::Base;

  /// The single reduction loop of `loop`'s body, if the body has the shape
  /// this pass handles: ops that only read before it, stores or pure ops
  /// after it, and the reduction reading only.
  scf::ForOp reductionOf(scf::ParallelOp loop) {
    scf::ForOp reduction;
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (auto inner = dyn_cast<scf::ForOp>(op)) {
        if (reduction || inner.getNumResults() == 0 || !readsOnly(inner))
          return {};
        for (Value bound :
             {inner.getLowerBound(), inner.getUpperBound(), inner.getStep()})
          if (!loop.isDefinedOutsideOfLoop(bound))
            return {};
        reduction = inner;
        continue;
      }
      bool store = isa<memref::StoreOp>(op);
      if (!store && !readsOnly(&op))
        return {};
      if (store && !reduction)
        return {}; // A store before the reduction could feed it.
      if (!store && op.getNumRegions())
        return {};
    }
    return reduction;
  }

  LogicalResult coarsen(scf::ParallelOp loop, int64_t rows, int64_t cols) {
    unsigned n = loop.getNumLoops();
    scf::ForOp reduction = reductionOf(loop);
    if (n < 2 || !reduction)
      return failure();
    SmallVector<int64_t> extents;
    for (unsigned d = 0; d < n; ++d) {
      std::optional<int64_t> lb = constantIndex(loop.getLowerBound()[d]);
      std::optional<int64_t> ub = constantIndex(loop.getUpperBound()[d]);
      std::optional<int64_t> step = constantIndex(loop.getStep()[d]);
      if (!lb || !ub || !step || *lb != 0 || *step != 1)
        return failure();
      extents.push_back(*ub);
    }
    int64_t m = extents[n - 2], cN = extents[n - 1];
    // Smaller blocks where the loop is too small to keep a GPU busy with
    // the large ones.
    int64_t others = 1;
    for (unsigned d = 0; d + 2 < n; ++d)
      others *= extents[d];
    while (rows > 1 && (m % rows || cN % cols ||
                        others * (m / rows) * (cN / cols) < minThreads)) {
      rows /= 2;
      cols /= 2;
    }
    if (rows <= 1 || cols <= 1)
      return failure();

    OpBuilder b(loop);
    Location loc = loop.getLoc();
    SmallVector<Value> ubs(loop.getUpperBound());
    ubs[n - 2] = arith::ConstantIndexOp::create(b, loc, m / rows);
    ubs[n - 1] = arith::ConstantIndexOp::create(b, loc, cN / cols);
    auto coarse = scf::ParallelOp::create(b, loc, loop.getLowerBound(), ubs,
                                          loop.getStep());
    OpBuilder pb = OpBuilder::atBlockBegin(coarse.getBody());
    SmallVector<Value> ivs = coarse.getInductionVars();
    Block *body = loop.getBody();

    // One mapping per output of the block.
    SmallVector<IRMapping> copies(rows * cols);
    for (int64_t a = 0; a < rows; ++a)
      for (int64_t c = 0; c < cols; ++c) {
        IRMapping &map = copies[a * cols + c];
        for (unsigned d = 0; d + 2 < n; ++d)
          map.map(loop.getInductionVars()[d], ivs[d]);
        auto offset = [&](Value iv, int64_t part) -> Value {
          if (part == 0)
            return iv;
          return arith::AddIOp::create(
              pb, loc, iv, arith::ConstantIndexOp::create(pb, loc, part));
        };
        map.map(loop.getInductionVars()[n - 2],
                offset(ivs[n - 2], a * (m / rows)));
        map.map(loop.getInductionVars()[n - 1],
                offset(ivs[n - 1], c * (cN / cols)));
      }
    auto before = llvm::make_range(body->begin(), reduction->getIterator());
    for (IRMapping &map : copies)
      for (Operation &op : before)
        pb.clone(op, map);

    // The jammed reduction: every copy's accumulators in one loop.
    SmallVector<Value> inits;
    for (IRMapping &map : copies)
      for (Value init : reduction.getInitArgs())
        inits.push_back(map.lookupOrDefault(init));
    unsigned perCopy = reduction.getNumRegionIterArgs();
    auto jammed = scf::ForOp::create(
        pb, reduction.getLoc(), reduction.getLowerBound(),
        reduction.getUpperBound(), reduction.getStep(), inits,
        [&](OpBuilder &fb, Location l, Value iv, ValueRange args) {
          SmallVector<Value> yields;
          for (auto [index, map] : llvm::enumerate(copies)) {
            map.map(reduction.getInductionVar(), iv);
            for (unsigned r = 0; r < perCopy; ++r)
              map.map(reduction.getRegionIterArgs()[r],
                      args[index * perCopy + r]);
            for (Operation &op : reduction.getBody()->without_terminator())
              fb.clone(op, map);
            for (Value y : reduction.getBody()->getTerminator()->getOperands())
              yields.push_back(map.lookupOrDefault(y));
          }
          scf::YieldOp::create(fb, l, yields);
        });
    for (auto [index, map] : llvm::enumerate(copies)) {
      for (unsigned r = 0; r < perCopy; ++r)
        map.map(reduction.getResult(r), jammed.getResult(index * perCopy + r));
      for (Operation &op : llvm::make_range(std::next(reduction->getIterator()),
                                            body->without_terminator().end()))
        pb.clone(op, map);
    }
    loop.erase();
    ++numCoarsened;
    return success();
  }

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      (void)coarsen(loop, blockRows, blockCols);
  }
};

} // namespace
