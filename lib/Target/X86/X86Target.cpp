//===- X86Target.cpp - x86-64 target description --------------------------===//

#include "whittle/Target/TargetInfo.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace llvm;

llvm::Expected<whittle::TargetInfo> whittle::makeX86TargetInfo(StringRef cpu) {
  TargetInfo info;
  info.name = "x86_64";
  info.triple = "x86_64-unknown-linux-gnu";
  info.supported = true;

  SmallVector<std::string> features;
  bool hasAvx2 = false, hasAvx512 = false;
  // vpdpbusd: AVX-512 VNNI (with VL for 256-bit vectors) or AVX-VNNI.
  bool hasVnni512 = false, hasAvx512Vl = false, hasAvxVnni = false;
  auto note = [&](StringRef f) {
    hasAvx2 |= f == "avx2";
    hasAvx512 |= f == "avx512f";
    hasVnni512 |= f == "avx512vnni";
    hasAvx512Vl |= f == "avx512vl";
    hasAvxVnni |= f == "avxvnni";
  };
  if (cpu == "native") {
    info.cpu = sys::getHostCPUName().str();
    // The host feature list is authoritative: it reflects what the OS
    // enabled (e.g. AVX-512 state saving), not just what the CPU model has.
    for (const auto &entry : sys::getHostCPUFeatures()) {
      features.push_back((entry.getValue() ? "+" : "-") + entry.getKey().str());
      if (entry.getValue())
        note(entry.getKey());
    }
    llvm::sort(features);
  } else {
    if (cpu.empty())
      cpu = "x86-64-v2";
    if (X86::parseArchX86(cpu, /*Only64Bit=*/true) == X86::CK_None)
      return createStringError(inconvertibleErrorCode(),
                               "unknown x86_64 CPU '" + cpu +
                                   "' (e.g. native, x86-64-v2, x86-64-v3, "
                                   "x86-64-v4, skylake-avx512, znver4)");
    info.cpu = cpu.str();
    // Named CPUs: the TargetMachine derives features from the CPU name; we
    // only need them here to pick the vector width.
    SmallVector<StringRef> cpuFeatures;
    X86::getFeaturesForCPU(cpu, cpuFeatures);
    for (StringRef f : cpuFeatures)
      note(f);
  }
  info.features = join(features, ",");
  // 512-bit vectors lower the clock on many parts; LLVM's own default for
  // AVX-512 CPUs is to prefer 256-bit vectors, and we follow it.
  info.vectorWidthBits = (hasAvx2 || hasAvx512) ? 256 : 128;
  info.maxVectorWidthBits = hasAvx512 ? 512 : info.vectorWidthBits;
  // AVX-512 brings 32 registers, also to the 256-bit instructions.
  info.numVectorRegisters = hasAvx512 ? 32 : 16;
  info.gemmRowVectors = 2;
  if ((hasVnni512 && (hasAvx512Vl || info.vectorWidthBits == 512)) ||
      (hasAvxVnni && info.vectorWidthBits <= 256))
    info.int8DotProduct = "vpdpbusd";
  else if (hasAvx2)
    info.int8DotProduct = "pmaddubsw";
  info.int8VectorWidthBits =
      hasVnni512 ? info.maxVectorWidthBits : info.vectorWidthBits;
  info.l1CacheBytes = 32 * 1024;
  info.l2CacheBytes = hasAvx512 ? 2 * 1024 * 1024 : 1024 * 1024;
  info.l3CacheBytes = 16 * 1024 * 1024;
  info.libraryDirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                      "/lib64", "/usr/lib64"};
  return info;
}
