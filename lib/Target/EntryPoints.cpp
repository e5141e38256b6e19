//===- EntryPoints.cpp - The model ABI as LLVM dialect functions ----------===//
//
// Builds the functions of include/whittle/model_abi.h around the lowered
// model function. After the backend pipeline, @main takes bare pointers:
// every input, every output, then (when present) the workspace and the
// executor.
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/Backend.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace whittle;

/// Name of the model function once it is internal to the library.
static constexpr StringLiteral kModelFunction = "__whittle_model_main";

static LLVM::LLVMFuncOp getOrDeclare(ModuleOp module, StringRef name,
                                     Type result, ArrayRef<Type> params) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return fn;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name,
                                  LLVM::LLVMFunctionType::get(result, params));
}

static LLVM::LLVMFuncOp defineFunction(OpBuilder &b, Location loc,
                                       StringRef name, Type result,
                                       ArrayRef<Type> params) {
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, name, LLVM::LLVMFunctionType::get(result, params));
  fn.addEntryBlock(b);
  return fn;
}

/// Appends the `count` pointers of the array `array` (void *const *) to
/// `args`.
static void loadPointerArray(OpBuilder &b, Location loc, Value array,
                             unsigned count, SmallVectorImpl<Value> &args) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  for (unsigned i = 0; i < count; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, array,
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    args.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
  }
}

