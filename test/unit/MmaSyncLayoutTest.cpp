//===- MmaSyncLayoutTest.cpp - mma.sync fragments against MLIR's ----------===//
//
// whittle-tile-gpu-contractions places its bf16 mma.sync registers, and
// whittle-emulate-gpu-launches gathers them, by MmaSyncLayout.h. Without a
// GPU to run them, the layout is checked here against the one MLIR's nvgpu
// lowering uses (nvgpu::getLaneIdAndValueIdToOperandCoord), written from the
// same PTX ISA tables independently, for every lane and element. MLIR's
// utilities take f16 operands, not bf16: the PTX ISA gives both 16-bit types
// of m16n8k16 one fragment layout.
//
//===----------------------------------------------------------------------===//

#include "MmaSyncLayout.h"

#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Utils/MMAUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using whittle::mma::elementCoord;
using whittle::mma::Operand;

namespace {

struct Coord {
  int64_t row, col;
  bool operator==(const Coord &o) const { return row == o.row && col == o.col; }
};

std::ostream &operator<<(std::ostream &os, const Coord &c) {
  return os << "(" << c.row << ", " << c.col << ")";
}

/// MLIR's coordinate of value `value` of lane `lane` in an operand of type
/// `type` and role `role`.
Coord mlirCoord(MLIRContext &ctx, VectorType type,
                nvgpu::MatMulOperandRole role, int64_t lane, int64_t value) {
  OpBuilder b(&ctx);
  FailureOr<AffineMap> map = nvgpu::getLaneIdAndValueIdToOperandCoord(
      b, UnknownLoc::get(&ctx), nvgpu::WarpMatrixInfo{type, role});
  EXPECT_TRUE(succeeded(map));
  SmallVector<int64_t> result = map->compose(ArrayRef<int64_t>{lane, value});
  return {result[0], result[1]};
}

class MmaSyncLayout : public ::testing::Test {
protected:
  MmaSyncLayout() { ctx.loadDialect<nvgpu::NVGPUDialect>(); }

  /// Every lane's every element of `operand` sits where MLIR puts value
  /// `element` of that lane in an operand of `type` and `role` (transposed:
  /// MLIR states it as its transpose).
  void expectMlirLayout(Operand operand, VectorType type,
                        nvgpu::MatMulOperandRole role, bool transposed) {
    for (int64_t lane = 0; lane < 32; ++lane)
      for (int64_t e = 0; e < whittle::mma::numElements(operand); ++e) {
        auto ours = elementCoord(operand, e);
        Coord theirs = mlirCoord(ctx, type, role, lane, e);
        if (transposed)
          std::swap(theirs.row, theirs.col);
        EXPECT_EQ((Coord{ours.rowOf(lane), ours.colOf(lane)}), theirs)
            << "lane " << lane << " element " << e;
      }
  }

  MLIRContext ctx;
};

TEST_F(MmaSyncLayout, AMatchesMlir) {
  expectMlirLayout(Operand::A,
                   VectorType::get({16, 16}, Float16Type::get(&ctx)),
                   nvgpu::MatMulOperandRole::A, /*transposed=*/false);
}

// MLIR states B as [n][k] (the col layout); ours is [k][n].
TEST_F(MmaSyncLayout, BMatchesMlir) {
  expectMlirLayout(Operand::B, VectorType::get({8, 16}, Float16Type::get(&ctx)),
                   nvgpu::MatMulOperandRole::B, /*transposed=*/true);
}

TEST_F(MmaSyncLayout, AccumulatorMatchesMlir) {
  expectMlirLayout(Operand::C, VectorType::get({16, 8}, Float32Type::get(&ctx)),
                   nvgpu::MatMulOperandRole::C, /*transposed=*/false);
}

// Every element of each operand is held by exactly one lane.
TEST_F(MmaSyncLayout, EachElementOnce) {
  for (auto [operand, rows, cols] :
       {std::tuple(Operand::A, 16, 16), std::tuple(Operand::B, 16, 8),
        std::tuple(Operand::C, 16, 8)}) {
    std::vector<int> seen(rows * cols, 0);
    for (int64_t lane = 0; lane < 32; ++lane)
      for (int64_t e = 0; e < whittle::mma::numElements(operand); ++e) {
        auto c = elementCoord(operand, e);
        ASSERT_LT(c.rowOf(lane), rows);
        ASSERT_LT(c.colOf(lane), cols);
        ++seen[c.rowOf(lane) * cols + c.colOf(lane)];
      }
    for (int count : seen)
      EXPECT_EQ(count, 1);
  }
}

} // namespace
