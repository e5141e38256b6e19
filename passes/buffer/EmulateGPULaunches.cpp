//===- EmulateGPULaunches.cpp - gpu.launch as loops on the CPU ------------===//
//
// For testing the GPU path where there is no GPU: each gpu.launch becomes a
// loop nest over its blocks and threads running the body serially. The
// launches whittle-map-loops-to-gpu builds have no barriers or shared
// memory, so every interleaving of their threads computes the same thing
// and this one is as good as the GPU's. The model then computes through
// the GPU mapping (flattened iteration spaces, masking, one-thread
// launches) on the CPU and can be checked against a reference.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

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
    Block &body = launch.getBody().front();
    for (Operation &op : body)
      if (isa<gpu::BarrierOp>(op) || !launch.getWorkgroupAttributions().empty())
        return launch.emitError("a launch with barriers or shared memory "
                                "cannot be emulated serially");
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    SmallVector<Value> bounds = {grid.x,  grid.y,  grid.z,
                                 block.x, block.y, block.z};
    IRMapping mapping;
    gpu::KernelDim3 gridArgs = launch.getGridSize();
    gpu::KernelDim3 blockArgs = launch.getBlockSize();
    mapping.map(gridArgs.x, grid.x);
    mapping.map(gridArgs.y, grid.y);
    mapping.map(gridArgs.z, grid.z);
    mapping.map(blockArgs.x, block.x);
    mapping.map(blockArgs.y, block.y);
    mapping.map(blockArgs.z, block.z);
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    SmallVector<Value> ids = {blockIds.x,  blockIds.y,  blockIds.z,
                              threadIds.x, threadIds.y, threadIds.z};
    OpBuilder inner = b;
    for (auto [bound, id] : llvm::zip(bounds, ids)) {
      auto loop = scf::ForOp::create(inner, loc, zero, bound, one);
      mapping.map(id, loop.getInductionVar());
      inner.setInsertionPoint(loop.getBody()->getTerminator());
    }
    for (Operation &op : body.without_terminator())
      inner.clone(op, mapping);
    launch.erase();
    ++numEmulated;
    return success();
  }

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }
};

} // namespace
