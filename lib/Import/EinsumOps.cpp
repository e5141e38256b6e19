//===- EinsumOps.cpp - Einsum as transposes, reductions and a matmul ------===//
//
// Exporters write attention and projections as Einsum ("bhqd,bhkd->bhqk",
// "...d,de->...e"), rotary frequencies as an outer product ("i,j->ij").
// Einsum imports as the ops the rest of the compiler knows: indices only one
// operand has and the output lacks are summed first; the shared indices the
// output keeps are batch dims, the shared ones it drops are contracted; each
// operand is transposed to [batch, kept, contracted] / [batch, contracted,
// kept] and the product is a MatMul (a score matmul of Q and Kᵀ stays what
// fuse-attention matches). Groups of several indices are merged by reshapes,
// which need static sizes; a diagonal (an index twice in a term) is selected
// and summed first.
//
//===----------------------------------------------------------------------===//

#include "NodeBinder.h"

#include "whittle/Dialect/Whittle.h"
#include "whittle/Import/OpRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace whittle;
using namespace whittle::import;

namespace {

/// One operand's indices, a letter per dim ("..." expanded).
using Indices = std::string;

/// Parses `equation` for operands of `ranks` into their indices and the
/// output's (numpy's implicit output when there is no "->": the indices that
/// occur once, sorted, after the ellipsis dims).
ParseResult parseEquation(NodeBinder &b, StringRef equation,
                          ArrayRef<int64_t> ranks, SmallVector<Indices> &inputs,
                          Indices &output) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  StringRef lhs = eq, rhs;
  bool explicitOutput = StringRef(eq).contains("->");
  if (explicitOutput)
    std::tie(lhs, rhs) = StringRef(eq).split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return b.error() << "equation '" << equation << "' has " << terms.size()
                     << " operands, the node " << ranks.size();
  // Letters the ellipsis stands for: capitals not used by the equation,
  // from the end of the alphabet.
  std::string ellipsis;
  int64_t ellipsisRank = 0;
  for (auto [term, rank] : llvm::zip(terms, ranks))
    if (term.contains("..."))
      ellipsisRank =
          std::max<int64_t>(ellipsisRank, rank - int64_t(term.size()) + 3);
  for (char c = 'Z'; int64_t(ellipsis.size()) < ellipsisRank && c >= 'A'; --c)
    if (!StringRef(eq).contains(c))
      ellipsis.insert(ellipsis.begin(), c);
  auto expand = [&](StringRef term, int64_t rank, Indices &out) {
    size_t dots = term.find("...");
    if (dots == StringRef::npos) {
      out = term.str();
    } else {
      int64_t n = rank - int64_t(term.size()) + 3;
      if (n < 0)
        return failure();
      out = (term.take_front(dots) + StringRef(ellipsis).take_back(n) +
             term.drop_front(dots + 3))
                .str();
    }
    return success(llvm::all_of(out, llvm::isAlpha) &&
                   int64_t(out.size()) == rank);
  };
  for (auto [term, rank] : llvm::zip(terms, ranks)) {
    Indices idx;
    if (failed(expand(term, rank, idx)))
      return b.error() << "equation term '" << term
                       << "' does not fit an operand of rank " << rank;
    for (size_t i = 0; i < idx.size(); ++i)
      if (llvm::count(idx, idx[i]) > 2)
        return b.error() << "index '" << idx[i] << "' occurs more than twice "
                         << "in term '" << term << "'";
    inputs.push_back(idx);
  }
  if (explicitOutput) {
    int64_t outRank = rhs.contains("...")
                          ? int64_t(rhs.size()) - 3 + int64_t(ellipsis.size())
                          : int64_t(rhs.size());
    if (failed(expand(rhs, outRank, output)))
      return b.error() << "equation output '" << rhs << "' is not valid";
    return success();
  }
  output = ellipsis;
  std::string once;
  for (char c = 'A'; c <= 'z'; ++c) {
    if (!llvm::isAlpha(c) || StringRef(ellipsis).contains(c))
      continue;
    int count = 0;
    for (const Indices &in : inputs)
      count += llvm::count(in, c);
    if (count == 1)
      once.push_back(c);
  }
  output += once;
  return success();
}

/// Transposes `v` (indices `from`) to the order `to` (a permutation).
ParseResult permute(NodeBinder &b, Value &v, const Indices &from,
                    const Indices &to) {
  SmallVector<int64_t> perm;
  for (char c : to)
    perm.push_back(from.find(c));
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return success();
  return b.create<TransposeOp>(v, v, b.getBuilder().getDenseI64ArrayAttr(perm));
}

/// Replaces each index that occurs twice in `idx` (a diagonal, "ii->i") by
/// one: the elements off the diagonal are selected away (not multiplied by
/// zero, which would turn an infinity into a NaN) and the second dim summed.
ParseResult takeDiagonals(NodeBinder &b, Value &v, Indices &idx) {
  for (size_t p = 0; p < idx.size(); ++p) {
    size_t q = idx.find(idx[p], p + 1);
    if (q == std::string::npos)
      continue;
    auto type = NodeBinder::typeOf(v);
    int64_t n = type.getDimSize(p);
    if (ShapedType::isDynamic(n) || n != type.getDimSize(q))
      return b.error() << "diagonal index '" << idx[p]
                       << "' needs equal static sizes";
    SmallVector<int64_t> maskShape(type.getRank(), 1);
    maskShape[p] = maskShape[q] = n;
    SmallVector<bool> eye(n * n, false);
    for (int64_t i = 0; i < n; ++i)
      eye[i * n + i] = true;
    OpBuilder &builder = b.getBuilder();
    Value mask = b.constant(cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get(maskShape, builder.getI1Type()), eye)));
    Value zero = b.scalarConstant(type.getElementType(), 0.0);
    if (b.create<WhereOp>(v, mask, v, zero) ||
        b.create<ReduceSumOp>(v, v, builder.getDenseI64ArrayAttr({int64_t(q)}),
                              builder.getBoolAttr(false)))
      return failure();
    idx.erase(q, 1);
  }
  return success();
}

