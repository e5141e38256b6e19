//===- MmaSyncLayout.h - Fragment layouts of mma.sync m16n8k16 -*- C++ -*-===//
//
// Which element of which operand each lane of a warp holds in
// `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32` (PTX ISA, "Matrix
// fragments for mma.m16n8k16 with floating point type"). The tensor-core
// kernels of whittle-tile-gpu-contractions place their registers by it and
// whittle-emulate-gpu-launches gathers and scatters the warp's registers by
// it, so both follow one statement of the layout; a unit test checks it
// against MLIR's own (nvgpu::getLaneIdAndValueIdToOperandCoord).
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_BUFFER_MMASYNCLAYOUT_H
#define WHITTLE_PASSES_BUFFER_MMASYNCLAYOUT_H

#include "mlir/IR/Builders.h"

#include <cassert>
#include <cstdint>
#include <utility>

namespace whittle::mma {

/// The operands of D = A B + C: A is 16 x 16 [m][k] (4 registers of two
/// bf16 each, 8 elements), B is 16 x 8 [k][n] (2 registers, 4 elements), C
/// and D are 16 x 8 [m][n] (4 f32 elements).
enum class Operand { A, B, C };

inline constexpr int64_t numElements(Operand operand) {
  return operand == Operand::A ? 8 : 4;
}

/// Where a lane's element sits: row = rowGroup * g + rowThread * t + row,
/// col = colGroup * g + colThread * t + col, for the lane's group
/// g = lane / 4 and t = lane % 4. Element e of a register operand is half
/// e % 2 (low half first) of register e / 2.
struct LaneCoord {
  int64_t rowGroup, rowThread, row;
  int64_t colGroup, colThread, col;

  constexpr int64_t rowOf(int64_t lane) const {
    return rowGroup * (lane / 4) + rowThread * (lane % 4) + row;
  }
  constexpr int64_t colOf(int64_t lane) const {
    return colGroup * (lane / 4) + colThread * (lane % 4) + col;
  }
};

inline constexpr LaneCoord elementCoord(Operand operand, int64_t element) {
  switch (operand) {
  case Operand::A:
    // a0 a1: (g, 2t + {0, 1}); a2 a3: rows + 8; a4 a5: columns + 8;
    // a6 a7: both + 8.
    return {1, 0, 8 * ((element / 2) % 2),
            0, 2, 8 * (element / 4) + element % 2};
  case Operand::B:
    // b0 b1: (2t + {0, 1}, g); b2 b3: rows + 8.
    return {0, 2, 8 * (element / 2) + element % 2, 1, 0, 0};
  case Operand::C:
    // c0 c1: (g, 2t + {0, 1}); c2 c3: rows + 8.
    return {1, 0, 8 * (element / 2), 0, 2, element % 2};
  }
  assert(false && "unknown operand");
  return {};
}

/// The row and column of element `element` of `operand` for the lane of
/// group `laneGroup` and position `laneThread` (index values), offset by
/// (rowBase, colBase).
std::pair<mlir::Value, mlir::Value>
emitElementCoord(mlir::OpBuilder &b, mlir::Location loc, mlir::Value laneGroup,
                 mlir::Value laneThread, Operand operand, int64_t element,
                 mlir::Value rowBase, mlir::Value colBase);

} // namespace whittle::mma

#endif // WHITTLE_PASSES_BUFFER_MMASYNCLAYOUT_H
