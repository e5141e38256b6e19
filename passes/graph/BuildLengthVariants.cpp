//===- BuildLengthVariants.cpp - One library for every sequence length ----===//
//
// A model compiled with a bounded sequence axis (`--input-shape
// input_ids=1x?128`) is imported at the bound, MAX, with `whittle.length_axes`
// on @main naming each input's sequence axis (-1 for none). This pass adds,
// for each variant length L,
//
//   @length_L(inputs with L rows on their sequence axes, length [1] i64)
//       -> the outputs of the model on the first `length` rows
//
// the model rebuilt at L rows (every op must be position-wise along the
// sequence, as for --decode) with each non-causal attention hiding the keys
// at and past `length` (an additive -inf mask over the keys; a causal one
// never sees them from a real row). Rows past `length` must hold finite
// values (the runtime zeroes them) and compute rows nobody reads. A run of n
// rows takes the smallest variant L >= n, so its cost follows n in steps of
// the variants instead of always being MAX's.
//
//===----------------------------------------------------------------------===//

#include "SequenceRebuilder.h"
#include "whittle/Passes/Passes.h"

#include "mlir/IR/Matchers.h"

#include <limits>
#include <numeric>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEBUILDLENGTHVARIANTS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

constexpr StringLiteral kFlag = "bounded sequence length";

class VariantBuilder : public SequenceRebuilder {
public:
  VariantBuilder(func::FuncOp source, int64_t length, int64_t bound,
                 ArrayRef<int64_t> inputAxes)
      : SequenceRebuilder(source, length, bound, kFlag), inputAxes(inputAxes) {
    allowPicks = true;
  }

  FailureOr<func::FuncOp> build(OpBuilder &moduleBuilder) {
    MLIRContext *ctx = source.getContext();
    SmallVector<Type> argTypes;
    for (auto [arg, axis] : llvm::zip(source.getArguments(), inputAxes)) {
      auto type = cast<RankedTensorType>(arg.getType());
      SmallVector<int64_t> shape(type.getShape());
      if (axis >= 0)
        shape[axis] = steps;
      argTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
    }
    argTypes.push_back(RankedTensorType::get({1}, IntegerType::get(ctx, 64)));
    auto variant = func::FuncOp::create(moduleBuilder, source.getLoc(),
                                        ("length_" + Twine(steps)).str(),
                                        FunctionType::get(ctx, argTypes, {}));
    Block *entry = variant.addEntryBlock();
    begin(variant);
    for (auto [i, axis] : llvm::enumerate(inputAxes)) {
      map.map(source.getArgument(i), entry->getArgument(i));
      if (axis >= 0)
        seqAxis[entry->getArgument(i)] = axis;
    }
    length = entry->getArguments().back();

    if (failed(rebuildBody())) {
      variant.erase();
      return failure();
    }
    markRowContractions();
    variant->setAttr("whittle.length_arg",
                     b->getI64IntegerAttr(variant.getNumArguments() - 1));
    SmallVector<Value> results;
    for (Value v : sourceReturn.getOperands()) {
      Value mapped = map.lookup(v);
      results.push_back(mapped);
      outputAxes.push_back(axisOf(mapped).value_or(-1));
    }
    func::ReturnOp::create(*b, sourceReturn.getLoc(), results);
    variant.setType(
        FunctionType::get(ctx, argTypes, ValueRange(results).getTypes()));
    return variant;
  }

  SmallVector<int64_t> outputAxes;
  using SequenceRebuilder::minLength;

private:
  /// Marks the matmuls whose rows are the positions 0..L-1 themselves (the
  /// sequence is the left operand's row axis, every axis before it of
  /// extent 1) with `whittle.seq_rows`: the kernels may stop their rows at
  /// the run's length, as nothing reads a row past it but the padding.
  void markRowContractions() {
    func.walk([&](Operation *op) {
      Value lhs;
      int64_t rowAxis;
      if (auto matmul = dyn_cast<MatMulOp>(op)) {
        lhs = matmul.getLhs();
        rowAxis = rankOf(lhs) - 2;
      } else if (auto quantized = dyn_cast<QuantizedMatMulOp>(op)) {
        lhs = quantized.getLhs();
        rowAxis = rankOf(lhs) - 2;
      } else if (auto gemm = dyn_cast<GemmOp>(op); gemm && !gemm.getTransA()) {
        lhs = gemm.getA();
        rowAxis = 0;
      } else {
        return;
      }
      auto type = cast<RankedTensorType>(lhs.getType());
      if (rowAxis < 0 || axisOf(lhs) != rowAxis ||
          llvm::any_of(type.getShape().take_front(rowAxis),
                       [](int64_t d) { return d != 1; }))
        return;
      op->setAttr("whittle.seq_rows", UnitAttr::get(op->getContext()));
    });
  }

  /// [1, 1, 1, L] f32: 0 for the keys before `length`, -inf from it on.
  Value lengthMask(Location loc, Type elt) {
    auto i64 = b->getI64Type();
    SmallVector<int64_t> iota(steps);
    std::iota(iota.begin(), iota.end(), 0);
    Value keys = ConstantOp::create(
        *b, loc,
        DenseElementsAttr::get(RankedTensorType::get({1, 1, 1, steps}, i64),
                               ArrayRef<int64_t>(iota)));
    Value real = LessOp::create(*b, loc, keys, length);
    auto scalar = RankedTensorType::get({}, elt);
    Value zero = ConstantOp::create(
        *b, loc, DenseElementsAttr::get(scalar, b->getFloatAttr(elt, 0.0)));
    Value hidden = ConstantOp::create(
        *b, loc,
        DenseElementsAttr::get(
            scalar,
            b->getFloatAttr(elt, -std::numeric_limits<double>::infinity())));
    return WhereOp::create(*b, loc, real, zero, hidden);
  }

