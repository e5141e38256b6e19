//===- BuildDecodeSteps.cpp - Step functions over a key/value cache -------===//
//
// From a causal decoder compiled for MAX tokens (@main), builds functions
// that advance a generation by T tokens at a position P:
//
//   @decode_step_T(tokens [B, T], position [1], k_0, v_0, ..., k_n, v_n)
//       -> the outputs of @main for tokens P .. P+T-1
//
// Every value that carries the sequence axis of the token input is rebuilt
// with T rows instead of MAX. An attention writes its new keys and values
// into its cache operands (k_i: [B, Hkv, D, S], keys contiguous as the
// attention kernel reads them; v_i: [B, Hkv, S, D]; written in place) at P
// and attends over the cache with `position` P. Constants that line up with
// the sequence axis (position embeddings, rotary tables) are the rows of
// positions P .. P+T-1 of their MAX-row value, gathered at run time.
// Anything that mixes positions other than a causal attention (a reduction
// or softmax over the sequence, a non-causal attention, a reshape merging
// the sequence with another axis) is an error naming the op.
//
//===----------------------------------------------------------------------===//

#include "SequenceRebuilder.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/ScopeExit.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLEBUILDDECODESTEPS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

/// Builds one step function from the (mask-free) source function.
class StepBuilder : public SequenceRebuilder {
public:
  StepBuilder(func::FuncOp source, int64_t steps, int64_t cacheLength)
      : SequenceRebuilder(
            source, steps,
            cast<RankedTensorType>(source.getArgument(0).getType())
                .getDimSize(1),
            "--decode"),
        cacheLength(cacheLength) {}

  FailureOr<func::FuncOp> build(OpBuilder &moduleBuilder, StringRef name) {
    MLIRContext *ctx = source.getContext();
    Location loc = source.getLoc();
    auto tokenType = cast<RankedTensorType>(source.getArgument(0).getType());

    // Arguments: tokens, position, then a key and a value cache per
    // attention in program order.
    SmallVector<Type> argTypes = {
        RankedTensorType::get({tokenType.getDimSize(0), steps},
                              tokenType.getElementType()),
        RankedTensorType::get({1}, IntegerType::get(ctx, 64))};
    SmallVector<AttentionOp> attentions;
    source.walk([&](AttentionOp op) { attentions.push_back(op); });
    for (AttentionOp op : attentions)
      for (auto [index, kv] :
           llvm::enumerate(SmallVector<Value>{op.getKey(), op.getValue()})) {
        auto type = cast<RankedTensorType>(kv.getType());
        SmallVector<int64_t> shape(type.getShape());
        shape[2] = cacheLength;
        // Keys are cached as [B, Hkv, D, S] (keys contiguous): the layout
        // the attention kernel reads score vectors in, so no step repacks
        // the whole cache.
        if (index == 0)
          std::swap(shape[2], shape[3]);
        argTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
      }
    auto step = func::FuncOp::create(moduleBuilder, loc, name,
                                     FunctionType::get(ctx, argTypes, {}));
    Block *entry = step.addEntryBlock();
    begin(step);
    map.map(source.getArgument(0), entry->getArgument(0));
    seqAxis[entry->getArgument(0)] = 1;
    position = entry->getArgument(1);
    nextCache = 2;

    if (failed(rebuildBody())) {
      step.erase();
      return failure();
    }
    SmallVector<Value> results;
    SmallVector<Attribute> axes;
    for (auto [i, v] : llvm::enumerate(sourceReturn.getOperands())) {
      Value mapped = map.lookup(v);
      std::optional<int64_t> axis = axisOf(mapped);
      if (!axis) {
        sourceReturn.emitError("--decode: output ")
            << i << " does not depend on the tokens' positions";
        step.erase();
        return failure();
      }
      results.push_back(mapped);
      axes.push_back(b->getI64IntegerAttr(*axis));
    }
    func::ReturnOp::create(*b, sourceReturn.getLoc(), results);
    step.setType(
        FunctionType::get(ctx, argTypes, ValueRange(results).getTypes()));
    step->setAttr("whittle.output_seq_axes", b->getArrayAttr(axes));
    step->setAttr("whittle.decode_step", b->getI64IntegerAttr(steps));
    return step;
  }

private:
  Value firstPosition() override { return position; }

