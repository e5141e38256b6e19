//===- QuantizeWeights.cpp - Compile-time weight quantization -------------===//
//
// Quantizes the constant fp32 weights of matmuls and plain gemms at compile
// time, tuning-free: int8 symmetric per output channel (scale max|w| / 127,
// codes in [-127, 127]) or int4 asymmetric per group of `group-size` rows
// of K (scale (max - min) / 15 and a zero point per group and column, the
// range widened to include 0 so that zero stays exact). With dynamic
// activations an int8 layer quantizes its input per row at run time
// (uint8 with a scale and zero point per row, as DynamicQuantizeLinear per
// tensor) and becomes an exact integer matmul of the codes, scaled once per
// row and column; otherwise the weights are
// dequantized inside the kernel.
//
// Embedding tables (gathers of rows of a constant) get int8 rows with a
// scale each, whatever the weight format: they are a large share of a small
// language model's bytes but a gather reads only a few rows.
//
// This changes the model's results (by design: it is requested, never on by
// default), so it runs after the exact passes, and the driver can measure
// its end-to-end error on calibration data.
//
//===----------------------------------------------------------------------===//

#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEQUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

struct Settings {
  unsigned bits = 8;
  int64_t groupSize = 32;
  bool dynamicActivations = false;
  /// int8 weight codes in [-63, 63]: no two can saturate x86's 16-bit
  /// vpmaddubsw pair sums, so CPUs without VNNI get a fast integer kernel.
  bool reduceRange = false;
  // Shared: passes are copied per thread and a Regex is not copyable.
  std::shared_ptr<llvm::Regex> exclude;
  /// Calibration activations of each layer (node name -> rows x K floats),
  /// for the activation-aware scale search.
  std::shared_ptr<const std::map<std::string, std::vector<float>>> samples;
};

/// The fp32 weights a function's patterns replaced, whose bytes can be
/// freed once no op reads them.
using Replaced = SmallVector<DenseResourceElementsAttr>;

void noteReplaced(Value weight, Replaced &replaced) {
  if (auto cst = weight.getDefiningOp<ConstantOp>())
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      replaced.push_back(resource);
}

/// A constant of `type` holding one byte per element.
Value byteConstant(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<int8_t> bytes, StringRef name) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes.size(), 64);
  llvm::copy(bytes, reinterpret_cast<int8_t *>(blob.getMutableData().data()));
  return ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<float> values) {
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(shape, b.getF32Type()),
                             values));
}

/// Symmetric int8 codes of `w` [rows, cols] with one scale (max|w| / levels,
/// codes in [-levels, levels]) per column, or per row when `perRow`.
void quantizeSymmetricInt8(ArrayRef<double> w, int64_t rows, int64_t cols,
                           bool perRow, std::vector<int8_t> &codes,
                           std::vector<float> &scales, double levels = 127) {
  int64_t groups = perRow ? rows : cols, length = perRow ? cols : rows;
  auto at = [&](int64_t g, int64_t i) {
    return perRow ? g * cols + i : i * cols + g;
  };
  codes.assign(rows * cols, 0);
  scales.assign(groups, 1.0f);
  for (int64_t g = 0; g < groups; ++g) {
    double amax = 0;
    for (int64_t i = 0; i < length; ++i)
      amax = std::max(amax, std::abs(w[at(g, i)]));
    float scale = amax > 0 ? float(amax / levels) : 1.0f;
    scales[g] = scale;
    for (int64_t i = 0; i < length; ++i)
      codes[at(g, i)] = int8_t(
          std::clamp(std::nearbyint(w[at(g, i)] / scale), -levels, levels));
  }
}

