//===- PruneDeadHeads.cpp - Cut provably dead heads and FFN neurons -------===//
//
// A head is dead when its contribution to the layer's output is exactly zero
// for every input: its rows of the output projection are all zero, or its
// value projection columns and value bias are all zero (it averages zero
// vectors, whatever the softmax). A head whose query/key weights are zero is
// alive: its softmax is uniform and it outputs the mean of V. Dead heads are
// sliced out of the Q, K, V projections (separate, or one fused projection
// split three ways), the attention op and the output projection's rows; a
// key/value head goes only when every query head of its group does.
//
// An FFN neuron is dead when its row of the down projection is zero (it
// contributes nothing whatever the activation), or when its up (or gate)
// column and bias are zero and the activation chain maps that to 0 (ReLU,
// GELU, SiLU, a product with a zero factor). It is sliced out of the up
// (and gate) projections, the position-wise chain between them and the
// down projection.
//
// Both rewrites change no result: the removed terms are exact zeros.
//
//===----------------------------------------------------------------------===//

#include "HeadAnalysis.h"
#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <map>
#include <set>

namespace whittle {
#define GEN_PASS_DEF_WHITTLEPRUNEDEADHEADS
#include "passes/Passes.h.inc"
} // namespace whittle

using namespace mlir;
using namespace whittle;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Indices [first + i * width, first + (i + 1) * width) for i in `blocks`.
SmallVector<int64_t> blockChannels(ArrayRef<int64_t> blocks, int64_t first,
                                   int64_t width) {
  SmallVector<int64_t> channels;
  for (int64_t i : blocks)
    for (int64_t c = 0; c < width; ++c)
      channels.push_back(first + i * width + c);
  return channels;
}

//===----------------------------------------------------------------------===//
// Heads
//===----------------------------------------------------------------------===//

/// How one attention operand [B, H, T, D] came from a linear layer:
/// transpose(reshape([B, T, H * D] channels)), the channels either the
/// layer's own or one piece of a split of it (a fused QKV projection),
/// possibly through a reshape of the layer's 2-D output to 3-D.
struct HeadInput {
  TransposeOp transpose;
  ReshapeOp heads; // [B, T, C] -> [B, T, H, D]
  SplitOp split;   // null for a projection of its own
  unsigned piece = 0;
  ReshapeOp to3d; // optional: [B * T, S] -> [B, T, S]
  Linear linear;
  int64_t offset = 0; // first channel of this operand in the layer's output
};

std::optional<HeadInput> traceHeadInput(Value operand) {
  HeadInput h;
  h.transpose = operand.getDefiningOp<TransposeOp>();
  if (!h.transpose || !operand.hasOneUse() ||
      h.transpose.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3})
    return std::nullopt;
  h.heads = h.transpose.getInput().getDefiningOp<ReshapeOp>();
  if (!h.heads || !h.transpose.getInput().hasOneUse())
    return std::nullopt;
  Value channels = h.heads.getInput();
  auto cType = typeOf(channels);
  auto hType = typeOf(h.heads.getResult());
  if (cType.getRank() != 3 || hType.getRank() != 4 ||
      cType.getDimSize(0) != hType.getDimSize(0) ||
      cType.getDimSize(1) != hType.getDimSize(1) || !channels.hasOneUse())
    return std::nullopt;
  Value source = channels;
  if ((h.split = channels.getDefiningOp<SplitOp>())) {
    if (h.split.getAxis() != 2)
      return std::nullopt;
    h.piece = cast<OpResult>(channels).getResultNumber();
    for (unsigned i = 0; i < h.piece; ++i)
      h.offset += h.split.getSizes()[i];
    source = h.split.getInput();
    if (!source.hasOneUse())
      return std::nullopt;
  }
  if ((h.to3d = source.getDefiningOp<ReshapeOp>())) {
    auto in = typeOf(h.to3d.getInput()), out = typeOf(source);
    if (in.getRank() != 2 || out.getRank() != 3 ||
        in.getDimSize(1) != out.getDimSize(2) || !h.to3d.getInput().hasOneUse())
      return std::nullopt;
    source = h.to3d.getInput();
  }
  std::optional<Linear> l = linearProducing(source);
  if (!l)
    return std::nullopt;
  h.linear = std::move(*l);
  return h;
}

