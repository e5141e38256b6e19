//===- TargetInfo.cpp - Target selection ----------------------------------===//

#include "whittle/Target/TargetInfo.h"

using namespace llvm;

Expected<whittle::TargetInfo> whittle::resolveTarget(StringRef target,
                                                     StringRef cpu) {
  if (target == "x86_64" || target == "x86-64" || target == "x86")
    return makeX86TargetInfo(cpu);
  if (target == "aarch64" || target == "arm64")
    return makeAArch64TargetInfo(cpu);
  if (target == "nvptx" || target == "nvptx64" || target == "cuda")
    return makeNVPTXTargetInfo(cpu);
  return createStringError(inconvertibleErrorCode(),
                           "unknown target '" + target +
                               "' (expected x86_64, aarch64 or nvptx)");
}
