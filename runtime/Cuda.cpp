//===- Cuda.cpp - GPU libraries through the CUDA driver -------------------===//

#include "Cuda.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <sstream>

using namespace whittle::rt;

namespace {

// The few driver API types and values used here (cuda.h is not needed to
// build the runtime).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = uint64_t;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr int kComputeCapabilityMajor = 75;
constexpr int kComputeCapabilityMinor = 76;

/// Entry points of libcuda.so.1, resolved once.
struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*primaryCtxRetain)(void **, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxPushCurrent)(void *);
  CUresult (*ctxPopCurrent)(void **);
  CUresult (*ctxSynchronize)();
  CUresult (*moduleLoadData)(void **, const void *);
  CUresult (*moduleGetFunction)(void **, void *, const char *);
  CUresult (*moduleUnload)(void *);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*launchKernel)(void *, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, void *, void **,
                           void **);
  CUresult (*getErrorString)(CUresult, const char **);
};

/// Opens the driver and initializes it; on failure `status` and `error` say
/// why (the same on every later call).
const Driver *loadDriver(whittle_status &status, std::string &error) {
  static Driver driver;
  static whittle_status loadStatus = WHITTLE_OK;
  static std::string loadError;
  static std::once_flag once;
  std::call_once(once, [] {
    void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      loadStatus = WHITTLE_NO_DEVICE;
      loadError = std::string("no CUDA driver: cannot open libcuda.so.1") +
                  (why ? std::string(" (") + why + ")" : "");
      return;
    }
    bool complete = true;
    auto bind = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(handle, name));
      if (!fn && complete) {
        complete = false;
        loadError = std::string("CUDA driver without ") + name;
      }
    };
    bind(driver.init, "cuInit");
    bind(driver.deviceGetCount, "cuDeviceGetCount");
    bind(driver.deviceGet, "cuDeviceGet");
    bind(driver.deviceGetName, "cuDeviceGetName");
    bind(driver.deviceGetAttribute, "cuDeviceGetAttribute");
    bind(driver.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
    bind(driver.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    bind(driver.ctxPushCurrent, "cuCtxPushCurrent_v2");
    bind(driver.ctxPopCurrent, "cuCtxPopCurrent_v2");
    bind(driver.ctxSynchronize, "cuCtxSynchronize");
    bind(driver.moduleLoadData, "cuModuleLoadData");
    bind(driver.moduleGetFunction, "cuModuleGetFunction");
    bind(driver.moduleUnload, "cuModuleUnload");
    bind(driver.memAlloc, "cuMemAlloc_v2");
    bind(driver.memFree, "cuMemFree_v2");
    bind(driver.memcpyHtoD, "cuMemcpyHtoD_v2");
    bind(driver.memcpyDtoH, "cuMemcpyDtoH_v2");
    bind(driver.launchKernel, "cuLaunchKernel");
    bind(driver.getErrorString, "cuGetErrorString");
    if (!complete) {
      loadStatus = WHITTLE_LOAD_FAILED;
      return;
    }
    CUresult rc = driver.init(0);
    if (rc == CUDA_ERROR_NO_DEVICE) {
      loadStatus = WHITTLE_NO_DEVICE;
      loadError = "no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)";
    } else if (rc != CUDA_SUCCESS) {
      const char *text = nullptr;
      driver.getErrorString(rc, &text);
      loadStatus = WHITTLE_NO_DEVICE;
      loadError = "CUDA driver failed to initialize: " +
                  std::string(text ? text : "error " + std::to_string(rc));
    }
  });
  status = loadStatus;
  error = loadError;
  return loadStatus == WHITTLE_OK ? &driver : nullptr;
}

const Driver &cuda() {
  whittle_status status;
  std::string error;
  return *loadDriver(status, error); // Only called once a session exists.
}

/// Makes a context current for the scope.
class ContextScope {
public:
  explicit ContextScope(void *context) { cuda().ctxPushCurrent(context); }
  ~ContextScope() {
    void *previous;
    cuda().ctxPopCurrent(&previous);
  }
};

} // namespace

whittle_status GpuSession::check(CUresult result, const std::string &what) {
  if (result == CUDA_SUCCESS)
    return WHITTLE_OK;
  const char *text = nullptr;
  cuda().getErrorString(result, &text);
  return fail(WHITTLE_RUN_FAILED,
              "model '" + model_->sig.name + "': " + what + ": " +
                  (text ? text : "CUDA error " + std::to_string(result)));
}