/// Asymmetric 4-bit codes of `w` [k, n] per block of `g` rows of K and
/// column, with their scales and zero points [blocks, n].
void quantizeInt4(ArrayRef<double> w, int64_t k, int64_t n, int64_t g,
                  std::vector<int8_t> &codes, std::vector<int8_t> &zeros,
                  std::vector<float> &scales) {
  int64_t blocks = llvm::divideCeil(k, g);
  codes.assign(k * n, 0);
  zeros.assign(blocks * n, 0);
  scales.assign(blocks * n, 1.0f);
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t j = 0; j < n; ++j) {
      double lo = 0, hi = 0;
      for (int64_t r = blk * g; r < std::min(k, (blk + 1) * g); ++r) {
        lo = std::min(lo, w[r * n + j]);
        hi = std::max(hi, w[r * n + j]);
      }
      float scale = hi > lo ? float((hi - lo) / 15) : 1.0f;
      int zp = int(std::clamp(std::nearbyint(-lo / scale), 0.0, 15.0));
      scales[blk * n + j] = scale;
      zeros[blk * n + j] = int8_t(zp);
      for (int64_t r = blk * g; r < std::min(k, (blk + 1) * g); ++r)
        codes[r * n + j] = int8_t(
            std::clamp(std::nearbyint(w[r * n + j] / scale) + zp, 0.0, 15.0));
    }
}

/// `w` as the kernel sees it: quantized as `s` says, then dequantized.
std::vector<double> roundTrip(ArrayRef<double> w, int64_t k, int64_t n,
                              const Settings &s) {
  std::vector<int8_t> codes, zeros;
  std::vector<float> scales;
  std::vector<double> out(k * n);
  if (s.bits == 4) {
    quantizeInt4(w, k, n, s.groupSize, codes, zeros, scales);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t j = 0; j < n; ++j) {
        int64_t b = (r / s.groupSize) * n + j;
        out[r * n + j] = double(codes[r * n + j] - zeros[b]) * scales[b];
      }
    return out;
  }
  quantizeSymmetricInt8(w, k, n, /*perRow=*/false, codes, scales,
                        s.reduceRange ? 63 : 127);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t j = 0; j < n; ++j)
      out[r * n + j] = double(codes[r * n + j]) * scales[j];
  return out;
}

/// The outcome of the activation-aware scale search of one layer.
struct ChannelScales {
  double alpha = 0;
  std::vector<double> scales; // per row of K; empty: none better than 1
  double plainError = 0, scaledError = 0;
};

/// AWQ-style search: weight rows are scaled by s_k = mean|x_k|^alpha
/// (normalized around 1) before quantization and the activations divided
/// by s, for alpha in 0, 0.1, ..., 1; the alpha whose quantized layer is
/// closest to the fp32 one on the calibration rows `x` [rows, k] wins.
/// Errors are relative: |x (W_q - W)| / |x W| over those rows.
ChannelScales searchChannelScales(ArrayRef<double> w, int64_t k, int64_t n,
                                  ArrayRef<float> x, const Settings &s) {
  int64_t rows = x.size() / k;
  std::vector<double> mean(k, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c)
      mean[c] += std::abs(x[r * k + c]) / rows;
  // The error is measured on at most 32 rows, spread over the samples.
  std::vector<int64_t> picked;
  for (int64_t r = 0; r < rows; r += std::max<int64_t>(1, rows / 32))
    picked.push_back(r);
  auto outputNorm = [&](ArrayRef<double> m) {
    double sum = 0;
    std::vector<double> y(n);
    for (int64_t r : picked) {
      std::fill(y.begin(), y.end(), 0.0);
      for (int64_t c = 0; c < k; ++c) {
        double xv = x[r * k + c];
        if (xv == 0)
          continue;
        const double *row = &m[c * n];
        for (int64_t j = 0; j < n; ++j)
          y[j] += xv * row[j];
      }
      for (double v : y)
        sum += v * v;
    }
    return std::sqrt(sum);
  };
  double reference = outputNorm(w);
  ChannelScales best;
  if (reference == 0)
    return best;
  std::vector<double> scaled(k * n), diff(k * n), scales(k);
  for (int step = 0; step <= 10; ++step) {
    double alpha = step / 10.0;
    double lo = INFINITY, hi = 0;
    for (int64_t c = 0; c < k; ++c) {
      scales[c] = std::max(std::pow(std::max(mean[c], 1e-8), alpha), 1e-4);
      lo = std::min(lo, scales[c]);
      hi = std::max(hi, scales[c]);
    }
    double norm = std::sqrt(lo * hi);
    for (int64_t c = 0; c < k; ++c) {
      scales[c] /= norm;
      for (int64_t j = 0; j < n; ++j)
        scaled[c * n + j] = w[c * n + j] * scales[c];
    }
    std::vector<double> q = roundTrip(scaled, k, n, s);
    for (int64_t c = 0; c < k; ++c)
      for (int64_t j = 0; j < n; ++j)
        diff[c * n + j] = q[c * n + j] / scales[c] - w[c * n + j];
    double error = outputNorm(diff) / reference;
    if (step == 0) {
      best.plainError = best.scaledError = error;
    } else if (error < best.scaledError) {
      best.alpha = alpha;
      best.scaledError = error;
      best.scales = scales;
    }
  }
  return best;
}