/// Heads asked for by site name, each with whether it was cut.
using RequestedHeads = std::map<std::pair<std::string, int64_t>, bool>;

struct PruneDeadHeadsPattern : OpRewritePattern<AttentionOp> {
  PruneDeadHeadsPattern(MLIRContext *ctx, SmallVectorImpl<Attribute> &records,
                        RequestedHeads &requested, StringRef requestedReason,
                        llvm::Statistic &heads, llvm::Statistic &bytes)
      : OpRewritePattern(ctx), records(records), requested(requested),
        requestedReason(requestedReason.str()), numHeads(heads),
        numBytes(bytes) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto qType = op.getQuery().getType(), kType = op.getKey().getType(),
         vType = op.getValue().getType();
    if (!qType.hasStaticShape() || !kType.hasStaticShape() ||
        !vType.hasStaticShape() || !qType.getElementType().isF32())
      return failure();
    int64_t heads = qType.getDimSize(1), kvHeads = kType.getDimSize(1);
    int64_t d = qType.getDimSize(3), dv = vType.getDimSize(3);
    int64_t group = heads / kvHeads;

    // The output: transpose back, merge the heads, one linear layer.
    std::optional<AttentionOutput> output = traceAttentionOutput(op);
    if (!output)
      return failure();
    TransposeOp outT = output->transpose;
    ReshapeOp merge = output->merge;
    Linear *out = &output->linear;

    std::optional<HeadInput> q = traceHeadInput(op.getQuery());
    std::optional<HeadInput> k = traceHeadInput(op.getKey());
    std::optional<HeadInput> v = traceHeadInput(op.getValue());
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(op, "Q, K, V not traced to linear "
                                             "layers");

    // Which query heads are dead, and why.
    SmallVector<StringRef> reason(heads);
    for (int64_t h = 0; h < heads; ++h) {
      bool zeroOut = true, zeroValue = true;
      for (int64_t r = h * dv; r < (h + 1) * dv && zeroOut; ++r)
        zeroOut = out->rowIsZero(r);
      int64_t kv = h / group;
      for (int64_t c = 0; c < dv && zeroValue; ++c)
        zeroValue = v->linear.columnIsZero(v->offset + kv * dv + c);
      if (zeroOut)
        reason[h] = "zero-output-projection";
      else if (zeroValue)
        reason[h] = "zero-value";
      else if (!rewrittenSites.count(nodeNameOf(op.getLoc())) &&
               requested.count({nodeNameOf(op.getLoc()), h}))
        reason[h] = requestedReason;
    }
    SmallVector<int64_t> keepQ, keepKV;
    for (int64_t h = 0; h < heads; ++h)
      if (reason[h].empty())
        keepQ.push_back(h);
    for (int64_t j = 0; j < kvHeads; ++j)
      if (llvm::any_of(keepQ, [&](int64_t h) { return h / group == j; }))
        keepKV.push_back(j);
    if (int64_t(keepQ.size()) == heads)
      return failure();
    // Every head dead: the layer is its output bias; leave it whole rather
    // than build empty tensors. So is a grouped layout that pruning would
    // make uneven (groups must stay equal).
    if (keepQ.empty() ||
        int64_t(keepQ.size()) != int64_t(keepKV.size()) * group)
      return rewriter.notifyMatchFailure(op, "pruning would leave no heads or "
                                             "uneven groups");