  LogicalResult visitAttention(AttentionOp op) override {
    Value q = map.lookupOrDefault(op.getQuery());
    Value k = map.lookupOrDefault(op.getKey());
    Value v = map.lookupOrDefault(op.getValue());
    if (axisOf(q) != 2 || axisOf(k) != 2 || axisOf(v) != 2)
      return error(op) << "attention whose queries, keys and values are not "
                          "all per position";
    if (op.getPosition())
      return error(op) << "attention already placed in a longer sequence";
    Location loc = op.getLoc();
    Value mask = op.getMask() ? map.lookupOrDefault(op.getMask()) : Value();
    if (mask) {
      int64_t rank = rankOf(mask);
      if (std::optional<int64_t> axis = axisOf(mask)) {
        if (*axis + 4 - rank < 2)
          return error(op) << "attention mask has the sequence on a batch or "
                              "head axis";
      } else {
        mask = alignTable(mask, 4, 3, loc);
        auto type = cast<RankedTensorType>(mask.getType());
        if (rank >= 2 && steps != maxTokens &&
            type.getDimSize(rank - 2) == maxTokens)
          return error(op) << "attention mask is a constant over [" << maxTokens
                           << ", " << maxTokens
                           << "] positions that is not causal";
      }
    }
    // A causal attention's real rows never see a key past them.
    if (!op.getCausal()) {
      Type elt = op.getQuery().getType().getElementType();
      Value hide = lengthMask(loc, elt);
      mask = mask ? AddOp::create(*b, loc, mask, hide).getResult() : hide;
    }
    auto attention = AttentionOp::create(*b, loc, q, k, v, mask, Value(),
                                         op.getScaleAttr(), op.getCausalAttr());
    map.map(op.getResult(), attention.getResult());
    seqAxis[attention.getResult()] = 2;
    return success();
  }

  ArrayRef<int64_t> inputAxes;
  Value length;
};

struct WhittleBuildLengthVariantsPass
    : whittle::impl::WhittleBuildLengthVariantsBase<
          WhittleBuildLengthVariantsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>(funcName);
    if (!main || main.isExternal() || !main->hasAttr("whittle.length_axes"))
      return;
    if (failed(run(module, main)))
      signalPassFailure();
  }

  LogicalResult run(ModuleOp module, func::FuncOp main) {
    auto attr = main->getAttrOfType<DenseI64ArrayAttr>("whittle.length_axes");
    if (!attr || attr.size() != main.getNumArguments())
      return main.emitError("whittle.length_axes must give one axis (or -1) "
                            "per input");
    SmallVector<int64_t> axes(attr.asArrayRef());
    int64_t bound = 0;
    for (auto [i, axis] : llvm::enumerate(axes)) {
      if (axis < 0)
        continue;
      auto type = cast<RankedTensorType>(main.getArgument(i).getType());
      if (axis >= type.getRank() || !type.hasStaticShape())
        return main.emitError("input ")
               << i << ": bounded axis " << axis << " of " << type;
      if (bound && type.getDimSize(axis) != bound)
        return main.emitError("inputs bound their sequence axes at ")
               << bound << " and " << type.getDimSize(axis)
               << "; one bound is shared by every input";
      bound = type.getDimSize(axis);
    }
    if (!bound)
      return main.emitError("whittle.length_axes names no input axis");

    SmallVector<int64_t> variants(lengths.begin(), lengths.end());
    if (variants.empty())
      for (int64_t l = 16; l < bound; l *= 2)
        variants.push_back(l);
    if (llvm::any_of(variants, [&](int64_t l) { return l < 1 || l > bound; }))
      return main.emitError("length variants must lie in [1, ") << bound << "]";
    llvm::sort(variants);
    variants.erase(llvm::unique(variants), variants.end());
    if (variants.empty() || variants.back() != bound)
      variants.push_back(bound);

    OpBuilder builder(module.getContext());
    SmallVector<int64_t> outputAxes;
    int64_t minLength = 1;
    Operation *last = main;
    for (int64_t length : variants) {
      VariantBuilder variant(main, length, bound, axes);
      builder.setInsertionPointAfter(last);
      FailureOr<func::FuncOp> built = variant.build(builder);
      if (failed(built))
        return failure();
      last = *built;
      outputAxes = variant.outputAxes;
      minLength = std::max(minLength, variant.minLength);
    }
    auto i64Array = [&](ArrayRef<int64_t> values) {
      return builder.getDenseI64ArrayAttr(values);
    };
    module->setAttr(
        "whittle.lengths",
        builder.getDictionaryAttr(
            {builder.getNamedAttr("variants", i64Array(variants)),
             builder.getNamedAttr("min_length",
                                  builder.getI64IntegerAttr(minLength)),
             builder.getNamedAttr("input_axes", i64Array(axes)),
             builder.getNamedAttr("output_axes", i64Array(outputAxes))}));
    return success();
  }
};

} // namespace
