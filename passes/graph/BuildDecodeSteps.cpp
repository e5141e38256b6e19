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

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEBUILDDECODESTEPS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

bool isElementwise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, AndOp, OrOp,
             EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, WhereOp,
             SqrtOp, ReciprocalOp, ExpOp, LogOp, ErfOp, TanhOp, SigmoidOp,
             ReluOp, RoundOp, NegOp, AbsOp, NotOp, GeluOp, ClipOp, CastOp,
             QuantizeOp, DequantizeOp>(op);
}

/// Builds one step function from the (mask-free) source function.
class StepBuilder {
public:
  StepBuilder(func::FuncOp source, int64_t steps, int64_t cacheLength)
      : source(source), steps(steps), cacheLength(cacheLength) {}

  FailureOr<func::FuncOp> build(OpBuilder &moduleBuilder, StringRef name) {
    MLIRContext *ctx = source.getContext();
    Location loc = source.getLoc();
    auto tokenType = cast<RankedTensorType>(source.getArgument(0).getType());
    maxTokens = tokenType.getDimSize(1);

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
    func = func::FuncOp::create(moduleBuilder, loc, name,
                                FunctionType::get(ctx, argTypes, {}));
    Block *entry = func.addEntryBlock();
    b = std::make_unique<OpBuilder>(OpBuilder::atBlockEnd(entry));
    map.map(source.getArgument(0), entry->getArgument(0));
    seqAxis[entry->getArgument(0)] = 1;
    position = entry->getArgument(1);
    nextCache = 2;

    for (Operation &op : source.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        SmallVector<Value> results;
        SmallVector<Attribute> axes;
        for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
          Value mapped = map.lookup(v);
          auto it = seqAxis.find(mapped);
          if (it == seqAxis.end())
            return ret.emitError("--decode: output ")
                   << i << " does not depend on the tokens' positions";
          results.push_back(mapped);
          axes.push_back(b->getI64IntegerAttr(it->second));
        }
        func::ReturnOp::create(*b, ret.getLoc(), results);
        func.setType(
            FunctionType::get(ctx, argTypes, ValueRange(results).getTypes()));
        func->setAttr("whittle.output_seq_axes", b->getArrayAttr(axes));
        func->setAttr("whittle.decode_step", b->getI64IntegerAttr(steps));
        return func;
      }
      if (failed(visit(&op))) {
        func.erase();
        return failure();
      }
    }
    return source.emitError("--decode: function has no return");
  }