    // The Q, K, V channels that stay, per linear layer.
    SmallVector<int64_t> qCh = blockChannels(keepQ, q->offset, d);
    SmallVector<int64_t> kCh = blockChannels(keepKV, k->offset, d);
    SmallVector<int64_t> vCh = blockChannels(keepKV, v->offset, dv);
    SmallVector<Value> operands(3);
    HeadInput *inputs[3] = {&*q, &*k, &*v};
    SmallVector<int64_t> *channels[3] = {&qCh, &kCh, &vCh};
    int64_t headCounts[3] = {int64_t(keepQ.size()), int64_t(keepKV.size()),
                             int64_t(keepKV.size())};
    SplitOp split = q->split;
    bool fused = split && k->split == split && v->split == split &&
                 split.getNumResults() == 3 && q->piece != k->piece &&
                 k->piece != v->piece && q->piece != v->piece;
    if (split || k->split || v->split) {
      if (!fused)
        return rewriter.notifyMatchFailure(op, "split not shared by Q, K, V");
    } else if (q->linear.matmul == k->linear.matmul ||
               k->linear.matmul == v->linear.matmul ||
               q->linear.matmul == v->linear.matmul) {
      return failure();
    }

    rewriter.setInsertionPoint(op);
    auto headsOf = [&](HeadInput &in, Value channelsValue, int64_t count) {
      SmallVector<int64_t> shape(typeOf(in.heads.getResult()).getShape());
      shape[2] = count;
      Value r = ReshapeOp::create(rewriter, in.heads.getLoc(), channelsValue,
                                  rewriter.getDenseI64ArrayAttr(shape));
      return TransposeOp::create(rewriter, in.transpose.getLoc(), r,
                                 in.transpose.getPermAttr())
          .getResult();
    };
    auto to3d = [&](HeadInput &in, Value x) -> Value {
      if (!in.to3d)
        return x;
      SmallVector<int64_t> shape(typeOf(in.to3d.getResult()).getShape());
      shape.back() = typeOf(x).getShape().back();
      return ReshapeOp::create(rewriter, in.to3d.getLoc(), x,
                               rewriter.getDenseI64ArrayAttr(shape));
    };
    if (fused) {
      // One layer: its channels in split order, then the split again.
      SmallVector<int> order = {0, 1, 2};
      llvm::sort(order, [&](int a, int b) {
        return inputs[a]->piece < inputs[b]->piece;
      });
      SmallVector<int64_t> all, sizes;
      for (int i : order) {
        all.append(*channels[i]);
        sizes.push_back(channels[i]->size());
      }
      Value x = q->linear.rebuild(rewriter, q->linear.input, {}, all);
      x = to3d(*q, x);
      auto newSplit =
          SplitOp::create(rewriter, split.getLoc(), x, split.getAxisAttr(),
                          rewriter.getDenseI64ArrayAttr(sizes));
      for (auto [slot, i] : llvm::enumerate(order))
        operands[i] =
            headsOf(*inputs[i], newSplit.getResult(slot), headCounts[i]);
    } else {
      for (int i = 0; i < 3; ++i) {
        Value x = inputs[i]->linear.rebuild(rewriter, inputs[i]->linear.input,
                                            {}, *channels[i]);
        operands[i] = headsOf(*inputs[i], to3d(*inputs[i], x), headCounts[i]);
      }
    }

    auto attention = AttentionOp::create(
        rewriter, op.getLoc(), operands[0], operands[1], operands[2],
        op.getMask(), op.getPosition(), op.getScaleAttr(), op.getCausalAttr());
    Value back = TransposeOp::create(rewriter, outT.getLoc(),
                                     attention.getResult(), outT.getPermAttr());
    SmallVector<int64_t> mergedShape(typeOf(merge.getResult()).getShape());
    mergedShape.back() = int64_t(keepQ.size()) * dv;
    Value merged =
        ReshapeOp::create(rewriter, merge.getLoc(), back,
                          rewriter.getDenseI64ArrayAttr(mergedShape));
    Value projected =
        out->rebuild(rewriter, merged, blockChannels(keepQ, 0, dv), {});
    rewriter.replaceOp(out->result().getDefiningOp(), projected);

