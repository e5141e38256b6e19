//===- SequenceRebuilder.cpp - A model at another sequence length ---------===//
//
// See SequenceRebuilder.h. The rules of what is position-wise are those of
// docs/decoding.md ("What the compiler checks").
//
//===----------------------------------------------------------------------===//

#include "SequenceRebuilder.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

using namespace mlir;
using namespace whittle;

static bool isElementwise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, ModOp, AndOp,
             OrOp, EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp,
             WhereOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, ErfOp, SinOp, CosOp,
             TanhOp, SigmoidOp, ReluOp, RoundOp, FloorOp, CeilOp, NegOp, AbsOp,
             NotOp, GeluOp, ClipOp, CastOp, QuantizeOp, DequantizeOp>(op);
}

void SequenceRebuilder::begin(func::FuncOp target) {
  func = target;
  b = std::make_unique<OpBuilder>(
      OpBuilder::atBlockEnd(&target.getBody().front()));
}

InFlightDiagnostic SequenceRebuilder::error(Operation *op) {
  return op->emitError(flag) << ": ";
}

InFlightDiagnostic SequenceRebuilder::notPositionWise(Operation *op) {
  return error(op) << op->getName()
                   << " is not position-wise along the sequence: ";
}

LogicalResult SequenceRebuilder::rebuildBody() {
  for (Operation &op : source.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      sourceReturn = ret;
      return success();
    }
    if (failed(visit(&op)))
      return failure();
  }
  return source.emitError(flag) << ": function has no return";
}

Value SequenceRebuilder::positions(Location loc) {
  if (positionIndices)
    return positionIndices;
  auto i64 = b->getI64Type();
  SmallVector<int64_t> iota(steps);
  std::iota(iota.begin(), iota.end(), 0);
  Value rows = ConstantOp::create(
      *b, loc,
      DenseElementsAttr::get(RankedTensorType::get({steps}, i64),
                             ArrayRef<int64_t>(iota)));
  Value first = firstPosition();
  if (!first)
    return positionIndices = rows;
  Value last = ConstantOp::create(
      *b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, i64),
                             ArrayRef<int64_t>{maxTokens - 1}));
  positionIndices =
      MinOp::create(*b, loc, AddOp::create(*b, loc, rows, first), last);
  return positionIndices;
}

Value SequenceRebuilder::alignTable(Value value, int64_t resultRank,
                                    int64_t axis, Location loc) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t dim = axis - (resultRank - type.getRank());
  if (dim < 0 || type.getDimSize(dim) != maxTokens || maxTokens == 1 ||
      (steps == maxTokens && !firstPosition()))
    return value;
  // A table that is itself rows of a larger one (GPT-2's position
  // embedding: its table at arange(MAX)) is gathered from that one at the
  // entries of its indices: no step rebuilds MAX rows.
  if (auto table = value.getDefiningOp<GatherOp>()) {
    int64_t axis = table.getAxis();
    if (axis < 0)
      axis += rankOf(table.getData());
    int64_t indexDim = dim - axis;
    if (indexDim >= 0 && indexDim < rankOf(table.getIndices())) {
      Value rows = GatherOp::create(*b, loc, table.getIndices(), positions(loc),
                                    b->getI64IntegerAttr(indexDim));
      return GatherOp::create(*b, loc, table.getData(), rows,
                              b->getI64IntegerAttr(axis));
    }
  }
  return GatherOp::create(*b, loc, value, positions(loc),
                          b->getI64IntegerAttr(dim));
}

LogicalResult SequenceRebuilder::reinfer(Operation *op) {
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  if (!infer)
    return error(op) << "cannot re-type " << op->getName();
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

/// `op` keeps fixed rows of the sequence, up to `lastRow`: its results are
/// the same whatever the length, as long as that row is real.
LogicalResult SequenceRebuilder::pick(Operation *op, int64_t lastRow) {
  // A position counted from the end (-1) arrives here as a fixed row of the
  // MAX-row model, which a shorter run does not have.
  if (lastRow >= steps)
    return error(op) << "picks row " << lastRow << " of " << maxTokens
                     << ", which a run of " << steps
                     << " rows does not have (a position counted from the "
                        "end reads a different row at every length); "
                        "compile the model for one length";
  Operation *clone = b->clone(*op, map);
  if (failed(reinfer(clone)))
    return failure();
  map.map(op->getResults(), clone->getResults());
  minLength = std::max(minLength, lastRow + 1);
  return success();
}

LogicalResult SequenceRebuilder::visit(Operation *op) {
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
        clone->setOperand(
            i, alignTable(clone->getOperand(i), resultRank, *resultAxis, loc));
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
              newAxis -=
                  llvm::count_if(reduced, [&](int64_t r) { return r < axis; });
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
        int64_t newAxis =
            axis - llvm::count_if(removed, [&](int64_t r) { return r < axis; });
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
        int64_t start = slice.getStarts()[axis], size = slice.getSizes()[axis],
                step = slice.getSteps()[axis];
        if (allowPicks && step > 0 && size > 0 &&
            !(start == 0 && size == maxTokens && step == 1))
          return pick(op, start + (size - 1) * step);
        if (start != 0 || size != maxTokens || step != 1)
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
            clone->setOperand(
                i, alignTable(clone->getOperand(i), resultRank, *common, loc));
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
        if (*axes[0] == a) {
          DenseIntElementsAttr rows;
          if (allowPicks &&
              matchPattern(map.lookupOrDefault(gather.getIndices()),
                           m_Constant(&rows)) &&
              !rows.empty() &&
              llvm::all_of(rows.getValues<APInt>(),
                           [](const APInt &r) { return !r.isNegative(); })) {
            int64_t last = 0;
            for (const APInt &r : rows.getValues<APInt>())
              last = std::max(last, r.getSExtValue());
            return pick(op, last);
          }
          return notPositionWise(op) << "it picks positions of the sequence";
        }
        int64_t newAxis = *axes[0] < a ? *axes[0] : *axes[0] - 1 + indexRank;
        return finish(op, b->clone(*op, map), newAxis);
      })
      .Default([&](Operation *) -> LogicalResult {
        return notPositionWise(op) << "it is not known to be";
      });
}

LogicalResult SequenceRebuilder::finish(Operation *op, Operation *clone,
                                        int64_t axis) {
  if (failed(reinfer(clone)))
    return failure();
  for (auto [from, to] : llvm::zip(op->getResults(), clone->getResults())) {
    map.map(from, to);
    auto type = cast<RankedTensorType>(to.getType());
    if (axis >= type.getRank() || type.getDimSize(axis) != steps)
      return error(op) << "lost track of the sequence axis through "
                       << op->getName();
    seqAxis[to] = axis;
  }
  return success();
}
