//===- PlanMemory.cpp - Static workspace plan for @main -------------------===//
//
// Replaces every static memref.alloc of the model function with a view into
// a single workspace buffer passed in by the caller. Lifetimes are intervals
// in a pre-order numbering of the function's operations: from the alloc to
// the end of the last operation (in the alloc's block) that uses the buffer
// or any view of it. Buffers are placed greedily, largest first, at the
// lowest aligned offset that does not collide with an already placed buffer
// whose interval overlaps.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/STLExtras.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t size = 0;
  int64_t begin = 0, end = 0; // Inclusive interval in pre-order numbering.
  int64_t offset = -1;
};

/// Whether every user of `buffer` and of the views of it sits (through its
/// ancestor in `block`) before `end` in `block`, or is `end` itself.
bool allUsesBefore(Value buffer, Block *block, Operation *end) {
  for (Operation *user : buffer.getUsers()) {
    if (user == end)
      continue;
    Operation *top = block->findAncestorOpInBlock(*user);
    if (!top || !top->isBeforeInBlock(end))
      return false;
    if (isa<ViewLikeOpInterface>(user))
      for (Value result : user->getResults())
        if (!allUsesBefore(result, block, end))
          return false;
  }
  return true;
}

/// A buffer that ends its life copied whole, through a reshape, into an
/// output parameter of the function (a result that bufferization produced
/// in another shape than the output's) is placed in that output instead:
/// the copy and the workspace space go. The output must be written by that
/// copy alone, and nothing may use the buffer after it.
void forwardReshapedOutputs(func::FuncOp func) {
  Block &entry = func.getBody().front();
  SmallVector<memref::CopyOp> copies;
  for (auto copy : entry.getOps<memref::CopyOp>())
    copies.push_back(copy);
  for (memref::CopyOp copy : copies) {
    auto out = dyn_cast<BlockArgument>(copy.getTarget());
    if (!out || out.getOwner() != &entry || !out.hasOneUse())
      continue;
    Operation *reshape = copy.getSource().getDefiningOp();
    if (!reshape ||
        !isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(reshape))
      continue;
    auto alloc = reshape->getOperand(0).getDefiningOp<memref::AllocOp>();
    if (!alloc || alloc->getBlock() != &entry ||
        !alloc.getType().getLayout().isIdentity() ||
        !cast<MemRefType>(out.getType()).getLayout().isIdentity() ||
        !allUsesBefore(alloc.getResult(), &entry, copy))
      continue;
    OpBuilder builder(alloc);
    Value replacement;
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(reshape))
      replacement = memref::CollapseShapeOp::create(
          builder, alloc.getLoc(), alloc.getType(), out,
          expand.getReassociationIndices());
    else
      replacement = memref::ExpandShapeOp::create(
          builder, alloc.getLoc(), alloc.getType(), out,
          cast<memref::CollapseShapeOp>(reshape).getReassociationIndices());
    copy.erase();
    alloc.getResult().replaceAllUsesWith(replacement);
    alloc.erase();
  }
}

