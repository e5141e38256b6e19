//===- Passes.td - Whittle passes --------------------------*- tablegen -*-===//
//
// Every whittle pass is declared here. Graph passes live in passes/, the
// whittle-to-linalg conversion in lib/Conversion, backend passes in
// lib/Target.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_TD
#define WHITTLE_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Graph passes (whittle dialect)
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

def ConvertWhittleToLinalg : Pass<"convert-whittle-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower whittle ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Converts every whittle op into named linalg ops or linalg.generic on
    tensors (with tensor, arith and math ops for the scalar bodies).
    Requires static shapes; reports an error naming the op otherwise.
    Unsigned element types (ui8..ui64) select the unsigned arith ops
    (divui, maxui, cmpi ult, uitofp, extui, ...); afterwards every type in
    the module, function signatures and constants included, is signless.
  }];
  let statistics = [
    Statistic<"numElementwise", "elementwise-ops",
              "Elementwise whittle ops lowered">,
    Statistic<"numContractions", "contraction-ops",
              "Matmul, gemm and conv ops lowered">,
    Statistic<"numReductions", "reduction-ops",
              "Reduction, softmax and layer norm ops lowered">,
    Statistic<"numDataMovement", "data-movement-ops",
              "Constant, shape and data movement ops lowered">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::bufferization::BufferizationDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Backend passes (after conversion to linalg)
//===----------------------------------------------------------------------===//

def WhittlePlanMemory : Pass<"whittle-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every static buffer of @main in one workspace argument";
  let description = [{
    Runs after bufferization. Every `memref.alloc` of static size in the
    function becomes a `memref.view` into a new trailing workspace argument
    (`memref<Nxi8>`). Offsets come from a greedy, liveness-based allocator:
    buffers whose lifetimes (alloc to last use of any alias) do not overlap
    share bytes. Offsets are aligned to `alignment`. Deallocs are removed.
    The total size is recorded as the module attribute
    `whittle.workspace_size`. A buffer that escapes its block (yielded or
    returned) or has a dynamic shape is an error.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose buffers are planned">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Byte alignment of every buffer in the workspace">
  ];
  let statistics = [
    Statistic<"numBuffers", "buffers", "Buffers placed in the workspace">,
    Statistic<"bytesRequested", "bytes-requested",
              "Sum of the sizes of all planned buffers">,
    Statistic<"bytesPlanned", "bytes-planned", "Size of the workspace">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def WhittleOutlineParallelLoops
    : Pass<"whittle-outline-parallel-loops", "mlir::ModuleOp"> {
  let summary = "Outline top-level scf.parallel loops of @main into tasks";
  let description = [{
    Runs on buffers, after whittle-plan-memory. Appends an `!llvm.ptr`
    executor argument (a `const whittle_executor *`, see model_abi.h) to the
    function. Every top-level `scf.parallel` with static bounds, no
    reductions and enough work becomes a private task function
    `@__whittle_task_impl_<n>(captured memrefs..., begin, end)` running
    iterations [begin, end) of its first dimension, and the loop is
    replaced by a call of the declaration `@__whittle_parallel_<n>(captured
    memrefs..., executor)`. The target layer defines that declaration in the
    LLVM dialect: it packs the pointers into a context and calls
    executor->parallel_for with a `void (void *, int64_t, int64_t)`
    trampoline, or the trampoline directly when there is no executor.
    Loops capturing non-identity-layout memrefs stay serial.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose loops are outlined">,
    Option<"minWork", "min-work", "int64_t", "32768",
           "Smallest (iterations x body operations) worth a dispatch">
  ];
  let statistics = [
    Statistic<"numOutlined", "outlined", "Loops outlined into tasks">
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

def WhittleLegalizeForLLVM : Pass<"whittle-legalize-for-llvm", "mlir::ModuleOp"> {
  let summary = "Rewrite what the LLVM conversions would turn into runtime calls";
  let description = [{
    Runs on buffers, before conversion to the LLVM dialect. Copies between
    non-contiguous memrefs become loops (instead of calls to the MLIR C
    runner's memrefCopy, which a model library does not link), and f32
    transcendental functions (tanh, erf, exp, log, ...) become polynomial
    approximations that vectorize instead of libm calls.
  }];
  let options = [
    Option<"approximateMath", "approximate-math", "bool", "true",
           "Replace f32 math functions with polynomial approximations">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect", "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect"];
}

#endif // WHITTLE_PASSES_TD