/// Gives the dispatch declarations left by whittle-outline-parallel-loops a
/// body: pack the task's pointers into a context on the stack and hand a
/// trampoline to executor->parallel_for, or run it inline without one.
static LogicalResult defineParallelDispatchers(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto executorType = LLVM::LLVMStructType::getLiteral(ctx, {ptrType, ptrType});
  auto taskType = LLVM::LLVMFunctionType::get(voidType, {ptrType, i64, i64});
  auto parallelForType =
      LLVM::LLVMFunctionType::get(voidType, {ptrType, i64, ptrType, ptrType});

  SmallVector<LLVM::LLVMFuncOp> dispatchers;
  module.walk([&](LLVM::LLVMFuncOp fn) {
    if (fn.isExternal() && fn->hasAttr("whittle.task"))
      dispatchers.push_back(fn);
  });
  for (LLVM::LLVMFuncOp dispatch : dispatchers) {
    Location loc = dispatch.getLoc();
    auto implName = dispatch->getAttrOfType<StringAttr>("whittle.task");
    auto count = dispatch->getAttrOfType<IntegerAttr>("whittle.task_count");
    auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(implName);
    unsigned numPointers = dispatch.getNumArguments() - 1;
    if (!impl || !count || impl.getNumArguments() != numPointers + 2)
      return dispatch.emitError("malformed parallel task dispatcher");

    // void task(void *context, int64_t begin, int64_t end)
    OpBuilder b(dispatch);
    auto task =
        LLVM::LLVMFuncOp::create(b, loc, (dispatch.getName() + "_task").str(),
                                 taskType, LLVM::Linkage::Internal);
    {
      Block *entry = task.addEntryBlock(b);
      OpBuilder tb = OpBuilder::atBlockEnd(entry);
      SmallVector<Value> args;
      for (unsigned i = 0; i < numPointers; ++i) {
        Value slot = LLVM::GEPOp::create(tb, loc, ptrType, ptrType,
                                         entry->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        args.push_back(LLVM::LoadOp::create(tb, loc, ptrType, slot));
      }
      args.push_back(entry->getArgument(1));
      args.push_back(entry->getArgument(2));
      LLVM::CallOp::create(tb, loc, impl, args);
      LLVM::ReturnOp::create(tb, loc, ValueRange{});
    }

    dispatch.setLinkage(LLVM::Linkage::Internal);
    dispatch->removeAttr("sym_visibility");
    Block *entry = dispatch.addEntryBlock(b);
    Region &region = dispatch.getBody();
    OpBuilder db = OpBuilder::atBlockEnd(entry);
    Value executor = entry->getArgument(numPointers);
    Value null = LLVM::ZeroOp::create(db, loc, ptrType);
    Value context = null;
    if (numPointers) {
      Value size = LLVM::ConstantOp::create(db, loc, i64, numPointers);
      context = LLVM::AllocaOp::create(db, loc, ptrType, ptrType, size, 8);
      for (unsigned i = 0; i < numPointers; ++i) {
        Value slot = LLVM::GEPOp::create(db, loc, ptrType, ptrType, context,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        LLVM::StoreOp::create(db, loc, entry->getArgument(i), slot);
      }
    }
    Value taskPtr = LLVM::AddressOfOp::create(db, loc, task);
    Value total = LLVM::ConstantOp::create(db, loc, i64, count.getInt());
    Block *checkFn = db.createBlock(&region);
    Block *parallel = db.createBlock(&region);
    Block *serial = db.createBlock(&region);
    Block *done = db.createBlock(&region);

    db.setInsertionPointToEnd(entry);
    LLVM::CondBrOp::create(
        db, loc,
        LLVM::ICmpOp::create(db, loc, LLVM::ICmpPredicate::eq, executor, null),
        serial, checkFn);

    db.setInsertionPointToEnd(checkFn);
    Value fnSlot = LLVM::GEPOp::create(db, loc, ptrType, executorType, executor,
                                       ArrayRef<LLVM::GEPArg>{0, 1});
    Value parallelFor = LLVM::LoadOp::create(db, loc, ptrType, fnSlot);
    LLVM::CondBrOp::create(db, loc,
                           LLVM::ICmpOp::create(db, loc,
                                                LLVM::ICmpPredicate::eq,
                                                parallelFor, null),
                           serial, parallel);

    db.setInsertionPointToEnd(parallel);
    Value pool = LLVM::LoadOp::create(db, loc, ptrType, executor);
    LLVM::CallOp::create(
        db, loc, parallelForType,
        ValueRange{parallelFor, pool, total, taskPtr, context});
    LLVM::BrOp::create(db, loc, done);

    db.setInsertionPointToEnd(serial);
    Value zero = LLVM::ConstantOp::create(db, loc, i64, 0);
    LLVM::CallOp::create(db, loc, task, ValueRange{context, zero, total});
    LLVM::BrOp::create(db, loc, done);

    db.setInsertionPointToEnd(done);
    LLVM::ReturnOp::create(db, loc, ValueRange{});
  }
  return success();
}

/// A function of the model at one size (a decode step of n tokens, a length
/// variant of n rows), made internal to the library.
struct SizedFunction {
  int64_t size;
  LLVM::LLVMFuncOp fn;
  bool hasWorkspace, hasExecutor;
};

/// Renames @<prefix><size> to @__whittle_<prefix><size> (internal) for each
/// size, checking that it takes `numTensors` pointers (then, optionally, the
/// workspace and the executor); `workspaceSize` becomes the largest any of
/// them needs.
static FailureOr<SmallVector<SizedFunction>>
internalizeSizedFunctions(ModuleOp module, StringRef prefix,
                          ArrayRef<int64_t> sizes, unsigned numTensors,
                          int64_t &workspaceSize) {
  MLIRContext *ctx = module.getContext();
  SmallVector<SizedFunction> functions;
  workspaceSize = 0;
  for (int64_t size : sizes) {
    std::string name = (prefix + Twine(size)).str();
    auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!fn)
      return module.emitError("no lowered @") << name;
    unsigned numArgs = fn.getNumArguments();
    if (numArgs < numTensors || numArgs > numTensors + 2)
      return fn.emitError("lowered @")
             << name << " does not have the expected signature";
    if (auto attr = module->getAttrOfType<IntegerAttr>(
            "whittle.workspace_size." + name))
      workspaceSize = std::max<int64_t>(workspaceSize, attr.getInt());
    if (failed(SymbolTable::replaceAllSymbolUses(
            fn, StringAttr::get(ctx, "__whittle_" + name), module)))
      return failure();
    fn.setSymName("__whittle_" + name);
    fn.setLinkage(LLVM::Linkage::Internal);
    functions.push_back(
        {size, fn, numArgs > numTensors, numArgs > numTensors + 1});
  }
  return functions;
}

/// int64_t NAME(void) { return value; }
static void defineConstantFunction(OpBuilder &b, Location loc, StringRef name,
                                   int64_t value) {
  auto i64 = b.getI64Type();
  auto fn = defineFunction(b, loc, name, i64, {});
  OpBuilder fb = OpBuilder::atBlockEnd(&fn.getBody().front());
  LLVM::ReturnOp::create(
      fb, loc, LLVM::ConstantOp::create(fb, loc, i64, value).getResult());
}

/// The body of an entry point that dispatches on `n`: returns 1 when `bad`
/// holds or no function matches, else calls the first function whose size
/// `matches` n with `argsOf(function)` plus its workspace and executor, and
/// returns 0. `fb` ends in `entry`; afterwards `b` is at the module's end.
static void
dispatchOnSize(OpBuilder &b, OpBuilder &fb, LLVM::LLVMFuncOp fn, Block *entry,
               Value bad, ArrayRef<SizedFunction> functions, Value workspace,
               Value executor,
               function_ref<Value(OpBuilder &, int64_t)> matches,
               function_ref<SmallVector<Value>(OpBuilder &)> argsOf) {
  Location loc = fn.getLoc();
  auto i32 = fb.getI32Type();
  Block *error = fb.createBlock(&fn.getBody());
  LLVM::ReturnOp::create(fb, loc,
                         LLVM::ConstantOp::create(fb, loc, i32, 1).getResult());
  Block *check = fb.createBlock(&fn.getBody());
  fb.setInsertionPointToEnd(entry);
  LLVM::CondBrOp::create(fb, loc, bad, error, check);
  for (const SizedFunction &callee : functions) {
    Block *run = fb.createBlock(&fn.getBody());
    Block *next = fb.createBlock(&fn.getBody());
    fb.setInsertionPointToEnd(check);
    LLVM::CondBrOp::create(fb, loc, matches(fb, callee.size), run, next);

    fb.setInsertionPointToEnd(run);
    SmallVector<Value> args = argsOf(fb);
    if (callee.hasWorkspace)
      args.push_back(workspace);
    if (callee.hasExecutor)
      args.push_back(executor);
    LLVM::CallOp::create(fb, loc, callee.fn, args);
    LLVM::ReturnOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i32, 0).getResult());
    check = next;
  }
  fb.setInsertionPointToEnd(check);
  LLVM::BrOp::create(fb, loc, error);
  b.setInsertionPointToEnd(fn->getParentOfType<ModuleOp>().getBody());
}

