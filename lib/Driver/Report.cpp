//===- Report.cpp - What the compiler did to a model ----------------------===//

#include "whittle/Driver/Report.h"

#include <map>

#include "whittle/Dialect/Whittle.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace whittle;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= ShapedType::isDynamic(d) ? 1 : d;
  return n;
}

/// The scales of an integer matmul live in its float epilogue (a cast, then
/// multiplications); one of N values is per column. Without one, the zero
/// points tell.
static std::string integerMatMulGranularity(IntegerMatMulOp op) {
  int64_t n = op.getRhs().getType().getDimSize(1);
  Value v = op.getResult();
  for (int step = 0; step < 4 && v.hasOneUse(); ++step) {
    Operation *user = *v.getUsers().begin();
    if (!isa<CastOp, MulOp>(user))
      break;
    for (Value operand : user->getOperands()) {
      auto type = cast<ShapedType>(operand.getType());
      if (operand != v && type.getRank() > 0 && type.getShape().back() == n &&
          type.getNumElements() == n && n > 1)
        return "per-column";
    }
    v = user->getResult(0);
  }
  return op.getRhsZeroPoint().getType().getRank() == 0 ? "per-tensor"
                                                       : "per-column";
}

GraphSummary whittle::summarizeGraph(ModuleOp module) {
  GraphSummary s;
  // Recorded by whittle-prune-dead-heads.
  if (auto pruned = module->getAttrOfType<ArrayAttr>("whittle.pruned_heads"))
    for (Attribute a : pruned) {
      auto dict = dyn_cast<DictionaryAttr>(a);
      if (!dict)
        continue;
      PrunedHead p;
      if (auto node = dict.getAs<LocationAttr>("node"))
        p.node = nodeNameOf(node);
      if (auto head = dict.getAs<IntegerAttr>("head"))
        p.head = head.getInt();
      if (auto reason = dict.getAs<StringAttr>("reason"))
        p.reason = reason.str();
      s.prunedHeads.push_back(p);
    }
  if (auto neurons =
          module->getAttrOfType<IntegerAttr>("whittle.pruned_ffn_neurons"))
    s.prunedFfnNeurons = neurons.getInt();
  std::map<std::string, DictionaryAttr> awq;
  module.walk([&](Operation *op) {
    if (auto search = op->getAttrOfType<DictionaryAttr>("whittle.awq"))
      awq[nodeNameOf(op->getLoc())] = search;
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto type = cast<ShapedType>(constant.getType());
      unsigned bits = type.getElementType().getIntOrFloatBitWidth();
      // 4-bit codes are stored two per byte (booleans take a byte each).
      s.weightsBytes += bits == 4
                            ? (product(type.getShape()) + 1) / 2
                            : product(type.getShape()) * std::max(1u, bits / 8);
    } else if (auto mm = dyn_cast<MatMulOp>(op)) {
      auto lhs = cast<ShapedType>(mm.getLhs().getType());
      auto out = cast<ShapedType>(mm.getResult().getType());
      int64_t k = lhs.getShape().back();
      s.flops +=
          2 * product(out.getShape()) * (ShapedType::isDynamic(k) ? 1 : k);
      if (isa<FloatType>(out.getElementType()))
        ++s.floatMatmuls;
      else
        ++s.integerMatmuls;
    } else if (auto qmm = dyn_cast<QuantizedMatMulOp>(op)) {
      auto rhs = qmm.getRhs().getType();
      s.flops +=
          2 * product(qmm.getResult().getType().getShape()) * rhs.getDimSize(0);
      ArrayRef<int64_t> scale = qmm.getScale().getType().getShape();
      int64_t count = product(scale);
      QuantizedSite site;
      site.node = nodeNameOf(qmm.getLoc());
      site.format =
          "int" + std::to_string(rhs.getElementType().getIntOrFloatBitWidth());
      site.blockSize = qmm.getBlockSize();
      site.granularity = site.blockSize                      ? "per-block"
                         : count == 1                        ? "per-tensor"
                         : scale.back() == rhs.getDimSize(1) ? "per-column"
                                                             : "per-row";
      s.quantized.push_back(site);
    } else if (auto imm = dyn_cast<IntegerMatMulOp>(op)) {
      auto rhs = imm.getRhs().getType();
      s.flops +=
          2 * product(imm.getResult().getType().getShape()) * rhs.getDimSize(0);
      QuantizedSite site;
      site.node = nodeNameOf(imm.getLoc());
      site.format = "int8";
      site.granularity = integerMatMulGranularity(imm);
      site.activations = "int8";
      s.quantized.push_back(site);
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      auto a = cast<ShapedType>(gemm.getA().getType());
      int64_t k = a.getDimSize(gemm.getTransA() ? 0 : 1);
      s.flops += 2 * product(gemm.getResult().getType().getShape()) * k;
      if (isa<FloatType>(gemm.getResult().getType().getElementType()))
        ++s.floatMatmuls;
      else
        ++s.integerMatmuls;
    } else if (auto conv = dyn_cast<ConvOp>(op)) {
      auto w = cast<ShapedType>(conv.getWeight().getType());
      // Each output element reads Cin/g x kh x kw weights.
      s.flops += 2 * product(conv.getResult().getType().getShape()) *
                 product(w.getShape().drop_front());
    } else if (auto att = dyn_cast<AttentionOp>(op)) {
      auto q = att.getQuery().getType(), k = att.getKey().getType(),
           v = att.getValue().getType();
      int64_t pairs =
          q.getDimSize(0) * q.getDimSize(1) * q.getDimSize(2) * k.getDimSize(2);
      s.flops += 2 * pairs * (q.getDimSize(3) + v.getDimSize(3));
      AttentionSite site;
      site.node = nodeNameOf(att.getLoc());
      site.heads = q.getDimSize(1);
      site.kvHeads = k.getDimSize(1);
      site.headDim = q.getDimSize(3);
      site.causal = att.getCausal();
      site.mask = "none";
      if (Value mask = att.getMask()) {
        // A mask that varies only along the keys pads keys out.
        ArrayRef<int64_t> m = cast<ShapedType>(mask.getType()).getShape();
        bool padding = m.size() >= 2 && m[m.size() - 2] == 1 &&
                       (m.size() < 3 || m[m.size() - 3] == 1);
        site.mask = padding ? "padding" : "additive";
      }
      s.attention.push_back(site);
    } else if (auto gather = dyn_cast<GatherOp>(op)) {
      auto table = gather.getData().getDefiningOp<ConstantOp>();
      if (table &&
          cast<ShapedType>(table.getType()).getElementType().isInteger(8))
        ++s.int8Embeddings;
    } else if (isa<SoftmaxOp>(op)) {
      ++s.unfusedSoftmax;
    }
  });
  for (QuantizedSite &site : s.quantized) {
    auto it = awq.find(site.node);
    if (it == awq.end())
      continue;
    auto number = [&](StringRef key) {
      auto value = it->second.getAs<FloatAttr>(key);
      return value ? value.getValueAsDouble() : 0.0;
    };
    site.awqAlpha = number("alpha");
    site.awqErrorUnscaled = number("rel_error_unscaled");
    site.awqErrorScaled = number("rel_error_scaled");
  }
  return s;
}

