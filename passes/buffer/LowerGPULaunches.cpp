//===- LowerGPULaunches.cpp - gpu.launch_func -> the runtime's launcher ---===//
//
// A model library must not depend on CUDA at link time, so kernel launches
// go through the executor the runtime passes in (model_abi.h): each
// gpu.launch_func becomes a call of executor->gpu_launch with the kernel's
// index in one merged kernel module and its parameters packed as 8-byte
// slots. Buffers already are device pointers (inputs, outputs and the
// workspace are allocated by the runtime on the device), except the
// weights: a view of a constant global is rebased onto the device copy of
// the weights, whose layout this pass decides and records for the entry
// points.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLELOWERGPULAUNCHES
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

/// Device weights are laid out with this alignment (what cudaMalloc gives).
constexpr int64_t kWeightAlignment = 256;

/// Fields of whittle_executor (model_abi.h).
enum ExecutorField { kGpuContext = 2, kGpuLaunch = 3, kGpuWeights = 4 };

/// Follows views down to the buffer they alias. `shifted` is set when a view
/// moves the base pointer itself (memref.view), which a rebased weight
/// pointer would not follow.
Value viewRoot(Value value, bool &shifted) {
  while (Operation *def = value.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    shifted |= isa<memref::ViewOp>(def);
    value = view.getViewSource();
  }
  return value;
}