whittle_status GpuSession::create(const whittle_model *model,
                                  std::unique_ptr<GpuSession> &out) {
  whittle_status status;
  std::string error;
  const Driver *driver = loadDriver(status, error);
  if (!driver)
    return fail(status, error);
  int count = 0;
  if (driver->deviceGetCount(&count) != CUDA_SUCCESS || count == 0)
    return fail(WHITTLE_NO_DEVICE, "no CUDA device");
  int ordinal = 0;
  if (const char *env = std::getenv("WHITTLE_CUDA_DEVICE")) {
    char *end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (!*env || *end || value < 0 || value >= count)
      return fail(WHITTLE_INVALID_ARGUMENT,
                  "WHITTLE_CUDA_DEVICE='" + std::string(env) +
                      "' is not a device index below " + std::to_string(count));
    ordinal = static_cast<int>(value);
  }

  std::unique_ptr<GpuSession> session(new GpuSession());
  session->model_ = model;
  GpuSession &s = *session;
  if (whittle_status st =
          s.check(driver->deviceGet(&s.device_, ordinal), "cuDeviceGet"))
    return st;
  char name[256] = {0};
  int major = 0, minor = 0;
  driver->deviceGetName(name, sizeof(name) - 1, s.device_);
  driver->deviceGetAttribute(&major, kComputeCapabilityMajor, s.device_);
  driver->deviceGetAttribute(&minor, kComputeCapabilityMinor, s.device_);
  std::ostringstream description;
  description << name << " (sm_" << major << minor << ", device " << ordinal
              << ")";
  s.description_ = description.str();
  // The primary context is the one the CUDA runtime uses too, so device
  // pointers from other libraries can be passed to whittle_session_run_device.
  if (whittle_status st =
          s.check(driver->primaryCtxRetain(&s.context_, s.device_),
                  "cuDevicePrimaryCtxRetain"))
    return st;
  ContextScope scope(s.context_);

  // The cubin when it fits the device, else the PTX (JIT-compiled).
  int64_t bytes = 0;
  const void *cubin = model->gpuImage(0, &bytes);
  CUresult rc = cubin ? driver->moduleLoadData(&s.module_, cubin) : -1;
  if (rc != CUDA_SUCCESS) {
    const void *ptx = model->gpuImage(1, &bytes);
    if (!ptx)
      return fail(WHITTLE_LOAD_FAILED, "'" + model->path + "' has no PTX");
    if (whittle_status st =
            s.check(driver->moduleLoadData(&s.module_, ptx),
                    "loading the kernels (" + model->sig.gpuArch +
                        " cubin and PTX) on " + s.description_))
      return st;
  }
  std::istringstream names(model->gpuKernels());
  for (std::string kernel; std::getline(names, kernel);) {
    void *fn = nullptr;
    if (whittle_status st =
            s.check(driver->moduleGetFunction(&fn, s.module_, kernel.c_str()),
                    "kernel '" + kernel + "'"))
      return st;
    s.functions_.push_back(fn);
    s.kernelNames_.push_back(kernel);
  }

  auto allocate = [&](uint64_t &ptr, int64_t size, const std::string &what) {
    return s.check(driver->memAlloc(&ptr, std::max<int64_t>(size, 1)),
                   "allocating " + std::to_string(size) + " bytes for " + what +
                       " on " + s.description_);
  };
  int64_t numWeights = 0, weightBytes = 0;
  const whittle_gpu_weight *weights =
      model->gpuWeights(&numWeights, &weightBytes);
  if (whittle_status st = allocate(s.weights_, weightBytes, "the weights"))
    return st;
  for (int64_t i = 0; i < numWeights; ++i)
    if (whittle_status st =
            s.check(driver->memcpyHtoD(s.weights_ + weights[i].device_offset,
                                       weights[i].host, weights[i].bytes),
                    "uploading the weights"))
      return st;
  if (whittle_status st =
          allocate(s.workspace_, model->workspaceSize, "the workspace"))
    return st;
  for (const TensorDesc &d : model->sig.inputs)
    if (whittle_status st = allocate(s.inputs_.emplace_back(0), d.sizeBytes,
                                     "input '" + d.name + "'"))
      return st;
  for (const TensorDesc &d : model->sig.outputs)
    if (whittle_status st = allocate(s.outputs_.emplace_back(0), d.sizeBytes,
                                     "output '" + d.name + "'"))
      return st;

  s.executor_.gpu = &s;
  s.executor_.gpu_launch = &GpuSession::launch;
  s.executor_.gpu_weights = reinterpret_cast<void *>(s.weights_);
  out = std::move(session);
  return WHITTLE_OK;
}

