//===- OpRegistry.cpp - The ONNX operators Whittle imports ----------------===//

#include "whittle/Import/OpRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <tuple>

using namespace whittle;

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLinearAlgebraOps(r);
    registerEinsumOps(r);
    registerReductionOps(r);
    registerNormalizationOps(r);
    registerDataMovementOps(r);
    registerConstantOps(r);
    registerContribOps(r);
    registerAttentionOps(r);
    registerQuantizationOps(r);
    r.sort();
    return r;
  }();
  return registry;
}

void OpRegistry::add(llvm::StringRef domain, llvm::StringRef opType,
                     int64_t sinceVersion, OpHandler handler,
                     llvm::StringRef whittleOps, llvm::StringRef notes) {
  table.push_back({canonicalDomain(domain).str(), opType.str(), sinceVersion,
                   std::move(handler), whittleOps.str(), notes.str()});
}

void OpRegistry::sort() {
  llvm::sort(table, [](const OpEntry &a, const OpEntry &b) {
    return std::tie(a.domain, a.opType, a.sinceVersion) <
           std::tie(b.domain, b.opType, b.sinceVersion);
  });
}

const OpEntry *OpRegistry::lookup(llvm::StringRef domain,
                                  llvm::StringRef opType,
                                  int64_t version) const {
  domain = canonicalDomain(domain);
  const OpEntry *best = nullptr;
  for (const OpEntry &e : table)
    if (e.domain == domain && e.opType == opType && e.sinceVersion <= version)
      best = &e; // sorted: the last match has the largest since_version
  return best;
}

std::optional<int64_t>
OpRegistry::earliestVersion(llvm::StringRef domain,
                            llvm::StringRef opType) const {
  domain = canonicalDomain(domain);
  for (const OpEntry &e : table)
    if (e.domain == domain && e.opType == opType)
      return e.sinceVersion;
  return std::nullopt;
}

static std::string escapeCell(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

void OpRegistry::printMarkdown(llvm::raw_ostream &os) const {
  llvm::StringRef domain = "\x01";
  for (const OpEntry &e : table) {
    if (e.domain != domain) {
      domain = e.domain;
      os << (domain == table.front().domain ? "" : "\n") << "### `"
         << displayDomain(domain) << "`\n\n"
         << "| op | since | whittle | notes |\n"
         << "| --- | --- | --- | --- |\n";
    }
    os << "| " << e.opType << " | " << e.sinceVersion << " | "
       << escapeCell(e.whittleOps) << " | " << escapeCell(e.notes) << " |\n";
  }
}

void OpRegistry::printJson(llvm::raw_ostream &os) const {
  llvm::json::Array ops;
  for (const OpEntry &e : table)
    ops.push_back(llvm::json::Object{{"domain", displayDomain(e.domain)},
                                     {"op_type", e.opType},
                                     {"since_version", e.sinceVersion}});
  llvm::json::Object root{{"ops", std::move(ops)},
                          {"min_opset", kMinOpset},
                          {"max_opset", kMaxOpset},
                          {"min_upgradable_opset", kMinUpgradableOpset}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}