/// Whether any of `pointers` is null.
static Value anyNull(OpBuilder &fb, Location loc, ArrayRef<Value> pointers) {
  Value null = LLVM::ZeroOp::create(
      fb, loc, LLVM::LLVMPointerType::get(fb.getContext()));
  Value bad;
  for (Value p : pointers) {
    Value isNull =
        LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, p, null);
    bad = bad ? LLVM::OrOp::create(fb, loc, bad, isNull).getResult() : isNull;
  }
  return bad;
}

/// int32_t whittle_model_decode(int64_t n, const void *tokens,
///     int64_t position, void *state, void *const *outputs,
///     void *workspace, const whittle_executor *executor)
/// and whittle_model_decode_workspace_size: n selects the step function
/// (one token or a prefill chunk); the caches are views of `state`.
static LogicalResult generateDecodeEntryPoint(ModuleOp module,
                                              const ModelSignature &signature,
                                              OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  const DecodeSignature &decode = *signature.decode;
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i8 = IntegerType::get(ctx, 8);
  auto i32 = IntegerType::get(ctx, 32);
  auto i64 = IntegerType::get(ctx, 64);
  unsigned numCaches = decode.cacheOffsets.size();
  unsigned numOutputs = signature.outputs.size();

  SmallVector<int64_t, 2> sizes = {decode.chunk};
  if (decode.chunk != 1)
    sizes.push_back(1);
  int64_t workspaceSize = 0;
  FailureOr<SmallVector<SizedFunction>> steps = internalizeSizedFunctions(
      module, "decode_step_", sizes, 2 + numCaches + numOutputs, workspaceSize);
  if (failed(steps))
    return failure();
  defineConstantFunction(b, loc, "whittle_model_decode_workspace_size",
                         workspaceSize);

  auto fn =
      defineFunction(b, loc, "whittle_model_decode", i32,
                     {i64, ptrType, i64, ptrType, ptrType, ptrType, ptrType});
  Block *entry = &fn.getBody().front();
  Value n = entry->getArgument(0), tokens = entry->getArgument(1),
        position = entry->getArgument(2), state = entry->getArgument(3),
        outputs = entry->getArgument(4), workspace = entry->getArgument(5),
        executor = entry->getArgument(6);
  OpBuilder fb = OpBuilder::atBlockEnd(entry);
  Value one = LLVM::ConstantOp::create(fb, loc, i64, 1);
  // The step functions take the position as a memref<1xi64>.
  Value positionSlot = LLVM::AllocaOp::create(fb, loc, ptrType, i64, one, 8);
  LLVM::StoreOp::create(fb, loc, position, positionSlot);
  SmallVector<Value> required = {tokens, state, outputs};
  if (workspaceSize > 0)
    required.push_back(workspace);
  Value bad = anyNull(fb, loc, required);
  dispatchOnSize(
      b, fb, fn, entry, bad, *steps, workspace, executor,
      [&](OpBuilder &cb, int64_t tokensInStep) -> Value {
        return LLVM::ICmpOp::create(
            cb, loc, LLVM::ICmpPredicate::eq, n,
            LLVM::ConstantOp::create(cb, loc, i64, tokensInStep));
      },
      [&](OpBuilder &cb) {
        SmallVector<Value> args = {tokens, positionSlot};
        for (int64_t offset : decode.cacheOffsets)
          args.push_back(LLVM::GEPOp::create(cb, loc, ptrType, i8, state,
                                             ArrayRef<LLVM::GEPArg>{offset}));
        loadPointerArray(cb, loc, outputs, numOutputs, args);
        return args;
      });
  return success();
}