    // The site is the attention's location (its ONNX node name, which the
    // report prints).
    LocationAttr site = op.getLoc();
    // Requests name heads as numbered before any pruning: the rewritten
    // site's heads are numbered anew, so its requests are done.
    for (int64_t h = 0; h < heads; ++h) {
      auto it = requested.find({nodeNameOf(op.getLoc()), h});
      if (it != requested.end())
        it->second = true;
    }
    rewrittenSites.insert(nodeNameOf(op.getLoc()));
    for (int64_t h = 0; h < heads; ++h)
      if (!reason[h].empty())
        records.push_back(rewriter.getDictionaryAttr(
            {rewriter.getNamedAttr("node", site),
             rewriter.getNamedAttr("head", rewriter.getI64IntegerAttr(h)),
             rewriter.getNamedAttr("reason",
                                   rewriter.getStringAttr(reason[h]))}));
    // Bytes: the output rows, and per Q/K/V channel a weight column and a
    // bias entry.
    int64_t removedQ = heads - int64_t(keepQ.size());
    int64_t removedKV = kvHeads - int64_t(keepKV.size());
    auto perChannel = [](const Linear &l) {
      return l.in + (l.bias.empty() ? 0 : 1);
    };
    numHeads += removedQ;
    numBytes += 4 * (removedQ * dv * out->channels +
                     removedQ * d * perChannel(q->linear) +
                     removedKV * d * perChannel(k->linear) +
                     removedKV * dv * perChannel(v->linear));
    return success();
  }

  SmallVectorImpl<Attribute> &records;
  RequestedHeads &requested;
  std::string requestedReason;
  /// Sites already rewritten once (by name).
  mutable std::set<std::string> rewrittenSites;
  llvm::Statistic &numHeads;
  llvm::Statistic &numBytes;
};

//===----------------------------------------------------------------------===//
// FFN neurons
//===----------------------------------------------------------------------===//

/// The chain's value for neuron `j` when the up/gate projections whose
/// column j and bias are zero output 0 and the others are unknown: 0 only
/// if it is 0 whatever they are (ReLU, GELU, SiLU and tanh-GELU map 0 to 0;
/// a product with a zero factor is 0).
bool outputIsZero(const FeedForward &ffn, const Linear &down, int64_t j) {
  DenseMap<Value, std::optional<double>> known;
  bool anyZero = false;
  for (const Linear &up : ffn.ups) {
    bool zero = up.columnIsZero(j);
    anyZero |= zero;
    known[up.result()] = zero ? std::optional<double>(0.0) : std::nullopt;
  }
  if (!anyZero)
    return false;
  auto valueOf = [&](Value v) -> std::optional<double> {
    if (auto it = known.find(v); it != known.end())
      return it->second;
    if (std::optional<SmallVector<double>> c = readFloatConstant(v);
        c && c->size() == 1)
      return (*c)[0];
    return std::nullopt;
  };
  SmallVector<Operation *> ordered(ffn.chain.begin(), ffn.chain.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *op : ordered) {
    std::optional<double> x = valueOf(op->getOperand(0));
    std::optional<double> y =
        op->getNumOperands() > 1 ? valueOf(op->getOperand(1)) : std::nullopt;
    std::optional<double> r;
    if (isa<ReshapeOp>(op))
      r = x;
    else if (isa<MulOp>(op) && ((x && *x == 0.0) || (y && *y == 0.0)))
      r = 0.0; // activations of finite inputs are finite
    else if (x && (y || op->getNumOperands() == 1)) {
      double a = *x, b = y ? *y : 0.0;
      if (isa<AddOp>(op))
        r = a + b;
      else if (isa<SubOp>(op))
        r = a - b;
      else if (isa<MulOp>(op))
        r = a * b;
      else if (isa<DivOp>(op) && b != 0.0)
        r = a / b;
      else if (isa<PowOp>(op) && b > 0.0)
        r = std::pow(a, b);
      else if (isa<MinOp>(op))
        r = std::min(a, b);
      else if (isa<MaxOp>(op))
        r = std::max(a, b);
      else if (isa<ErfOp>(op))
        r = std::erf(a);
      else if (isa<SinOp>(op))
        r = std::sin(a);
      else if (isa<CosOp>(op))
        r = std::cos(a);
      else if (isa<TanhOp>(op))
        r = std::tanh(a);
      else if (isa<SigmoidOp>(op))
        r = 1.0 / (1.0 + std::exp(-a));
      else if (isa<ReluOp>(op))
        r = std::max(a, 0.0);
      else if (isa<NegOp>(op))
        r = -a;
      else if (isa<AbsOp>(op))
        r = std::fabs(a);
      else if (isa<GeluOp>(op) && a == 0.0)
        r = 0.0;
    }
    known[op->getResult(0)] = r;
  }
  std::optional<double> out = valueOf(down.input);
  return out && *out == 0.0;
}

