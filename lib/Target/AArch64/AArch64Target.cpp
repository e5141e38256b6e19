//===- AArch64Target.cpp - AArch64 target description ---------------------===//
//
// The CPUs a library can be built for, what each one's ISA gives the
// kernels (NEON everywhere; dot products, int8 matrix multiply and SVE where
// the core has them) and the cache sizes that tile sizes are derived from.
// Libraries link against the Debian cross sysroot (libc6-dev-arm64-cross).
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/TargetInfo.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace {

struct AArch64Cpu {
  const char *name;
  /// Features on top of what LLVM derives from the CPU name. Spelled out so
  /// that the kernels' choices (sdot, smmla) follow one list.
  const char *features;
  int64_t l1Bytes;
  int64_t l2Bytes; ///< Per core (or per cluster where the L2 is shared).
  int64_t l3Bytes;
};

// Cache sizes are the per-core figures of the vendors' technical reference
// manuals; the generic entry assumes a small core.
constexpr AArch64Cpu kCpus[] = {
    {"generic", "+neon", 32 << 10, 512 << 10, 2 << 20},
    {"cortex-a76", "+neon,+dotprod,+fullfp16", 64 << 10, 512 << 10, 4 << 20},
    {"neoverse-n1", "+neon,+dotprod,+fullfp16", 64 << 10, 1 << 20, 32 << 20},
    {"neoverse-v1", "+neon,+dotprod,+fullfp16,+i8mm,+bf16,+sve", 64 << 10,
     1 << 20, 32 << 20},
    {"neoverse-v2", "+neon,+dotprod,+fullfp16,+i8mm,+bf16,+sve,+sve2", 64 << 10,
     1 << 20, 64 << 20},
    {"apple-m1", "+neon,+dotprod,+fullfp16", 128 << 10, 4 << 20, 8 << 20},
};

std::string validCpus() {
  SmallVector<StringRef> names;
  for (const AArch64Cpu &cpu : kCpus)
    names.push_back(cpu.name);
  return join(names, ", ");
}

} // namespace

Expected<whittle::TargetInfo> whittle::makeAArch64TargetInfo(StringRef cpu) {
  // "native" only means something on an AArch64 host; cross-compiling, the
  // baseline CPU is the safe choice.
  if (cpu.empty() || cpu == "native") {
    cpu = "generic";
    if (Triple(sys::getProcessTriple()).isAArch64()) {
      StringRef host = sys::getHostCPUName();
      if (any_of(kCpus, [&](const AArch64Cpu &c) { return host == c.name; }))
        cpu = host;
    }
  }
  const AArch64Cpu *entry =
      find_if(kCpus, [&](const AArch64Cpu &c) { return cpu == c.name; });
  if (entry == std::end(kCpus))
    return createStringError(inconvertibleErrorCode(),
                             "unknown AArch64 CPU '" + cpu +
                                 "' (valid: " + validCpus() + ")");

  TargetInfo info;
  info.name = "aarch64";
  info.triple = "aarch64-unknown-linux-gnu";
  info.cpu = entry->name;
  info.features = entry->features;
  // Kernels use NEON's 128-bit registers also where SVE is present: every
  // SVE implementation listed has 128- or 256-bit vectors, and fixed-width
  // NEON code runs on all of them.
  info.vectorWidthBits = 128;
  info.maxVectorWidthBits = 128;
  info.numVectorRegisters = 32;
  // 32 registers hold an 8 x 12 tile: 24 accumulators, 3 B vectors and the
  // A values.
  info.gemmRowVectors = 3;
  // sdot (Armv8.2 dot product): four s8 x s8 products into each i32 lane.
  if (StringRef(entry->features).contains("+dotprod"))
    info.int8DotProduct = "sdot";
  info.int8VectorWidthBits = 128;
  info.l1CacheBytes = entry->l1Bytes;
  info.l2CacheBytes = entry->l2Bytes;
  info.l3CacheBytes = entry->l3Bytes;
  info.libraryDirs = {"/usr/aarch64-linux-gnu/lib", "/lib/aarch64-linux-gnu",
                      "/usr/lib/aarch64-linux-gnu"};
  info.supported = true;
  return info;
}
