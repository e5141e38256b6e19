//===- AArch64Target.cpp - AArch64 target description ---------------------===//
//
// Described so the driver and tile-size selection have one shape for every
// target; code generation for it is not wired up yet.
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/TargetInfo.h"

#include "llvm/TargetParser/Host.h"

llvm::Expected<whittle::TargetInfo>
whittle::makeAArch64TargetInfo(llvm::StringRef cpu) {
  TargetInfo info;
  info.name = "aarch64";
  info.triple = "aarch64-unknown-linux-gnu";
  info.cpu = cpu.empty() || cpu == "native" ? "generic" : cpu.str();
  info.features = "+neon";
  info.vectorWidthBits = 128;
  info.l1CacheBytes = 64 * 1024;
  info.l2CacheBytes = 1024 * 1024;
  info.supported = false;
  return info;
}
