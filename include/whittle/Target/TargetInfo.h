//===- TargetInfo.h - Description of a code generation target ---*- C++ -*-===//
//
// Everything the backend needs to know about a target: the LLVM triple, CPU
// and features for the TargetMachine, and the vector width and cache sizes
// that drive tile-size selection. Each architecture lives in its own
// directory under lib/Target and fills one of these in.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_TARGET_TARGETINFO_H
#define WHITTLE_TARGET_TARGETINFO_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace whittle {

struct TargetInfo {
  /// Short name as given to --target (x86_64, aarch64, nvptx).
  std::string name;
  std::string triple;
  std::string cpu;
  /// Comma-separated LLVM feature string ("+avx2,+fma,...").
  std::string features;
  /// Widest profitable SIMD register, in bits: what matmul and elementwise
  /// kernels are vectorized for.
  unsigned vectorWidthBits = 128;
  /// Widest register the ISA has (AVX-512's 512 bits even where 256 are
  /// preferred); kernels that size register blocks for LLVM's own wide
  /// vectors (attention) use it.
  unsigned maxVectorWidthBits = 128;
  /// Architectural vector registers, for register-tile sizes.
  unsigned numVectorRegisters = 16;
  /// Vectors across a matmul register tile's row (its nr / lanes): more
  /// where the register file holds more accumulators.
  unsigned gemmRowVectors = 2;
  /// The dot-product instruction of the int8 GEMM kernel ("vpdpbusd":
  /// AVX-512 VNNI or AVX-VNNI, u8 x s8 into i32; "sdot": AArch64 dot
  /// product, s8 x s8; "pmaddubsw": AVX2, u8 x s8 pairs into saturating
  /// i16, used only for weights that provably never saturate), or "none".
  std::string int8DotProduct = "none";
  /// Vector width of the int8 kernel: AVX-512 VNNI's 512-bit vpdpbusd
  /// keeps a row of 32 i32 accumulators in two registers, where 256-bit
  /// halves of 512-bit rows would cost an extract and insert per update.
  unsigned int8VectorWidthBits = 128;
  /// Data cache sizes in bytes, used to size tiles.
  int64_t l1CacheBytes = 32 * 1024;
  int64_t l2CacheBytes = 1024 * 1024;
  int64_t l3CacheBytes = 8 * 1024 * 1024;
  /// Where the target's C libraries (libc.so.6, libm.so.6) are looked for
  /// when linking a model library, in order.
  std::vector<std::string> libraryDirs;
  /// GPU targets: the architecture the kernels are compiled for ("sm_90")
  /// and the NVPTX features (PTX version); empty for CPU targets, whose
  /// `triple` and `cpu` describe the code itself. A GPU target's `triple`
  /// and `cpu` describe its host code.
  std::string gpuChip;
  std::string gpuFeatures;
  bool isGPU() const { return !gpuChip.empty(); }
  /// False for targets whose code generation path is not implemented yet;
  /// the driver reports them instead of emitting anything.
  bool supported = false;
};

/// Per-architecture constructors. `cpu` is the --mcpu value ("native" asks
/// the host); an unknown CPU is an error that lists the valid ones.
llvm::Expected<TargetInfo> makeX86TargetInfo(llvm::StringRef cpu);
llvm::Expected<TargetInfo> makeAArch64TargetInfo(llvm::StringRef cpu);
llvm::Expected<TargetInfo> makeNVPTXTargetInfo(llvm::StringRef cpu);

/// Resolves a --target / --mcpu pair into a TargetInfo.
llvm::Expected<TargetInfo> resolveTarget(llvm::StringRef target,
                                         llvm::StringRef cpu);

} // namespace whittle

#endif // WHITTLE_TARGET_TARGETINFO_H
