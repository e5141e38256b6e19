//===- WhittleToLinalg.cpp - Lower whittle ops to linalg ------------------===//
//
// The convert-whittle-to-linalg pass: checks that every whittle op has static
// shapes (reporting the first offender by name), applies the lowering
// patterns with whittle as an illegal dialect, then makes every unsigned
// integer type signless, since arith accepts only signless integers.
//
//===----------------------------------------------------------------------===//

#include "whittle/Conversion/WhittleToLinalg.h"
#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace whittle {
#define GEN_PASS_DEF_CONVERTWHITTLETOLINALG
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;

void whittle::populateWhittleToLinalgPatterns(RewritePatternSet &patterns) {
  populateElementwiseToLinalgPatterns(patterns);
  populateMatmulToLinalgPatterns(patterns);
  populateQuantizedMatmulToLinalgPatterns(patterns);
  populateReductionToLinalgPatterns(patterns);
  populateDataMovementToLinalgPatterns(patterns);
  populateAttentionToLinalgPatterns(patterns);
}

/// The signless type of the same width for an unsigned integer type.
static std::optional<IntegerType> signlessFor(Type type) {
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType || !intType.isUnsigned())
    return std::nullopt;
  return IntegerType::get(type.getContext(), intType.getWidth());
}

void whittle::convertUnsignedToSignless(Operation *root) {
  // Rewrites types wherever they occur: results, block arguments, function
  // types and typed attributes. The replacer does not rebuild attributes
  // whose type is their own storage key (integers, dense and dense_resource
  // elements), so those are rebuilt here around the same value or bytes.
  AttrTypeReplacer replacer;
  replacer.addReplacement([](IntegerType type) -> std::optional<Type> {
    return signlessFor(type);
  });
  replacer.addReplacement([](IntegerAttr attr) -> std::optional<Attribute> {
    if (std::optional<IntegerType> type = signlessFor(attr.getType()))
      return IntegerAttr::get(*type, attr.getValue());
    return std::nullopt;
  });
  replacer.addReplacement(
      [](DenseIntOrFPElementsAttr attr) -> std::optional<Attribute> {
        ShapedType type = attr.getType();
        if (std::optional<IntegerType> element =
                signlessFor(type.getElementType()))
          return DenseElementsAttr::getFromRawBuffer(type.clone(*element),
                                                     attr.getRawData());
        return std::nullopt;
      });
  replacer.addReplacement(
      [](DenseResourceElementsAttr attr) -> std::optional<Attribute> {
        ShapedType type = attr.getType();
        if (std::optional<IntegerType> element =
                signlessFor(type.getElementType()))
          return DenseResourceElementsAttr::get(type.clone(*element),
                                                attr.getRawHandle());
        return std::nullopt;
      });
  replacer.recursivelyReplaceElementsIn(root, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
}

namespace {
struct ConvertWhittleToLinalgPass
    : whittle::impl::ConvertWhittleToLinalgBase<ConvertWhittleToLinalgPass> {
  using Base::Base;

  /// An attention that whittle-tile-attention lowers later.
  bool isLeftForStreaming(Operation *op) const {
    auto attention = dyn_cast<whittle::AttentionOp>(op);
    if (!streamingAttention || !attention)
      return false;
    auto f32Static = [](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      return type.hasStaticShape() && type.getElementType().isF32();
    };
    auto operands =
        llvm::make_filter_range(attention->getOperands(), [&](Value v) {
          return v != attention.getPosition();
        });
    return llvm::all_of(operands, f32Static) &&
           f32Static(attention.getResult());
  }

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
    target.addDynamicallyLegalOp<whittle::AttentionOp>(
        [&](Operation *op) { return isLeftForStreaming(op); });
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           bufferization::BufferizationDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // Each family's patterns are collected separately so that the ops they
    // lower can be counted by root name without a second list of ops.
    RewritePatternSet patterns(ctx);
    llvm::DenseMap<OperationName, Statistic *> familyOf;
    auto addFamily = [&](llvm::function_ref<void(RewritePatternSet &)> populate,
                         Statistic &statistic) {
      RewritePatternSet family(ctx);
      populate(family);
      for (std::unique_ptr<RewritePattern> &pattern :
           family.getNativePatterns()) {
        if (std::optional<OperationName> root = pattern->getRootKind())
          familyOf[*root] = &statistic;
        patterns.add(std::move(pattern));
      }
    };
    addFamily(whittle::populateElementwiseToLinalgPatterns, numElementwise);
    addFamily(whittle::populateMatmulToLinalgPatterns, numContractions);
    addFamily(
        [&](RewritePatternSet &family) {
          whittle::populateQuantizedMatmulToLinalgPatterns(
              family, vectorKernelRegisters);
        },
        numContractions);
    addFamily(whittle::populateReductionToLinalgPatterns, numReductions);
    addFamily(whittle::populateDataMovementToLinalgPatterns, numDataMovement);
    addFamily(whittle::populateAttentionToLinalgPatterns, numAttention);
    module.walk([&](Operation *op) {
      if (Statistic *statistic = familyOf.lookup(op->getName());
          statistic && !isLeftForStreaming(op))
        ++*statistic;
    });

    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    // The patterns chose signed or unsigned arith ops from the whittle
    // element types; only now can those types become signless.
    whittle::convertUnsignedToSignless(module);
  }
};
} // namespace
