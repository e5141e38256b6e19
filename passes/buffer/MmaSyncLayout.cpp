//===- MmaSyncLayout.cpp - Fragment layouts of mma.sync m16n8k16 ---------===//

#include "MmaSyncLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

std::pair<Value, Value>
whittle::mma::emitElementCoord(OpBuilder &b, Location loc, Value laneGroup,
                               Value laneThread, Operand operand,
                               int64_t element, Value rowBase, Value colBase) {
  LaneCoord c = elementCoord(operand, element);
  auto affine = [&](Value base, int64_t perGroup, int64_t perThread,
                    int64_t offset) {
    Value v = arith::AddIOp::create(
        b, loc, base, arith::ConstantIndexOp::create(b, loc, offset));
    for (auto [coefficient, value] :
         {std::pair(perGroup, laneGroup), std::pair(perThread, laneThread)})
      if (coefficient)
        v = arith::AddIOp::create(
            b, loc, v,
            coefficient == 1
                ? value
                : arith::MulIOp::create(
                      b, loc, value,
                      arith::ConstantIndexOp::create(b, loc, coefficient))
                      .getResult());
    return v;
  };
  return {affine(rowBase, c.rowGroup, c.rowThread, c.row),
          affine(colBase, c.colGroup, c.colThread, c.col)};
}
