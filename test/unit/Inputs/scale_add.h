/* Stand-in for the header whittle-compile writes next to scale_add.so when
 * compiling examples/scale_add.onnx (out = x * 2 + y); same layout as the
 * generated one (lib/Target/ModelSignature.cpp). FakeModel.c implements it by
 * hand so the examples build and run without the compiler. */
#ifndef SCALE_ADD_H
#define SCALE_ADD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WHITTLE_MODEL_ABI_H
#define WHITTLE_MODEL_ABI_H
#define WHITTLE_MODEL_ABI_VERSION 1
typedef void (*whittle_task_fn)(void *context, int64_t begin, int64_t end);
typedef struct whittle_executor {
  void *pool;
  void (*parallel_for)(void *pool, int64_t count, whittle_task_fn body,
                       void *context);
} whittle_executor;
int32_t whittle_model_abi_version(void);
const char *whittle_model_metadata(void);
int64_t whittle_model_workspace_size(void);
int32_t whittle_model_run(void *const *inputs, void *const *outputs,
                          void *workspace, const whittle_executor *executor);
#endif /* WHITTLE_MODEL_ABI_H */

/* Runs the model serially; allocates and frees the workspace.
 *   input  x: f32[2x3]
 *   input  y: f32[2x3]
 *   output out: f32[2x3]
 * Returns 0 on success. */
int32_t scale_add_run(const float *x, const float *y, float *out);

#ifdef __cplusplus
}
#endif

#endif /* SCALE_ADD_H */
