//===- TileGPUContractions.cpp - Shared-memory tiled GPU contractions -----===//
//
// A contraction run one thread per output reads each operand from global
// memory once per multiply-add. Here a linalg contraction on buffers
// (out += x * y, where x is computed from the operands that do not vary
// along the output's N dimensions and y from those that do not vary along
// M) becomes one gpu.launch per (batch, BM x BN output tile): its 256
// threads stage BK-deep slices of x and y in shared memory, evaluating
// whatever the exporter and the elementwise fusion put into the operands
// (a layer norm, a dequantization, a softmax's normalization) once per
// staged element, and each thread accumulates a T x T block of outputs in
// registers from the staged slices. Several M, N or K dimensions (heads
// times head size, say) are linearized.
//
//===----------------------------------------------------------------------===//

#include "LinalgBodySlice.h"
#include "MmaSyncLayout.h"

#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace whittle {
#define GEN_PASS_DEF_WHITTLETILEGPUCONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

constexpr int64_t kThreads = 256;
/// Threads per tile row and column: a thread's outputs are spaced by this.
constexpr int64_t kThreadGrid = 16;
constexpr int64_t kTileK = 16;
/// The tile (M and N) of the tensor-core kernel: 8 warps of 16 x 32.
constexpr int64_t kTensorTile = 64;
/// mma.sync's n8 tiles per warp (its 16 x 32 part of the tile).
constexpr int64_t kNTiles = 4;

/// A contraction out = out + x * y in the shape the kernel handles.
struct Contraction {
  BodySlice x, y; // x varies along M, y along N.
  SmallVector<unsigned> batchDims, mDims, nDims, kDims;
};

FailureOr<Contraction> matchContraction(linalg::LinalgOp op) {
  FailureOr<AccumulatorFold> fold = matchAccumulatorFold(op);
  if (failed(fold) || !isa<arith::AddFOp>(fold->combiner))
    return failure();
  auto mul = fold->value.getDefiningOp<arith::MulFOp>();
  if (!mul || !mul->hasOneUse())
    return failure();
  FailureOr<BodySlice> x = sliceBody(op, mul.getLhs());
  FailureOr<BodySlice> y = sliceBody(op, mul.getRhs());
  if (failed(x) || failed(y))
    return failure();
  // Every parallel dimension indexes the output (one writer per element).
  const llvm::SmallDenseSet<unsigned> &outDims = fold->outputDims;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  Contraction c{*x, *y, {}, {}, {}, {}};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [dim, kind] : llvm::enumerate(iterators)) {
    unsigned d = dim;
    if (kind == utils::IteratorType::reduction) {
      if (outDims.contains(d))
        return failure();
      c.kDims.push_back(d);
      continue;
    }
    if (!outDims.contains(d))
      return failure();
    bool inX = c.x.dims.contains(d), inY = c.y.dims.contains(d);
    if (inX && !inY)
      c.mDims.push_back(d);
    else if (inY && !inX)
      c.nDims.push_back(d);
    else
      c.batchDims.push_back(d);
  }
  if (c.mDims.empty() || c.nDims.empty())
    return failure(); // A matrix-vector product: no reuse to stage.
  // The output's innermost dimension should run along the threads of a row.
  if (auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
      last && llvm::is_contained(c.mDims, last.getPosition())) {
    std::swap(c.x, c.y);
    std::swap(c.mDims, c.nDims);
  }
  return c;
}

/// `v` rounded to tf32's 10 mantissa bits, to nearest with ties away from
/// zero (what cvt.rna.tf32.f32 does): the tensor cores ignore the low 13
/// bits of an f32 operand, which would otherwise truncate.
Value roundToTF32(OpBuilder &b, Location loc, Value v) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, v);
  Value half = arith::ConstantIntOp::create(b, loc, i32, 0x1000);
  Value mask = arith::ConstantIntOp::create(b, loc, i32, ~int64_t(0x1fff));
  Value rounded = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, half), mask);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), rounded);
}

/// `then` where `cond` holds, else 0.0.
Value guarded(OpBuilder &b, Location loc, Value cond,
              function_ref<Value(OpBuilder &)> then) {
  auto ifOp = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &tb, Location l) { scf::YieldOp::create(tb, l, then(tb)); },
      [&](OpBuilder &eb, Location l) {
        Value zero = arith::ConstantOp::create(eb, l, eb.getF32FloatAttr(0.0f));
        scf::YieldOp::create(eb, l, zero);
      });
  return ifOp.getResult(0);
}