/// x · w for constant w [K, N] (row-major `w`), quantized as `s` says.
Value quantizedProduct(PatternRewriter &rewriter, Location loc, Value x,
                       ArrayRef<double> w, int64_t k, int64_t n,
                       const Settings &s) {
  MLIRContext *ctx = rewriter.getContext();
  if (s.bits == 4) {
    int64_t g = s.groupSize, blocks = llvm::divideCeil(k, g);
    auto u4 = IntegerType::get(ctx, 4, IntegerType::Unsigned);
    std::vector<int8_t> codes, zeros;
    std::vector<float> scales;
    quantizeInt4(w, k, n, g, codes, zeros, scales);
    Value q = byteConstant(rewriter, loc, RankedTensorType::get({k, n}, u4),
                           codes, "whittle_int4_weight");
    Value zp =
        byteConstant(rewriter, loc, RankedTensorType::get({blocks, n}, u4),
                     zeros, "whittle_int4_zero_point");
    Value scale = floatConstant(rewriter, loc, {blocks, n}, scales);
    return QuantizedMatMulOp::create(rewriter, loc, x, q, scale, zp, g);
  }

  std::vector<int8_t> codes;
  std::vector<float> scales;
  quantizeSymmetricInt8(w, k, n, /*perRow=*/false, codes, scales,
                        s.reduceRange ? 63 : 127);
  Type i8 = rewriter.getI8Type();
  Value q = byteConstant(rewriter, loc, RankedTensorType::get({k, n}, i8),
                         codes, "whittle_int8_weight");
  if (!s.dynamicActivations) {
    Value zp = ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({1, n}, i8),
                               rewriter.getI8IntegerAttr(0)));
    Value scale = floatConstant(rewriter, loc, {1, n}, scales);
    return QuantizedMatMulOp::create(rewriter, loc, x, q, scale, zp);
  }
  // Activations: uint8 with a scale and zero point per row, computed at
  // run time as DynamicQuantizeLinear does per tensor (the range widened to
  // include 0, which stays exact). Asymmetric, so that one-sided inputs
  // (after GELU) use all 256 levels.
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  auto lastAxis = rewriter.getDenseI64ArrayAttr({rank - 1});
  Value zeroF = floatConstant(rewriter, loc, {}, 0.0f);
  Value hi = MaxOp::create(rewriter, loc,
                           ReduceMaxOp::create(rewriter, loc, x, lastAxis,
                                               rewriter.getBoolAttr(true)),
                           zeroF);
  Value lo = MinOp::create(rewriter, loc,
                           ReduceMinOp::create(rewriter, loc, x, lastAxis,
                                               rewriter.getBoolAttr(true)),
                           zeroF);
  // A row of zeros gets a tiny scale (its codes are all the zero point).
  Value rowScale = MaxOp::create(
      rewriter, loc,
      DivOp::create(rewriter, loc, SubOp::create(rewriter, loc, hi, lo),
                    floatConstant(rewriter, loc, {}, 255.0f)),
      floatConstant(rewriter, loc, {}, 1e-30f));
  auto u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  Value zeroU8 = ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, u8),
                             rewriter.getIntegerAttr(u8, 0)));
  Value rowZp = QuantizeOp::create(
      rewriter, loc, NegOp::create(rewriter, loc, lo), rowScale, zeroU8);
  Value xq = QuantizeOp::create(rewriter, loc, x, rowScale, rowZp);
  Value zeroI8 =
      ConstantOp::create(rewriter, loc,
                         DenseElementsAttr::get(RankedTensorType::get({}, i8),
                                                rewriter.getI8IntegerAttr(0)));
  Value product = IntegerMatMulOp::create(rewriter, loc, xq, q, rowZp, zeroI8);
  Value y = CastOp::create(rewriter, loc, product,
                           TypeAttr::get(rewriter.getF32Type()));
  y = MulOp::create(rewriter, loc, y, rowScale);
  return MulOp::create(rewriter, loc, y,
                       floatConstant(rewriter, loc, {n}, scales));
}