struct WhittlePlanMemoryPass
    : whittle::impl::WhittlePlanMemoryBase<WhittlePlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal())
      return;
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      module.emitError("whittle-plan-memory: alignment must be a power of 2");
      return signalPassFailure();
    }
    forwardReshapedOutputs(func);

    // Pre-order numbering; lastNested[op] is the largest number inside op.
    DenseMap<Operation *, int64_t> order, lastNested;
    int64_t counter = 0;
    func.walk<WalkOrder::PreOrder>(
        [&](Operation *op) { order[op] = counter++; });
    func.walk<WalkOrder::PostOrder>([&](Operation *op) {
      int64_t last = order[op];
      for (Region &region : op->getRegions())
        for (Block &block : region)
          if (!block.empty())
            last = std::max(last, lastNested[&block.back()]);
      lastNested[op] = last;
    });

    SmallVector<Buffer> buffers;
    SmallVector<Operation *> deallocs;
    bool hadError = false;
    func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          type.getMemorySpace()) {
        alloc.emitError("whittle-plan-memory: buffer must have a static "
                        "shape, identity layout and default memory space");
        hadError = true;
        return;
      }
      Buffer buffer;
      buffer.alloc = alloc;
      int64_t bits = type.getElementTypeBitWidth();
      buffer.size =
          (type.getNumElements() * std::max<int64_t>(bits, 8) + 7) / 8;
      buffer.begin = order[alloc];
      buffer.end = buffer.begin;
      Block *block = alloc->getBlock();

      // Follow every alias of the buffer to its last use.
      SmallVector<Value> worklist{alloc.getResult()};
      while (!worklist.empty()) {
        Value value = worklist.pop_back_val();
        for (OpOperand &use : value.getUses()) {
          Operation *user = use.getOwner();
          if (isa<memref::DeallocOp>(user)) {
            deallocs.push_back(user);
            continue;
          }
          if (user->hasTrait<OpTrait::IsTerminator>() &&
              user->getBlock() == block) {
            alloc.emitError("whittle-plan-memory: buffer escapes its block "
                            "through ")
                << user->getName();
            hadError = true;
            return;
          }
          Operation *ancestor = block->findAncestorOpInBlock(*user);
          if (!ancestor) {
            alloc.emitError("whittle-plan-memory: buffer used outside the "
                            "block of its allocation");
            hadError = true;
            return;
          }
          buffer.end = std::max(buffer.end, lastNested[ancestor]);
          // Any memref result may alias the buffer (views, casts, reshapes):
          // follow them all.
          for (Value result : user->getResults())
            if (isa<BaseMemRefType>(result.getType()))
              worklist.push_back(result);
          // A terminator nested deeper yields the buffer out of a region:
          // the region's parent results may alias it.
          if (user->hasTrait<OpTrait::IsTerminator>())
            for (Operation *parent = user->getParentOp();
                 parent && parent != ancestor->getParentOp();
                 parent = parent->getParentOp())
              for (Value result : parent->getResults())
                if (isa<BaseMemRefType>(result.getType()))
                  worklist.push_back(result);
        }
      }
      buffers.push_back(buffer);
    });
    if (hadError)
      return signalPassFailure();

    // Greedy placement, largest buffers first.
    SmallVector<Buffer *> bySize;
    for (Buffer &b : buffers)
      bySize.push_back(&b);
    // A total order (ties broken by position in `buffers`) keeps the plan
    // deterministic.
    llvm::sort(bySize, [](Buffer *a, Buffer *b) {
      if (a->size != b->size)
        return a->size > b->size;
      if (a->begin != b->begin)
        return a->begin < b->begin;
      return a < b;
    });
    int64_t total = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *buffer : bySize) {
      SmallVector<Buffer *> live;
      for (Buffer *other : placed)
        if (other->begin <= buffer->end && buffer->begin <= other->end)
          live.push_back(other);
      llvm::sort(live,
                 [](Buffer *a, Buffer *b) { return a->offset < b->offset; });
      int64_t offset = 0;
      for (Buffer *other : live) {
        if (offset + buffer->size <= other->offset)
          break;
        offset = std::max<int64_t>(
            offset, llvm::alignTo(other->offset + other->size, alignment));
      }
      buffer->offset = offset;
      total = std::max(total, offset + buffer->size);
      placed.push_back(buffer);
      bytesRequested += buffer->size;
    }
    total = static_cast<int64_t>(llvm::alignTo(total, alignment));
    numBuffers += buffers.size();
    bytesPlanned += total;

    // The workspace becomes the last argument of the function.
    MLIRContext *ctx = module.getContext();
    auto workspaceType = MemRefType::get({total}, IntegerType::get(ctx, 8));
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, workspaceType, DictionaryAttr(),
                                   func.getLoc())))
      return signalPassFailure();
    Value workspace = func.getArgument(index);

    for (Operation *dealloc : deallocs)
      dealloc->erase();
    for (Buffer &buffer : buffers) {
      OpBuilder builder(buffer.alloc);
      Location loc = buffer.alloc.getLoc();
      Value offset =
          arith::ConstantIndexOp::create(builder, loc, buffer.offset);
      Value view = memref::ViewOp::create(builder, loc, buffer.alloc.getType(),
                                          workspace, offset, ValueRange{});
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    // @main's size is `whittle.workspace_size`; another function's,
    // `whittle.workspace_size.<name>`.
    std::string attrName = "whittle.workspace_size";
    if (funcName != "main")
      attrName += "." + funcName;
    module->setAttr(attrName,
                    IntegerAttr::get(IntegerType::get(ctx, 64), total));
  }
};

} // namespace
