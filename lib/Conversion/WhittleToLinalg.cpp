//===- WhittleToLinalg.cpp - Lower whittle ops to linalg ------------------===//

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace whittle {
#define GEN_PASS_DEF_CONVERTWHITTLETOLINALG
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {
struct ConvertWhittleToLinalgPass
    : whittle::impl::ConvertWhittleToLinalgBase<ConvertWhittleToLinalgPass> {
  void runOnOperation() override {
    getOperation().emitError("convert-whittle-to-linalg: not implemented yet");
    signalPassFailure();
  }
};
} // namespace