/// quantizedProduct, with the activation-aware scale search where the layer
/// has calibration activations: the chosen scales go into the weight before
/// quantization and their inverse onto x (one multiply per activation). The
/// result records the search as `whittle.awq` {alpha, rel_error_unscaled,
/// rel_error_scaled} (errors on the calibration rows) for the report.
Value activationAwareProduct(PatternRewriter &rewriter, Operation *op, Value x,
                             ArrayRef<double> w, int64_t k, int64_t n,
                             const Settings &s) {
  Location loc = op->getLoc();
  const std::vector<float> *sample = nullptr;
  if (s.samples) {
    auto it = s.samples->find(nodeNameOf(loc));
    if (it != s.samples->end() && !it->second.empty() &&
        it->second.size() % k == 0)
      sample = &it->second;
  }
  if (!sample)
    return quantizedProduct(rewriter, loc, x, w, k, n, s);
  ChannelScales found = searchChannelScales(w, k, n, *sample, s);
  Value y;
  if (found.scales.empty()) {
    y = quantizedProduct(rewriter, loc, x, w, k, n, s);
  } else {
    std::vector<double> scaled(w.begin(), w.end());
    std::vector<float> inverse(k);
    for (int64_t c = 0; c < k; ++c) {
      inverse[c] = float(1.0 / found.scales[c]);
      for (int64_t j = 0; j < n; ++j)
        scaled[c * n + j] *= found.scales[c];
    }
    Value xs = MulOp::create(rewriter, loc, x,
                             floatConstant(rewriter, loc, {k}, inverse));
    y = quantizedProduct(rewriter, loc, xs, scaled, k, n, s);
  }
  y.getDefiningOp()->setAttr(
      "whittle.awq",
      rewriter.getDictionaryAttr(
          {rewriter.getNamedAttr("alpha",
                                 rewriter.getF64FloatAttr(found.alpha)),
           rewriter.getNamedAttr("rel_error_unscaled",
                                 rewriter.getF64FloatAttr(found.plainError)),
           rewriter.getNamedAttr("rel_error_scaled", rewriter.getF64FloatAttr(
                                                         found.scaledError))}));
  return y;
}

/// The values of the constant fp32 2-D weight `w` of a layer this pass
/// takes, or failure.
FailureOr<SmallVector<double>> matchWeight(PatternRewriter &rewriter,
                                           Operation *op, Value x, Value w,
                                           const Settings &s) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  if (!xType || !wType || !xType.getElementType().isF32() ||
      !wType.getElementType().isF32() || wType.getRank() != 2 ||
      xType.getRank() < 2 || !wType.hasStaticShape() ||
      !w.getDefiningOp<ConstantOp>())
    return rewriter.notifyMatchFailure(op, "not an fp32 constant 2-D weight");
  if (s.exclude && s.exclude->match(nodeNameOf(op->getLoc())))
    return rewriter.notifyMatchFailure(op, "excluded by name");
  std::optional<SmallVector<double>> values = readFloatConstant(w);
  if (!values)
    return rewriter.notifyMatchFailure(op, "weight data unreadable");
  return std::move(*values);
}

/// The settings and the statistic every pattern of the pass counts into.
template <typename OpTy> struct QuantizePattern : OpRewritePattern<OpTy> {
  QuantizePattern(MLIRContext *ctx, const Settings &s, llvm::Statistic &count,
                  Replaced &replaced)
      : OpRewritePattern<OpTy>(ctx), s(s), count(count), replaced(replaced) {}

  const Settings &s;
  llvm::Statistic &count;
  Replaced &replaced;
};

