//===- OpRegistry.h - The ONNX operators Whittle imports --------*- C++ -*-===//
//
// One table of {domain, op_type, since_version, handler}: the importer
// dispatches through it, and the operator documentation (docs/ops.md) and
// the test harnesses' op lists are generated from it
// (`whittle-translate --list-ops`), so the three cannot drift apart.
//
// A node of opset version V uses the entry with the largest since_version
// <= V, as ONNX's own schema registry does: an op whose semantics changed
// at some opset has one entry per semantics.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_IMPORT_OPREGISTRY_H
#define WHITTLE_IMPORT_OPREGISTRY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace whittle {
namespace import {
class NodeBinder;
} // namespace import

using OpHandler = std::function<mlir::LogicalResult(import::NodeBinder &)>;

struct OpEntry {
  std::string domain; ///< "" for the default domain (ai.onnx).
  std::string opType;
  int64_t sinceVersion;
  OpHandler handler;
  std::string whittleOps; ///< What it becomes, for the docs.
  std::string notes;
};

class OpRegistry {
public:
  /// The registry of every op family, built on first use.
  static const OpRegistry &get();

  void add(llvm::StringRef domain, llvm::StringRef opType, int64_t sinceVersion,
           OpHandler handler, llvm::StringRef whittleOps,
           llvm::StringRef notes = "");

  /// The entry for a node of `opType` in `domain` at opset `version`, or
  /// null.
  const OpEntry *lookup(llvm::StringRef domain, llvm::StringRef opType,
                        int64_t version) const;
  /// The smallest since_version registered for the op, if any.
  std::optional<int64_t> earliestVersion(llvm::StringRef domain,
                                         llvm::StringRef opType) const;

  /// Entries sorted by domain, op type and since_version.
  llvm::ArrayRef<OpEntry> entries() const { return table; }

  /// The operator table of docs/ops.md.
  void printMarkdown(llvm::raw_ostream &os) const;
  /// {"ops": [{"domain", "op_type", "since_version"}...], "min_opset",
  /// "max_opset"} for the test harnesses.
  void printJson(llvm::raw_ostream &os) const;

  static llvm::StringRef displayDomain(llvm::StringRef domain) {
    return domain.empty() ? "ai.onnx" : domain;
  }
  static llvm::StringRef canonicalDomain(llvm::StringRef domain) {
    return domain == "ai.onnx" ? "" : domain;
  }

private:
  void sort();
  std::vector<OpEntry> table;
};

/// Opsets of the default domain that the importer reads directly; older
/// models (from kMinUpgradableOpset) are upgraded to kMinOpset first.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;
constexpr int64_t kMinUpgradableOpset = 1;

// One registration function per op family (lib/Import/*Ops.cpp).
void registerElementwiseOps(OpRegistry &registry);
void registerLinearAlgebraOps(OpRegistry &registry);
void registerEinsumOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerNormalizationOps(OpRegistry &registry);
void registerDataMovementOps(OpRegistry &registry);
void registerConstantOps(OpRegistry &registry);
void registerContribOps(OpRegistry &registry);
void registerAttentionOps(OpRegistry &registry);
void registerQuantizationOps(OpRegistry &registry);

} // namespace whittle

#endif // WHITTLE_IMPORT_OPREGISTRY_H