/// Builds the launch of one contraction: the grid and tiles, the staging of
/// x and y slices, and either the FMA or the tensor-core accumulation with
/// its epilogue.
class ContractionKernel {
public:
  ContractionKernel(linalg::LinalgOp op, const Contraction &c,
                    StringRef precision)
      : op(op), c(c), loc(op.getLoc()), b(op), f32(b.getF32Type()) {
    sizes = loopSizes(b, loc, op);
    m = productOf(b, loc, c.mDims, sizes);
    n = productOf(b, loc, c.nDims, sizes);
    k = productOf(b, loc, c.kDims, sizes);
    // T x T outputs per thread; smaller tiles for small matrices so that
    // fewer threads idle. Tensor cores always take 64 x 64 tiles: each of
    // the 8 warps computes two 16 x 16 fragments.
    tensorCores = precision != "fp32";
    int64_t smaller = std::min(getConstantIntValue(m).value_or(INT64_MAX),
                               getConstantIntValue(n).value_or(INT64_MAX));
    while (!tensorCores && perThread > 1 && smaller < perThread * kThreadGrid)
      perThread /= 2;
    tile = perThread * kThreadGrid;
    staged = precision == "fp16"   ? Type(b.getF16Type())
             : precision == "bf16" ? Type(b.getBF16Type())
                                   : f32;
    roundTF32 = precision == "tf32";
    // bf16 has no WMMA form in MLIR: mma.sync with explicit fragments.
    mmaSync = precision == "bf16";
    mmaK = precision == "tf32" ? 8 : 16;
  }

