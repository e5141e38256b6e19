//===- Internal.h - Shared declarations of the runtime ----------*- C++ -*-===//
//
// Private to libwhittle_rt: the model and session structs behind the opaque C
// handles, and the thread-local error helper.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_RUNTIME_INTERNAL_H
#define WHITTLE_RUNTIME_INTERNAL_H

#include "whittle/model_abi.h"
#include "whittle/runtime.h"

#include <string>
#include <vector>

namespace whittle::rt {

/// Records msg as this thread's last error and returns status.
whittle_status fail(whittle_status status, std::string msg);

/// One input or output as described by the metadata.
struct TensorDesc {
  std::string name;
  whittle_dtype dtype = WHITTLE_DTYPE_INVALID;
  std::vector<int64_t> dims;
  int64_t numElements = 1;
  size_t sizeBytes = 0;
};

/// The decode entry point's description (metadata line 'decode').
struct DecodeDesc {
  int64_t maxTokens = 0; // 0: the library has no decode entry point
  int64_t chunk = 0;
  int64_t stateBytes = 0;
  /// Per output, the axis with one entry per token.
  std::vector<int64_t> outputSeqAxes;
  /// The outputs of one token, and of a prefill chunk.
  std::vector<TensorDesc> tokenOutputs, chunkOutputs;
};

/// The length variants of a bounded sequence axis (metadata line 'lengths').
struct LengthDesc {
  std::vector<int64_t> variants; // ascending; empty: no bounded axis
  int64_t minLength = 1;
  /// Per input and per output, the sequence axis or -1.
  std::vector<int64_t> inputAxes, outputAxes;
  int64_t bound() const { return variants.empty() ? 0 : variants.back(); }
};

/// The signature parsed from whittle_model_metadata().
struct Signature {
  std::string name;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  DecodeDesc decode;
  LengthDesc lengths;
  /// GPU libraries (metadata 'device cuda <arch>'): the architecture.
  std::string gpuArch;
};

/// Parses metadata text (see model_abi.h). On failure returns false and sets
/// error to a message naming the offending line.
bool parseMetadata(const char *text, Signature &sig, std::string &error);

/// Decodes %XX escapes; returns false on a malformed escape.
bool percentDecode(const std::string &in, std::string &out);

} // namespace whittle::rt

struct whittle_model {
  void *handle = nullptr;
  std::string path;
  std::string metadataText;
  whittle::rt::Signature sig;
  int64_t workspaceSize = 0;
  int32_t (*run)(void *const *, void *const *, void *,
                 const whittle_executor *) = nullptr;
  /// whittle_model_decode and its workspace, when compiled with --decode.
  int64_t decodeWorkspaceSize = 0;
  int32_t (*decode)(int64_t, const void *, int64_t, void *, void *const *,
                    void *, const whittle_executor *) = nullptr;
  /// whittle_model_run_length and its workspace, for a bounded sequence.
  int64_t lengthWorkspaceSize = 0;
  int32_t (*runLength)(int64_t, void *const *, void *const *, void *,
                       const whittle_executor *) = nullptr;
  /// The GPU part of the ABI, in GPU libraries.
  const char *(*gpuKernels)() = nullptr;
  const void *(*gpuImage)(int32_t, int64_t *) = nullptr;
  const whittle_gpu_weight *(*gpuWeights)(int64_t *, int64_t *) = nullptr;
};

#endif // WHITTLE_RUNTIME_INTERNAL_H