/// int32_t whittle_model_run_length(int64_t n, void *const *inputs,
///     void *const *outputs, void *workspace, const whittle_executor *)
/// and whittle_model_length_workspace_size: runs the smallest variant
/// @length_L with L >= n on buffers of L rows.
static LogicalResult generateLengthEntryPoint(ModuleOp module,
                                              const ModelSignature &signature,
                                              OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  const LengthSignature &lengths = *signature.lengths;
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i32 = IntegerType::get(ctx, 32);
  auto i64 = IntegerType::get(ctx, 64);
  unsigned numInputs = signature.inputs.size();
  unsigned numOutputs = signature.outputs.size();

  int64_t workspaceSize = 0;
  FailureOr<SmallVector<SizedFunction>> variants =
      internalizeSizedFunctions(module, "length_", lengths.variants,
                                numInputs + 1 + numOutputs, workspaceSize);
  if (failed(variants))
    return failure();
  defineConstantFunction(b, loc, "whittle_model_length_workspace_size",
                         workspaceSize);

  auto fn = defineFunction(b, loc, "whittle_model_run_length", i32,
                           {i64, ptrType, ptrType, ptrType, ptrType});
  Block *entry = &fn.getBody().front();
  Value n = entry->getArgument(0), inputs = entry->getArgument(1),
        outputs = entry->getArgument(2), workspace = entry->getArgument(3),
        executor = entry->getArgument(4);
  OpBuilder fb = OpBuilder::atBlockEnd(entry);
  Value one = LLVM::ConstantOp::create(fb, loc, i64, 1);
  // The variants take the length as a memref<1xi64>.
  Value lengthSlot = LLVM::AllocaOp::create(fb, loc, ptrType, i64, one, 8);
  LLVM::StoreOp::create(fb, loc, n, lengthSlot);
  SmallVector<Value> required = {inputs, outputs};
  if (workspaceSize > 0)
    required.push_back(workspace);
  Value bad = LLVM::OrOp::create(
      fb, loc, anyNull(fb, loc, required),
      LLVM::ICmpOp::create(
          fb, loc, LLVM::ICmpPredicate::slt, n,
          LLVM::ConstantOp::create(fb, loc, i64, lengths.minLength)));
  dispatchOnSize(
      b, fb, fn, entry, bad, *variants, workspace, executor,
      [&](OpBuilder &cb, int64_t rows) -> Value {
        return LLVM::ICmpOp::create(
            cb, loc, LLVM::ICmpPredicate::sle, n,
            LLVM::ConstantOp::create(cb, loc, i64, rows));
      },
      [&](OpBuilder &cb) {
        SmallVector<Value> args;
        loadPointerArray(cb, loc, inputs, numInputs, args);
        args.push_back(lengthSlot);
        loadPointerArray(cb, loc, outputs, numOutputs, args);
        return args;
      });
  return success();
}

/// A NUL-terminated (or, for binary data, sized) internal constant.
static LLVM::GlobalOp defineBytes(OpBuilder &b, Location loc, StringRef name,
                                  StringRef bytes) {
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
  return LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                                LLVM::Linkage::Internal, name,
                                b.getStringAttr(bytes));
}