private:
  std::optional<int64_t> axisOf(Value mapped) const {
    auto it = seqAxis.find(mapped);
    if (it == seqAxis.end())
      return std::nullopt;
    return it->second;
  }

  static int64_t rankOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  }

  /// Positions P .. P+T-1 as [T] i64, clamped to the last row of a MAX-row
  /// table (rows past it only feed padding tokens of a partial chunk).
  Value positions(Location loc) {
    if (positionIndices)
      return positionIndices;
    auto i64 = b->getI64Type();
    SmallVector<int64_t> iota(steps);
    std::iota(iota.begin(), iota.end(), 0);
    Value rows = ConstantOp::create(
        *b, loc,
        DenseElementsAttr::get(RankedTensorType::get({steps}, i64),
                               ArrayRef<int64_t>(iota)));
    Value last = ConstantOp::create(
        *b, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, i64),
                               ArrayRef<int64_t>{maxTokens - 1}));
    positionIndices =
        MinOp::create(*b, loc, AddOp::create(*b, loc, rows, position), last);
    return positionIndices;
  }

  /// `value` (no sequence axis) broadcast against a result of rank
  /// `resultRank` whose sequence axis is `axis`: if it has MAX rows there,
  /// it is a table over positions and only this step's rows are kept.
  Value alignTable(Value value, int64_t resultRank, int64_t axis,
                   Location loc) {
    auto type = cast<RankedTensorType>(value.getType());
    int64_t dim = axis - (resultRank - type.getRank());
    if (dim < 0 || type.getDimSize(dim) != maxTokens || maxTokens == 1)
      return value;
    // A table that is itself rows of a larger one (GPT-2's position
    // embedding: its table at arange(MAX)) is gathered from that one at the
    // step's entries of its indices: the step never rebuilds MAX rows.
    if (auto table = value.getDefiningOp<GatherOp>()) {
      int64_t axis = table.getAxis();
      if (axis < 0)
        axis += rankOf(table.getData());
      int64_t indexDim = dim - axis;
      if (indexDim >= 0 && indexDim < rankOf(table.getIndices())) {
        Value rows =
            GatherOp::create(*b, loc, table.getIndices(), positions(loc),
                             b->getI64IntegerAttr(indexDim));
        return GatherOp::create(*b, loc, table.getData(), rows,
                                b->getI64IntegerAttr(axis));
      }
    }
    return GatherOp::create(*b, loc, value, positions(loc),
                            b->getI64IntegerAttr(dim));
  }

  /// Re-infers the result types of `op` (operands or attributes changed).
  LogicalResult reinfer(Operation *op) {
    auto infer = dyn_cast<InferTypeOpInterface>(op);
    if (!infer)
      return op->emitError("--decode: cannot re-type ") << op->getName();
    SmallVector<Type> types;
    if (failed(infer.inferReturnTypes(
            op->getContext(), op->getLoc(), op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types)))
      return failure();
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
    return success();
  }

  InFlightDiagnostic notPositionWise(Operation *op) {
    return op->emitError("--decode: ")
           << op->getName() << " is not position-wise along the sequence: ";
  }

  LogicalResult visit(Operation *op) {
    SmallVector<std::optional<int64_t>> axes;
    bool anySeq = false;
    for (Value v : op->getOperands()) {
      axes.push_back(axisOf(map.lookupOrDefault(v)));
      anySeq |= axes.back().has_value();
    }
    if (!anySeq && !isa<AttentionOp>(op)) {
      // Constants and what is computed from them alone: the same here.
      b->clone(*op, map);
      return success();
    }
    if (auto attention = dyn_cast<AttentionOp>(op))
      return visitAttention(attention);

    Location loc = op->getLoc();
    int64_t resultRank = op->getNumResults() ? rankOf(op->getResult(0)) : 0;
    std::optional<int64_t> resultAxis;

    if (isElementwise(op)) {
      for (auto [v, a] : llvm::zip(op->getOperands(), axes)) {
        if (!a)
          continue;
        int64_t aligned = resultRank - rankOf(v) + *a;
        if (resultAxis && *resultAxis != aligned)
          return notPositionWise(op) << "operands disagree on it";
        resultAxis = aligned;
      }
      Operation *clone = b->clone(*op, map);
      for (auto [i, a] : llvm::enumerate(axes))
        if (!a)
          clone->setOperand(i, alignTable(clone->getOperand(i), resultRank,
                                          *resultAxis, loc));
      // After the gathers just built for its operands.
      clone->moveBefore(b->getInsertionBlock(), b->getInsertionPoint());
      return finish(op, clone, *resultAxis);
    }

    if (isa<MatMulOp, GemmOp, QuantizedMatMulOp, IntegerMatMulOp>(op)) {
      Value lhs = op->getOperand(0);
      if (axes[1])
        return notPositionWise(op)
               << "the sequence is on its right operand (an attention "
                  "that was not fused?)";
      if (!axes[0])
        return notPositionWise(op) << "the sequence reaches it only through "
                                      "a bias or zero point";
      int64_t lhsRank = rankOf(lhs);
      int64_t contraction = lhsRank - 1;
      if (auto gemm = dyn_cast<GemmOp>(op); gemm && gemm.getTransA())
        contraction = 0;
      if (*axes[0] == contraction)
        return notPositionWise(op) << "it sums over the sequence";
      resultAxis = resultRank - lhsRank + *axes[0];
      if (auto gemm = dyn_cast<GemmOp>(op); gemm && gemm.getTransA())
        resultAxis = 0;
      for (auto [i, a] : llvm::enumerate(axes))
        if (i > 1 && a &&
            resultRank - rankOf(op->getOperand(i)) + *a != *resultAxis)
          return notPositionWise(op)
                 << "operand " << i << " has the sequence elsewhere";
      return finish(op, b->clone(*op, map), *resultAxis);
    }

    int64_t axis = *axes[0];
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(
            [&](auto reduce) -> LogicalResult {
              ArrayRef<int64_t> reduced = reduce.getAxes();
              if (llvm::is_contained(reduced, axis))
                return notPositionWise(op) << "it reduces over the sequence";
              int64_t newAxis = axis;
              if (!reduce.getKeepdims())
                newAxis -= llvm::count_if(reduced,
                                          [&](int64_t r) { return r < axis; });
              return finish(op, b->clone(*op, map), newAxis);
            })
        .Case<SoftmaxOp>([&](SoftmaxOp softmax) -> LogicalResult {
          int64_t a = softmax.getAxis();
          if (a < 0)
            a += resultRank;
          if (a == axis)
            return notPositionWise(op) << "its softmax runs over the sequence";
          return finish(op, b->clone(*op, map), axis);
        })
        .Case<LayerNormOp>([&](LayerNormOp norm) -> LogicalResult {
          int64_t a = norm.getAxis();
          if (a < 0)
            a += resultRank;
          if (axis >= a || llvm::any_of(llvm::drop_begin(axes),
                                        [](auto x) { return x.has_value(); }))
            return notPositionWise(op) << "it normalizes over the sequence";
          return finish(op, b->clone(*op, map), axis);
        })
        .Case<TransposeOp>([&](TransposeOp transpose) -> LogicalResult {
          ArrayRef<int64_t> perm = transpose.getPerm();
          int64_t newAxis = llvm::find(perm, axis) - perm.begin();
          return finish(op, b->clone(*op, map), newAxis);
        })
        .Case<ReshapeOp>([&](ReshapeOp reshape) -> LogicalResult {
          // The sequence axis must survive whole: same extent, same product
          // of the dims before it.
          ArrayRef<int64_t> in =
              cast<RankedTensorType>(reshape.getInput().getType()).getShape();
          ArrayRef<int64_t> out = reshape.getShape();
          int64_t before = 1;
          for (int64_t i = 0; i < axis; ++i)
            before *= in[i];
          int64_t prefix = 1;
          for (int64_t d = 0; d < static_cast<int64_t>(out.size()); ++d) {
            if (prefix == before && out[d] == maxTokens) {
              SmallVector<int64_t> shape(out);
              shape[d] = steps;
              Operation *clone = b->clone(*op, map);
              clone->setAttr("shape", b->getDenseI64ArrayAttr(shape));
              return finish(op, clone, d);
            }
            prefix *= out[d];
            if (prefix > before)
              break;
          }
          return notPositionWise(op) << "it merges or splits the sequence axis";
        })
        .Case<UnsqueezeOp>([&](UnsqueezeOp unsqueeze) -> LogicalResult {
          int64_t newAxis = axis;
          for (int64_t a : unsqueeze.getAxes()) // sorted, in result dims
            if (a <= newAxis)
              ++newAxis;
          return finish(op, b->clone(*op, map), newAxis);
        })
        .Case<SqueezeOp>([&](SqueezeOp squeeze) -> LogicalResult {
          ArrayRef<int64_t> removed = squeeze.getAxes();
          if (llvm::is_contained(removed, axis))
            return notPositionWise(op) << "it squeezes the sequence axis";
          int64_t newAxis = axis - llvm::count_if(removed, [&](int64_t r) {
                              return r < axis;
                            });
          return finish(op, b->clone(*op, map), newAxis);
        })
        .Case<ExpandOp>([&](ExpandOp expand) -> LogicalResult {
          SmallVector<int64_t> shape(expand.getShape());
          int64_t newAxis = shape.size() - rankOf(expand.getInput()) + axis;
          shape[newAxis] = steps;
          Operation *clone = b->clone(*op, map);
          clone->setAttr("shape", b->getDenseI64ArrayAttr(shape));
          return finish(op, clone, newAxis);
        })
        .Case<SliceOp>([&](SliceOp slice) -> LogicalResult {
          if (slice.getStarts()[axis] != 0 ||
              slice.getSizes()[axis] != maxTokens ||
              slice.getSteps()[axis] != 1)
            return notPositionWise(op) << "it slices along the sequence";
          SmallVector<int64_t> sizes(slice.getSizes());
          sizes[axis] = steps;
          Operation *clone = b->clone(*op, map);
          clone->setAttr("sizes", b->getDenseI64ArrayAttr(sizes));
          return finish(op, clone, axis);
        })
        .Case<SplitOp>([&](SplitOp split) -> LogicalResult {
          int64_t a = split.getAxis();
          if (a < 0)
            a += rankOf(split.getInput());
          if (a == axis)
            return notPositionWise(op) << "it splits along the sequence";
          return finish(op, b->clone(*op, map), axis);
        })
        .Case<ConcatOp>([&](ConcatOp concat) -> LogicalResult {
          int64_t a = concat.getAxis();
          if (a < 0)
            a += resultRank;
          std::optional<int64_t> common;
          for (auto x : axes)
            if (x) {
              if (common && *common != *x)
                return notPositionWise(op) << "operands disagree on it";
              common = x;
            }
          if (a == *common)
            return notPositionWise(op) << "it concatenates along the sequence";
          Operation *clone = b->clone(*op, map);
          for (auto [i, x] : llvm::enumerate(axes))
            if (!x)
              clone->setOperand(i, alignTable(clone->getOperand(i), resultRank,
                                              *common, loc));
          clone->moveBefore(b->getInsertionBlock(), b->getInsertionPoint());
          return finish(op, clone, *common);
        })
        .Case<GatherOp>([&](GatherOp gather) -> LogicalResult {
          int64_t a = gather.getAxis();
          int64_t dataRank = rankOf(gather.getData());
          if (a < 0)
            a += dataRank;
          int64_t indexRank = rankOf(gather.getIndices());
          if (axes[0] && axes[1])
            return notPositionWise(op) << "both operands carry the sequence";
          if (axes[1]) // a table looked up by token: the indices' axis
            return finish(op, b->clone(*op, map), a + *axes[1]);
          if (*axes[0] == a)
            return notPositionWise(op) << "it picks positions of the sequence";
          int64_t newAxis = *axes[0] < a ? *axes[0] : *axes[0] - 1 + indexRank;
          return finish(op, b->clone(*op, map), newAxis);
        })
        .Default([&](Operation *) -> LogicalResult {
          return notPositionWise(op) << "it is not known to be";
        });
  }

  LogicalResult finish(Operation *op, Operation *clone, int64_t axis) {
    if (failed(reinfer(clone)))
      return failure();
    for (auto [from, to] : llvm::zip(op->getResults(), clone->getResults())) {
      map.map(from, to);
      auto type = cast<RankedTensorType>(to.getType());
      if (axis >= type.getRank() || type.getDimSize(axis) != steps)
        return op->emitError("--decode: lost track of the sequence axis "
                             "through ")
               << op->getName();
      seqAxis[to] = axis;
    }
    return success();
  }

  LogicalResult visitAttention(AttentionOp op) {
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

  func::FuncOp source, func;
  int64_t steps, cacheLength, maxTokens = 0;
  std::unique_ptr<OpBuilder> b;
  IRMapping map;
  DenseMap<Value, int64_t> seqAxis;
  Value position, positionIndices;
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
