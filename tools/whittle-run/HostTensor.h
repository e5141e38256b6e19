//===- HostTensor.h - Tensors held by whittle-run ---------------*- C++ -*-===//
//
// A dense tensor in host memory plus readers and writers for the file formats
// whittle-run accepts: ONNX TensorProto (.pb) and NumPy (.npy), both read by
// lib/Support.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_RUN_HOSTTENSOR_H
#define WHITTLE_RUN_HOSTTENSOR_H

#include "whittle/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace whittle::run {

struct HostTensor {
  std::string name; ///< From the file, if the format carries one.
  whittle_dtype dtype = WHITTLE_DTYPE_INVALID;
  std::vector<int64_t> dims;
  /// Stored as 8-byte words so every element type is naturally aligned.
  std::vector<uint64_t> storage;

  int64_t numElements() const;
  size_t sizeBytes() const { return numElements() * whittle_dtype_size(dtype); }
  void allocate(); ///< Sizes storage for dtype and dims, zero-filled.
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  whittle_tensor view() {
    return {dtype, static_cast<int32_t>(dims.size()), dims.data(), data()};
  }
};

/// Renders dims as "2x3", or "scalar".
std::string shapeString(const std::vector<int64_t> &dims);

/// Reads a NumPy .npy file (by its extension) or a serialized
/// onnx::TensorProto. Returns false with error set.
bool readTensorFile(const std::string &path, HostTensor &out,
                    std::string &error);

/// Writes a NumPy .npy file (little-endian, C order).
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);

/// Element i of t converted to double (f16 widened, bool as 0/1).
double elementAsDouble(const HostTensor &t, int64_t i);

} // namespace whittle::run

#endif // WHITTLE_RUN_HOSTTENSOR_H