/// The GPU part of the ABI (model_abi.h): the kernel names in launch-index
/// order, the device image (cubin and PTX), and the table of weights to
/// upload, from what whittle-lower-gpu-launches and
/// whittle-serialize-gpu-kernels left in the module.
static LogicalResult generateGPUEntryPoints(ModuleOp module, OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i32 = IntegerType::get(ctx, 32);
  auto i64 = IntegerType::get(ctx, 64);
  auto kernels = module->getAttrOfType<ArrayAttr>("whittle.gpu_kernels");
  auto weights = module->getAttrOfType<ArrayAttr>("whittle.gpu_weights");
  auto weightBytes =
      module->getAttrOfType<IntegerAttr>("whittle.gpu_weights_bytes");
  if (!kernels || !weights || !weightBytes)
    return module.emitError("GPU module without its kernel and weight tables");

  // const char *whittle_model_gpu_kernels(void): one name per line.
  {
    std::string names;
    for (Attribute name : kernels)
      names += cast<StringAttr>(name).str() + "\n";
    names.push_back('\0');
    auto global = defineBytes(b, loc, "__whittle_gpu_kernel_names", names);
    auto fn = defineFunction(b, loc, "whittle_model_gpu_kernels", ptrType, {});
    OpBuilder fb = OpBuilder::atBlockEnd(&fn.getBody().front());
    LLVM::ReturnOp::create(
        fb, loc, LLVM::AddressOfOp::create(fb, loc, global).getResult());
  }

  // const void *whittle_model_gpu_image(int32_t format, int64_t *bytes)
  {
    auto fn = defineFunction(b, loc, "whittle_model_gpu_image", ptrType,
                             {i32, ptrType});
    Block *entry = &fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockEnd(entry);
    Value format = entry->getArgument(0), sizeOut = entry->getArgument(1);
    Value null = LLVM::ZeroOp::create(fb, loc, ptrType);
    StringRef names[] = {"whittle_gpu_cubin", "whittle_gpu_ptx"};
    for (auto [index, name] : llvm::enumerate(names)) {
      auto global = module.lookupSymbol<LLVM::GlobalOp>(name);
      if (!global)
        continue;
      auto type = cast<LLVM::LLVMArrayType>(global.getType());
      Block *found = fb.createBlock(&fn.getBody());
      Block *next = fb.createBlock(&fn.getBody());
      fb.setInsertionPointToEnd(entry);
      Value wanted =
          LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, format,
                               LLVM::ConstantOp::create(fb, loc, i32, index));
      LLVM::CondBrOp::create(fb, loc, wanted, found, next);
      fb.setInsertionPointToEnd(found);
      LLVM::StoreOp::create(
          fb, loc,
          LLVM::ConstantOp::create(fb, loc, i64, type.getNumElements()),
          sizeOut);
      LLVM::ReturnOp::create(
          fb, loc, LLVM::AddressOfOp::create(fb, loc, global).getResult());
      entry = next;
    }
    fb.setInsertionPointToEnd(entry);
    LLVM::StoreOp::create(fb, loc, LLVM::ConstantOp::create(fb, loc, i64, 0),
                          sizeOut);
    LLVM::ReturnOp::create(fb, loc, null);
  }

  // const whittle_gpu_weight *whittle_model_gpu_weights(int64_t *count,
  //                                                     int64_t *bytes)
  {
    auto entryType = LLVM::LLVMStructType::getLiteral(ctx, {ptrType, i64, i64});
    auto tableType = LLVM::LLVMArrayType::get(
        entryType, std::max<size_t>(weights.size(), 1));
    auto table = LLVM::GlobalOp::create(b, loc, tableType, /*isConstant=*/true,
                                        LLVM::Linkage::Internal,
                                        "__whittle_gpu_weights", Attribute());
    {
      Block *init = new Block();
      table.getInitializerRegion().push_back(init);
      OpBuilder ib = OpBuilder::atBlockEnd(init);
      Value value = LLVM::ZeroOp::create(ib, loc, tableType);
      for (auto [i, attr] : llvm::enumerate(weights)) {
        auto entry = cast<ArrayAttr>(attr);
        auto symbol = cast<FlatSymbolRefAttr>(entry[0]);
        auto global = module.lookupSymbol<LLVM::GlobalOp>(symbol.getAttr());
        if (!global)
          return module.emitError("GPU weight ")
                 << symbol << " is not a global";
        int64_t row = i;
        Value host = LLVM::AddressOfOp::create(ib, loc, global);
        value = LLVM::InsertValueOp::create(ib, loc, value, host,
                                            ArrayRef<int64_t>{row, 0});
        for (int64_t field : {1, 2}) {
          int64_t number = cast<IntegerAttr>(entry[3 - field]).getInt();
          value = LLVM::InsertValueOp::create(
              ib, loc, value, LLVM::ConstantOp::create(ib, loc, i64, number),
              ArrayRef<int64_t>{row, field});
        }
      }
      LLVM::ReturnOp::create(ib, loc, value);
    }
    auto fn = defineFunction(b, loc, "whittle_model_gpu_weights", ptrType,
                             {ptrType, ptrType});
    Block *entry = &fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockEnd(entry);
    LLVM::StoreOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i64, weights.size()),
        entry->getArgument(0));
    LLVM::StoreOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i64, weightBytes.getInt()),
        entry->getArgument(1));
    LLVM::ReturnOp::create(
        fb, loc, LLVM::AddressOfOp::create(fb, loc, table).getResult());
  }
  return success();
}

