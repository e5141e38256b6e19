//===- DistinctResults.cpp - One allocation per returned buffer -----------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEDISTINCTRESULTS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {
struct DistinctResultsPass
    : whittle::impl::WhittleDistinctResultsBase<DistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder builder(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<MemRefType>(value.getType());
        if (!type)
          continue;
        // A fresh allocation returned once is already distinct.
        bool fresh = value.getDefiningOp<memref::AllocOp>() != nullptr;
        if (seen.insert(value).second && fresh)
          continue;
        if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
          ret.emitError("returned buffer of type ")
              << type << " must be copied but is not static and contiguous";
          return signalPassFailure();
        }
        auto copy = memref::AllocOp::create(builder, ret.getLoc(), type,
                                            builder.getI64IntegerAttr(64));
        memref::CopyOp::create(builder, ret.getLoc(), value, copy);
        operand.set(copy);
        ++numCopies;
      }
    });
  }
};
} // namespace