struct PruneDeadNeuronsPattern : RewritePattern {
  PruneDeadNeuronsPattern(MLIRContext *ctx, RequestedHeads &requested,
                          llvm::Statistic &neurons, llvm::Statistic &bytes,
                          int64_t &total)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        requested(requested), numNeurons(neurons), numBytes(bytes),
        total(total) {}

  LogicalResult matchAndRewrite(Operation *root,
                                PatternRewriter &rewriter) const override {
    if (!isa<GemmOp, MatMulOp>(root))
      return failure();
    std::optional<Linear> down = linearProducing(root->getResult(0));
    if (!down)
      return failure();
    // Requested neurons count only before the layer is first rewritten
    // (its neurons are numbered anew after).
    std::optional<FeedForward> ffn = traceFeedForward(*down);
    if (!ffn)
      return failure();
    std::string site = nodeNameOf(down->matmul->getLoc());
    bool fresh = !rewrittenSites.count(site);
    SmallVector<int64_t> keep;
    for (int64_t r = 0; r < down->in; ++r)
      if (!down->rowIsZero(r) && !outputIsZero(*ffn, *down, r) &&
          !(fresh && requested.count({site, r})))
        keep.push_back(r);
    if (int64_t(keep.size()) == down->in || keep.empty())
      return failure();
    int64_t width = down->in;
    llvm::SetVector<Operation *> &chain = ffn->chain;
    SmallVector<Linear> &ups = ffn->ups;

    rewriter.setInsertionPoint(down->matmul);
    IRMapping mapping;
    for (const Linear &up : ups)
      mapping.map(up.result(), up.rebuild(rewriter, up.input, {}, keep));
    SmallVector<Operation *> ordered(chain.begin(), chain.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *op : ordered) {
      SmallVector<int64_t> shape(typeOf(op->getResult(0)).getShape());
      shape.back() = keep.size();
      if (auto reshape = dyn_cast<ReshapeOp>(op)) {
        mapping.map(reshape.getResult(),
                    ReshapeOp::create(rewriter, reshape.getLoc(),
                                      mapping.lookup(reshape.getInput()),
                                      rewriter.getDenseI64ArrayAttr(shape)));
        continue;
      }
      Operation *clone = rewriter.clone(*op, mapping);
      clone->getResult(0).setType(typeOf(op->getResult(0)).clone(shape));
    }
    Value input = mapping.lookupOrDefault(down->input);
    if (input == down->input)
      return failure();
    Value projected = down->rebuild(rewriter, input, keep, {});
    rewriter.replaceOp(down->result().getDefiningOp(), projected);
    for (int64_t r = 0; r < width; ++r)
      if (auto it = requested.find({site, r}); it != requested.end())
        it->second = true;
    rewrittenSites.insert(site);
    int64_t removed = width - int64_t(keep.size());
    numNeurons += removed;
    total += removed;
    int64_t perNeuron = down->channels;
    for (const Linear &up : ups)
      perNeuron += up.in + (up.bias.empty() ? 0 : 1);
    numBytes += 4 * removed * perNeuron;
    return success();
  }

  /// Requested neurons: (down projection's node, neuron).
  RequestedHeads &requested;
  mutable std::set<std::string> rewrittenSites;
  llvm::Statistic &numNeurons;
  llvm::Statistic &numBytes;
  int64_t &total;
};

