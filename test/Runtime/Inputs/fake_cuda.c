/* A stand-in for libcuda.so.1, for testing the runtime's GPU path on a
 * machine without a GPU. "Device" memory is host memory; kernels do not
 * run, launches are counted. Behaviour is chosen with environment
 * variables:
 *   FAKE_CUDA_DEVICES=N      number of devices (default 1; 0: none)
 *   FAKE_CUDA_FAIL_LAUNCH=K  the K-th launch (0-based) fails
 * At exit it prints launches, bytes uploaded, whether every allocation was
 * freed, and the context balance to stderr. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
static int launches, allocations, pushes, initialized;
static long long uploaded;

static void report(void) {
  if (initialized)
    fprintf(stderr,
            "fake-cuda: %d launches, %lld bytes uploaded, %d allocations "
            "live, %d contexts pushed\n",
            launches, uploaded, allocations, pushes);
}

static int devices(void) {
  const char *n = getenv("FAKE_CUDA_DEVICES");
  return n ? atoi(n) : 1;
}

CUresult cuInit(unsigned flags) {
  (void)flags;
  if (!initialized)
    atexit(report);
  initialized = 1;
  return devices() ? 0 : 100; /* CUDA_ERROR_NO_DEVICE */
}
CUresult cuDeviceGetCount(int *n) {
  *n = devices();
  return 0;
}
CUresult cuDeviceGet(int *d, int i) {
  *d = i;
  return 0;
}
CUresult cuDeviceGetName(char *name, int len, int d) {
  snprintf(name, len, "Fake GPU %d", d);
  return 0;
}
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  (void)d;
  *v = attr == 75 ? 9 : 0; /* compute capability 9.0 */
  return 0;
}
static int context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  (void)d;
  *ctx = &context;
  return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int d) {
  (void)d;
  return 0;
}
CUresult cuCtxPushCurrent_v2(void *ctx) {
  (void)ctx;
  ++pushes;
  return 0;
}
CUresult cuCtxPopCurrent_v2(void **ctx) {
  *ctx = &context;
  --pushes;
  return 0;
}
CUresult cuCtxSynchronize(void) { return 0; }
static int module;
CUresult cuModuleLoadData(void **m, const void *image) {
  /* A cubin is an ELF file: accept it. */
  if (memcmp(image, "\177ELF", 4) != 0)
    return 200; /* CUDA_ERROR_INVALID_IMAGE */
  *m = &module;
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  (void)m;
  *f = strdup(name);
  return 0;
}
CUresult cuModuleUnload(void *m) {
  (void)m;
  return 0;
}
CUresult cuMemAlloc_v2(uint64_t *p, size_t n) {
  *p = (uint64_t)(uintptr_t)calloc(1, n);
  ++allocations;
  return *p ? 0 : 2; /* CUDA_ERROR_OUT_OF_MEMORY */
}
CUresult cuMemFree_v2(uint64_t p) {
  free((void *)(uintptr_t)p);
  --allocations;
  return 0;
}
CUresult cuMemcpyHtoD_v2(uint64_t d, const void *h, size_t n) {
  memcpy((void *)(uintptr_t)d, h, n);
  uploaded += n;
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *h, uint64_t d, size_t n) {
  memcpy(h, (const void *)(uintptr_t)d, n);
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void *stream, void **params, void **extra) {
  (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared,
      (void)stream, (void)extra, (void)params;
  const char *fail = getenv("FAKE_CUDA_FAIL_LAUNCH");
  if (fail && atoi(fail) == launches)
    return 719; /* CUDA_ERROR_LAUNCH_FAILED */
  (void)f;
  ++launches;
  return 0;
}
CUresult cuGetErrorString(CUresult rc, const char **text) {
  *text = rc == 100   ? "no CUDA-capable device is detected"
          : rc == 719 ? "unspecified launch failure"
                      : "fake error";
  return 0;
}