struct QuantizeMatMulWeight : QuantizePattern<MatMulOp> {
  using QuantizePattern::QuantizePattern;

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<SmallVector<double>> w =
        matchWeight(rewriter, op, op.getLhs(), op.getRhs(), s);
    if (failed(w))
      return failure();
    auto wType = op.getRhs().getType();
    noteReplaced(op.getRhs(), replaced);
    rewriter.replaceOp(op, activationAwareProduct(rewriter, op, op.getLhs(), *w,
                                                  wType.getDimSize(0),
                                                  wType.getDimSize(1), s));
    ++count;
    return success();
  }
};

/// A gemm without transposed A, alpha 1 and beta 1: B (transposed at compile
/// time when trans_b) is quantized, C is added.
struct QuantizeGemmWeight : QuantizePattern<GemmOp> {
  using QuantizePattern::QuantizePattern;

  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransA() || op.getAlpha().convertToDouble() != 1.0 ||
        (op.getC() && op.getBeta().convertToDouble() != 1.0))
      return rewriter.notifyMatchFailure(op, "not a plain gemm");
    FailureOr<SmallVector<double>> w =
        matchWeight(rewriter, op, op.getA(), op.getB(), s);
    if (failed(w))
      return failure();
    auto bType = op.getB().getType();
    int64_t rows = bType.getDimSize(0), cols = bType.getDimSize(1);
    int64_t k = op.getTransB() ? cols : rows, n = op.getTransB() ? rows : cols;
    if (op.getTransB()) {
      SmallVector<double> t(w->size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          t[c * rows + r] = (*w)[r * cols + c];
      *w = std::move(t);
    }
    Value y = activationAwareProduct(rewriter, op, op.getA(), *w, k, n, s);
    noteReplaced(op.getB(), replaced);
    if (Value c = op.getC())
      y = AddOp::create(rewriter, op.getLoc(), y, c);
    if (y.getType() != op.getResult().getType())
      return rewriter.notifyMatchFailure(op, "bias changes the result shape");
    rewriter.replaceOp(op, y);
    ++count;
    return success();
  }
};

/// An embedding table (a gather of rows of a constant fp32 [V, D] table)
/// becomes int8 rows with one symmetric scale each: the gather picks codes
/// and scales, and the rows are dequantized right after it (the cast and
/// multiply fuse into the gather's loop).
struct QuantizeEmbeddingTable : QuantizePattern<GatherOp> {
  using QuantizePattern::QuantizePattern;

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getData().getType());
    if (op.getAxis() != 0 || !type || type.getRank() != 2 ||
        !type.getElementType().isF32() || !type.hasStaticShape() ||
        type.getNumElements() < kMinTableElements ||
        !op.getData().getDefiningOp<ConstantOp>())
      return rewriter.notifyMatchFailure(op, "not a gather of table rows");
    if (s.exclude && s.exclude->match(nodeNameOf(op.getLoc())))
      return rewriter.notifyMatchFailure(op, "excluded by name");
    std::optional<SmallVector<double>> table = readFloatConstant(op.getData());
    if (!table)
      return rewriter.notifyMatchFailure(op, "table data unreadable");
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    std::vector<int8_t> codes;
    std::vector<float> scales;
    quantizeSymmetricInt8(*table, rows, cols, /*perRow=*/true, codes, scales);
    Location loc = op.getLoc();
    Value q =
        byteConstant(rewriter, loc,
                     RankedTensorType::get({rows, cols}, rewriter.getI8Type()),
                     codes, "whittle_int8_embedding");
    Value scale = floatConstant(rewriter, loc, {rows, 1}, scales);
    Value picked = GatherOp::create(rewriter, loc, q, op.getIndices(), 0);
    Value pickedScale =
        GatherOp::create(rewriter, loc, scale, op.getIndices(), 0);
    Value rowsF = CastOp::create(rewriter, loc, picked,
                                 TypeAttr::get(rewriter.getF32Type()));
    noteReplaced(op.getData(), replaced);
    rewriter.replaceOpWithNewOp<MulOp>(op, rowsF, pickedScale);
    ++count;
    return success();
  }

  /// Smaller tables (a token-type embedding) are not worth a scale per row.
  static constexpr int64_t kMinTableElements = 1 << 16;
};

