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

#include "MmaSyncLayout.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <functional>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEEMULATEGPULAUNCHES
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// The emulated form of a warp-level matrix fragment: the whole R x C
/// matrix, row-major, in f32. Every thread of the warp holds all of it (its
/// lanes' shares together), so the warp's collective load, multiply and
/// store become the same whole-matrix computation in each thread, and the
/// threads' stores write the same values.
VectorType emulatedFragmentType(gpu::MMAMatrixType type) {
  ArrayRef<int64_t> shape = type.getShape();
  return VectorType::get({shape[0] * shape[1]},
                         Float32Type::get(type.getContext()));
}

/// A loop nest over [0, rows) x [0, cols) carrying `init`.
Value forEachElement(
    OpBuilder &b, Location loc, int64_t rows, int64_t cols, Value init,
    function_ref<Value(OpBuilder &, Value, Value, Value)> body) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value rowCount = arith::ConstantIndexOp::create(b, loc, rows);
  Value colCount = arith::ConstantIndexOp::create(b, loc, cols);
  auto outer = scf::ForOp::create(
      b, loc, zero, rowCount, one, ValueRange{init},
      [&](OpBuilder &ob, Location l, Value r, ValueRange rowCarried) {
        auto inner = scf::ForOp::create(
            ob, l, zero, colCount, one, rowCarried,
            [&](OpBuilder &ib, Location il, Value c, ValueRange carried) {
              scf::YieldOp::create(ib, il, body(ib, r, c, carried[0]));
            });
        scf::YieldOp::create(ob, l, inner.getResults());
      });
  return outer.getResult(0);
}

/// C + A B for row-major flattened f32 matrices A (rows x depth), B
/// (depth x cols) and C (rows x cols), in FMAs over the depth.
Value multiplyAccumulate(OpBuilder &b, Location loc, Value a, Value bv, Value c,
                         int64_t rows, int64_t cols, int64_t depth) {
  return forEachElement(
      b, loc, rows, cols, c, [&](OpBuilder &eb, Value r, Value col, Value d) {
        auto cst = [&](int64_t x) -> Value {
          return arith::ConstantIndexOp::create(eb, loc, x);
        };
        Value at = arith::AddIOp::create(
            eb, loc, arith::MulIOp::create(eb, loc, r, cst(cols)), col);
        Value sum =
            vector::ExtractOp::create(eb, loc, d, ArrayRef<OpFoldResult>{at});
        auto loop = scf::ForOp::create(
            eb, loc, cst(0), cst(depth), cst(1), ValueRange{sum},
            [&](OpBuilder &kb, Location l, Value k, ValueRange acc) {
              Value ai = arith::AddIOp::create(
                  kb, l, arith::MulIOp::create(kb, l, r, cst(depth)), k);
              Value bi = arith::AddIOp::create(
                  kb, l, arith::MulIOp::create(kb, l, k, cst(cols)), col);
              Value x = vector::ExtractOp::create(kb, l, a,
                                                  ArrayRef<OpFoldResult>{ai});
              Value y = vector::ExtractOp::create(kb, l, bv,
                                                  ArrayRef<OpFoldResult>{bi});
              scf::YieldOp::create(
                  kb, l, ValueRange{math::FmaOp::create(kb, l, x, y, acc[0])});
            });
        return vector::InsertOp::create(eb, loc, loop.getResult(0), d,
                                        ArrayRef<OpFoldResult>{at})
            .getResult();
      });
}

