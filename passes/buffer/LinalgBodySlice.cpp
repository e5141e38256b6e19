//===- LinalgBodySlice.cpp - Part of a linalg body, evaluated alone -------===//

#include "LinalgBodySlice.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

FailureOr<whittle::BodySlice> whittle::sliceBody(linalg::LinalgOp op,
                                                 Value value) {
  BodySlice slice;
  slice.value = value;
  Block *body = op.getBlock();
  SmallVector<Value> work = {value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != body)
        continue; // Captured from above the op.
      if (arg.getArgNumber() >= static_cast<unsigned>(op.getNumDpsInputs()))
        return failure();
      unsigned input = arg.getArgNumber();
      slice.inputs.insert(input);
      AffineMap map = op.getMatchingIndexingMap(op.getDpsInputOperand(input));
      for (AffineExpr e : map.getResults()) {
        if (auto d = dyn_cast<AffineDimExpr>(e))
          slice.dims.insert(d.getPosition());
        else if (!isa<AffineConstantExpr>(e))
          return failure();
      }
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != body || !seen.insert(def).second)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(def)) {
      slice.dims.insert(index.getDim());
      continue;
    }
    if (def->getNumRegions() || !isPure(def))
      return failure();
    llvm::append_range(work, def->getOperands());
  }
  for (Operation &inner : *body)
    if (seen.contains(&inner))
      slice.ops.insert(&inner);
  return slice;
}

SmallVector<Value>
whittle::indicesAt(OpBuilder &b, Location loc, AffineMap map,
                   const llvm::DenseMap<unsigned, Value> &dims) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      indices.push_back(dims.lookup(d.getPosition()));
    else
      indices.push_back(arith::ConstantIndexOp::create(
          b, loc, cast<AffineConstantExpr>(e).getValue()));
  }
  return indices;
}

Value whittle::evaluateSlice(OpBuilder &b, Location loc, linalg::LinalgOp op,
                             const BodySlice &slice,
                             const llvm::DenseMap<unsigned, Value> &dims) {
  IRMapping mapping;
  Block *body = op.getBlock();
  for (unsigned input : slice.inputs) {
    OpOperand *operand = op.getDpsInputOperand(input);
    Value source = operand->get();
    Value value = source;
    if (isa<MemRefType>(source.getType()))
      value = memref::LoadOp::create(
          b, loc, source,
          indicesAt(b, loc, op.getMatchingIndexingMap(operand), dims));
    mapping.map(body->getArgument(input), value);
  }
  for (Operation *inner : slice.ops) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), dims.lookup(index.getDim()));
      continue;
    }
    b.clone(*inner, mapping);
  }
  return mapping.lookupOrDefault(slice.value);
}

void whittle::delinearize(OpBuilder &b, Location loc, Value linear,
                          ArrayRef<unsigned> dims, ArrayRef<Value> sizes,
                          llvm::DenseMap<unsigned, Value> &values) {
  for (int64_t i = dims.size() - 1; i >= 0; --i) {
    if (i == 0) {
      values[dims[i]] = linear;
      break;
    }
    Value size = sizes[dims[i]];
    values[dims[i]] = b.createOrFold<arith::RemUIOp>(loc, linear, size);
    linear = b.createOrFold<arith::DivUIOp>(loc, linear, size);
  }
}

SmallVector<Value> whittle::loopSizes(OpBuilder &b, Location loc,
                                      linalg::LinalgOp op) {
  SmallVector<Value> sizes;
  for (Range range : op.createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  return sizes;
}

Value whittle::productOf(OpBuilder &b, Location loc, ArrayRef<unsigned> dims,
                         ArrayRef<Value> sizes) {
  Value p = arith::ConstantIndexOp::create(b, loc, 1);
  for (unsigned d : dims)
    p = b.createOrFold<arith::MulIOp>(loc, p, sizes[d]);
  return p;
}

FailureOr<whittle::AccumulatorFold>
whittle::matchAccumulatorFold(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return failure();
  Block *body = op.getBlock();
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1 ||
      !yield.getOperand(0).getType().isF32())
    return failure();
  Operation *combiner = yield.getOperand(0).getDefiningOp();
  BlockArgument acc = body->getArgument(op.getNumDpsInputs());
  if (!combiner || combiner->getBlock() != body ||
      combiner->getNumOperands() != 2 || !acc.hasOneUse())
    return failure();
  AccumulatorFold fold{combiner, {}, {}};
  if (combiner->getOperand(0) == acc)
    fold.value = combiner->getOperand(1);
  else if (combiner->getOperand(1) == acc)
    fold.value = combiner->getOperand(0);
  else
    return failure();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (AffineExpr e : outMap.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return failure();
    fold.outputDims.insert(d.getPosition());
  }
  return fold;
}
