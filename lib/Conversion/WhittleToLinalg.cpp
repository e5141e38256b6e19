//===- WhittleToLinalg.cpp - Lower whittle ops to linalg ------------------===//
//
// The convert-whittle-to-linalg pass: checks that every whittle op has static
// shapes (reporting the first offender by name), then applies the lowering
// patterns with whittle as an illegal dialect.
//
//===----------------------------------------------------------------------===//

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace whittle {
#define GEN_PASS_DEF_CONVERTWHITTLETOLINALG
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

void whittle::populateWhittleToLinalgPatterns(RewritePatternSet &patterns) {
  populateElementwiseToLinalgPatterns(patterns);
  populateMatmulToLinalgPatterns(patterns);
  populateReductionToLinalgPatterns(patterns);
  populateDataMovementToLinalgPatterns(patterns);
}

namespace {
struct ConvertWhittleToLinalgPass
    : whittle::impl::ConvertWhittleToLinalgBase<ConvertWhittleToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Name the op in the diagnostic instead of failing with a generic
    // "failed to legalize" from the conversion driver.
    WalkResult walk = module.walk([](Operation *op) {
      if (!isa<whittle::WhittleDialect>(op->getDialect()) ||
          whittle::hasStaticShapes(op))
        return WalkResult::advance();
      op->emitError() << op->getName()
                      << ": dynamic shapes are not supported in code "
                         "generation";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<whittle::WhittleDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           bufferization::BufferizationDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    whittle::populateWhittleToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