/// Rewrites the gpu.subgroup_mma_* ops of `launch` (and the loop-carried
/// fragments) into their per-thread emulated form. Operands of a tf32
/// product (f32 A and B fragments) keep only the 10 mantissa bits the
/// tensor cores read.
LogicalResult emulateWarpMatrices(gpu::LaunchOp launch) {
  // Each op with the fragment type it reads or makes (A's for a product),
  // taken before any value is retyped.
  SmallVector<Operation *> ops;
  DenseMap<Operation *, gpu::MMAMatrixType> fragmentTypes;
  launch.getBody().walk([&](Operation *op) {
    Value fragment;
    if (auto load = dyn_cast<gpu::SubgroupMmaLoadMatrixOp>(op))
      fragment = load.getRes();
    else if (auto store = dyn_cast<gpu::SubgroupMmaStoreMatrixOp>(op))
      fragment = store.getSrc();
    else if (auto compute = dyn_cast<gpu::SubgroupMmaComputeOp>(op))
      fragment = compute.getOpA();
    else if (auto constant = dyn_cast<gpu::SubgroupMmaConstantMatrixOp>(op))
      fragment = constant.getRes();
    else
      return;
    ops.push_back(op);
    fragmentTypes[op] = cast<gpu::MMAMatrixType>(fragment.getType());
  });
  if (ops.empty())
    return success();
  // Loops carrying fragments carry their emulated form (retyped first, so
  // that the rewritten ops below see vectors).
  launch.getBody().walk([&](scf::ForOp loop) {
    for (auto [arg, result] :
         llvm::zip(loop.getRegionIterArgs(), loop.getResults()))
      if (auto type = dyn_cast<gpu::MMAMatrixType>(arg.getType())) {
        arg.setType(emulatedFragmentType(type));
        result.setType(emulatedFragmentType(type));
      }
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type f32 = b.getF32Type();
    if (auto constant = dyn_cast<gpu::SubgroupMmaConstantMatrixOp>(op)) {
      Value v = constant.getValue();
      if (v.getType() != f32)
        v = arith::ExtFOp::create(b, loc, f32, v);
      Value splat = vector::BroadcastOp::create(
          b, loc, emulatedFragmentType(fragmentTypes[op]), v);
      constant.replaceAllUsesWith(splat);
    } else if (auto load = dyn_cast<gpu::SubgroupMmaLoadMatrixOp>(op)) {
      gpu::MMAMatrixType type = fragmentTypes[op];
      auto source = cast<MemRefType>(load.getSrcMemref().getType());
      if (source.getRank() != 2 || load.getTranspose() ||
          source.getDimSize(1) != load.getLeadDimension().getSExtValue())
        return load.emitError("only row-major fragment loads of a 2-D buffer "
                              "(leading dimension its row length) can be "
                              "emulated");
      bool tf32 = type.getElementType().isF32() && type.getOperand() != "COp";
      Value init = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(emulatedFragmentType(type), 0.0f));
      ValueRange at = load.getIndices();
      Value v = forEachElement(
          b, loc, type.getShape()[0], type.getShape()[1], init,
          [&](OpBuilder &eb, Value r, Value c, Value fragment) {
            Value x = memref::LoadOp::create(
                eb, loc, load.getSrcMemref(),
                ValueRange{arith::AddIOp::create(eb, loc, at[0], r),
                           arith::AddIOp::create(eb, loc, at[1], c)});
            if (x.getType() != f32)
              x = arith::ExtFOp::create(eb, loc, f32, x);
            if (tf32) {
              Value bits =
                  arith::BitcastOp::create(eb, loc, eb.getI32Type(), x);
              Value mask = arith::ConstantIntOp::create(
                  eb, loc, eb.getI32Type(), ~int64_t(0x1fff));
              x = arith::BitcastOp::create(
                  eb, loc, f32, arith::AndIOp::create(eb, loc, bits, mask));
            }
            Value pos = arith::AddIOp::create(
                eb, loc,
                arith::MulIOp::create(eb, loc, r,
                                      arith::ConstantIndexOp::create(
                                          eb, loc, type.getShape()[1])),
                c);
            return vector::InsertOp::create(eb, loc, x, fragment,
                                            ArrayRef<OpFoldResult>{pos})
                .getResult();
          });
      load.getRes().replaceAllUsesWith(v);
    } else if (auto compute = dyn_cast<gpu::SubgroupMmaComputeOp>(op)) {
      gpu::MMAMatrixType aType = fragmentTypes[op];
      auto cType = cast<gpu::MMAMatrixType>(compute.getRes().getType());
      if (compute.getATranspose() || compute.getBTranspose())
        return compute.emitError("transposed fragments cannot be emulated");
      int64_t rows = cType.getShape()[0], cols = cType.getShape()[1],
              depth = aType.getShape()[1];
      Value v = multiplyAccumulate(b, loc, compute.getOpA(), compute.getOpB(),
                                   compute.getOpC(), rows, cols, depth);
      compute.getRes().replaceAllUsesWith(v);
    } else {
      auto store = cast<gpu::SubgroupMmaStoreMatrixOp>(op);
      gpu::MMAMatrixType type = fragmentTypes[op];
      auto target = cast<MemRefType>(store.getDstMemref().getType());
      if (target.getRank() != 2 || store.getTranspose() ||
          target.getDimSize(1) != store.getLeadDimension().getSExtValue())
        return store.emitError("only row-major fragment stores to a 2-D "
                               "buffer (leading dimension its row length) "
                               "can be emulated");
      Value fragment = store.getSrc();
      ValueRange at = store.getIndices();
      int64_t cols = type.getShape()[1];
      Value dummy = arith::ConstantIndexOp::create(b, loc, 0);
      forEachElement(
          b, loc, type.getShape()[0], cols, dummy,
          [&](OpBuilder &eb, Value r, Value c, Value carried) {
            Value pos = arith::AddIOp::create(
                eb, loc,
                arith::MulIOp::create(
                    eb, loc, r, arith::ConstantIndexOp::create(eb, loc, cols)),
                c);
            Value x = vector::ExtractOp::create(eb, loc, fragment,
                                                ArrayRef<OpFoldResult>{pos});
            Value i = arith::AddIOp::create(eb, loc, at[0], r);
            Value j = arith::AddIOp::create(eb, loc, at[1], c);
            memref::StoreOp::create(eb, loc, x, store.getDstMemref(),
                                    ValueRange{i, j});
            return carried;
          });
    }
  }
  for (Operation *op : llvm::reverse(ops))
    op->erase();
  return success();
}