  void build() {
    createLaunch();
    SmallVector<Value> inits = !tensorCores ? loadOutputs()
                               : mmaSync    ? zeroAccumulators()
                                            : zeroFragments();
    auto kLoop = scf::ForOp::create(
        kb, loc, cst(kb, 0), k, cst(kb, kTileK), inits,
        [&](OpBuilder &lb, Location, Value k0, ValueRange carried) {
          stage(lb, k0, c.x, c.mDims, m, rowBase, xTile, /*kFastest=*/true);
          stage(lb, k0, c.y, c.nDims, n, colBase, yTile, /*kFastest=*/false);
          gpu::BarrierOp::create(lb, loc);
          SmallVector<Value> results = !tensorCores ? multiplyWithFMAs(lb)
                                       : mmaSync
                                           ? multiplyWithMmaSync(lb, carried)
                                           : multiplyFragments(lb, carried);
          // The next slices overwrite the tiles only once every thread is
          // done with these.
          gpu::BarrierOp::create(lb, loc);
          scf::YieldOp::create(lb, loc, results);
        });
    if (!tensorCores)
      storeOutputs();
    else if (mmaSync)
      addAccumulatorsToOutput(kLoop.getResults());
    else
      addFragmentsToOutput(kLoop.getResults());
  }

private:
  Value cst(OpBuilder &ob, int64_t v) {
    return arith::ConstantIndexOp::create(ob, loc, v);
  }
  Value lessThan(OpBuilder &ob, Value a, Value bound) {
    return arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::ult, a, bound);
  }

  void createLaunch() {
    MLIRContext *ctx = b.getContext();
    auto workgroup =
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto priv = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Private);
    Type stagedType = tensorCores ? staged : f32;
    // With FMAs x is staged transposed ([k][row]: a thread's reads of a k
    // step are spread over rows); fragments load x row-major ([row][k]).
    SmallVector<int64_t> xShape = {kTileK, tile};
    if (tensorCores)
      xShape = {tile, kTileK};
    SmallVector<Type> sharedTypes = {
        MemRefType::get(xShape, stagedType, nullptr, workgroup),
        MemRefType::get({kTileK, tile}, stagedType, nullptr, workgroup)};
    SmallVector<Type> privateTypes;
    if (tensorCores)
      sharedTypes.push_back(
          MemRefType::get({tile, tile}, f32, nullptr, workgroup));
    else
      privateTypes.push_back(
          MemRefType::get({perThread * perThread}, f32, nullptr, priv));
    Value gridX = b.createOrFold<arith::CeilDivUIOp>(loc, n, cst(b, tile));
    Value gridY = b.createOrFold<arith::CeilDivUIOp>(loc, m, cst(b, tile));
    Value batch = productOf(b, loc, c.batchDims, sizes);
    launch = gpu::LaunchOp::create(
        b, loc, gridX, gridY, batch, cst(b, kThreads), cst(b, 1), cst(b, 1),
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, sharedTypes, privateTypes);
    xTile = launch.getWorkgroupAttributions()[0];
    yTile = launch.getWorkgroupAttributions()[1];

    kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(kb, loc);
    kb.setInsertionPoint(terminator);
    tid = launch.getThreadIds().x;
    rowBase =
        arith::MulIOp::create(kb, loc, launch.getBlockIds().y, cst(kb, tile));
    colBase =
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x, cst(kb, tile));
    delinearize(kb, loc, launch.getBlockIds().z, c.batchDims, sizes,
                batchValues);
    threadRow = arith::DivUIOp::create(kb, loc, tid, cst(kb, kThreadGrid));
    threadCol = arith::RemUIOp::create(kb, loc, tid, cst(kb, kThreadGrid));
    outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    out = op.getDpsInitOperand(0)->get();
  }

  /// The point of the iteration space of output (rowBase + row, colBase +
  /// col), into `dims`, and whether it exists.
  Value pointOf(OpBuilder &ob, Value tileRow, Value tileCol,
                DenseMap<unsigned, Value> &dims) {
    Value row = arith::AddIOp::create(ob, loc, rowBase, tileRow);
    Value col = arith::AddIOp::create(ob, loc, colBase, tileCol);
    dims = batchValues;
    delinearize(ob, loc, row, c.mDims, sizes, dims);
    delinearize(ob, loc, col, c.nDims, sizes, dims);
    return arith::AndIOp::create(ob, loc, lessThan(ob, row, m),
                                 lessThan(ob, col, n));
  }

  /// This thread's output (i, j) of its T x T block.
  Value outputPoint(OpBuilder &ob, int64_t i, int64_t j,
                    DenseMap<unsigned, Value> &dims) {
    return pointOf(
        ob, arith::AddIOp::create(ob, loc, threadRow, cst(ob, i * kThreadGrid)),
        arith::AddIOp::create(ob, loc, threadCol, cst(ob, j * kThreadGrid)),
        dims);
  }

  /// FMAs: the accumulators start from the output's current value, kept in
  /// private memory between slices.
  SmallVector<Value> loadOutputs() {
    acc = launch.getPrivateAttributions()[0];
    for (int64_t i = 0; i < perThread; ++i)
      for (int64_t j = 0; j < perThread; ++j) {
        DenseMap<unsigned, Value> dims;
        Value exists = outputPoint(kb, i, j, dims);
        Value init = guarded(kb, loc, exists, [&](OpBuilder &tb) {
          return memref::LoadOp::create(tb, loc, out,
                                        indicesAt(tb, loc, outMap, dims));
        });
        memref::StoreOp::create(kb, loc, init, acc,
                                ValueRange{cst(kb, i * perThread + j)});
      }
    return {};
  }

  /// Tensor cores: two zero fragments per warp (the output is added at the
  /// end), and where this warp's fragments sit: row warp / 2, columns
  /// 2 (warp % 2) + {0, 1}.
  SmallVector<Value> zeroFragments() {
    placeWarp();
    Value zero = arith::ConstantOp::create(kb, loc, kb.getF32FloatAttr(0));
    auto zeros =
        gpu::SubgroupMmaConstantMatrixOp::create(kb, loc, accType(), zero);
    return {zeros, zeros};
  }

  /// mma.sync: 4 n8 tiles x 4 f32 accumulators per lane, zero at first;
  /// the lane's group g = lane / 4 and t = lane % 4 place its fragment
  /// elements (MmaSyncLayout.h).
  SmallVector<Value> zeroAccumulators() {
    placeWarp();
    Value lane = arith::RemUIOp::create(kb, loc, tid, cst(kb, 32));
    laneGroup = arith::DivUIOp::create(kb, loc, lane, cst(kb, 4));
    laneThread = arith::RemUIOp::create(kb, loc, lane, cst(kb, 4));
    Value zero = arith::ConstantOp::create(kb, loc, kb.getF32FloatAttr(0));
    return SmallVector<Value>(4 * kNTiles, zero);
  }

  /// Row and column of element `element` of this lane's `operand`, offset
  /// by (rowBase, colBase).
  std::pair<Value, Value> laneCoord(OpBuilder &ob, mma::Operand operand,
                                    int64_t element, Value rowBase,
                                    Value colBase) {
    return mma::emitElementCoord(ob, loc, laneGroup, laneThread, operand,
                                 element, rowBase, colBase);
  }

  /// Two bf16 values as the i32 register mma.sync takes (low half first).
  Value pack(OpBuilder &ob, Value low, Value high) {
    Type i16 = ob.getI16Type(), i32 = ob.getI32Type();
    auto widen = [&](Value v) {
      return arith::ExtUIOp::create(ob, loc, i32,
                                    arith::BitcastOp::create(ob, loc, i16, v));
    };
    Value shifted = arith::ShLIOp::create(
        ob, loc, widen(high), arith::ConstantIntOp::create(ob, loc, i32, 16));
    return arith::OrIOp::create(ob, loc, shifted, widen(low));
  }

  /// One slice with mma.sync m16n8k16 (bf16 in, f32 accumulation): each
  /// lane loads its registers' elements of the warp's 16 x 16 slice of x
  /// and of each n8 tile of y where MmaSyncLayout.h places them.
  SmallVector<Value> multiplyWithMmaSync(OpBuilder &lb, ValueRange carried) {
    auto registers = [&](mma::Operand operand, Value tileValue, Value rowBase,
                         Value colBase) {
      SmallVector<Value> elements, packed;
      for (int64_t e = 0; e < mma::numElements(operand); ++e) {
        auto [row, col] = laneCoord(lb, operand, e, rowBase, colBase);
        elements.push_back(
            memref::LoadOp::create(lb, loc, tileValue, ValueRange{row, col}));
      }
      for (size_t e = 0; e < elements.size(); e += 2)
        packed.push_back(pack(lb, elements[e], elements[e + 1]));
      return packed;
    };
    SmallVector<Value> a =
        registers(mma::Operand::A, xTile, fragmentRow, cst(lb, 0));
    Type f32Type = f32;
    auto resultType = LLVM::LLVMStructType::getLiteral(
        lb.getContext(), {f32Type, f32Type, f32Type, f32Type});
    SmallVector<Value> results;
    for (int64_t q = 0; q < kNTiles; ++q) {
      SmallVector<Value> bRegs = registers(
          mma::Operand::B, yTile, cst(lb, 0),
          arith::AddIOp::create(lb, loc, fragmentCol, cst(lb, 8 * q)));
      auto mmaOp = NVVM::MmaOp::create(
          lb, loc, resultType, a, bRegs, carried.slice(4 * q, 4),
          ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
          std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                        NVVM::MMATypes::bf16},
          std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                         NVVM::MMALayout::col});
      for (int64_t i = 0; i < 4; ++i)
        results.push_back(
            LLVM::ExtractValueOp::create(lb, loc, mmaOp, ArrayRef<int64_t>{i}));
    }
    return results;
  }

  gpu::MMAMatrixType fragmentType(int64_t rows, int64_t cols, Type elt,
                                  StringRef kind) {
    return gpu::MMAMatrixType::get({rows, cols}, elt, kind);
  }
  gpu::MMAMatrixType accType() { return fragmentType(16, 16, f32, "COp"); }

  /// Where this warp's 16 x 32 part of the tile starts: row 16 (warp / 2),
  /// column 32 (warp % 2).
  void placeWarp() {
    Value warp = arith::DivUIOp::create(kb, loc, tid, cst(kb, 32));
    fragmentRow = arith::MulIOp::create(
        kb, loc, arith::DivUIOp::create(kb, loc, warp, cst(kb, 2)),
        cst(kb, 16));
    fragmentCol = arith::MulIOp::create(
        kb, loc, arith::RemUIOp::create(kb, loc, warp, cst(kb, 2)),
        cst(kb, 32));
  }

  /// Stages x[rows, k0 : k0 + BK] (or y[k0 : k0 + BK, cols]) into `tile`,
  /// evaluating the factor's computation per element; zeros outside.
  void stage(OpBuilder &lb, Value k0, const BodySlice &factor,
             ArrayRef<unsigned> dims, Value extent, Value base,
             Value stagedTile, bool kFastest) {
    for (int64_t r = 0; r < kTileK * tile / kThreads; ++r) {
      Value e = arith::AddIOp::create(lb, loc, tid, cst(lb, r * kThreads));
      Value kk, along;
      if (kFastest) {
        kk = arith::RemUIOp::create(lb, loc, e, cst(lb, kTileK));
        along = arith::DivUIOp::create(lb, loc, e, cst(lb, kTileK));
      } else {
        along = arith::RemUIOp::create(lb, loc, e, cst(lb, tile));
        kk = arith::DivUIOp::create(lb, loc, e, cst(lb, tile));
      }
      Value index = arith::AddIOp::create(lb, loc, base, along);
      Value kIndex = arith::AddIOp::create(lb, loc, k0, kk);
      Value inside = arith::AndIOp::create(lb, loc, lessThan(lb, index, extent),
                                           lessThan(lb, kIndex, k));
      Value v = guarded(lb, loc, inside, [&](OpBuilder &tb) {
        DenseMap<unsigned, Value> point = batchValues;
        delinearize(tb, loc, index, dims, sizes, point);
        delinearize(tb, loc, kIndex, c.kDims, sizes, point);
        return evaluateSlice(tb, loc, op, factor, point);
      });
      if (tensorCores && staged != f32)
        v = arith::TruncFOp::create(lb, loc, staged, v);
      else if (tensorCores && roundTF32)
        v = roundToTF32(lb, loc, v);
      SmallVector<Value> at = {kk, along};
      if (stagedTile == xTile && tensorCores)
        at = {along, kk};
      memref::StoreOp::create(lb, loc, v, stagedTile, at);
    }
  }

  /// One slice with FMAs: the accumulators stay in registers (iter_args)
  /// across it and in private memory between slices.
  SmallVector<Value> multiplyWithFMAs(OpBuilder &lb) {
    SmallVector<Value> sums;
    for (int64_t slot = 0; slot < perThread * perThread; ++slot)
      sums.push_back(memref::LoadOp::create(lb, loc, acc, cst(lb, slot)));
    auto inner = scf::ForOp::create(
        lb, loc, cst(lb, 0), cst(lb, kTileK), cst(lb, 1), sums,
        [&](OpBuilder &ib, Location l, Value kk, ValueRange partial) {
          SmallVector<Value> xs, ys, next;
          for (int64_t i = 0; i < perThread; ++i) {
            Value row = arith::AddIOp::create(ib, l, threadRow,
                                              cst(ib, i * kThreadGrid));
            xs.push_back(
                memref::LoadOp::create(ib, l, xTile, ValueRange{kk, row}));
            Value col = arith::AddIOp::create(ib, l, threadCol,
                                              cst(ib, i * kThreadGrid));
            ys.push_back(
                memref::LoadOp::create(ib, l, yTile, ValueRange{kk, col}));
          }
          for (int64_t i = 0; i < perThread; ++i)
            for (int64_t j = 0; j < perThread; ++j)
              next.push_back(math::FmaOp::create(ib, l, xs[i], ys[j],
                                                 partial[i * perThread + j]));
          scf::YieldOp::create(ib, l, next);
        });
    for (int64_t slot = 0; slot < perThread * perThread; ++slot)
      memref::StoreOp::create(lb, loc, inner.getResult(slot), acc,
                              cst(lb, slot));
    return {};
  }

  /// One slice on tensor cores: this warp's two fragments accumulate
  /// BK / mmaK products.
  SmallVector<Value> multiplyFragments(OpBuilder &lb, ValueRange carried) {
    SmallVector<Value> results(carried.begin(), carried.end());
    for (int64_t ks = 0; ks < kTileK; ks += mmaK) {
      Value a = gpu::SubgroupMmaLoadMatrixOp::create(
          lb, loc, fragmentType(16, mmaK, staged, "AOp"), xTile,
          ValueRange{fragmentRow, cst(lb, ks)}, lb.getIndexAttr(kTileK),
          nullptr);
      for (int f = 0; f < 2; ++f) {
        Value col =
            arith::AddIOp::create(lb, loc, fragmentCol, cst(lb, 16 * f));
        Value bFragment = gpu::SubgroupMmaLoadMatrixOp::create(
            lb, loc, fragmentType(mmaK, 16, staged, "BOp"), yTile,
            ValueRange{cst(lb, ks), col}, lb.getIndexAttr(tile), nullptr);
        results[f] = gpu::SubgroupMmaComputeOp::create(
            lb, loc, accType(), a, bFragment, results[f], nullptr, nullptr);
      }
    }
    return results;
  }

  void storeOutputs() {
    for (int64_t i = 0; i < perThread; ++i)
      for (int64_t j = 0; j < perThread; ++j) {
        DenseMap<unsigned, Value> dims;
        Value exists = outputPoint(kb, i, j, dims);
        auto ifOp = scf::IfOp::create(kb, loc, exists, /*withElse=*/false);
        OpBuilder tb = ifOp.getThenBodyBuilder();
        Value result = memref::LoadOp::create(
            tb, loc, acc, ValueRange{cst(tb, i * perThread + j)});
        memref::StoreOp::create(tb, loc, result, out,
                                indicesAt(tb, loc, outMap, dims));
      }
  }

  /// The fragments go through shared memory to the threads that add them
  /// to the output (any output layout, partial tiles masked).
  void addFragmentsToOutput(ValueRange fragments) {
    Value cTile = launch.getWorkgroupAttributions()[2];
    for (int f = 0; f < 2; ++f) {
      Value col = arith::AddIOp::create(kb, loc, fragmentCol, cst(kb, 16 * f));
      gpu::SubgroupMmaStoreMatrixOp::create(kb, loc, fragments[f], cTile,
                                            ValueRange{fragmentRow, col},
                                            kb.getIndexAttr(tile), nullptr);
    }
    addSharedTileToOutput(cTile);
  }

  /// mma.sync accumulators: this lane's d0..d3 of n-tile q go where
  /// MmaSyncLayout.h places C's elements in that tile.
  void addAccumulatorsToOutput(ValueRange accumulators) {
    Value cTile = launch.getWorkgroupAttributions()[2];
    for (int64_t q = 0; q < kNTiles; ++q) {
      Value tileCol =
          arith::AddIOp::create(kb, loc, fragmentCol, cst(kb, 8 * q));
      for (int64_t i = 0; i < 4; ++i) {
        auto [row, col] =
            laneCoord(kb, mma::Operand::C, i, fragmentRow, tileCol);
        memref::StoreOp::create(kb, loc, accumulators[4 * q + i], cTile,
                                ValueRange{row, col});
      }
    }
    addSharedTileToOutput(cTile);
  }

  /// Each thread adds its share of the shared f32 tile to the output.
  void addSharedTileToOutput(Value cTile) {
    gpu::BarrierOp::create(kb, loc);
    for (int64_t r = 0; r < tile * tile / kThreads; ++r) {
      Value e = arith::AddIOp::create(kb, loc, tid, cst(kb, r * kThreads));
      Value row = arith::DivUIOp::create(kb, loc, e, cst(kb, tile));
      Value col = arith::RemUIOp::create(kb, loc, e, cst(kb, tile));
      DenseMap<unsigned, Value> dims;
      Value exists = pointOf(kb, row, col, dims);
      auto ifOp = scf::IfOp::create(kb, loc, exists, /*withElse=*/false);
      OpBuilder tb = ifOp.getThenBodyBuilder();
      SmallVector<Value> index = indicesAt(tb, loc, outMap, dims);
      Value sum = memref::LoadOp::create(tb, loc, cTile, ValueRange{row, col});
      Value init = memref::LoadOp::create(tb, loc, out, index);
      memref::StoreOp::create(
          tb, loc, arith::AddFOp::create(tb, loc, init, sum), out, index);
    }
  }

  linalg::LinalgOp op;
  const Contraction &c;
  Location loc;
  OpBuilder b;
  Type f32;
  SmallVector<Value> sizes;
  Value m, n, k;
  bool tensorCores;
  int64_t perThread = 4, tile, mmaK;
  Type staged;
  bool roundTF32, mmaSync;

  gpu::LaunchOp launch;
  OpBuilder kb{(MLIRContext *)nullptr};
  Value xTile, yTile, acc, tid, rowBase, colBase, threadRow, threadCol;
  Value fragmentRow, fragmentCol, laneGroup, laneThread, out;
  AffineMap outMap;
  DenseMap<unsigned, Value> batchValues;
};

struct WhittleTileGPUContractionsPass
    : whittle::impl::WhittleTileGPUContractionsBase<
          WhittleTileGPUContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto &[op, c] :
         matchTopLevelLinalgOps(getOperation(), matchContraction)) {
      ContractionKernel kernel(op, c, precision);
      kernel.build();
      if (precision != "fp32")
        ++numTensorCore;
      op->erase();
      ++numTiled;
    }
  }
};

} // namespace
