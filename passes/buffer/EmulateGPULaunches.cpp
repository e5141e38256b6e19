//===- EmulateGPULaunches.cpp - gpu.launch as loops on the CPU ------------===//
//
// For testing the GPU path where there is no GPU: each gpu.launch becomes a
// loop nest over its blocks, and within a block over its threads. Without
// barriers every interleaving of a launch's threads computes the same
// thing, so the body runs once per thread. With barriers (shared-memory
// kernels) the body is cut at each barrier, as MCUDA does: each stretch
// between barriers runs for every thread before the next one starts, a
// barrier may sit in a loop whose bounds are the same for all threads (the
// loop then runs once, with the thread loops inside it), workgroup memory
// is one buffer per block and private memory one slice per thread. Pure
// thread-dependent values that a later stretch needs are recomputed there;
// any other value crossing a barrier is an error.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEEMULATEGPULAUNCHES
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

struct WhittleEmulateGPULaunchesPass
    : whittle::impl::WhittleEmulateGPULaunchesBase<
          WhittleEmulateGPULaunchesPass> {
  using Base::Base;

  LogicalResult emulate(gpu::LaunchOp launch) {
    bool barriers = false;
    launch.getBody().walk([&](gpu::BarrierOp) { barriers = true; });
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    IRMapping mapping;
    gpu::KernelDim3 gridArgs = launch.getGridSize();
    gpu::KernelDim3 blockArgs = launch.getBlockSize();
    mapping.map(gridArgs.x, grid.x);
    mapping.map(gridArgs.y, grid.y);
    mapping.map(gridArgs.z, grid.z);
    mapping.map(blockArgs.x, block.x);
    mapping.map(blockArgs.y, block.y);
    mapping.map(blockArgs.z, block.z);

    // Workgroup memory: one buffer, reused by the blocks in turn. Private
    // memory: a slice per thread of the block.
    auto plain = [](MemRefType type, ArrayRef<int64_t> lead) {
      SmallVector<int64_t> shape(lead);
      llvm::append_range(shape, type.getShape());
      return MemRefType::get(shape, type.getElementType());
    };
    for (BlockArgument arg : launch.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(arg.getType());
      if (!type.hasStaticShape())
        return launch.emitError("workgroup memory of dynamic size cannot "
                                "be emulated");
      mapping.map(arg, memref::AllocaOp::create(b, loc, plain(type, {})));
    }
    int64_t threads = 1;
    for (Value size : {block.x, block.y, block.z}) {
      std::optional<int64_t> n = getConstantIntValue(size);
      if (!n && !launch.getPrivateAttributions().empty())
        return launch.emitError("private memory in a launch of dynamic "
                                "block size cannot be emulated");
      threads *= n.value_or(1);
    }
    for (BlockArgument arg : launch.getPrivateAttributions()) {
      auto type = cast<MemRefType>(arg.getType());
      if (!type.hasStaticShape())
        return launch.emitError("private memory of dynamic size cannot be "
                                "emulated");
      privateBuffers.push_back(
          {arg, memref::AllocaOp::create(b, loc, plain(type, {threads}))});
    }

    gpu::KernelDim3 blockIds = launch.getBlockIds();
    OpBuilder inner = b;
    for (auto [bound, id] :
         llvm::zip(SmallVector<Value>{grid.x, grid.y, grid.z},
                   SmallVector<Value>{blockIds.x, blockIds.y, blockIds.z})) {
      auto loop = scf::ForOp::create(inner, loc, zero, bound, one);
      mapping.map(id, loop.getInductionVar());
      inner.setInsertionPoint(loop.getBody()->getTerminator());
    }
    current = launch;
    LogicalResult result = success();
    if (!barriers) {
      SmallVector<Operation *> all;
      for (Operation &op : launch.getBody().front().without_terminator())
        all.push_back(&op);
      result = runPerThread(inner, all, mapping);
    } else {
      result = emulateBlock(inner, launch.getBody().front(), mapping);
    }
    privateBuffers.clear();
    if (failed(result))
      return failure();
    launch.erase();
    ++numEmulated;
    return success();
  }

  /// Runs `ops` (in order) for every thread of the current block, at `b`.
  LogicalResult runPerThread(OpBuilder &b, ArrayRef<Operation *> ops,
                             const IRMapping &outer) {
    if (ops.empty())
      return success();
    Location loc = ops.front()->getLoc();
    gpu::KernelDim3 block = current.getBlockSizeOperandValues();
    gpu::KernelDim3 threadIds = current.getThreadIds();
    IRMapping mapping = outer;
    OpBuilder inner = b;
    SmallVector<Value> ivs;
    for (auto [bound, id] :
         llvm::zip(SmallVector<Value>{block.x, block.y, block.z},
                   SmallVector<Value>{threadIds.x, threadIds.y, threadIds.z})) {
      auto loop = scf::ForOp::create(inner, loc, zero, bound, one);
      mapping.map(id, loop.getInductionVar());
      ivs.push_back(loop.getInductionVar());
      inner.setInsertionPoint(loop.getBody()->getTerminator());
    }
    if (!privateBuffers.empty()) {
      // Linear thread id: (z * Y + y) * X + x.
      Value linear = arith::AddIOp::create(
          inner, loc,
          arith::MulIOp::create(
              inner, loc,
              arith::AddIOp::create(
                  inner, loc,
                  arith::MulIOp::create(inner, loc, ivs[2], block.y), ivs[1]),
              block.x),
          ivs[0]);
      for (auto [arg, buffer] : privateBuffers) {
        auto type = cast<MemRefType>(arg.getType());
        int64_t rank = type.getRank();
        SmallVector<OpFoldResult> offsets(rank + 1, inner.getIndexAttr(0)),
            sizes = {inner.getIndexAttr(1)},
            strides(rank + 1, inner.getIndexAttr(1));
        offsets[0] = linear;
        for (int64_t d : type.getShape())
          sizes.push_back(inner.getIndexAttr(d));
        auto resultType =
            cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
                type.getShape(), cast<MemRefType>(buffer.getType()), offsets,
                sizes, strides));
        mapping.map(arg,
                    memref::SubViewOp::create(inner, loc, resultType, buffer,
                                              offsets, sizes, strides));
      }
    }
    for (Operation *op : ops) {
      for (Value operand : op->getOperands())
        if (failed(rematerialize(inner, operand, mapping)))
          return failure();
      // Values nested regions capture from an earlier stretch, too.
      WalkResult walk = op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          if (!op->isAncestor(operand.getParentBlock()->getParentOp()) &&
              failed(rematerialize(inner, operand, mapping)))
            return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return failure();
      inner.clone(*op, mapping);
    }
    return success();
  }

  /// Makes `v` available in a stretch: a value from outside the launch or
  /// of this stretch already is; a pure one computed before a barrier is
  /// recomputed.
  LogicalResult rematerialize(OpBuilder &b, Value v, IRMapping &mapping) {
    Operation *scope = v.getParentBlock()->getParentOp();
    if (mapping.contains(v) ||
        (scope != current.getOperation() && !current->isProperAncestor(scope)))
      return success();
    Operation *def = v.getDefiningOp();
    if (!def || def->getNumRegions() || !isPure(def))
      return current.emitError("a value computed before a barrier is used "
                               "after it; the launch cannot be emulated");
    for (Value operand : def->getOperands())
      if (failed(rematerialize(b, operand, mapping)))
        return failure();
    b.clone(*def, mapping);
    return success();
  }

  /// Emulates the ops of `body` (the launch's, or a loop's containing a
  /// barrier) for the current block: stretches between barriers run for
  /// every thread in turn, loops with barriers run once around them.
  LogicalResult emulateBlock(OpBuilder &b, Block &body, IRMapping &mapping) {
    SmallVector<Operation *> stretch;
    auto flush = [&]() {
      LogicalResult result = runPerThread(b, stretch, mapping);
      stretch.clear();
      return result;
    };
    for (Operation &op : body.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        if (failed(flush()))
          return failure();
        continue;
      }
      bool hasBarrier = false;
      op.walk([&](gpu::BarrierOp) { hasBarrier = true; });
      if (!hasBarrier) {
        stretch.push_back(&op);
        continue;
      }
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop || loop.getNumResults())
        return op.emitError("a barrier inside this op cannot be emulated");
      if (failed(flush()))
        return failure();
      // The bounds are the same for every thread (as barriers in the loop
      // require); pure ones computed from thread ids are recomputed here.
      for (Value bound :
           {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()})
        if (failed(rematerialize(b, bound, mapping)))
          return failure();
      auto emulated = scf::ForOp::create(
          b, loop.getLoc(), mapping.lookupOrDefault(loop.getLowerBound()),
          mapping.lookupOrDefault(loop.getUpperBound()),
          mapping.lookupOrDefault(loop.getStep()));
      mapping.map(loop.getInductionVar(), emulated.getInductionVar());
      OpBuilder lb(emulated.getBody()->getTerminator());
      if (failed(emulateBlock(lb, *loop.getBody(), mapping)))
        return failure();
    }
    return flush();
  }

  gpu::LaunchOp current;
  Value zero, one;
  SmallVector<std::pair<BlockArgument, Value>> privateBuffers;

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }
};

} // namespace