/// DIR/index.txt lists "FILE NODE" per layer; FILE holds its calibration
/// activations as raw little-endian f32, rows of K.
std::shared_ptr<const std::map<std::string, std::vector<float>>>
loadActivationSamples(StringRef dir) {
  auto index = llvm::MemoryBuffer::getFile(dir + "/index.txt");
  if (!index)
    return nullptr;
  auto samples = std::make_shared<std::map<std::string, std::vector<float>>>();
  SmallVector<StringRef> lines;
  (*index)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines) {
    auto [file, node] = line.split(' ');
    auto data = llvm::MemoryBuffer::getFile(dir + "/" + file,
                                            /*IsText=*/false);
    if (!data || (*data)->getBufferSize() % sizeof(float))
      return nullptr;
    std::vector<float> &values = (*samples)[node.str()];
    values.resize((*data)->getBufferSize() / sizeof(float));
    std::memcpy(values.data(), (*data)->getBufferStart(),
                (*data)->getBufferSize());
  }
  return samples;
}

struct WhittleQuantizeWeightsPass
    : whittle::impl::WhittleQuantizeWeightsBase<WhittleQuantizeWeightsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (weights == "int8")
      settings.bits = 8;
    else if (weights == "int4")
      settings.bits = 4;
    else
      return emitError(UnknownLoc::get(ctx))
             << "whittle-quantize-weights: weights must be int8 or int4, not '"
             << weights << "'";
    if (groupSize < 16 || !llvm::isPowerOf2_64(groupSize))
      return emitError(UnknownLoc::get(ctx))
             << "whittle-quantize-weights: group-size must be a power of two "
                ">= 16, not "
             << groupSize;
    settings.groupSize = groupSize;
    if (activations != "none" && activations != "dynamic")
      return emitError(UnknownLoc::get(ctx))
             << "whittle-quantize-weights: activations must be none or "
                "dynamic, not '"
             << activations << "'";
    settings.dynamicActivations = activations == "dynamic";
    settings.reduceRange = reduceRange;
    if (reduceRange && settings.bits != 8)
      return emitError(UnknownLoc::get(ctx))
             << "whittle-quantize-weights: reduce-range needs int8 weights";
    if (settings.dynamicActivations && settings.bits != 8)
      return emitError(UnknownLoc::get(ctx))
             << "whittle-quantize-weights: dynamic activations need int8 "
                "weights";
    if (!activationSamples.empty()) {
      auto samples = loadActivationSamples(activationSamples);
      if (!samples)
        return emitError(UnknownLoc::get(ctx))
               << "whittle-quantize-weights: cannot read activation samples "
                  "from '"
               << activationSamples << "'";
      settings.samples = std::move(samples);
    }
    if (!exclude.empty()) {
      settings.exclude = std::make_shared<llvm::Regex>(exclude);
      std::string error;
      if (!settings.exclude->isValid(error))
        return emitError(UnknownLoc::get(ctx))
               << "whittle-quantize-weights: bad exclude pattern '" << exclude
               << "': " << error;
    }
    return success();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    Replaced replaced;
    patterns.add<QuantizeMatMulWeight, QuantizeGemmWeight>(
        &getContext(), settings, numQuantized, replaced);
    if (embeddings)
      patterns.add<QuantizeEmbeddingTable>(&getContext(), settings,
                                           numEmbeddings, replaced);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    releaseUnread(replaced);
  }

  /// Frees the bytes of replaced fp32 weights that no constant in the
  /// module refers to any more (the greedy driver erased their ops), so
  /// that a model's weights are not held in fp32 and quantized at once.
  void releaseUnread(const Replaced &replaced) {
    if (replaced.empty())
      return;
    llvm::SmallPtrSet<void *, 16> live;
    getOperation()->getParentOfType<ModuleOp>().walk([&](ConstantOp cst) {
      if (auto r = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
        live.insert(r.getRawHandle().getResource());
    });
    for (DenseResourceElementsAttr r : replaced)
      if (!live.contains(r.getRawHandle().getResource()))
        r.getRawHandle().getResource()->setBlob(AsmResourceBlob());
  }

  Settings settings;
};

} // namespace