  LogicalResult visitAttention(AttentionOp op) override {
    Value q = map.lookupOrDefault(op.getQuery());
    Value k = map.lookupOrDefault(op.getKey());
    Value v = map.lookupOrDefault(op.getValue());
    if (axisOf(q) != 2 || axisOf(k) != 2 || axisOf(v) != 2)
      return op.emitError("--decode: attention whose queries, keys and "
                          "values are not all per token");
    if (!op.getCausal() || op.getPosition())
      return op.emitError("--decode: attention is not causal; a decoder "
                          "step sees only earlier tokens");
    if (Value mask = op.getMask()) {
      Value mapped = map.lookupOrDefault(mask);
      Attribute value;
      if (axisOf(mapped) || !matchPattern(mapped, m_Constant(&value)) ||
          !isa<SplatElementsAttr>(value) ||
          !cast<SplatElementsAttr>(value).getSplatValue<APFloat>().isZero())
        return op.emitError("--decode: attention has a mask beyond "
                            "causality (only an all-valid padding mask is "
                            "supported)");
    }
    Location loc = op.getLoc();
    Value pos = arith::IndexCastOp::create(
        *b, loc, b->getIndexType(),
        tensor::ExtractOp::create(
            *b, loc, position,
            ValueRange{arith::ConstantIndexOp::create(*b, loc, 0)}));
    SmallVector<Value> caches;
    DenseI64ArrayAttr swapLast = b->getDenseI64ArrayAttr({0, 1, 3, 2});
    for (auto [index, fresh] : llvm::enumerate(SmallVector<Value>{k, v})) {
      Value cache = func.getArgument(nextCache++);
      bool isKey = index == 0;
      // The key cache is [B, Hkv, D, S]: the new keys go in transposed, and
      // the attention sees the cache through the inverse transpose.
      if (isKey)
        fresh = TransposeOp::create(*b, loc, fresh, swapLast);
      auto type = cast<RankedTensorType>(fresh.getType());
      OpFoldResult zero = b->getIndexAttr(0);
      SmallVector<OpFoldResult> offsets = {zero, zero, pos, zero};
      if (isKey)
        std::swap(offsets[2], offsets[3]);
      SmallVector<OpFoldResult> sizes;
      for (int64_t d : type.getShape())
        sizes.push_back(b->getIndexAttr(d));
      SmallVector<OpFoldResult> strides(4, b->getIndexAttr(1));
      Value updated = tensor::InsertSliceOp::create(*b, loc, fresh, cache,
                                                    offsets, sizes, strides);
      if (isKey)
        updated = TransposeOp::create(*b, loc, updated, swapLast);
      caches.push_back(updated);
    }
    auto attention =
        AttentionOp::create(*b, loc, q, caches[0], caches[1], Value(), position,
                            op.getScaleAttr(), op.getCausalAttr());
    map.map(op.getResult(), attention.getResult());
    seqAxis[attention.getResult()] = 2;
    return success();
  }

  int64_t cacheLength;
  Value position;
  unsigned nextCache = 0;
};