struct WhittlePruneDeadHeadsPass
    : whittle::impl::WhittlePruneDeadHeadsBase<WhittlePruneDeadHeadsPass> {
  using Base::Base;

  /// SITE:HEAD and @LAYER:HEAD entries as (site, head), checked against the
  /// attentions of the function.
  LogicalResult resolveRequests(RequestedHeads &requested) {
    SmallVector<AttentionOp> sites;
    getOperation().walk([&](AttentionOp op) { sites.push_back(op); });
    for (const std::string &entry : requestedHeads) {
      StringRef text(entry);
      auto [siteText, headText] = text.rsplit(':');
      int64_t head;
      if (headText.getAsInteger(10, head) || head < 0 || siteText.empty())
        return getOperation().emitError()
               << "whittle-prune-dead-heads: '" << entry
               << "' is not SITE:HEAD or @LAYER:HEAD";
      AttentionOp site;
      if (siteText.consume_front("@")) {
        unsigned layer;
        if (siteText.getAsInteger(10, layer) || layer >= sites.size())
          return getOperation().emitError()
                 << "whittle-prune-dead-heads: no attention layer '" << siteText
                 << "' (the model has " << sites.size() << ")";
        site = sites[layer];
      } else {
        for (AttentionOp op : sites)
          if (nodeNameOf(op.getLoc()) == siteText)
            site = op;
        if (!site)
          return getOperation().emitError()
                 << "whittle-prune-dead-heads: no attention at node '"
                 << siteText << "'";
      }
      if (head >= site.getQuery().getType().getDimSize(1))
        return getOperation().emitError()
               << "whittle-prune-dead-heads: attention '"
               << nodeNameOf(site.getLoc()) << "' has no head " << head;
      requested[{nodeNameOf(site.getLoc()), head}] = false;
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<Attribute> records;
    int64_t neurons = 0;
    RequestedHeads requested;
    if (failed(resolveRequests(requested)))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    patterns.add<PruneDeadHeadsPattern>(ctx, records, requested,
                                        requestedReason, numHeadsPruned,
                                        numBytesSaved);
    RequestedHeads requestedNeuronSet;
    for (const std::string &entry : requestedNeurons) {
      auto [node, index] = StringRef(entry).rsplit(':');
      int64_t neuron;
      if (node.empty() || index.getAsInteger(10, neuron) || neuron < 0) {
        func.emitError() << "whittle-prune-dead-heads: '" << entry
                         << "' is not NODE:NEURON";
        return signalPassFailure();
      }
      requestedNeuronSet[{node.str(), neuron}] = false;
    }
    if (pruneNeurons || !requestedNeuronSet.empty())
      patterns.add<PruneDeadNeuronsPattern>(
          ctx, requestedNeuronSet, numNeuronsPruned, numBytesSaved, neurons);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    for (const auto &[neuron, cut] : requestedNeuronSet)
      if (!cut) {
        func.emitError() << "whittle-prune-dead-heads: cannot remove neuron "
                         << neuron.second << " of the feed-forward block "
                         << "ending in '" << neuron.first
                         << "' (no such block it can slice, or it would "
                            "leave no neuron)";
        return signalPassFailure();
      }
    for (const auto &[head, cut] : requested)
      if (!cut) {
        func.emitError() << "whittle-prune-dead-heads: cannot remove head "
                         << head.second << " of attention '" << head.first
                         << "' (its Q, K, V and output projections are not "
                            "linear layers it can slice, or it would leave "
                            "no head)";
        return signalPassFailure();
      }
    // What was cut, for the compile report.
    if (auto module = func->getParentOfType<ModuleOp>()) {
      if (!records.empty()) {
        SmallVector<Attribute> all;
        if (auto old = module->getAttrOfType<ArrayAttr>("whittle.pruned_heads"))
          all.append(old.begin(), old.end());
        all.append(records);
        module->setAttr("whittle.pruned_heads", ArrayAttr::get(ctx, all));
      }
      if (neurons) {
        if (auto old = module->getAttrOfType<IntegerAttr>(
                "whittle.pruned_ffn_neurons"))
          neurons += old.getInt();
        module->setAttr("whittle.pruned_ffn_neurons",
                        IntegerAttr::get(IntegerType::get(ctx, 64), neurons));
      }
    }
  }
};

} // namespace