/// Sums `v` over the indices `keep` lacks, dropping them.
ParseResult sumOut(NodeBinder &b, Value &v, Indices &idx, const Indices &keep) {
  SmallVector<int64_t> axes;
  Indices kept;
  for (size_t i = 0; i < idx.size(); ++i) {
    if (keep.find(idx[i]) == std::string::npos)
      axes.push_back(i);
    else
      kept.push_back(idx[i]);
  }
  if (axes.empty())
    return success();
  idx = kept;
  OpBuilder &builder = b.getBuilder();
  return b.create<ReduceSumOp>(v, v, builder.getDenseI64ArrayAttr(axes),
                               builder.getBoolAttr(false));
}

LogicalResult importEinsum(NodeBinder &b) {
  std::string equation;
  if (b.attr("equation", equation, ""))
    return failure();
  if (b.numInputs() < 1 || b.numInputs() > 2)
    return b.error() << "Einsum with " << b.numInputs()
                     << " operands is not supported (1 or 2)";
  SmallVector<Value> operands(b.numInputs());
  SmallVector<int64_t> ranks;
  for (int i = 0; i < b.numInputs(); ++i) {
    if (b.tensor(i, operands[i]))
      return failure();
    ranks.push_back(NodeBinder::rank(operands[i]));
  }
  SmallVector<Indices> idx;
  Indices out;
  if (parseEquation(b, equation, ranks, idx, out))
    return failure();
  for (size_t i = 0; i < out.size(); ++i)
    if (out.find(out[i], i + 1) != std::string::npos)
      return b.error() << "output index '" << out[i] << "' repeats";
  for (char c : out)
    if (llvm::none_of(idx, [&](const Indices &in) {
          return in.find(c) != std::string::npos;
        }))
      return b.error() << "output index '" << c << "' is in no operand";

  for (auto [v, in] : llvm::zip(operands, idx))
    if (takeDiagonals(b, v, in))
      return failure();

  if (operands.size() == 1) {
    Value v = operands[0];
    if (sumOut(b, v, idx[0], out) || permute(b, v, idx[0], out))
      return failure();
    return b.setResults(v);
  }

  // Indices an operand alone has and the output lacks are summed first.
  Value lhs = operands[0], rhs = operands[1];
  if (sumOut(b, lhs, idx[0], idx[1] + out) ||
      sumOut(b, rhs, idx[1], idx[0] + out))
    return failure();
  Indices batch, left, contracted, right;
  for (char c : idx[0]) {
    bool inRight = idx[1].find(c) != std::string::npos;
    bool inOut = out.find(c) != std::string::npos;
    (inRight ? (inOut ? batch : contracted) : left).push_back(c);
  }
  for (char c : idx[1])
    if (idx[0].find(c) == std::string::npos)
      right.push_back(c);
  if (permute(b, lhs, idx[0], batch + left + contracted) ||
      permute(b, rhs, idx[1], batch + contracted + right))
    return failure();

  // The sizes of the indices, for merging groups into one dim.
  llvm::DenseMap<char, int64_t> size;
  auto recordSizes = [&](Value v, const Indices &order) {
    auto shape = NodeBinder::typeOf(v).getShape();
    for (auto [c, d] : llvm::zip(order, shape))
      if (!size.count(c) || size[c] == 1)
        size[c] = d;
  };
  recordSizes(lhs, batch + left + contracted);
  recordSizes(rhs, batch + contracted + right);
  auto product = [&](const Indices &group) -> std::optional<int64_t> {
    int64_t n = 1;
    for (char c : group) {
      if (ShapedType::isDynamic(size[c]))
        return std::nullopt;
      n *= size[c];
    }
    return n;
  };
  bool merge = left.size() != 1 || contracted.size() != 1 || right.size() != 1;
  OpBuilder &builder = b.getBuilder();
  SmallVector<int64_t> batchShape;
  for (char c : batch)
    batchShape.push_back(size[c]);
  if (merge) {
    auto m = product(left), k = product(contracted), n = product(right);
    auto batchStatic = product(batch);
    if (!m || !k || !n || !batchStatic)
      return b.error() << "equation '" << equation
                       << "' merges indices of dynamic size into one "
                          "matmul dim; give the inputs static shapes "
                          "(--input-shape)";
    auto shapeOf = [&](int64_t rows, int64_t cols) {
      SmallVector<int64_t> s = batchShape;
      s.append({rows, cols});
      return builder.getDenseI64ArrayAttr(s);
    };
    if (b.create<ReshapeOp>(lhs, lhs, shapeOf(*m, *k)) ||
        b.create<ReshapeOp>(rhs, rhs, shapeOf(*k, *n)))
      return failure();
  }
  Value y;
  if (b.create<MatMulOp>(y, lhs, rhs))
    return failure();
  Indices order = batch + left + right;
  if (merge) {
    SmallVector<int64_t> shape = batchShape;
    for (char c : left + right)
      shape.push_back(size[c]);
    if (b.create<ReshapeOp>(y, y, builder.getDenseI64ArrayAttr(shape)))
      return failure();
  }
  if (permute(b, y, order, out))
    return failure();
  return b.setResults(y);
}

} // namespace

void whittle::registerEinsumOps(OpRegistry &r) {
  r.add("", "Einsum", 12, importEinsum, "transpose + reduce_sum + matmul",
        "1 or 2 operands, ellipsis, implicit output, diagonals; merged index "
        "groups and diagonals need static sizes");
}
