//===- LowerVectors.cpp - Lower tile-kernels' vector ops ------------------===//
//
// After bufferization the vector ops that tile-kernels produced are still
// n-D (the mr x nr accumulator, mr x 1 reads of A, multi-reductions). They
// are lowered here, as a whole, to the 1-D vector ops and FMAs that the LLVM
// conversion maps onto full-width registers.
//
//===----------------------------------------------------------------------===//

#include "whittle/Passes/Passes.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLELOWERVECTORS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

namespace {

struct WhittleLowerVectorsPass
    : whittle::impl::WhittleLowerVectorsBase<WhittleLowerVectorsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    func::FuncOp func = getOperation();
    auto apply = [&](auto populate) {
      RewritePatternSet patterns(ctx);
      populate(patterns);
      return applyPatternsGreedily(func, std::move(patterns));
    };
    // n-D transfers: unrolled to 1-D, first (their unit dims and
    // permutations are simplest to handle while they are still transfers).
    {
      VectorTransferToSCFOptions options;
      options.enableFullUnroll(true);
      options.setTargetRank(1);
      RewritePatternSet patterns(ctx);
      populateVectorToSCFConversionPatterns(patterns, options);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // Contractions become outer products, i.e. one broadcast FMA per row.
    if (failed(apply([&](RewritePatternSet &patterns) {
          vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
          vector::populateVectorContractLoweringPatterns(
              patterns, vector::VectorContractLowering::OuterProduct);
          vector::populateVectorMultiReductionLoweringPatterns(
              patterns, vector::VectorMultiReductionLowering::InnerReduction);
          vector::TransposeOp::getCanonicalizationPatterns(patterns, ctx);
          vector::ShapeCastOp::getCanonicalizationPatterns(patterns, ctx);
        })))
      return signalPassFailure();
    if (failed(apply([&](RewritePatternSet &patterns) {
          vector::populateVectorOuterProductLoweringPatterns(patterns);
          vector::populateVectorTransposeLoweringPatterns(
              patterns, vector::VectorTransposeLowering::EltWise);
          vector::populateVectorBroadcastLoweringPatterns(patterns);
          vector::populateVectorShapeCastLoweringPatterns(patterns);
        })))
      return signalPassFailure();
    if (failed(apply([&](RewritePatternSet &patterns) {
          vector::populateVectorTransferLoweringPatterns(patterns,
                                                         /*maxRank=*/1);
          vector::populateVectorTransferPermutationMapLoweringPatterns(
              patterns);
          vector::populateVectorBroadcastLoweringPatterns(patterns);
          vector::populateVectorShapeCastLoweringPatterns(patterns);
        })))
      return signalPassFailure();
  }
};

} // namespace
