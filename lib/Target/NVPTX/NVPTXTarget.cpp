//===- NVPTXTarget.cpp - NVPTX target description -------------------------===//
//
// Described so the driver has one shape for every target; the GPU path
// (gpu dialect -> NVVM -> PTX embedded in the host object) is not wired up
// yet.
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/TargetInfo.h"

llvm::Expected<whittle::TargetInfo>
whittle::makeNVPTXTargetInfo(llvm::StringRef cpu) {
  TargetInfo info;
  info.name = "nvptx";
  info.triple = "nvptx64-nvidia-cuda";
  info.cpu = cpu.empty() || cpu == "native" ? "sm_80" : cpu.str();
  info.features = "+ptx80";
  // Warp-wide 32 x f32 accesses.
  info.vectorWidthBits = 1024;
  info.l1CacheBytes = 192 * 1024; // Shared memory + L1 per SM.
  info.l2CacheBytes = 40 * 1024 * 1024;
  info.l3CacheBytes = 0;
  info.supported = false;
  return info;
}
