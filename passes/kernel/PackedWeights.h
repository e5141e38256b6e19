//===- PackedWeights.h - Weights packed once per module ---------*- C++ -*-===//
//
// @main and the functions derived from it (decode steps, length variants)
// multiply by the same constant weights. whittle-tile-kernels runs on them
// concurrently, one pass instance each; the instances share this cache so
// that each weight is packed, and resident in the compiler, once per layout
// instead of once per function.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_KERNEL_PACKEDWEIGHTS_H
#define WHITTLE_PASSES_KERNEL_PACKEDWEIGHTS_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <mutex>

namespace whittle {

class PackedWeightCache {
public:
  /// The packed form of the constant `source` in `layout` (a key for the
  /// packing and its parameters): made by `pack` unless made before.
  mlir::Attribute getOrPack(mlir::Attribute source, int64_t layout,
                            llvm::function_ref<mlir::Attribute()> pack) {
    std::lock_guard<std::mutex> lock(mutex);
    mlir::Attribute &packed = cache[{source, layout}];
    if (!packed)
      packed = pack();
    return packed;
  }

private:
  std::mutex mutex;
  llvm::DenseMap<std::pair<mlir::Attribute, int64_t>, mlir::Attribute> cache;
};

} // namespace whittle

#endif // WHITTLE_PASSES_KERNEL_PACKEDWEIGHTS_H