LogicalResult whittle::generateEntryPoints(ModuleOp module,
                                           const ModelSignature &signature,
                                           StringRef cPrefix) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  if (failed(defineParallelDispatchers(module)))
    return failure();
  auto model = module.lookupSymbol<LLVM::LLVMFuncOp>("main");
  if (!model)
    return module.emitError("no lowered @main function in the LLVM module");

  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i1 = IntegerType::get(ctx, 1);
  auto i32 = IntegerType::get(ctx, 32);
  auto i64 = IntegerType::get(ctx, 64);

  unsigned numInputs = signature.inputs.size();
  unsigned numOutputs = signature.outputs.size();
  unsigned numArgs = model.getNumArguments();
  unsigned numTensors = numInputs + numOutputs;
  if (numArgs < numTensors || numArgs > numTensors + 2 ||
      !isa<LLVM::LLVMVoidType>(model.getFunctionType().getReturnType()) ||
      llvm::any_of(model.getArgumentTypes(),
                   [&](Type t) { return t != ptrType; }))
    return model.emitError("lowered @main does not have the expected "
                           "signature (bare pointers: inputs, outputs, "
                           "workspace, executor; no results)");
  bool hasWorkspace = numArgs > numTensors;
  bool hasExecutor = numArgs > numTensors + 1;

  if (failed(SymbolTable::replaceAllSymbolUses(
          model, StringAttr::get(ctx, kModelFunction), module)))
    return failure();
  model.setSymName(kModelFunction);
  model.setLinkage(LLVM::Linkage::Internal);

  bool isGPU = module->hasAttr("whittle.gpu_kernels");
  int64_t workspaceSize = 0;
  if (auto attr = module->getAttrOfType<IntegerAttr>("whittle.workspace_size"))
    workspaceSize = attr.getInt();

  auto alignedAlloc =
      getOrDeclare(module, "aligned_alloc", ptrType, {i64, i64});
  auto freeFn =
      getOrDeclare(module, "free", LLVM::LLVMVoidType::get(ctx), {ptrType});

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());

  // int32_t whittle_model_abi_version(void)
  {
    auto fn = defineFunction(b, loc, "whittle_model_abi_version", i32, {});
    OpBuilder fb = OpBuilder::atBlockEnd(&fn.getBody().front());
    LLVM::ReturnOp::create(
        fb, loc,
        LLVM::ConstantOp::create(fb, loc, i32, isGPU ? 2 : 1).getResult());
  }

  // const char *whittle_model_metadata(void)
  {
    std::string text = formatModelMetadata(signature);
    text.push_back('\0');
    auto type = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), text.size());
    auto global = LLVM::GlobalOp::create(
        b, loc, type, /*isConstant=*/true, LLVM::Linkage::Internal,
        "__whittle_model_metadata", b.getStringAttr(text));
    auto fn = defineFunction(b, loc, "whittle_model_metadata", ptrType, {});
    OpBuilder fb = OpBuilder::atBlockEnd(&fn.getBody().front());
    LLVM::ReturnOp::create(
        fb, loc, LLVM::AddressOfOp::create(fb, loc, global).getResult());
  }

  // int64_t whittle_model_workspace_size(void)
  {
    auto fn = defineFunction(b, loc, "whittle_model_workspace_size", i64, {});
    OpBuilder fb = OpBuilder::atBlockEnd(&fn.getBody().front());
    LLVM::ReturnOp::create(
        fb, loc,
        LLVM::ConstantOp::create(fb, loc, i64, workspaceSize).getResult());
  }

  // int32_t whittle_model_run(void *const *inputs, void *const *outputs,
  //                           void *workspace, const whittle_executor *)
  {
    auto fn = defineFunction(b, loc, "whittle_model_run", i32,
                             {ptrType, ptrType, ptrType, ptrType});
    Block *entry = &fn.getBody().front();
    Value inputs = entry->getArgument(0), outputs = entry->getArgument(1),
          workspace = entry->getArgument(2), executor = entry->getArgument(3);
    OpBuilder fb = OpBuilder::atBlockEnd(entry);
    Value null = LLVM::ZeroOp::create(fb, loc, ptrType);
    auto isNull = [&](Value p) -> Value {
      return LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, p, null);
    };
    // Null pointer arrays are only an error when there is something to read;
    // a null workspace only when the model needs one.
    Value bad = LLVM::ConstantOp::create(fb, loc, i1, 0);
    if (numInputs)
      bad = LLVM::OrOp::create(fb, loc, bad, isNull(inputs));
    if (numOutputs)
      bad = LLVM::OrOp::create(fb, loc, bad, isNull(outputs));
    if (workspaceSize > 0)
      bad = LLVM::OrOp::create(fb, loc, bad, isNull(workspace));
    // GPU libraries launch their kernels through the executor.
    if (isGPU)
      bad = LLVM::OrOp::create(fb, loc, bad, isNull(executor));
    Block *body = fb.createBlock(&fn.getBody());
    Block *error = fb.createBlock(&fn.getBody());
    fb.setInsertionPointToEnd(entry);
    LLVM::CondBrOp::create(fb, loc, bad, error, body);

    fb.setInsertionPointToEnd(error);
    LLVM::ReturnOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i32, 1).getResult());

    fb.setInsertionPointToEnd(body);
    SmallVector<Value> args;
    loadPointerArray(fb, loc, inputs, numInputs, args);
    loadPointerArray(fb, loc, outputs, numOutputs, args);
    if (hasWorkspace)
      args.push_back(workspace);
    if (hasExecutor)
      args.push_back(executor);
    LLVM::CallOp::create(fb, loc, model, args);
    LLVM::ReturnOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i32, 0).getResult());
  }

  if (signature.decode &&
      failed(generateDecodeEntryPoint(module, signature, b)))
    return failure();
  if (signature.lengths &&
      failed(generateLengthEntryPoint(module, signature, b)))
    return failure();

  if (isGPU)
    return generateGPUEntryPoints(module, b);

  // int32_t <prefix>_run(const T *input..., T *output...): serial, owns its
  // workspace. (Not for GPU libraries, which need the runtime's device.)
  {
    SmallVector<Type> params(numTensors, ptrType);
    auto fn = defineFunction(b, loc, (cPrefix + "_run").str(), i32, params);
    Block *entry = &fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockEnd(entry);
    SmallVector<Value> args(entry->getArguments().begin(),
                            entry->getArguments().end());
    Value null = LLVM::ZeroOp::create(fb, loc, ptrType);
    Value buffer = null;
    if (workspaceSize > 0) {
      Value alignment = LLVM::ConstantOp::create(fb, loc, i64, 64);
      Value size = LLVM::ConstantOp::create(fb, loc, i64,
                                            llvm::alignTo(workspaceSize, 64));
      buffer = LLVM::CallOp::create(fb, loc, alignedAlloc,
                                    ValueRange{alignment, size})
                   .getResult();
      Value failedAlloc =
          LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, buffer, null);
      Block *run = fb.createBlock(&fn.getBody());
      Block *oom = fb.createBlock(&fn.getBody());
      fb.setInsertionPointToEnd(entry);
      LLVM::CondBrOp::create(fb, loc, failedAlloc, oom, run);
      fb.setInsertionPointToEnd(oom);
      LLVM::ReturnOp::create(
          fb, loc, LLVM::ConstantOp::create(fb, loc, i32, 2).getResult());
      fb.setInsertionPointToEnd(run);
    }
    if (hasWorkspace)
      args.push_back(buffer);
    if (hasExecutor)
      args.push_back(null);
    LLVM::CallOp::create(fb, loc, model, args);
    if (workspaceSize > 0)
      LLVM::CallOp::create(fb, loc, freeFn, ValueRange{buffer});
    LLVM::ReturnOp::create(
        fb, loc, LLVM::ConstantOp::create(fb, loc, i32, 0).getResult());
  }
  return success();
}