GpuSession::~GpuSession() {
  if (!context_)
    return;
  {
    ContextScope scope(context_);
    for (uint64_t ptr : inputs_)
      cuda().memFree(ptr);
    for (uint64_t ptr : outputs_)
      cuda().memFree(ptr);
    if (workspace_)
      cuda().memFree(workspace_);
    if (weights_)
      cuda().memFree(weights_);
    if (module_)
      cuda().moduleUnload(module_);
  }
  cuda().primaryCtxRelease(device_);
}

int32_t GpuSession::launch(void *self, int64_t kernel, int64_t gx, int64_t gy,
                           int64_t gz, int64_t bx, int64_t by, int64_t bz,
                           int64_t sharedBytes, void *params,
                           int64_t numParams) {
  auto &s = *static_cast<GpuSession *>(self);
  if (!s.launchError_.empty())
    return 1; // Later kernels would read what the failed one did not write.
  if (kernel < 0 || kernel >= static_cast<int64_t>(s.functions_.size())) {
    s.launchError_ = "launch of kernel " + std::to_string(kernel) +
                     ", the library has " + std::to_string(s.functions_.size());
    return 1;
  }
  if (gx == 0 || gy == 0 || gz == 0)
    return 0;
  s.paramPointers_.resize(numParams);
  for (int64_t i = 0; i < numParams; ++i)
    s.paramPointers_[i] = static_cast<char *>(params) + 8 * i;
  CUresult rc = cuda().launchKernel(s.functions_[kernel], gx, gy, gz, bx, by,
                                    bz, sharedBytes, nullptr,
                                    s.paramPointers_.data(), nullptr);
  if (rc != CUDA_SUCCESS) {
    const char *text = nullptr;
    cuda().getErrorString(rc, &text);
    s.launchError_ = "kernel '" + s.kernelNames_[kernel] +
                     "': " + (text ? text : std::to_string(rc));
    return 1;
  }
  return 0;
}

whittle_status GpuSession::run(void *const *inputs, void *const *outputs) {
  ContextScope scope(context_);
  launchError_.clear();
  int32_t rc = model_->run(inputs, outputs,
                           reinterpret_cast<void *>(workspace_), &executor_);
  CUresult sync = cuda().ctxSynchronize();
  if (!launchError_.empty())
    return fail(WHITTLE_RUN_FAILED,
                "model '" + model_->sig.name + "': " + launchError_);
  if (rc != 0)
    return fail(WHITTLE_RUN_FAILED, "model '" + model_->sig.name +
                                        "' failed with code " +
                                        std::to_string(rc));
  return check(sync, "running the kernels");
}

whittle_status GpuSession::runFromHost(void *const *inputs,
                                       void *const *outputs) {
  ContextScope scope(context_);
  const Signature &sig = model_->sig;
  std::vector<void *> in(inputs_.size()), out(outputs_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (whittle_status st = check(
            cuda().memcpyHtoD(inputs_[i], inputs[i], sig.inputs[i].sizeBytes),
            "copying input '" + sig.inputs[i].name + "' to the device"))
      return st;
    in[i] = reinterpret_cast<void *>(inputs_[i]);
  }
  for (size_t i = 0; i < outputs_.size(); ++i)
    out[i] = reinterpret_cast<void *>(outputs_[i]);
  if (whittle_status st = run(in.data(), out.data()))
    return st;
  for (size_t i = 0; i < outputs_.size(); ++i)
    if (whittle_status st = check(cuda().memcpyDtoH(outputs[i], outputs_[i],
                                                    sig.outputs[i].sizeBytes),
                                  "copying output '" + sig.outputs[i].name +
                                      "' from the device"))
      return st;
  return WHITTLE_OK;
}
