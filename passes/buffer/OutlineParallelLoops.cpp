//===- OutlineParallelLoops.cpp - scf.parallel -> executor tasks ----------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEOUTLINEPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Values defined above the loop that can be recreated inside the task
/// instead of being passed through the context.
bool isRematerializable(Value value) {
  Operation *def = value.getDefiningOp();
  return def &&
         (matchPattern(def, m_Constant()) || isa<memref::GetGlobalOp>(def));
}

/// A memref that can be passed to a task as a bare pointer.
bool isPassable(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.hasStaticShape() && type.getLayout().isIdentity();
}

/// For a view (subview, reshape, memref.view, ...) whose other operands are
/// all constants, the chain of views down to a passable base: the task
/// receives the base and recreates the views (strided Q/K/V slices of a
/// fused projection, say). Returns the base, or null.
Value viewBase(Value value, SmallVectorImpl<Operation *> &chain) {
  while (!isPassable(value)) {
    Operation *def = value.getDefiningOp();
    auto view = dyn_cast_or_null<ViewLikeOpInterface>(def);
    if (!view || def->getNumResults() != 1)
      return Value();
    for (Value operand : def->getOperands())
      if (operand != view.getViewSource() && !isRematerializable(operand))
        return Value();
    chain.push_back(def);
    value = view.getViewSource();
  }
  return value;
}

struct WhittleOutlineParallelLoopsPass
    : whittle::impl::WhittleOutlineParallelLoopsBase<
          WhittleOutlineParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal())
      return;
    MLIRContext *ctx = module.getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, ptrType, DictionaryAttr(),
                                   func.getLoc())))
      return signalPassFailure();
    Value executor = func.getArgument(index);

    SmallVector<scf::ParallelOp> loops;
    for (Operation &op : func.getBody().front())
      if (auto loop = dyn_cast<scf::ParallelOp>(op))
        loops.push_back(loop);
    unsigned counter = 0;
    for (scf::ParallelOp loop : loops)
      if (outline(loop, executor, module, counter))
        ++counter;
    numOutlined += counter;
  }

  bool outline(scf::ParallelOp loop, Value executor, ModuleOp module,
               unsigned id) {
    if (loop.getNumReductions() != 0)
      return false;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
    if (!lb || !ub || !step || *step <= 0)
      return false;
    int64_t count = llvm::divideCeil(*ub - *lb, *step);
    if (count < 2)
      return false;
    int64_t iterations = count;
    for (unsigned d = 1; d < loop.getNumLoops(); ++d) {
      auto l = getConstantIntValue(loop.getLowerBound()[d]);
      auto u = getConstantIntValue(loop.getUpperBound()[d]);
      auto s = getConstantIntValue(loop.getStep()[d]);
      if (l && u && s && *s > 0)
        iterations *= llvm::divideCeil(*u - *l, *s);
    }
    int64_t bodyOps = 0;
    loop.getBody()->walk([&](Operation *) { ++bodyOps; });
    // Nested loops multiply the work; count their trip counts too.
    loop.getBody()->walk([&](scf::ForOp inner) {
      auto l = getConstantIntValue(inner.getLowerBound());
      auto u = getConstantIntValue(inner.getUpperBound());
      auto s = getConstantIntValue(inner.getStep());
      if (l && u && s && *s > 0)
        bodyOps *= std::max<int64_t>(1, llvm::divideCeil(*u - *l, *s));
    });
    if (iterations * bodyOps < minWork)
      return false;

    // Everything the loop reads from above, except what can be recreated.
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(loop->getRegions(), above);
    // The loop's own bounds are needed inside the task too.
    for (Value bound : loop->getOperands()) {
      if (!isRematerializable(bound))
        return false;
      above.insert(bound);
    }
    llvm::SetVector<Value> captured;
    SmallVector<Value> rematerialized;
    llvm::SetVector<Operation *> views;
    for (Value value : above) {
      if (isRematerializable(value)) {
        rematerialized.push_back(value);
        continue;
      }
      SmallVector<Operation *> chain;
      Value base = viewBase(value, chain);
      if (!base)
        return false; // Not passable as a bare pointer.
      views.insert(chain.begin(), chain.end());
      if (isRematerializable(base))
        rematerialized.push_back(base);
      else
        captured.insert(base);
    }
    // Views are recreated in their original order (all sit above the loop
    // in the function's entry block), with their constant operands.
    SmallVector<Operation *> viewOrder(views.begin(), views.end());
    llvm::sort(viewOrder, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *view : viewOrder)
      for (Value operand : view->getOperands())
        if (isRematerializable(operand) &&
            !llvm::is_contained(rematerialized, operand))
          rematerialized.push_back(operand);

    MLIRContext *ctx = module.getContext();
    Location loc = loop.getLoc();
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    // Tasks of functions other than @main carry the function's name.
    std::string suffix =
        (funcName == "main" ? "" : funcName + "_") + std::to_string(id);
    std::string implName = "__whittle_task_impl_" + suffix;
    std::string dispatchName = "__whittle_parallel_" + suffix;

    // The task: iterations [begin, end) of the first dimension.
    SmallVector<Type> implArgs;
    for (Value value : captured)
      implArgs.push_back(value.getType());
    implArgs.push_back(IndexType::get(ctx));
    implArgs.push_back(IndexType::get(ctx));
    auto impl = func::FuncOp::create(moduleBuilder, loc, implName,
                                     FunctionType::get(ctx, implArgs, {}));
    impl.setPrivate();
    Block *body = impl.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(body);
    IRMapping mapping;
    for (auto [i, value] : llvm::enumerate(captured))
      mapping.map(value, body->getArgument(i));
    for (Value value : rematerialized)
      if (!mapping.contains(value))
        mapping.map(value, b.clone(*value.getDefiningOp())->getResult(0));
    for (Operation *view : viewOrder)
      b.clone(*view, mapping);
    Value begin = body->getArgument(captured.size());
    Value end = body->getArgument(captured.size() + 1);
    Value lbValue = arith::ConstantIndexOp::create(b, loc, *lb);
    Value stepValue = arith::ConstantIndexOp::create(b, loc, *step);
    Value newLb = arith::AddIOp::create(
        b, loc, lbValue, arith::MulIOp::create(b, loc, begin, stepValue));
    Value newUb = arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, lbValue,
                              arith::MulIOp::create(b, loc, end, stepValue)),
        arith::ConstantIndexOp::create(b, loc, *ub));
    auto clone = cast<scf::ParallelOp>(b.clone(*loop, mapping));
    clone.getLowerBoundMutable().slice(0, 1).assign(newLb);
    clone.getUpperBoundMutable().slice(0, 1).assign(newUb);
    func::ReturnOp::create(b, loc);

    // The dispatcher, defined by the target layer after lowering.
    SmallVector<Type> dispatchArgs(implArgs.begin(), implArgs.end() - 2);
    dispatchArgs.push_back(LLVM::LLVMPointerType::get(ctx));
    auto dispatch =
        func::FuncOp::create(moduleBuilder, loc, dispatchName,
                             FunctionType::get(ctx, dispatchArgs, {}));
    dispatch.setPrivate();
    dispatch->setAttr("whittle.task", StringAttr::get(ctx, implName));
    dispatch->setAttr("whittle.task_count",
                      IntegerAttr::get(IntegerType::get(ctx, 64), count));

    OpBuilder callBuilder(loop);
    SmallVector<Value> callArgs(captured.begin(), captured.end());
    callArgs.push_back(executor);
    func::CallOp::create(callBuilder, loc, dispatch, callArgs);
    loop.erase();
    return true;
  }
};

} // namespace
