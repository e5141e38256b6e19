//===- TileKernels.cpp - Tile, pack and vectorize linalg kernels ----------===//
//
// Contractions get a GEMM loop nest in the style of BLIS: scf.forall over
// (Mc x Nc) output tiles (one executor task each), Kc blocks, then nr-wide
// column panels and mr-high row panels, and a K loop whose body is one
// mr x nr x 1 vector.contract with the accumulator kept in registers. A
// constant right-hand side is packed at compile time into [N/nr, K, nr]
// panels, so that the register tile reads B with unit stride.
//
// Elementwise ops and innermost reductions are tiled by scf.forall over the
// outer dimensions and vectorized along the innermost one.
//
//===----------------------------------------------------------------------===//

#include "Int8Gemm.h"
#include "PackedWeights.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Debug.h"

#include <cstring>

#define DEBUG_TYPE "whittle-tile-kernels"

namespace whittle {
#define GEN_PASS_DEF_WHITTLETILEKERNELS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
namespace int8gemm = whittle::int8gemm;

namespace {

/// What a loop of a contraction does. KLane is the four K values of an
/// integer dot product, never tiled.
enum class Role { Batch, M, N, K, KLane };

/// A contraction the pass knows how to tile: one M, N and K loop, at most
/// one batch loop, f32, static shapes, C += A * B.
struct Contraction {
  linalg::LinalgOp op;
  SmallVector<Role> roles; // per loop
  int64_t batch = 1, m = 0, n = 0, k = 0;
  unsigned mDim = 0, nDim = 0, kDim = 0;
  /// u8 x s8 -> i32 (Int8Gemm.h); k counts groups of four.
  bool integer = false;
  /// The integer kernel's instruction for this contraction.
  int8gemm::DotProduct dot = int8gemm::DotProduct::None;
};

/// Tile sizes of one contraction.
struct GemmTiles {
  int64_t mr, nr, mc, nc, kc;
};

bool isInt8Static(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isInteger(8);
}

bool isF32Static(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// Position of loop `dim` among the results of `map`, or -1.
int64_t resultPosition(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return i;
  return -1;
}

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  // f32 throughout, except a weight of 8-bit integers (converted to f32 in
  // the register tile: whittle.quantized_matmul with float activations).
  for (Value v : op->getOperands())
    if (!isF32Static(v) &&
        !(v == op.getDpsInputOperand(1)->get() && isInt8Static(v)))
      return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || dims->batch.size() > 1)
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.mDim = dims->m[0];
  c.nDim = dims->n[0];
  c.kDim = dims->k[0];
  c.roles.assign(op.getNumLoops(), Role::Batch);
  c.roles[c.mDim] = Role::M;
  c.roles[c.nDim] = Role::N;
  c.roles[c.kDim] = Role::K;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  c.m = ranges[c.mDim];
  c.n = ranges[c.nDim];
  c.k = ranges[c.kDim];
  if (!dims->batch.empty())
    c.batch = ranges[dims->batch[0]];
  // The register tile reads A as [m, k], B as [k, n] and C as [m, n] (batch
  // dims leading): other layouts stay scalar loops.
  AffineMap aMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap bMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (resultPosition(aMap, c.mDim) > resultPosition(aMap, c.kDim) ||
      resultPosition(bMap, c.kDim) > resultPosition(bMap, c.nDim) ||
      resultPosition(cMap, c.mDim) > resultPosition(cMap, c.nDim) ||
      resultPosition(cMap, c.nDim) != cMap.getNumResults() - 1)
    return std::nullopt;
  return c;
}

/// Largest d <= limit dividing `size` that is a multiple of `multiple`;
/// 0 when there is none.
int64_t largestDivisor(int64_t size, int64_t limit, int64_t multiple = 1) {
  for (int64_t d = std::min(size, limit) / multiple * multiple; d >= multiple;
       d -= multiple)
    if (size % d == 0)
      return d;
  return 0;
}

/// The bytes of a constant 8-bit weight (arith.constant, non-splat).
std::optional<ArrayRef<char>> constantInt8Data(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  return cst ? whittle::int8ConstantBytes(cst.getValue()) : std::nullopt;
}

/// Constant f32 data behind `v` (arith.constant of a non-splat dense or
/// dense_resource attribute) without copying it.
std::optional<ArrayRef<float>> constantData(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(cst.getValue()))
    return res.tryGetAsArrayRef();
  if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue())) {
    if (dense.isSplat() || !dense.getElementType().isF32())
      return std::nullopt;
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                           dense.getNumElements());
  }
  return std::nullopt;
}

