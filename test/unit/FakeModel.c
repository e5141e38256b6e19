/*===- FakeModel.c - A hand-written model library for runtime tests -------===*\
 *
 * Implements model_abi.h by hand so the runtime, whittle-run and the examples
 * can be tested without the compiler: out = x * 2 + y over f32[ROWS x COLS],
 * with a parallel_for over rows and the workspace holding x * 2.
 *
 * Compile-time knobs build the variants the tests need: FAKE_ROWS/FAKE_COLS,
 * FAKE_METADATA_NAMES (percent-encoded names), FAKE_ABI_VERSION,
 * FAKE_BAD_METADATA.
 *
\*===----------------------------------------------------------------------===*/

#include "whittle/model_abi.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "scale_add.h"

#ifndef FAKE_ROWS
#define FAKE_ROWS 2
#endif
#ifndef FAKE_COLS
#define FAKE_COLS 3
#endif
#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION WHITTLE_MODEL_ABI_VERSION
#endif
#ifndef FAKE_NAMES
#define FAKE_NAMES "scale_add", "x", "y", "out"
#endif

#define STR2(x) #x
#define STR(x) STR2(x)
#define DIMS STR(FAKE_ROWS) "x" STR(FAKE_COLS)

/* Error code returned when x[0] holds this value, to test RUN_FAILED. */
#define FAKE_FAIL_TRIGGER -12345.0f
#define FAKE_FAIL_CODE 7

static char metadata[512];

int32_t whittle_model_abi_version(void) { return FAKE_ABI_VERSION; }

const char *whittle_model_metadata(void) {
#ifdef FAKE_BAD_METADATA
  return "whittle-model 1\ninput x f32 2xthree\n";
#else
  if (!metadata[0])
    snprintf(metadata, sizeof(metadata),
             "whittle-model 1\n"
             "name %s\n"
             "input %s f32 " DIMS "\n"
             "input %s f32 " DIMS "\n"
             "output %s f32 " DIMS "\n",
             FAKE_NAMES);
  return metadata;
#endif
}

int64_t whittle_model_workspace_size(void) {
  return (int64_t)sizeof(float) * FAKE_ROWS * FAKE_COLS;
}

/* Observability hooks for the tests: the most bodies seen running at once,
 * and how many body calls the last run made. */
static atomic_int active, maxActive, bodyCalls;

int32_t fake_max_concurrency(void) { return atomic_load(&maxActive); }
int32_t fake_body_calls(void) { return atomic_load(&bodyCalls); }
void fake_reset_counters(void) {
  atomic_store(&maxActive, 0);
  atomic_store(&bodyCalls, 0);
}

struct Context {
  const float *x, *y;
  float *out, *ws;
};

static void rowsBody(void *p, int64_t begin, int64_t end) {
  struct Context *c = (struct Context *)p;
  int now = atomic_fetch_add(&active, 1) + 1;
  int seen = atomic_load(&maxActive);
  while (now > seen && !atomic_compare_exchange_weak(&maxActive, &seen, now))
    ;
  atomic_fetch_add(&bodyCalls, 1);
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t k = 0; k < FAKE_COLS; ++k) {
      int64_t i = r * FAKE_COLS + k;
      c->ws[i] = c->x[i] * 2.0f;
    }
    for (int64_t k = 0; k < FAKE_COLS; ++k) {
      int64_t i = r * FAKE_COLS + k;
      c->out[i] = c->ws[i] + c->y[i];
    }
  }
  atomic_fetch_sub(&active, 1);
}

int32_t whittle_model_run(void *const *inputs, void *const *outputs,
                          void *workspace, const whittle_executor *executor) {
  if (((uintptr_t)workspace & 63) != 0)
    return 3;
  struct Context c = {(const float *)inputs[0], (const float *)inputs[1],
                      (float *)outputs[0], (float *)workspace};
  if (c.x[0] == FAKE_FAIL_TRIGGER)
    return FAKE_FAIL_CODE;
  if (executor && executor->parallel_for)
    executor->parallel_for(executor->pool, FAKE_ROWS, rowsBody, &c);
  else
    rowsBody(&c, 0, FAKE_ROWS);
  return 0;
}

/* The convenience entry point whittle-compile declares in MODEL.h. */
int32_t scale_add_run(const float *x, const float *y, float *out) {
  void *ws = aligned_alloc(64, (whittle_model_workspace_size() + 63) / 64 * 64);
  if (!ws)
    return -1;
  void *inputs[2] = {(void *)x, (void *)y};
  void *outputs[1] = {out};
  int32_t rc = whittle_model_run(inputs, outputs, ws, NULL);
  free(ws);
  return rc;
}
