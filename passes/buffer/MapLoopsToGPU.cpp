//===- MapLoopsToGPU.cpp - Top-level loop nests -> gpu.launch -------------===//
//
// On a GPU target the host only orchestrates: every buffer lives in device
// memory, so whatever reads or writes memory must run in a kernel. A
// top-level scf.parallel becomes a launch over its flattened iteration space
// (one thread per iteration, which keeps consecutive threads on consecutive
// innermost indices: coalesced accesses for row-major buffers); a copy
// becomes such a loop first; any other op that touches memory runs in a
// one-thread launch.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEMAPLOOPSTOGPU
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// True when `op` (or anything nested in it) may read or write memory.
bool touchesMemory(Operation *op) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return true;
  return llvm::any_of(*effects, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect());
  });
}

/// memref.copy as an element-wise parallel loop (which is then mapped like
/// any other); a copy of one element as a load and a store, left to run
/// serially: returns the op to map.
Operation *expandCopy(memref::CopyOp copy) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto type = cast<MemRefType>(copy.getSource().getType());
  if (type.getRank() == 0) {
    auto load = memref::LoadOp::create(b, loc, copy.getSource());
    auto store = memref::StoreOp::create(b, loc, load, copy.getTarget());
    copy.erase();
    // The load moves with the store into one launch.
    return store;
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs(type.getRank(), zero), steps(type.getRank(), one), ubs;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    ubs.push_back(
        type.isDynamicDim(dim)
            ? memref::DimOp::create(b, loc, copy.getSource(), dim).getResult()
            : arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim))
                  .getResult());
  Value source = copy.getSource(), target = copy.getTarget();
  auto loop = scf::ParallelOp::create(
      b, loc, lbs, ubs, steps, [&](OpBuilder &nb, Location l, ValueRange ivs) {
        Value v = memref::LoadOp::create(nb, l, source, ivs);
        memref::StoreOp::create(nb, l, v, target, ivs);
      });
  copy.erase();
  return loop;
}

struct WhittleMapLoopsToGPUPass
    : whittle::impl::WhittleMapLoopsToGPUBase<WhittleMapLoopsToGPUPass> {
  using Base::Base;

  /// Launches `loop` with one thread per iteration.
  LogicalResult mapParallelLoop(scf::ParallelOp loop) {
    if (loop.getNumResults())
      return loop.emitError("parallel loop with reductions cannot be mapped "
                            "to GPU threads");
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> counts;
    Value total = one;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value extent = b.createOrFold<arith::SubIOp>(loc, ub, lb);
      Value count = b.createOrFold<arith::CeilDivUIOp>(loc, extent, step);
      counts.push_back(count);
      total = b.createOrFold<arith::MulIOp>(loc, total, count);
    }
    if (matchPattern(total, m_Zero())) {
      loop.erase();
      return success();
    }
    Value block = arith::ConstantIndexOp::create(b, loc, blockSize);
    llvm::APInt staticTotal;
    if (matchPattern(total, m_ConstantInt(&staticTotal)) &&
        staticTotal.getSExtValue() < blockSize)
      block = total;
    Value grid = b.createOrFold<arith::CeilDivUIOp>(loc, total, block);
    auto launch =
        gpu::LaunchOp::create(b, loc, grid, one, one, block, one, one);

    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value first = arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                                        launch.getBlockSize().x);
    Value linear =
        arith::AddIOp::create(kb, loc, first, launch.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult,
                                          linear, total);
    auto guard = scf::IfOp::create(kb, loc, inRange, /*withElse=*/false);
    gpu::TerminatorOp::create(kb, loc);

    OpBuilder tb = guard.getThenBodyBuilder();
    IRMapping mapping;
    Value rest = linear;
    for (int64_t d = loop.getNumLoops() - 1; d >= 0; --d) {
      Value index = rest;
      if (d > 0) {
        index = arith::RemUIOp::create(tb, loc, rest, counts[d]);
        rest = arith::DivUIOp::create(tb, loc, rest, counts[d]);
      }
      Value scaled = arith::MulIOp::create(tb, loc, index, loop.getStep()[d]);
      Value iv =
          arith::AddIOp::create(tb, loc, scaled, loop.getLowerBound()[d]);
      mapping.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      tb.clone(op, mapping);
    loop.erase();
    ++numParallel;
    return success();
  }

  /// Runs `ops` (top-level, in order, nothing between them touching
  /// memory) in one launch of one thread, at the place of the last.
  LogicalResult runSerially(ArrayRef<Operation *> ops) {
    llvm::SmallPtrSet<Operation *, 8> inGroup(ops.begin(), ops.end());
    for (Operation *op : ops)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers()) {
          while (!isa<func::FuncOp>(user->getParentOp()))
            user = user->getParentOp();
          if (!inGroup.contains(user))
            return op->emitError("a value computed from device memory is "
                                 "used by the host; it cannot run on the GPU");
        }
    OpBuilder b(ops.back());
    Location loc = ops.back()->getLoc();
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(kb, loc);
    for (Operation *op : ops)
      op->moveBefore(terminator);
    ++numSerial;
    return success();
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (!func.getBody().hasOneBlock()) {
        func.emitError("a function with control flow between blocks cannot "
                       "be mapped to GPU kernels");
        return signalPassFailure();
      }
      SmallVector<Operation *> ops;
      for (Operation &op : func.getBody().front().without_terminator())
        ops.push_back(&op);
      // Scalar work between loops (a load, arithmetic on it, a store: the
      // scale of a dynamic quantization, say) runs as one serial group.
      SmallVector<Operation *> group;
      llvm::SmallPtrSet<Operation *, 8> inGroup;
      auto flush = [&]() {
        if (group.empty())
          return success();
        LogicalResult result = runSerially(group);
        group.clear();
        inGroup.clear();
        return result;
      };
      for (Operation *op : ops) {
        if (auto copy = dyn_cast<memref::CopyOp>(op)) {
          op = expandCopy(copy);
          if (auto store = dyn_cast<memref::StoreOp>(op)) {
            for (Operation *member :
                 {store.getValue().getDefiningOp(), store.getOperation()}) {
              group.push_back(member);
              inGroup.insert(member);
            }
            continue;
          }
        }
        bool dependsOnGroup = llvm::any_of(op->getOperands(), [&](Value v) {
          return v.getDefiningOp() && inGroup.contains(v.getDefiningOp());
        });
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          if (failed(flush()) || failed(mapParallelLoop(loop)))
            return signalPassFailure();
        } else if (isa<gpu::LaunchOp>(op)) {
          if (failed(flush()))
            return signalPassFailure();
        } else if (dependsOnGroup || touchesMemory(op)) {
          group.push_back(op);
          inGroup.insert(op);
        }
      }
      if (failed(flush()))
        return signalPassFailure();
    }
  }
};

} // namespace
