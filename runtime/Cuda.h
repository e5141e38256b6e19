//===- Cuda.h - GPU libraries through the CUDA driver -----------*- C++ -*-===//
//
// Private to libwhittle_rt. The CUDA driver (libcuda.so.1) is opened with
// dlopen when the first GPU session is created, so the runtime has no
// link-time CUDA dependency and works unchanged on machines without one.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_RUNTIME_CUDA_H
#define WHITTLE_RUNTIME_CUDA_H

#include "Internal.h"

#include <memory>
#include <string>
#include <vector>

namespace whittle::rt {

/// A session's device state: the context, the loaded kernels, and device
/// copies of the weights, the workspace and the inputs and outputs.
class GpuSession {
public:
  ~GpuSession();
  GpuSession(const GpuSession &) = delete;
  GpuSession &operator=(const GpuSession &) = delete;

  /// Opens the driver, picks device $WHITTLE_CUDA_DEVICE (default 0), loads
  /// the model's image and uploads its weights. Returns a status with a
  /// message ("no CUDA driver", "no CUDA device", ...) on failure.
  static whittle_status create(const whittle_model *model,
                               std::unique_ptr<GpuSession> &out);

  /// "NVIDIA H100 80GB HBM3 (sm_90, device 0)".
  const std::string &description() const { return description_; }

  /// Runs the model on device buffers (inputs, outputs: device pointers).
  whittle_status run(void *const *inputs, void *const *outputs);

  /// Copies host inputs in, runs, and copies the outputs back.
  whittle_status runFromHost(void *const *inputs, void *const *outputs);

private:
  GpuSession() = default;
  static int32_t launch(void *self, int64_t kernel, int64_t gx, int64_t gy,
                        int64_t gz, int64_t bx, int64_t by, int64_t bz,
                        int64_t sharedBytes, void *params, int64_t numParams);
  whittle_status check(int result, const std::string &what);

  const whittle_model *model_ = nullptr;
  std::string description_;
  void *context_ = nullptr;
  int device_ = 0;
  void *module_ = nullptr;
  std::vector<void *> functions_;
  std::vector<std::string> kernelNames_;
  uint64_t weights_ = 0, workspace_ = 0;
  std::vector<uint64_t> inputs_, outputs_;
  std::vector<void *> paramPointers_;
  whittle_executor executor_ = {};
  /// The first failed launch of a run (its message), if any.
  std::string launchError_;
};

} // namespace whittle::rt

#endif // WHITTLE_RUNTIME_CUDA_H
