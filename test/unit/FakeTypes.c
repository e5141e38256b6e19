/*===- FakeTypes.c - A hand-written model with integer, bool and scalars --===*\
 *
 * Exercises non-float dtypes and rank-0 tensors in the runtime and
 * whittle-run: given ids: i64[4] and mask: bool[4] it returns
 *   ids_plus_one: i64[4] = ids + 1
 *   not_mask:     bool[4] = !mask
 *   masked:       f32[4] = ids * mask
 *   count:        i32 scalar = number of set mask entries
 *
\*===----------------------------------------------------------------------===*/

#include "whittle/model_abi.h"

#include <stdbool.h>

int32_t whittle_model_abi_version(void) { return WHITTLE_MODEL_ABI_VERSION; }

const char *whittle_model_metadata(void) {
  return "whittle-model 1\n"
         "name types\n"
         "input ids i64 4\n"
         "input mask bool 4\n"
         "output ids_plus_one i64 4\n"
         "output not_mask bool 4\n"
         "output masked f32 4\n"
         "output count i32 scalar\n";
}

int64_t whittle_model_workspace_size(void) { return 0; }

int32_t whittle_model_run(void *const *inputs, void *const *outputs,
                          void *workspace, const whittle_executor *executor) {
  (void)workspace;
  (void)executor;
  const int64_t *ids = (const int64_t *)inputs[0];
  const bool *mask = (const bool *)inputs[1];
  int64_t *plusOne = (int64_t *)outputs[0];
  bool *notMask = (bool *)outputs[1];
  float *masked = (float *)outputs[2];
  int32_t *count = (int32_t *)outputs[3];
  *count = 0;
  for (int i = 0; i < 4; ++i) {
    plusOne[i] = ids[i] + 1;
    notMask[i] = !mask[i];
    masked[i] = mask[i] ? (float)ids[i] : 0.0f;
    *count += mask[i];
  }
  return 0;
}