struct WhittleEmulateGPULaunchesPass
    : whittle::impl::WhittleEmulateGPULaunchesBase<
          WhittleEmulateGPULaunchesPass> {
  using Base::Base;

  LogicalResult emulate(gpu::LaunchOp launch) {
    if (failed(emulateWarpMatrices(launch)))
      return failure();
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
      if (!n && (barriers || !launch.getPrivateAttributions().empty()))
        return launch.emitError("private memory or barriers in a launch of "
                                "dynamic block size cannot be emulated");
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

    // Slots are allocated when a loop is met, before the block loops.
    slotBuilder = b;
    slotBuilder.setInsertionPointAfter(zero.getDefiningOp());
    threadCount = threads;
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
      result = emulateBlock(inner, launch.getBody().front(), mapping, {});
    }
    for (Value slot : heapSlots)
      memref::DeallocOp::create(b, loc, slot);
    heapSlots.clear();
    mmaSlots.clear();
    fromSlot.clear();
    privateBuffers.clear();
    slots.clear();
    if (failed(result))
      return failure();
    launch.erase();
    ++numEmulated;
    return success();
  }

  /// Runs `ops` (in order) for every thread of the current block, at `b`.
  LogicalResult
  runPerThread(OpBuilder &b, ArrayRef<Operation *> ops, const IRMapping &outer,
               ArrayRef<std::pair<Value, Value>> storesAtEnd = {}) {
    if (ops.empty() && storesAtEnd.empty())
      return success();
    Location loc = current.getLoc();
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
    Value linear;
    {
      // Linear thread id: (z * Y + y) * X + x.
      linear = arith::AddIOp::create(
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
    // Loop-carried values live in per-thread slots across barriers.
    for (auto [value, slot] : slots)
      mapping.map(value, memref::LoadOp::create(inner, loc, slot, linear));
    for (Operation *op : ops) {
      if (fromSlot.contains(op))
        continue; // Its value was loaded from a slot above.
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
    for (auto [value, slot] : storesAtEnd) {
      if (failed(rematerialize(inner, value, mapping)))
        return failure();
      memref::StoreOp::create(inner, loc, mapping.lookupOrDefault(value), slot,
                              linear);
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
    if (!def || def->getNumRegions() || !isPure(def)) {
      InFlightDiagnostic diag = current.emitError(
          "a value computed before a barrier is used after it; the launch "
          "cannot be emulated");
      diag.attachNote(v.getLoc()) << "the value: " << v;
      return diag;
    }
    for (Value operand : def->getOperands())
      if (failed(rematerialize(b, operand, mapping)))
        return failure();
    b.clone(*def, mapping);
    return success();
  }

  /// Emulates the ops of `body` (the launch's, or a loop's containing a
  /// barrier) for the current block: stretches between barriers run for
  /// every thread in turn, loops with barriers run once around them.
  LogicalResult emulateBlock(OpBuilder &b, Block &body, IRMapping &mapping,
                             ArrayRef<std::pair<Value, Value>> storesAtEnd) {
    SmallVector<Operation *> stretch;
    // A value to store at the end goes into a slot in the stretch that
    // computes it (the body may end with a barrier after it).
    SmallVector<std::pair<Value, Value>> pending(storesAtEnd);
    // So does a value that a later stretch uses and cannot recompute (a
    // load, a loop; a fragment kept in registers across a barrier).
    // Barriers and warp-collective mma.sync ops end a stretch.
    auto hasBarrier = [](Operation &op) {
      bool found = false;
      op.walk([&](Operation *inner) {
        found |= isa<gpu::BarrierOp, NVVM::MmaOp>(inner);
      });
      return found;
    };
    // An mma.sync's results reach its lanes through per-thread slots.
    for (auto mma : body.getOps<NVVM::MmaOp>()) {
      for (Operation *user : mma->getUsers()) {
        auto extract = dyn_cast<LLVM::ExtractValueOp>(user);
        if (!extract || extract.getPosition().size() != 1)
          return mma.emitError("only element reads of an mma.sync's result "
                               "can be emulated");
      }
      SmallVector<Value> results;
      for (int i = 0; i < 4; ++i)
        results.push_back(newSlot(Float32Type::get(mma.getContext())));
      mmaSlots[mma] = results;
      for (Operation *user : mma->getUsers()) {
        auto extract = cast<LLVM::ExtractValueOp>(user);
        slots.emplace_back(extract.getResult(),
                           results[extract.getPosition()[0]]);
        fromSlot.insert(extract);
      }
    }
    DenseMap<Operation *, int> stretchOf;
    int id = 0;
    for (Operation &op : body.without_terminator()) {
      bool boundary = hasBarrier(op);
      id += boundary;
      stretchOf[&op] = id;
      id += boundary;
    }
    for (Operation &op : body.without_terminator()) {
      if (hasBarrier(op) || (isPure(&op) && op.getNumRegions() == 0))
        continue;
      // Used in another stretch, directly or through pure ops (which that
      // stretch recomputes from this value).
      int mine = stretchOf.lookup(&op);
      std::function<bool(Value)> crosses = [&](Value v) {
        return llvm::any_of(v.getUsers(), [&](Operation *user) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (!top || !stretchOf.count(top))
            return false;
          if (stretchOf.lookup(top) != mine)
            return true;
          return isPure(user) && user->getNumRegions() == 0 &&
                 llvm::any_of(user->getResults(), crosses);
        });
      };
      for (Value result : op.getResults()) {
        if (!crosses(result))
          continue;
        Value slot = newSlot(result.getType());
        pending.emplace_back(result, slot);
        slots.emplace_back(result, slot);
      }
    }
    auto flush = [&](ArrayRef<std::pair<Value, Value>> stores,
                     bool last = false) {
      SmallVector<std::pair<Value, Value>> here(stores);
      llvm::erase_if(pending, [&](const std::pair<Value, Value> &store) {
        Operation *def = store.first.getDefiningOp();
        if (!def || !llvm::any_of(stretch, [&](Operation *op) {
              return op->isAncestor(def);
            }))
          return false;
        here.push_back(store);
        return true;
      });
      if (last)
        here.append(std::exchange(pending, {}));
      LogicalResult result = runPerThread(b, stretch, mapping, here);
      stretch.clear();
      return result;
    };
    for (Operation &op : body.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        if (failed(flush({})))
          return failure();
        continue;
      }
      if (auto mma = dyn_cast<NVVM::MmaOp>(op)) {
        if (failed(flush({})) || failed(emulateMma(b, mma, mapping)))
          return failure();
        continue;
      }
      if (!hasBarrier(op)) {
        stretch.push_back(&op);
        continue;
      }
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop)
        return op.emitError("a barrier inside this op cannot be emulated");
      // Each iter_arg gets a slot per thread: the stretch before the loop
      // stores the initial values, the loop body's last stretch the
      // yielded ones, and every stretch in and after the loop reads them.
      SmallVector<std::pair<Value, Value>> inits, yields;
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      for (auto [init, arg, result, next] :
           llvm::zip(loop.getInitArgs(), loop.getRegionIterArgs(),
                     loop.getResults(), yield.getOperands())) {
        Value slot = newSlot(init.getType());
        inits.emplace_back(init, slot);
        yields.emplace_back(next, slot);
        slots.emplace_back(arg, slot);
      }
      if (failed(flush(inits)))
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
      if (failed(emulateBlock(lb, *loop.getBody(), mapping, yields)))
        return failure();
      // After the loop the slots hold its results.
      for (auto &[value, slot] : slots)
        for (auto [arg, result] :
             llvm::zip(loop.getRegionIterArgs(), loop.getResults()))
          if (value == arg)
            value = result;
    }
    return flush({}, /*last=*/true);
  }

  /// A per-thread slot of `type`, on the heap (a fragment slot of every
  /// thread is large): freed after the launch.
  Value newSlot(Type type) {
    Value slot = memref::AllocOp::create(slotBuilder, current.getLoc(),
                                         MemRefType::get({threadCount}, type));
    heapSlots.push_back(slot);
    return slot;
  }

  /// Emulates a warp-collective `nvvm.mma.sync` m16n8k16 with bf16 inputs
  /// and f32 accumulators, per the PTX ISA's fragment layouts (lane l,
  /// group g = l / 4, t = l % 4): A register i holds A[g + 8 (i % 2)]
  /// [2t + 8 (i / 2) + {0, 1}], B register i holds B[2t + 8 i + {0, 1}][g],
  /// C and D element i is [g + 8 (i / 2)][2t + i % 2]. Per warp: the lanes'
  /// registers (recomputed, or read from their slots) are gathered into
  /// the matrices, D = A B + C, and each lane's D elements go to the slots.
  LogicalResult emulateMma(OpBuilder &b, NVVM::MmaOp mma,
                           const IRMapping &outer) {
    Location loc = mma.getLoc();
    auto shape = mma.getShape();
    if (shape.getM() != 16 || shape.getN() != 8 || shape.getK() != 16 ||
        mma.getOperandA().size() != 4 || mma.getOperandB().size() != 2 ||
        mma.getOperandC().size() != 4 || !mma.getMultiplicandAPtxType() ||
        *mma.getMultiplicandAPtxType() != NVVM::MMATypes::bf16 ||
        mma.getLayoutA() != NVVM::MMALayout::row ||
        mma.getLayoutB() != NVVM::MMALayout::col)
      return mma.emitError("only mma.sync m16n8k16 row.col with bf16 "
                           "inputs and f32 accumulators can be emulated");
    gpu::KernelDim3 block = current.getBlockSizeOperandValues();
    if (threadCount % 32 || getConstantIntValue(block.y) != 1 ||
        getConstantIntValue(block.z) != 1)
      return mma.emitError("an mma.sync in a block that is not whole warps "
                           "along x cannot be emulated");
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    auto cst = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(ob, loc, v);
    };
    auto vectorOf = [&](int64_t n) { return VectorType::get({n}, f32); };
    auto zeros = [&](OpBuilder &ob, int64_t n) -> Value {
      return arith::ConstantOp::create(
          ob, loc, DenseElementsAttr::get(vectorOf(n), 0.0f));
    };
    // The f32 value of the low or high bf16 half of an i32 register.
    // Where element `e` of `lane`'s share of `operand` sits.
    auto laneCoord = [&](OpBuilder &ob, Value lane,
                         whittle::mma::Operand operand, int64_t e) {
      Value origin = cst(ob, 0);
      return whittle::mma::emitElementCoord(
          ob, loc, arith::DivUIOp::create(ob, loc, lane, cst(ob, 4)),
          arith::RemUIOp::create(ob, loc, lane, cst(ob, 4)), operand, e, origin,
          origin);
    };
    auto half = [&](OpBuilder &ob, Value reg, bool high) -> Value {
      if (high)
        reg = arith::ShRUIOp::create(
            ob, loc, reg, arith::ConstantIntOp::create(ob, loc, i32, 16));
      Value bits = arith::TruncIOp::create(ob, loc, ob.getI16Type(), reg);
      Value value = arith::BitcastOp::create(ob, loc, ob.getBF16Type(), bits);
      return arith::ExtFOp::create(ob, loc, f32, value);
    };
    auto insert = [&](OpBuilder &ob, Value x, Value into, Value row, Value col,
                      int64_t cols) -> Value {
      Value pos = arith::AddIOp::create(
          ob, loc, arith::MulIOp::create(ob, loc, row, cst(ob, cols)), col);
      return vector::InsertOp::create(ob, loc, x, into,
                                      ArrayRef<OpFoldResult>{pos});
    };
    // Lane `lane` of warp `warp`: its thread's mapping, slots loaded.
    auto laneContext = [&](OpBuilder &ob, Value warp, Value lane,
                           IRMapping &laneMapping) {
      Value linear = arith::AddIOp::create(
          ob, loc, arith::MulIOp::create(ob, loc, warp, cst(ob, 32)), lane);
      gpu::KernelDim3 ids = current.getThreadIds();
      laneMapping.map(ids.x, linear);
      laneMapping.map(ids.y, zero);
      laneMapping.map(ids.z, zero);
      for (auto [value, slot] : slots)
        laneMapping.map(value, memref::LoadOp::create(ob, loc, slot, linear));
      return linear;
    };
    auto warps =
        scf::ForOp::create(b, loc, zero, cst(b, threadCount / 32), one);
    OpBuilder wb = OpBuilder::atBlockBegin(warps.getBody());
    wb.setInsertionPoint(warps.getBody()->getTerminator());
    Value warp = warps.getInductionVar();
    // Gather A (16 x 16), B (16 x 8) and C (16 x 8) from the 32 lanes.
    LogicalResult status = success();
    auto gather = scf::ForOp::create(
        wb, loc, zero, cst(wb, 32), one,
        ValueRange{zeros(wb, 256), zeros(wb, 128), zeros(wb, 128)},
        [&](OpBuilder &lb, Location, Value lane, ValueRange m) {
          IRMapping laneMapping = outer;
          laneContext(lb, warp, lane, laneMapping);
          auto operand = [&](Value v) {
            if (failed(rematerialize(lb, v, laneMapping)))
              status = failure();
            return laneMapping.lookupOrDefault(v);
          };
          // Each operand's elements where MmaSyncLayout.h places them.
          Value a = m[0], bm = m[1], c = m[2];
          for (int64_t e = 0; e < 8; ++e) {
            auto [row, col] = laneCoord(lb, lane, whittle::mma::Operand::A, e);
            a = insert(lb, half(lb, operand(mma.getOperandA()[e / 2]), e % 2),
                       a, row, col, 16);
          }
          for (int64_t e = 0; e < 4; ++e) {
            auto [row, col] = laneCoord(lb, lane, whittle::mma::Operand::B, e);
            bm = insert(lb, half(lb, operand(mma.getOperandB()[e / 2]), e % 2),
                        bm, row, col, 8);
          }
          for (int64_t e = 0; e < 4; ++e) {
            auto [row, col] = laneCoord(lb, lane, whittle::mma::Operand::C, e);
            c = insert(lb, operand(mma.getOperandC()[e]), c, row, col, 8);
          }
          scf::YieldOp::create(lb, loc, ValueRange{a, bm, c});
        });
    if (failed(status))
      return failure();
    // D = A B + C.
    Value d = multiplyAccumulate(wb, loc, gather.getResult(0),
                                 gather.getResult(1), gather.getResult(2),
                                 /*rows=*/16, /*cols=*/8, /*depth=*/16);
    // Scatter each lane's D elements to its slots.
    auto scatter = scf::ForOp::create(wb, loc, zero, cst(wb, 32), one);
    OpBuilder sb = OpBuilder::atBlockBegin(scatter.getBody());
    sb.setInsertionPoint(scatter.getBody()->getTerminator());
    Value lane = scatter.getInductionVar();
    Value linear = arith::AddIOp::create(
        sb, loc, arith::MulIOp::create(sb, loc, warp, cst(sb, 32)), lane);
    for (int64_t i = 0; i < 4; ++i) {
      auto [row, col] = laneCoord(sb, lane, whittle::mma::Operand::C, i);
      Value pos = arith::AddIOp::create(
          sb, loc, arith::MulIOp::create(sb, loc, row, cst(sb, 8)), col);
      Value x =
          vector::ExtractOp::create(sb, loc, d, ArrayRef<OpFoldResult>{pos});
      memref::StoreOp::create(sb, loc, x, mmaSlots[mma][i], linear);
    }
    return success();
  }

  gpu::LaunchOp current;
  DenseMap<Operation *, SmallVector<Value>> mmaSlots;
  llvm::SmallPtrSet<Operation *, 8> fromSlot;
  SmallVector<Value> heapSlots;
  Value zero, one;
  /// Where the per-thread slots of loop-carried values are allocated, and
  /// how many threads a block has.
  OpBuilder slotBuilder{(MLIRContext *)nullptr};
  int64_t threadCount = 1;
  SmallVector<std::pair<Value, Value>> slots;
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
