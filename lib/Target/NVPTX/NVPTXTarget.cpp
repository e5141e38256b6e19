//===- NVPTXTarget.cpp - NVPTX target description -------------------------===//
//
// An NVPTX library is an x86-64 host library (plain launch code, the ABI
// entry points, the weights) that carries its kernels as an image for one
// GPU architecture: --mcpu names the architecture.
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/TargetInfo.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

Expected<whittle::TargetInfo> whittle::makeNVPTXTargetInfo(StringRef cpu) {
  // sm_XY with the PTX ISA version it needs at least (sm_90: PTX 7.8; 8.0
  // is what LLVM's NVPTX backend emits for it).
  static constexpr std::pair<StringLiteral, StringLiteral> kChips[] = {
      {"sm_70", "+ptx80"}, {"sm_75", "+ptx80"}, {"sm_80", "+ptx80"},
      {"sm_86", "+ptx80"}, {"sm_89", "+ptx80"}, {"sm_90", "+ptx80"}};
  if (cpu.empty() || cpu == "native")
    cpu = "sm_80";
  const auto *chip = llvm::find_if(
      kChips, [&](const auto &entry) { return entry.first == cpu; });
  if (chip == std::end(kChips)) {
    SmallVector<StringRef> names;
    for (const auto &entry : kChips)
      names.push_back(entry.first);
    return createStringError(inconvertibleErrorCode(),
                             "unknown NVPTX architecture '" + cpu +
                                 "' (expected one of " + join(names, ", ") +
                                 ")");
  }

  TargetInfo info;
  info.name = "nvptx";
  info.triple = "x86_64-unknown-linux-gnu";
  info.cpu = "x86-64-v2";
  info.libraryDirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                      "/lib64", "/usr/lib64"};
  info.gpuChip = chip->first.str();
  info.gpuFeatures = chip->second.str();
  // Kernels are not tiled for vector registers; these only keep the
  // CPU-oriented heuristics that read them sensible.
  info.vectorWidthBits = 128;
  info.maxVectorWidthBits = 128;
  info.l1CacheBytes = 192 * 1024; // Shared memory + L1 per SM.
  info.l2CacheBytes = 40 * 1024 * 1024;
  info.l3CacheBytes = 0;
  info.supported = true;
  return info;
}