void whittle::writeReportJson(const CompileReport &r, llvm::raw_ostream &os) {
  llvm::json::Array sites;
  for (const AttentionSite &a : r.after.attention)
    sites.push_back(llvm::json::Object{{"node", a.node},
                                       {"heads", a.heads},
                                       {"kv_heads", a.kvHeads},
                                       {"head_dim", a.headDim},
                                       {"causal", a.causal},
                                       {"mask", a.mask}});
  llvm::json::Array pruned;
  for (const PrunedHead &p : r.after.prunedHeads)
    pruned.push_back(llvm::json::Object{
        {"node", p.node}, {"head", p.head}, {"reason", p.reason}});
  llvm::json::Array quantized;
  int64_t int8 = 0, int4 = 0;
  for (const QuantizedSite &q : r.after.quantized) {
    int8 += q.format == "int8";
    int4 += q.format == "int4";
    llvm::json::Object site{{"node", q.node},
                            {"format", q.format},
                            {"granularity", q.granularity},
                            {"block_size", q.blockSize},
                            {"activations", q.activations}};
    if (q.awqAlpha >= 0)
      site["awq"] =
          llvm::json::Object{{"alpha", q.awqAlpha},
                             {"rel_error_unscaled", q.awqErrorUnscaled},
                             {"rel_error_scaled", q.awqErrorScaled}};
    quantized.push_back(std::move(site));
  }
  llvm::json::Object root{
      {"model", r.model},
      {"target", r.target},
      {"cpu", r.cpu},
      {"attention",
       llvm::json::Object{
           {"fused", static_cast<int64_t>(r.after.attention.size())},
           {"unfused_softmax", r.after.unfusedSoftmax},
           {"sites", std::move(sites)}}},
      {"pruning",
       llvm::json::Object{{"heads_pruned", std::move(pruned)},
                          {"ffn_neurons_pruned", r.after.prunedFfnNeurons},
                          // Only exact (provably dead) pruning exists yet.
                          {"rel_error", nullptr}}},
      {"quantization",
       llvm::json::Object{{"matmuls_int8", int8},
                          {"matmuls_int4", int4},
                          {"matmuls_fp32", r.after.floatMatmuls},
                          {"matmuls_integer_unfolded", r.after.integerMatmuls},
                          {"embeddings_int8", r.after.int8Embeddings},
                          {"sites", std::move(quantized)},
                          // Measured with --calibration-data only.
                          {"rel_error", nullptr}}},
      {"weights_bytes", r.after.weightsBytes},
      {"weights_bytes_before", r.before.weightsBytes},
      {"flops", r.after.flops},
      {"flops_before", r.before.flops}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

void whittle::printReportSummary(const CompileReport &r,
                                 llvm::raw_ostream &os) {
  os << "report for " << r.model << " (" << r.target << ", " << r.cpu << "):\n";
  os << "  attention: " << r.after.attention.size() << " fused, "
     << r.after.unfusedSoftmax << " softmax left unfused\n";
  for (const AttentionSite &a : r.after.attention)
    os << "    " << a.node << ": " << a.heads << " heads (" << a.kvHeads
       << " kv), head_dim " << a.headDim << (a.causal ? ", causal" : "")
       << ", mask " << a.mask << "\n";
  os << "  pruning: " << r.after.prunedHeads.size() << " heads, "
     << r.after.prunedFfnNeurons << " FFN neurons\n";
  for (const PrunedHead &p : r.after.prunedHeads)
    os << "    " << p.node << " head " << p.head << ": " << p.reason << "\n";
  os << "  quantization: " << r.after.quantized.size()
     << " matmuls with integer weights, " << r.after.floatMatmuls << " float, "
     << r.after.integerMatmuls << " integer (unfolded), "
     << r.after.int8Embeddings << " int8 embedding tables\n";
  for (const QuantizedSite &q : r.after.quantized)
    os << "    " << q.node << ": " << q.format << " weights, " << q.granularity
       << (q.blockSize ? " of " + std::to_string(q.blockSize) : "") << ", "
       << q.activations << " activations\n";
  os << "  weights: " << r.after.weightsBytes << " bytes (imported "
     << r.before.weightsBytes << ")\n";
  os << "  flops: " << r.after.flops << " per forward pass (imported "
     << r.before.flops << ")\n";
}