struct WhittleBuildDecodeStepsPass
    : whittle::impl::WhittleBuildDecodeStepsBase<WhittleBuildDecodeStepsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>(funcName);
    if (!main || main.isExternal() || maxTokens == 0)
      return;
    if (failed(run(module, main)))
      signalPassFailure();
  }

  LogicalResult run(ModuleOp module, func::FuncOp main) {
    if (main.getNumArguments() == 0)
      return main.emitError("--decode: the model has no inputs");
    auto names = main->getAttrOfType<ArrayAttr>("whittle.input_names");
    auto nameOf = [&](unsigned i) -> std::string {
      if (names && i < names.size())
        if (auto s = dyn_cast<StringAttr>(names[i]))
          return s.str();
      return "#" + std::to_string(i);
    };
    auto tokens = dyn_cast<RankedTensorType>(main.getArgument(0).getType());
    if (!tokens || tokens.getRank() != 2 || !tokens.hasStaticShape() ||
        !isa<IntegerType>(tokens.getElementType()))
      return main.emitError("--decode: input '")
             << nameOf(0) << "' must be the token ids, [batch, sequence] "
             << "integers";
    int64_t maxTokens = tokens.getDimSize(1);
    int64_t requested = this->maxTokens;
    if (maxTokens != requested)
      return main.emitError("--decode=")
             << requested << " but input '" << nameOf(0) << "' has "
             << maxTokens << " positions";
    if (chunk < 1 || chunk > maxTokens)
      return main.emitError("--decode: the prefill chunk must be in [1, ")
             << maxTokens << "]";

    // The source: @main with every attention mask input all-valid (one
    // generated sequence has no padding), folded.
    OpBuilder builder(module.getContext());
    builder.setInsertionPointToEnd(module.getBody());
    auto source = cast<func::FuncOp>(builder.clone(*main));
    source.setName("__whittle_decode_source");
    llvm::scope_exit cleanup([&] { source.erase(); });
    Block &body = source.getBody().front();
    OpBuilder argBuilder = OpBuilder::atBlockBegin(&body);
    for (unsigned i = source.getNumArguments(); i-- > 1;) {
      std::string name = nameOf(i);
      if (!StringRef(name).contains_insensitive("mask"))
        return main.emitError("--decode: input '")
               << name << "' is neither the token ids (the first input) nor "
               << "an attention mask; compile it in with --freeze-input";
      auto type = cast<RankedTensorType>(source.getArgument(i).getType());
      Attribute one;
      if (auto f = dyn_cast<FloatType>(type.getElementType()))
        one = FloatAttr::get(f, 1.0);
      else
        one = IntegerAttr::get(type.getElementType(), 1);
      Value ones = ConstantOp::create(argBuilder, source.getLoc(),
                                      DenseElementsAttr::get(type, one));
      source.getArgument(i).replaceAllUsesWith(ones);
      (void)source.eraseArgument(i);
    }
    {
      RewritePatternSet patterns(module.getContext());
      for (Dialect *dialect : module.getContext()->getLoadedDialects())
        dialect->getCanonicalizationPatterns(patterns);
      for (RegisteredOperationName op :
           module.getContext()->getRegisteredOperations())
        op.getCanonicalizationPatterns(patterns, module.getContext());
      if (failed(applyPatternsGreedily(source, std::move(patterns))))
        return source.emitError("--decode: folding the masks did not "
                                "converge");
    }

    // Room for a padded last prefill chunk, rounded up to whole key blocks
    // of the attention kernel (up to 64 keys) so that it reads the key cache
    // in place whatever MAX and CHUNK are; rows past the position are never
    // read.
    int64_t cacheLength = llvm::alignTo(maxTokens + chunk, 64);
    SmallVector<int64_t> stepSizes = {chunk};
    if (chunk != 1)
      stepSizes.push_back(1);
    for (int64_t steps : stepSizes) {
      StepBuilder step(source, steps, cacheLength);
      builder.setInsertionPoint(source);
      if (failed(step.build(builder, ("decode_step_" + Twine(steps)).str())))
        return failure();
    }
    module->setAttr(
        "whittle.decode",
        builder.getDictionaryAttr(
            {builder.getNamedAttr("max_tokens",
                                  builder.getI64IntegerAttr(maxTokens)),
             builder.getNamedAttr("chunk", builder.getI64IntegerAttr(chunk)),
             builder.getNamedAttr("cache_length",
                                  builder.getI64IntegerAttr(cacheLength))}));
    return success();
  }
};

} // namespace