struct WhittleTileKernelsPass
    : whittle::impl::WhittleTileKernelsBase<WhittleTileKernelsPass> {
  using Base::Base;

  /// Packed weights already made in this function, keyed by (weight, nr).
  DenseMap<std::pair<Value, int64_t>, Value> packedCache;
  /// Packed weights of every function of the module: the pass's clones (one
  /// per function running concurrently) share it.
  std::shared_ptr<whittle::PackedWeightCache> modulePacked =
      std::make_shared<whittle::PackedWeightCache>();
  bool hasSiblingFunctions = false;
  /// Elementwise ops that contraction tiling adds (the integer kernel's
  /// compensation), vectorized with the others.
  SmallVector<linalg::LinalgOp> createdElementwise;

  int64_t lanes() const { return std::max<int64_t>(1, vectorWidthBits / 32); }

  int8gemm::DotProduct int8Dot() const {
    if (int8DotProduct == "vpdpbusd")
      return int8gemm::DotProduct::Vpdpbusd;
    if (int8DotProduct == "sdot")
      return int8gemm::DotProduct::Sdot;
    if (int8DotProduct == "pmaddubsw")
      return int8gemm::DotProduct::Pmaddubsw;
    return int8gemm::DotProduct::None;
  }

  /// i32 lanes of the integer kernel's vectors.
  int64_t int8Lanes() const {
    return std::max<int64_t>(
        1, (int8VectorWidthBits ? int8VectorWidthBits : vectorWidthBits) / 32);
  }

  GemmTiles chooseTiles(const Contraction &c, int64_t nr) const {
    GemmTiles t;
    int64_t vl = c.integer ? int8Lanes() : lanes();
    int64_t paddedN = c.n;
    t.nr = nr;
    // Accumulators (mr x nr/vl vectors), the B vectors and one broadcast of
    // A must fit in the register file.
    int64_t vectorsPerRow = llvm::divideCeil(t.nr, vl);
    // The s16 kernel holds two B vectors per accumulator column and two
    // broadcasts of A.
    bool pairs = c.dot == int8gemm::DotProduct::Pmaddwd;
    int64_t maxMr = (int64_t(numVectorRegisters) - (pairs ? 2 : 1) -
                     (pairs ? 2 : 1) * vectorsPerRow) /
                    std::max<int64_t>(1, vectorsPerRow);
    maxMr = std::clamp<int64_t>(maxMr, 1, 8);
    t.mr = largestDivisor(c.m, microM > 0 ? microM : maxMr);
    // Kc: an mr x Kc panel of A and a Kc x nr panel of B in half of L1.
    // Integer contractions count K in groups of four bytes (eight for A
    // widened to s16); their register tiles stream B at a fraction of the
    // FMA kernel's bytes per cycle, so they take all of L1: a longer Kc
    // passes over the accumulator tile fewer times.
    int64_t aBytes = c.integer && pairs ? 8 : 4;
    int64_t kcLimit = (c.integer ? l1CacheBytes : l1CacheBytes / 2) /
                      (t.mr * aBytes + t.nr * 4);
    // When all of A fits in half of L2 (a decode step's GEMV, an encoder at
    // up to ~128 tokens), Kc = K: each packed panel, and a tile's run of
    // adjacent panels, is one unbroken stream for the prefetchers, and every
    // register tile accumulates its whole K before its single store, while
    // B's K x nr panel is reread from L2 by each block of rows. Measured on
    // BERT-base fp32 (docs/benchmarks.md): 8 tokens 18.0 -> 13.9 ms, 64
    // tokens 69 -> 64.5 ms. Integer contractions keep their L1 Kc but for
    // one block of rows whose A fits in half of L1.
    if ((!c.integer && c.m * c.k * aBytes <= l2CacheBytes / 2) ||
        (c.m == t.mr && t.mr * c.k * aBytes <= l1CacheBytes / 2))
      kcLimit = c.k;
    t.kc =
        largestDivisor(c.k, tileK > 0 ? tileK : std::max<int64_t>(kcLimit, 1));
    // Mc: an Mc x Kc block of A in half of L2.
    int64_t mcLimit = l2CacheBytes / 2 / (t.kc * aBytes);
    t.mc = largestDivisor(
        c.m, tileM > 0 ? tileM : std::min<int64_t>(mcLimit, 256), t.mr);
    // Nc: enough tiles (8 per batch entry) to balance the threads, at most
    // 512 columns so that a Kc x Nc slab of B stays in L2.
    int64_t tilesM = c.m / t.mc;
    int64_t ncLimit =
        std::clamp<int64_t>(paddedN * tilesM * c.batch / 8, t.nr, 512);
    t.nc = largestDivisor(paddedN, tileN > 0 ? tileN : ncLimit, t.nr);
    if (!t.nc)
      t.nc = t.nr;
    return t;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    packedCache.clear();
    createdElementwise.clear();
    hasSiblingFunctions = false;
    if (auto module = func->getParentOfType<ModuleOp>())
      for (auto other : module.getOps<func::FuncOp>())
        hasSiblingFunctions |= other != func && !other.isExternal();
    SmallVector<Contraction> contractions;
    SmallVector<linalg::LinalgOp> others;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ForallOp>())
        return;
      std::optional<Contraction> c = matchContraction(op);
      if (!c && int8gemm::isU8S8Contraction(op)) {
        SmallVector<int64_t> ranges = op.getStaticLoopRanges();
        c = Contraction{op,
                        {Role::M, Role::N, Role::K},
                        1,
                        ranges[0],
                        ranges[1],
                        ranges[2],
                        0,
                        1,
                        2,
                        /*integer=*/true};
      }
      if (c) {
        if (2 * c->m * c->n * c->k >= minMatmulFlops)
          contractions.push_back(*c);
        else
          LLVM_DEBUG(llvm::dbgs() << "too small: " << *op << "\n");
        return;
      }
      others.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Contraction &c : contractions)
      if (failed(tileContraction(rewriter, c)))
        return signalPassFailure();
    others.append(createdElementwise);
    if (vectorizeElementwise)
      for (linalg::LinalgOp op : others)
        if (!op->use_empty() &&
            (succeeded(tileElementwise(rewriter, op, /*parallel=*/true)) ||
             succeeded(tileTranspose(rewriter, op))))
          ++numElementwiseVectorized;
  }

  /// A transpose that moves the innermost dim (K packed into key-block
  /// panels, heads split from rows): tasks over the outer dims, and tiles of
  /// lanes x lanes between the input's innermost dim and the output's, each
  /// read as rows of the input and written as rows of the output through
  /// one register transpose, instead of an element at a time. One that keeps
  /// the innermost dim is a copy of rows, vectorized as elementwise.
  LogicalResult tileTranspose(IRRewriter &rewriter, linalg::LinalgOp op) {
    auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
    if (!transpose || !op.hasPureTensorSemantics())
      return failure();
    auto type = dyn_cast<RankedTensorType>(transpose.getInput().getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return failure();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = perm.size();
    // Loops are the output's dims; `inner` walks the input's innermost dim.
    int64_t outer = rank - 1;
    int64_t inner = llvm::find(perm, rank - 1) - perm.begin();
    if (inner == outer) {
      // Whole rows move: a copy the elementwise path vectorizes along them.
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> generic =
          linalg::generalizeNamedOp(rewriter, op);
      return failed(generic) ? failure()
                             : tileElementwise(rewriter,
                                               cast<linalg::LinalgOp>(
                                                   generic->getOperation()),
                                               /*parallel=*/true);
    }
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t vl = lanes();
    if (ranges[inner] % vl != 0 || ranges[outer] % vl != 0)
      return failure();
    Operation *current = op;
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < rank; ++i)
      sizes.push_back(rewriter.getIndexAttr(i == inner || i == outer ? vl : 1));
    options.setTileSizes(sizes);
    if (failed(tileInPlace(rewriter, current, options)))
      return failure();
    // The tile: vl rows of the input (contiguous along its innermost dim),
    // transposed in registers, written as vl contiguous rows of the output.
    auto tile = cast<linalg::TransposeOp>(current);
    Location loc = tile.getLoc();
    rewriter.setInsertionPoint(tile);
    Type elt = type.getElementType();
    auto rowType = VectorType::get({vl}, elt);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value pad =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(elt));
    Value block = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(VectorType::get({vl, vl}, elt)));
    for (int64_t r = 0; r < vl; ++r) {
      SmallVector<Value> at(rank, zero);
      at[perm[outer]] = arith::ConstantIndexOp::create(rewriter, loc, r);
      Value row = vector::TransferReadOp::create(rewriter, loc, rowType,
                                                 tile.getInput(), at, pad,
                                                 ArrayRef<bool>{true});
      block = vector::InsertOp::create(rewriter, loc, row, block, r);
    }
    Value transposed = vector::TransposeOp::create(rewriter, loc, block,
                                                   ArrayRef<int64_t>{1, 0});
    Value out = tile.getInit();
    for (int64_t r = 0; r < vl; ++r) {
      SmallVector<Value> at(rank, zero);
      at[inner] = arith::ConstantIndexOp::create(rewriter, loc, r);
      Value row = vector::ExtractOp::create(rewriter, loc, transposed, r);
      out = vector::TransferWriteOp::create(rewriter, loc, row, out, at,
                                            ArrayRef<bool>{true})
                .getResult();
    }
    rewriter.replaceOp(tile, out);
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Packing
  //===--------------------------------------------------------------------===//

  /// Packs constant B [K, N] into [ceil(N / padTo) * padTo / nr, K, nr]
  /// (zero-padded) and rewrites `c` over the packed layout with loops
  /// (m, nb, k, ni). Returns the new contraction, or nullopt when B is not a
  /// constant (or the layout does not allow it).
  /// Erases a weight constant that packing left unused and frees its bytes
  /// when no other op holds them, so that a model's weights are not resident
  /// twice (imported and packed) for the rest of the compile.
  void releaseWeight(IRRewriter &rewriter, Value b) {
    auto cst = b.getDefiningOp<arith::ConstantOp>();
    if (!cst)
      return;
    auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
    for (auto it = packedCache.begin(); it != packedCache.end();) {
      auto current = it++;
      if (current->first.first == b)
        packedCache.erase(current);
    }
    rewriter.eraseOp(cst);
    if (!resource)
      return;
    bool shared = false;
    getOperation().walk([&](arith::ConstantOp other) {
      if (auto r = dyn_cast<DenseResourceElementsAttr>(other.getValue()))
        shared |= r.getRawHandle() == resource.getRawHandle();
    });
    // Other functions of the module (decode steps) may hold the same blob;
    // they run concurrently, so only a lone function frees it.
    if (!shared && !hasSiblingFunctions)
      resource.getRawHandle().getResource()->setBlob(AsmResourceBlob());
  }

  std::optional<Contraction> packConstantRhs(IRRewriter &rewriter,
                                             Contraction &c, int64_t nr,
                                             int64_t padTo) {
    linalg::LinalgOp op = c.op;
    if (c.roles.size() != 3)
      return std::nullopt; // no batch dim: B is a 2-D weight
    Value b = op.getDpsInputOperand(1)->get();
    AffineMap bMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
    if (bMap.getNumResults() != 2 || resultPosition(bMap, c.kDim) != 0)
      return std::nullopt;
    // f32 or 8-bit elements, packed as they are.
    Type bElement = cast<RankedTensorType>(b.getType()).getElementType();
    size_t width = bElement.isF32() ? sizeof(float) : 1;
    std::optional<ArrayRef<char>> data;
    if (bElement.isF32()) {
      if (std::optional<ArrayRef<float>> floats = constantData(b))
        data = ArrayRef<char>(reinterpret_cast<const char *>(floats->data()),
                              floats->size() * sizeof(float));
    } else {
      data = constantInt8Data(b);
    }
    if (!data)
      return std::nullopt;
    Value init = op.getDpsInitOperand(0)->get();
    int64_t paddedN = llvm::divideCeil(c.n, padTo) * padTo;
    auto fill = init.getDefiningOp<linalg::FillOp>();
    if (paddedN != c.n && !fill)
      return std::nullopt; // padding needs a known initial value
    AffineMap aMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    if (aMap.getNumResults() != 2)
      return std::nullopt;

    MLIRContext *ctx = op->getContext();
    Location loc = op.getLoc();
    int64_t nb = paddedN / nr;
    auto packedType = RankedTensorType::get({nb, c.k, nr}, bElement);
    Value &packed = packedCache[{b, nr * 1000003 + padTo}];
    Attribute source;
    if (!packed && matchPattern(b, m_Constant(&source))) {
      auto pack = [&]() -> Attribute {
        // Zero-initialized: padded columns are zeros of either type.
        AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
            packedType.getNumElements() * width, 64);
        MutableArrayRef<char> out = blob.getMutableData();
        std::fill(out.begin(), out.end(), 0);
        const char *src = data->data();
        for (int64_t p = 0; p < nb; ++p)
          for (int64_t kk = 0; kk < c.k; ++kk)
            for (int64_t i = 0; i < nr; ++i) {
              int64_t col = p * nr + i;
              if (col < c.n)
                std::memcpy(&out[((p * c.k + kk) * nr + i) * width],
                            src + (kk * c.n + col) * width, width);
            }
        bytesPacked += out.size();
        ++numWeightsPacked;
        return DenseResourceElementsAttr::get(packedType, "whittle_packed",
                                              std::move(blob));
      };
      Attribute attr = modulePacked->getOrPack(
          source, (nr * 1000003 + padTo) * 2 + (width == 1), pack);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(b.getDefiningOp());
      packed = arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(attr));
    }
    if (!packed)
      return std::nullopt;

    rewriter.setInsertionPoint(op);
    // C viewed as [M, nb, nr]; padded columns come from a fresh fill.
    // A fill is recreated in the packed shape, so that tiling can fuse it.
    auto c3Type = RankedTensorType::get({c.m, nb, nr}, rewriter.getF32Type());
    SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}};
    Value c3;
    if (fill) {
      // Unpadded, the fill's own destination is viewed as [M, nb, nr], so
      // that the result is written where the original would have been (a
      // model output, say) instead of into a temporary that is copied.
      Value empty =
          paddedN == c.n
              ? tensor::ExpandShapeOp::create(rewriter, loc, c3Type,
                                              fill.getOutputs()[0], reassoc)
                    .getResult()
              : tensor::EmptyOp::create(rewriter, loc, c3Type.getShape(),
                                        c3Type.getElementType())
                    .getResult();
      c3 = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty)
               .getResult(0);
    } else {
      c3 = tensor::ExpandShapeOp::create(rewriter, loc, c3Type, init, reassoc);
    }
    auto flatType =
        RankedTensorType::get({c.m, paddedN}, rewriter.getF32Type());
    // Loops (m, nb, k, ni).
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineExpr newDim[3];
    newDim[c.mDim] = d(0);
    newDim[c.kDim] = d(2);
    SmallVector<AffineExpr> aExprs;
    for (AffineExpr e : aMap.getResults())
      aExprs.push_back(newDim[cast<AffineDimExpr>(e).getPosition()]);
    SmallVector<AffineMap> maps = {
        AffineMap::get(4, 0, aExprs, ctx),
        AffineMap::get(4, 0, {d(1), d(2), d(3)}, ctx),
        AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction, utils::IteratorType::parallel};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{c3Type},
        ValueRange{op.getDpsInputOperand(0)->get(), packed}, ValueRange{c3},
        maps, iterators);
    rewriter.cloneRegionBefore(op->getRegion(0), generic.getRegion(),
                               generic.getRegion().begin());
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, flatType, generic.getResult(0), reassoc);
    if (paddedN != c.n)
      result = tensor::ExtractSliceOp::create(
          rewriter, loc, cast<RankedTensorType>(init.getType()), result,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(c.m),
                                 rewriter.getIndexAttr(c.n)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                 rewriter.getIndexAttr(1)});
    rewriter.replaceOp(op, result);
    if (b.use_empty())
      releaseWeight(rewriter, b);

    Contraction p;
    p.op = cast<linalg::LinalgOp>(generic.getOperation());
    p.roles = {Role::M, Role::N, Role::K, Role::N};
    p.m = c.m;
    p.n = paddedN;
    p.k = c.k;
    p.mDim = 0;
    p.nDim = 3;
    p.kDim = 2;
    return p;
  }

  //===--------------------------------------------------------------------===//
  // Contractions
  //===--------------------------------------------------------------------===//

  /// The length argument of a length variant (`whittle.length_arg`), or
  /// null.
  Value lengthArgument() {
    func::FuncOp func = getOperation();
    auto index = func->getAttrOfType<IntegerAttr>("whittle.length_arg");
    if (!index || index.getInt() >= func.getNumArguments())
      return Value();
    Value arg = func.getArgument(index.getInt());
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getShape() != ArrayRef<int64_t>{1} ||
        !type.getElementType().isInteger(64))
      return Value();
    return arg;
  }

  /// In a length variant, the register tile's row loop of a contraction
  /// whose rows are the sequence positions (`whittle.seq_rows`) stops at
  /// the run's length rounded up to whole register tiles: the rows past it
  /// are padding that no real row reads, and keep the accumulator's fill.
  /// Only with one Mc tile (its rows start at 0).
  void stopRowsAtLength(IRRewriter &rewriter, const Contraction &c,
                        const GemmTiles &t, ArrayRef<LoopLikeOpInterface> loops,
                        unsigned rowLoopIndex) {
    Value length = lengthArgument();
    if (!length || t.mc != c.m || c.batch != 1 || rowLoopIndex >= loops.size())
      return;
    LoopLikeOpInterface loop = loops[rowLoopIndex];
    auto rows = dyn_cast<scf::ForOp>(loop.getOperation());
    std::optional<int64_t> ub =
        rows ? getConstantIntValue(rows.getUpperBound()) : std::nullopt;
    std::optional<int64_t> step =
        rows ? getConstantIntValue(rows.getStep()) : std::nullopt;
    if (!ub || !step || *ub != t.mc || *step != t.mr)
      return;
    // Read inside the tile, so that the outlined task receives the length's
    // buffer instead of a scalar computed outside it.
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(rows);
    Location loc = rows.getLoc();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value n = arith::IndexCastOp::create(
        rewriter, loc, rewriter.getIndexType(),
        tensor::ExtractOp::create(rewriter, loc, length, ValueRange{zero}));
    Value mr = arith::ConstantIndexOp::create(rewriter, loc, t.mr);
    Value tiles = arith::CeilDivSIOp::create(rewriter, loc, n, mr);
    Value stop = arith::MinSIOp::create(
        rewriter, loc, arith::MulIOp::create(rewriter, loc, tiles, mr),
        rows.getUpperBound());
    rows.setUpperBound(arith::MaxSIOp::create(rewriter, loc, stop, zero));
    ++numRowLoopsStopped;
  }

  LogicalResult tileContraction(IRRewriter &rewriter, Contraction c) {
    bool seqRows = c.op->hasAttr("whittle.seq_rows");
    int64_t vl = c.integer ? int8Lanes() : lanes();
    int64_t nr = microN > 0 ? microN : std::max(1u, unsigned(rowVectors)) * vl;
    bool packed = false;
    if (c.integer) {
      // The integer kernel exists only over packed weights.
      int64_t padTo = c.n % nr == 0 ? nr : 8 * nr;
      uint64_t bytes = 0;
      int8gemm::DotProduct dot = int8Dot();
      FailureOr<linalg::GenericOp> p =
          int8gemm::packWeights(rewriter, c.op, nr, padTo, vl, dot, bytes,
                                createdElementwise, *modulePacked);
      if (failed(p)) {
        LLVM_DEBUG(llvm::dbgs()
                   << "integer weight not packable: " << *c.op << "\n");
        return success();
      }
      bytesPacked += bytes;
      ++numWeightsPacked;
      int64_t paddedN = llvm::divideCeil(c.n, padTo) * padTo;
      c = Contraction{cast<linalg::LinalgOp>(p->getOperation()),
                      {Role::M, Role::N, Role::K, Role::N, Role::KLane},
                      1,
                      c.m,
                      paddedN,
                      c.k / 4,
                      0,
                      3,
                      2,
                      /*integer=*/true,
                      dot};
      packed = true;
    } else if (packWeights) {
      // Pad N to whole panels; odd widths (a vocabulary) to 8 panels so that
      // the tile choice below has divisors to work with.
      int64_t padTo = c.n % nr == 0 ? nr : 8 * nr;
      if (std::optional<Contraction> p =
              packConstantRhs(rewriter, c, nr, padTo)) {
        c = *p;
        packed = true;
      }
    }
    if (!packed && c.n % nr != 0) {
      nr = c.n % vl == 0 ? vl : 0;
      if (!nr) {
        LLVM_DEBUG(llvm::dbgs() << "N not a multiple of the vector width: "
                                << *c.op << "\n");
        return success();
      }
    }
    GemmTiles t = chooseTiles(c, nr);
    LLVM_DEBUG(llvm::dbgs()
               << "contraction " << c.batch << "x" << c.m << "x" << c.n << "x"
               << c.k << (packed ? " packed" : "") << ": mr=" << t.mr
               << " nr=" << t.nr << " Mc=" << t.mc << " Nc=" << t.nc
               << " Kc=" << t.kc << "\n");
    if (!t.mr || !t.kc || !t.mc)
      return success();
    chosenMicroM = t.mr;
    chosenMicroN = t.nr;
    chosenTileM = std::max<uint64_t>(chosenTileM, t.mc);
    chosenTileN = std::max<uint64_t>(chosenTileN, t.nc);
    chosenTileK = std::max<uint64_t>(chosenTileK, t.kc);

    // Per-loop tile sizes of each level. In the packed layout the panel
    // index nb tiles by Nc / nr and the lane loop ni is never tiled.
    unsigned numLoops = c.roles.size();
    auto sizesFor = [&](auto fn) {
      SmallVector<OpFoldResult> sizes;
      for (unsigned i = 0; i < numLoops; ++i)
        sizes.push_back(rewriter.getIndexAttr(fn(i)));
      return sizes;
    };
    auto isLane = [&](unsigned i) { return packed && i == c.nDim; };
    auto isPanel = [&](unsigned i) { return packed && i == 1; };

    // Level 1: scf.forall over (batch, Mc, Nc) tiles, fill fused.
    scf::SCFTilingOptions forallOptions;
    forallOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    forallOptions.setTileSizes(sizesFor([&](unsigned i) -> int64_t {
      switch (c.roles[i]) {
      case Role::Batch:
        return 1;
      case Role::M:
        return t.mc;
      case Role::N:
        return isLane(i) ? 0 : isPanel(i) ? t.nc / t.nr : t.nc;
      case Role::K:
      case Role::KLane:
        return 0;
      }
      return 0;
    }));
    scf::SCFTileAndFuseOptions fuseOptions;
    fuseOptions.setTilingOptions(forallOptions);
    fuseOptions.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer,
           bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isa<linalg::FillOp>(producer.getOwner()))
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          return std::nullopt;
        });
    if (reportTiles)
      c.op.emitRemark() << "tile-kernels: mr=" << t.mr << " nr=" << t.nr
                        << " mc=" << t.mc << " nc=" << t.nc << " kc=" << t.kc
                        << (packed ? " (packed weights)" : "");
    rewriter.setInsertionPoint(c.op);
    FailureOr<scf::SCFTileAndFuseResult> level1 =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(c.op.getOperation()), fuseOptions);
    if (failed(level1))
      return c.op.emitError("tile-kernels: forall tiling failed");
    for (OpResult res : c.op->getResults())
      rewriter.replaceAllUsesWith(res, level1->replacements[res]);
    // Statistics compile to nothing in release builds of LLVM; the choice is
    // also recorded on the loop, where tests and humans can read it.
    if (!level1->loops.empty()) {
      auto attr = [&](int64_t v) { return rewriter.getI64IntegerAttr(v); };
      level1->loops.front()->setAttr(
          "whittle.gemm_tiles",
          rewriter.getDictionaryAttr(
              {rewriter.getNamedAttr("mr", attr(t.mr)),
               rewriter.getNamedAttr("nr", attr(t.nr)),
               rewriter.getNamedAttr("mc", attr(t.mc)),
               rewriter.getNamedAttr("nc", attr(t.nc)),
               rewriter.getNamedAttr("kc", attr(t.kc)),
               rewriter.getNamedAttr("packed", rewriter.getBoolAttr(packed))}));
    }
    Operation *tiled = nullptr;
    for (Operation *op : level1->tiledAndFusedOps) {
      if (isa<linalg::FillOp>(op)) {
        if (failed(tileElementwise(rewriter, cast<linalg::LinalgOp>(op),
                                   /*parallel=*/false)))
          return failure();
        continue;
      }
      tiled = op;
    }
    rewriter.eraseOp(c.op);
    if (!tiled)
      return failure();

    // Level 2: Kc blocks, then nr columns, then mr rows (B's Kc x nr panel
    // stays in L1 across the rows), then K one step at a time.
    auto tileFor = [&](Operation *op, SmallVector<OpFoldResult> sizes,
                       ArrayRef<int64_t> interchange = {})
        -> FailureOr<scf::SCFTilingResult> {
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      if (!interchange.empty())
        options.setInterchange(interchange);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> result =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
      if (failed(result))
        return failure();
      rewriter.replaceOp(op, result->replacements);
      return result;
    };
    if (t.kc < c.k) {
      auto kBlocks = tileFor(tiled, sizesFor([&](unsigned i) -> int64_t {
                               return c.roles[i] == Role::K ? t.kc : 0;
                             }));
      if (failed(kBlocks))
        return failure();
      tiled = kBlocks->tiledOps.back();
    }
    // Loop order: batch, N (or the panel index), M, the rest.
    unsigned nOuter = packed ? 1 : c.nDim;
    SmallVector<int64_t> order;
    for (unsigned i = 0; i < numLoops; ++i)
      if (c.roles[i] == Role::Batch)
        order.push_back(i);
    order.push_back(nOuter);
    order.push_back(c.mDim);
    for (unsigned i = 0; i < numLoops; ++i)
      if (i != nOuter && i != c.mDim && c.roles[i] != Role::Batch)
        order.push_back(i);
    auto registers = tileFor(tiled, sizesFor([&](unsigned i) -> int64_t {
                               switch (c.roles[i]) {
                               case Role::Batch:
                                 return 1;
                               case Role::M:
                                 return t.mr;
                               case Role::N:
                                 return isLane(i) ? 0 : isPanel(i) ? 1 : t.nr;
                               case Role::K:
                               case Role::KLane:
                                 return 0;
                               }
                               return 0;
                             }),
                             order);
    if (failed(registers))
      return failure();
    if (seqRows) {
      unsigned batchLoops = llvm::count(c.roles, Role::Batch);
      stopRowsAtLength(rewriter, c, t, registers->loops, batchLoops + 1);
    }
    auto steps = tileFor(registers->tiledOps.back(),
                         sizesFor([&](unsigned i) -> int64_t {
                           return c.roles[i] == Role::K ? 1 : 0;
                         }));
    if (failed(steps))
      return failure();
    if (failed(vectorizeRegisterTile(
            rewriter, cast<linalg::LinalgOp>(steps->tiledOps.back()), c)))
      return failure();
    auto kLoop = cast<scf::ForOp>(steps->loops.back().getOperation());
    foldAndHoist(rewriter, kLoop);
    ++numMatmulsTiled;
    return success();
  }

  /// Rewrites the mr x nr x 1 tile (unit batch / panel dims) as a 2-D
  /// linalg.matmul on rank-reduced slices and vectorizes it to one
  /// vector.contract.
  LogicalResult vectorizeRegisterTile(IRRewriter &rewriter, linalg::LinalgOp op,
                                      const Contraction &c) {
    if (c.integer) {
      rewriter.setInsertionPoint(op);
      Value result = int8gemm::emitRegisterTile(
          rewriter, op.getLoc(), op.getDpsInputOperand(0)->get(),
          op.getDpsInputOperand(1)->get(), op.getDpsInitOperand(0)->get(),
          int8Lanes(), c.dot);
      rewriter.replaceOp(op, result);
      return success();
    }
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    // Keeps the operand dims whose loops are in `keep`, drops the (unit)
    // rest.
    auto reduce = [&](OpOperand *operand,
                      ArrayRef<unsigned> keep) -> std::pair<Value, Value> {
      Value v = operand->get();
      auto type = cast<RankedTensorType>(v.getType());
      AffineMap map = op.getMatchingIndexingMap(operand);
      SmallVector<int64_t> shape;
      for (auto [i, e] : llvm::enumerate(map.getResults())) {
        unsigned dim = cast<AffineDimExpr>(e).getPosition();
        if (llvm::is_contained(keep, dim))
          shape.push_back(type.getDimSize(i));
      }
      auto reducedType = RankedTensorType::get(shape, type.getElementType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> strides(type.getRank(),
                                        rewriter.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes;
      for (int64_t s : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(s));
      Value slice = tensor::ExtractSliceOp::create(rewriter, loc, reducedType,
                                                   v, offsets, sizes, strides);
      return {slice, v};
    };
    unsigned n = c.nDim;
    auto [a2, a] = reduce(op.getDpsInputOperand(0), {c.mDim, c.kDim});
    auto [b2, b] = reduce(op.getDpsInputOperand(1), {c.kDim, n});
    auto [c2, cFull] = reduce(op.getDpsInitOperand(0), {c.mDim, n});
    if (isInt8Static(b2)) {
      // An int8 weight: its vector is converted to f32 once per step, then
      // the same contraction as for f32 weights.
      Value tile = int8WeightTile(rewriter, loc, a2, b2, c2);
      auto cType = cast<RankedTensorType>(cFull.getType());
      SmallVector<OpFoldResult> zeros(cType.getRank(),
                                      rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> ones(cType.getRank(), rewriter.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes;
      for (int64_t s : cType.getShape())
        sizes.push_back(rewriter.getIndexAttr(s));
      rewriter.replaceOp(op, tensor::InsertSliceOp::create(
                                 rewriter, loc, tile, cFull, zeros, sizes, ones)
                                 .getResult());
      return success();
    }
    auto matmul =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{c2.getType()},
                                 ValueRange{a2, b2}, ValueRange{c2});
    auto cType = cast<RankedTensorType>(cFull.getType());
    SmallVector<OpFoldResult> offsets(cType.getRank(),
                                      rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(cType.getRank(),
                                      rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes;
    for (int64_t s : cType.getShape())
      sizes.push_back(rewriter.getIndexAttr(s));
    rewriter.setInsertionPointAfter(matmul);
    Value inserted = tensor::InsertSliceOp::create(
        rewriter, loc, matmul.getResult(0), cFull, offsets, sizes, strides);
    rewriter.replaceOp(op, inserted);
    rewriter.setInsertionPoint(matmul);
    FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
        rewriter, matmul, /*inputVectorSizes=*/{}, /*scalableDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/true);
    if (failed(vectorized))
      return matmul.emitError("tile-kernels: register tile not vectorizable");
    rewriter.replaceOp(matmul, vectorized->replacements);
    return success();
  }

  /// acc + a · sitofp(b) on an [mr, 1] f32 slice of A, a [1, nr] int8 slice
  /// of B and the [mr, nr] accumulator: the tile's vector.contract with the
  /// weight vector converted in registers.
  Value int8WeightTile(IRRewriter &rewriter, Location loc, Value a, Value b,
                       Value acc) {
    MLIRContext *ctx = &getContext();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    auto read = [&](Value source, Attribute padding) {
      auto type = cast<RankedTensorType>(source.getType());
      auto vectorType = VectorType::get(type.getShape(), type.getElementType());
      SmallVector<Value> indices(type.getRank(), zero);
      SmallVector<bool> inBounds(type.getRank(), true);
      Value pad =
          arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(padding));
      return vector::TransferReadOp::create(rewriter, loc, vectorType, source,
                                            indices, pad, inBounds)
          .getResult();
    };
    Type f32 = rewriter.getF32Type();
    Value aVec = read(a, rewriter.getF32FloatAttr(0));
    Value bBytes = read(b, rewriter.getI8IntegerAttr(0));
    Value bVec = arith::SIToFPOp::create(
        rewriter, loc,
        VectorType::get(cast<VectorType>(bBytes.getType()).getShape(), f32),
        bBytes);
    Value accVec = read(acc, rewriter.getF32FloatAttr(0));
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    auto iterator = [&](vector::IteratorType t) {
      return vector::IteratorTypeAttr::get(ctx, t);
    };
    Value product = vector::ContractionOp::create(
        rewriter, loc, aVec, bVec, accVec,
        rewriter.getAffineMapArrayAttr(
            {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
             AffineMap::get(3, 0, {d(2), d(1)}, ctx),
             AffineMap::get(3, 0, {d(0), d(1)}, ctx)}),
        rewriter.getArrayAttr({iterator(vector::IteratorType::parallel),
                               iterator(vector::IteratorType::parallel),
                               iterator(vector::IteratorType::reduction)}));
    SmallVector<Value> indices(2, zero);
    return vector::TransferWriteOp::create(rewriter, loc, product, acc, indices,
                                           ArrayRef<bool>{true, true})
        .getResult();
  }

  /// Folds slices into the vector transfers of the K loop and moves the
  /// accumulator's read/write out of it, so it lives in registers.
  /// Folds the subset ops of `kLoop` (and its siblings under `scope`, the
  /// loop's parent by default) and hoists loop-invariant subsets into
  /// iter_args. Ops erased by the folding must not be on a worklist.
  void foldAndHoist(IRRewriter &rewriter, scf::ForOp kLoop,
                    Operation *scope = nullptr) {
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorSubsetOpPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns,
                                                        &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
    tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns,
                                                        &getContext());
    tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, &getContext());
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, &getContext());
    (void)applyPatternsGreedily(scope ? scope : kLoop->getParentOp(),
                                std::move(patterns));
    rewriter.setInsertionPoint(kLoop);
    (void)hoistLoopInvariantSubsets(
        rewriter, cast<LoopLikeOpInterface>(kLoop.getOperation()));
  }

  //===--------------------------------------------------------------------===//
  // Elementwise ops and innermost reductions
  //===--------------------------------------------------------------------===//

  /// Ops whose body is plain arithmetic and whose operands all either read
  /// the innermost loop as their innermost dim or not at all.
  bool isVectorizableElementwise(linalg::LinalgOp op) const {
    if (op.getNumDpsInits() != 1 || op.hasPureBufferSemantics())
      return false;
    unsigned numLoops = op.getNumLoops();
    if (numLoops == 0)
      return false;
    for (Value v : op->getOperands()) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (type && !type.hasStaticShape())
        return false;
      // Vectors of i1 are bit-packed in memory, tensors of i1 are not.
      if (type && type.getElementTypeBitWidth() < 8)
        return false;
    }
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (unsigned i = 0; i + 1 < numLoops; ++i)
      if (iterators[i] != utils::IteratorType::parallel)
        return false;
    if (!isa<linalg::GenericOp, linalg::FillOp>(op))
      return false;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<RankedTensorType>(operand.get().getType()))
        continue;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (!map.isProjectedPermutation())
        return false;
      int64_t pos = resultPosition(map, numLoops - 1);
      if (pos >= 0 && pos != map.getNumResults() - 1)
        return false;
    }
    bool plain = true;
    if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
      generic.getBody()->walk([&](Operation *inner) {
        if (isa<linalg::IndexOp, tensor::ExtractOp>(inner) ||
            inner->getNumRegions())
          plain = false;
        for (Type t : inner->getResultTypes())
          if (!t.isIntOrIndexOrFloat())
            plain = false;
      });
    return plain;
  }

  /// Tiles `op` with `options`, replaces it and points it at the tiled op.
  static LogicalResult tileInPlace(IRRewriter &rewriter, Operation *&op,
                                   const scf::SCFTilingOptions &options) {
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> result =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, result->replacements);
    op = result->tiledOps.back();
    return success();
  }

  /// Combiners whose result does not depend on the order they see their
  /// operands in. Float sums keep the order they had (chunks reduced across
  /// lanes, then in sequence): a dynamically quantized model rounds its
  /// activations after a layer norm, and moving a mean by one ulp can move
  /// a value across a rounding boundary, away from the reference's result.
  static bool isOrderIndependent(Operation *combiner) {
    return isa<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
               arith::MinNumFOp, arith::AddIOp, arith::MulIOp, arith::MaxSIOp,
               arith::MinSIOp, arith::MaxUIOp, arith::MinUIOp, arith::AndIOp,
               arith::OrIOp, arith::XOrIOp>(combiner);
  }

  /// A reduction along the innermost dim of `op` (outer dims all 1) as an
  /// scf.for of `step`-wide elementwise combines into a vector of partial
  /// results kept in registers, and one horizontal reduction after the loop
  /// (vectorizing each step's tile on its own would reduce horizontally at
  /// every step). Fails, leaving `op` alone, unless the body's combiner is
  /// order-independent and has a neutral element.
  LogicalResult tileInnerReduction(IRRewriter &rewriter, Operation *op,
                                   int64_t step) {
    auto partial = dyn_cast<PartialReductionOpInterface>(op);
    auto linalgOp = cast<linalg::LinalgOp>(op);
    SmallVector<Operation *> combiners;
    if (!partial || linalgOp.getNumReductionLoops() != 1 ||
        !matchReduction(linalgOp.getRegionOutputArgs(), 0, combiners) ||
        combiners.size() != 1 || !isOrderIndependent(combiners.front()) ||
        !arith::getNeutralElement(combiners.front()))
      return failure();
    unsigned numLoops = linalgOp.getNumLoops();
    SmallVector<OpFoldResult> sizes(numLoops, rewriter.getIndexAttr(0));
    sizes.back() = rewriter.getIndexAttr(step);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileReductionUsingScf(rewriter, partial, sizes);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    SmallVector<Operation *> toVectorize;
    for (Value init : tiled->initialValues)
      if (Operation *fill = init.getDefiningOp())
        toVectorize.push_back(fill);
    llvm::append_range(toVectorize, tiled->tiledOps);
    llvm::append_range(toVectorize, tiled->mergeOps);
    for (Operation *tile : toVectorize) {
      if (!isa<linalg::LinalgOp>(tile))
        continue;
      if (failed(vectorizeInPlace(rewriter, tile, "reduction")))
        return failure();
    }
    if (!tiled->loops.empty())
      if (auto loop = dyn_cast<scf::ForOp>(tiled->loops.front().getOperation()))
        foldAndHoist(rewriter, loop, /*scope=*/loop);
    return success();
  }

  /// scf.forall over the outer dims with more than one element (when
  /// `parallel`), scf.for tiles of whole vectors along the innermost dim,
  /// linalg::vectorize on each.
  LogicalResult tileElementwise(IRRewriter &rewriter, linalg::LinalgOp op,
                                bool parallel) {
    if (!isVectorizableElementwise(op))
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    unsigned numLoops = ranges.size();
    int64_t inner = ranges.back();
    int64_t vl = lanes();
    // Whole vectors, up to 4 per step; odd widths only when short.
    int64_t step = largestDivisor(inner, 4 * vl, vl);
    if (!step) {
      if (inner > 2 * vl)
        return failure();
      step = inner;
    }
    int64_t outerElements = 1;
    for (unsigned i = 0; i + 1 < numLoops; ++i)
      outerElements *= ranges[i];
    if (parallel && outerElements * inner < 4 * vl)
      return failure(); // not worth it
    Operation *current = op;
    if (parallel && outerElements > 1) {
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      SmallVector<OpFoldResult> sizes;
      for (unsigned i = 0; i < numLoops; ++i)
        sizes.push_back(
            rewriter.getIndexAttr(i + 1 < numLoops && ranges[i] > 1 ? 1 : 0));
      options.setTileSizes(sizes);
      if (failed(tileInPlace(rewriter, current, options)))
        return failure();
    }
    // Inside: unit outer dims (or a serial loop over them), vector steps.
    auto tiledRanges = cast<linalg::LinalgOp>(current).getStaticLoopRanges();
    if (step < inner &&
        cast<linalg::LinalgOp>(current).getIteratorTypesArray().back() ==
            utils::IteratorType::reduction &&
        llvm::all_of(ArrayRef<int64_t>(tiledRanges).drop_back(),
                     [](int64_t r) { return r == 1; }) &&
        succeeded(tileInnerReduction(rewriter, current, step)))
      return success();
    SmallVector<OpFoldResult> sizes;
    for (unsigned i = 0; i + 1 < numLoops; ++i)
      sizes.push_back(rewriter.getIndexAttr(tiledRanges[i] > 1 ? 1 : 0));
    sizes.push_back(rewriter.getIndexAttr(step < inner ? step : 0));
    bool needsLoop = llvm::any_of(
        sizes, [](OpFoldResult s) { return getConstantIntValue(s) != 0; });
    if (needsLoop) {
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      if (failed(tileInPlace(rewriter, current, options)))
        return failure();
    }
    return vectorizeInPlace(rewriter, current, "elementwise");
  }

  /// linalg::vectorize on `tile`, replacing it; an error naming `what` when
  /// a tile built to be vectorizable is not.
  static LogicalResult vectorizeInPlace(IRRewriter &rewriter, Operation *tile,
                                        StringRef what) {
    rewriter.setInsertionPoint(tile);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, tile);
    if (failed(vectorized))
      return tile->emitError("tile-kernels: ")
             << what << " tile not vectorizable";
    rewriter.replaceOp(tile, vectorized->replacements);
    return success();
  }
};

} // namespace