int64_t bufferBytes(MemRefType type) {
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

struct WhittleLowerGPULaunchesPass
    : whittle::impl::WhittleLowerGPULaunchesBase<WhittleLowerGPULaunchesPass> {
  using Base::Base;

  /// Kernel symbol (@module::@func) -> index in the merged module.
  llvm::DenseMap<Attribute, int64_t> kernelIndex;
  SmallVector<Attribute> kernelNames;
  /// Weight global -> offset in the device weights.
  llvm::MapVector<StringAttr, std::pair<int64_t, int64_t>> weights;
  int64_t weightBytes = 0;

  /// Moves every kernel into one gpu.module so the library carries one
  /// image; kernels take their (unique) module's name.
  LogicalResult mergeKernelModules(ModuleOp module) {
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return success();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), kernelModule);
    SymbolTable mergedSymbols(merged);
    for (gpu::GPUModuleOp source : modules) {
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        auto fn = dyn_cast<gpu::GPUFuncOp>(&op);
        if (fn && fn.isKernel()) {
          auto ref =
              SymbolRefAttr::get(source.getSymNameAttr(),
                                 {FlatSymbolRefAttr::get(fn.getNameAttr())});
          kernelIndex[ref] = kernelNames.size();
          fn.setName(source.getSymName());
          kernelNames.push_back(source.getSymNameAttr());
        } else if (mergedSymbols.lookup(symbol.getNameAttr())) {
          // A constant cloned into several kernel modules.
          continue;
        }
        op.remove();
        merged.getBody()->push_back(&op);
      }
      source.erase();
    }
    return success();
  }

  /// The device address of a global, allocating its place in the weights.
  int64_t weightOffset(memref::GetGlobalOp get) {
    auto [it, inserted] =
        weights.try_emplace(get.getNameAttr().getAttr(), weightBytes, 0);
    if (inserted) {
      int64_t bytes = bufferBytes(get.getType());
      it->second.second = bytes;
      weightBytes = llvm::alignTo(weightBytes + bytes, kWeightAlignment);
    }
    return it->second.first;
  }

  /// Appends the 8-byte parameter slots of `value` as the NVVM lowering
  /// expects them: a memref as (allocated, aligned, offset, sizes...,
  /// strides...), a scalar widened to 64 bits.
  LogicalResult appendSlots(OpBuilder &b, Location loc, Value value,
                            Value weightsBase, SmallVectorImpl<Value> &slots) {
    Type i64 = b.getI64Type();
    auto toI64 = [&](Value index) {
      return arith::IndexCastOp::create(b, loc, i64, index).getResult();
    };
    Type type = value.getType();
    if (auto memref = dyn_cast<MemRefType>(type)) {
      bool shifted = false;
      Value root = viewRoot(value, shifted);
      Value pointer;
      if (auto global = root.getDefiningOp<memref::GetGlobalOp>()) {
        if (shifted)
          return emitError(loc, "a kernel argument views weight '")
                 << global.getName() << "' at a byte shift";
        Value offset =
            arith::ConstantIntOp::create(b, loc, i64, weightOffset(global));
        pointer = arith::AddIOp::create(b, loc, weightsBase, offset);
      } else if (isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(
                     root.getDefiningOp())) {
        return emitError(loc, "a kernel argument is a host allocation; "
                              "buffers must be planned into the workspace");
      } else {
        pointer = toI64(
            memref::ExtractAlignedPointerAsIndexOp::create(b, loc, value));
      }
      slots.push_back(pointer);
      slots.push_back(pointer);
      auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, value);
      slots.push_back(toI64(metadata.getOffset()));
      for (Value size : metadata.getSizes())
        slots.push_back(toI64(size));
      for (Value stride : metadata.getStrides())
        slots.push_back(toI64(stride));
      return success();
    }
    if (type.isIndex()) {
      slots.push_back(toI64(value));
      return success();
    }
    if (auto integer = dyn_cast<IntegerType>(type)) {
      if (integer.getWidth() > 64)
        return emitError(loc, "kernel argument wider than 64 bits");
      slots.push_back(integer.getWidth() == 64
                          ? value
                          : arith::ExtUIOp::create(b, loc, i64, value));
      return success();
    }
    if (auto floatType = dyn_cast<FloatType>(type)) {
      unsigned width = floatType.getWidth();
      Value bits =
          arith::BitcastOp::create(b, loc, b.getIntegerType(width), value);
      slots.push_back(width == 64 ? bits
                                  : arith::ExtUIOp::create(b, loc, i64, bits));
      return success();
    }
    return emitError(loc, "unsupported kernel argument type ") << type;
  }

  LogicalResult lowerFunction(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, ptrType, DictionaryAttr(),
                                   func.getLoc())))
      return failure();
    Value executor = func.getArgument(index);

    SmallVector<gpu::LaunchFuncOp> launches;
    func.walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
    if (launches.empty())
      return success();

    // The launcher, its context and the device weights, read once.
    Location loc = func.getLoc();
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    auto executorType =
        LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(5, ptrType));
    auto field = [&](int32_t i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptrType, executorType, executor,
                                       ArrayRef<LLVM::GEPArg>{0, i});
      return LLVM::LoadOp::create(b, loc, ptrType, slot).getResult();
    };
    Value gpuContext = field(kGpuContext);
    Value launchFn = field(kGpuLaunch);
    Value weightsBase =
        LLVM::PtrToIntOp::create(b, loc, i64, field(kGpuWeights));

    auto i32 = IntegerType::get(ctx, 32);
    auto launchType = LLVM::LLVMFunctionType::get(
        i32, {ptrType, i64, i64, i64, i64, i64, i64, i64, i64, ptrType, i64});
    SmallVector<std::pair<gpu::LaunchFuncOp, SmallVector<Value>>> packed;
    int64_t maxSlots = 1;
    for (gpu::LaunchFuncOp launch : launches) {
      OpBuilder lb(launch);
      SmallVector<Value> slots;
      for (Value operand : launch.getKernelOperands())
        if (failed(
                appendSlots(lb, launch.getLoc(), operand, weightsBase, slots)))
          return failure();
      maxSlots = std::max<int64_t>(maxSlots, slots.size());
      packed.emplace_back(launch, std::move(slots));
    }
    auto slotsType = MemRefType::get({maxSlots}, i64);
    Value slotBuffer = memref::AllocaOp::create(b, loc, slotsType);
    Value slotAddress = arith::IndexCastOp::create(
        b, loc, i64,
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, slotBuffer));
    Value slotPointer = LLVM::IntToPtrOp::create(b, loc, ptrType, slotAddress);

    for (auto &[launch, slots] : packed) {
      OpBuilder lb(launch);
      Location l = launch.getLoc();
      auto it = kernelIndex.find(launch.getKernel());
      if (it == kernelIndex.end())
        return launch.emitError("launch of an unknown kernel");
      for (auto [i, slot] : llvm::enumerate(slots))
        memref::StoreOp::create(
            lb, l, slot, slotBuffer,
            ValueRange{arith::ConstantIndexOp::create(lb, l, i)});
      auto toI64 = [&](Value v) {
        return arith::IndexCastOp::create(lb, l, i64, v).getResult();
      };
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Value shared = arith::ConstantIntOp::create(lb, l, i64, 0);
      if (Value dynamic = launch.getDynamicSharedMemorySize())
        shared = arith::ExtUIOp::create(lb, l, i64, dynamic);
      SmallVector<Value> args = {
          launchFn,
          gpuContext,
          arith::ConstantIntOp::create(lb, l, i64, it->second),
          toI64(grid.x),
          toI64(grid.y),
          toI64(grid.z),
          toI64(block.x),
          toI64(block.y),
          toI64(block.z),
          shared,
          slotPointer,
          arith::ConstantIntOp::create(lb, l, i64, slots.size())};
      LLVM::CallOp::create(lb, l, launchType, args);
      launch.erase();
      ++numLaunches;
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    kernelIndex.clear();
    kernelNames.clear();
    weights.clear();
    weightBytes = 0;
    if (failed(mergeKernelModules(module)))
      return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && failed(lowerFunction(func)))
        return signalPassFailure();

    Builder b(module.getContext());
    module->setAttr("whittle.gpu_kernels", b.getArrayAttr(kernelNames));
    SmallVector<Attribute> layout;
    for (auto &[name, place] : weights)
      layout.push_back(b.getArrayAttr({FlatSymbolRefAttr::get(name),
                                       b.getI64IntegerAttr(place.first),
                                       b.getI64IntegerAttr(place.second)}));
    module->setAttr("whittle.gpu_weights", b.getArrayAttr(layout));
    module->setAttr("whittle.gpu_weights_bytes",
                    b.getI64IntegerAttr(weightBytes));
  }
};

} // namespace
