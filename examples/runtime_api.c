/*===- runtime_api.c - Running any compiled model through libwhittle_rt ---===*\
 *
 * Loads MODEL.so at run time, prints its signature, fills every input with a
 * simple ramp (floating point) or zeros (integers, bool), runs it on N threads
 * and prints the start of each output.
 *
 *   runtime_api MODEL.so [THREADS]
 *
\*===----------------------------------------------------------------------===*/

#include "whittle/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_info(const char *kind, size_t i,
                       const whittle_tensor_info *info) {
  printf("%s %zu: '%s' %s[", kind, i, info->name,
         whittle_dtype_name(info->dtype));
  for (int32_t d = 0; d < info->rank; ++d)
    printf("%s%lld", d ? "x" : "", (long long)info->dims[d]);
  printf("%s]\n", info->rank == 0 ? "scalar" : "");
}

static double element(const whittle_tensor *t, int64_t i) {
  switch (t->dtype) {
  case WHITTLE_DTYPE_F32:
    return ((const float *)t->data)[i];
  case WHITTLE_DTYPE_F64:
    return ((const double *)t->data)[i];
  case WHITTLE_DTYPE_I32:
    return ((const int32_t *)t->data)[i];
  case WHITTLE_DTYPE_I64:
    return (double)((const int64_t *)t->data)[i];
  case WHITTLE_DTYPE_U8:
  case WHITTLE_DTYPE_BOOL:
    return ((const uint8_t *)t->data)[i];
  default:
    return 0; /* Not shown by this example. */
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.so [THREADS]\n", argv[0]);
    return 1;
  }
  int exit_code = 1;
  whittle_model *model = NULL;
  whittle_session *session = NULL;
  size_t n_in = 0, n_out = 0;
  whittle_tensor *inputs = NULL, *outputs = NULL;

  if (whittle_model_open(argv[1], &model) != WHITTLE_OK)
    goto error;
  printf("model '%s'\n", whittle_model_name(model));
  n_in = whittle_model_num_inputs(model);
  n_out = whittle_model_num_outputs(model);
  inputs = calloc(n_in + 1, sizeof(whittle_tensor));
  outputs = calloc(n_out + 1, sizeof(whittle_tensor));
  if (!inputs || !outputs)
    goto error;

  for (size_t i = 0; i < n_in; ++i) {
    whittle_tensor_info info;
    whittle_model_input(model, i, &info);
    print_info("input ", i, &info);
    /* Inputs are the caller's: any buffer aligned to the element size. */
    void *data = calloc(info.size_bytes + 1, 1);
    if (!data)
      goto error;
    for (int64_t k = 0; k < info.num_elements; ++k) {
      if (info.dtype == WHITTLE_DTYPE_F32)
        ((float *)data)[k] = 0.5f * (float)k;
      else if (info.dtype == WHITTLE_DTYPE_F64)
        ((double *)data)[k] = 0.5 * (double)k;
    }
    inputs[i] = (whittle_tensor){info.dtype, info.rank, info.dims, data};
  }
  for (size_t i = 0; i < n_out; ++i) {
    whittle_tensor_info info;
    whittle_model_output(model, i, &info);
    print_info("output", i, &info);
    /* data == NULL: the session allocates the output and keeps it. */
    outputs[i] = (whittle_tensor){WHITTLE_DTYPE_INVALID, 0, NULL, NULL};
  }

  if (whittle_session_create(model, &session) != WHITTLE_OK)
    goto error;
  if (argc > 2 &&
      whittle_session_set_num_threads(session, atoi(argv[2])) != WHITTLE_OK)
    goto error;
  if (whittle_session_run(session, inputs, n_in, outputs, n_out) != WHITTLE_OK)
    goto error;

  for (size_t i = 0; i < n_out; ++i) {
    int64_t n = 1;
    for (int32_t d = 0; d < outputs[i].rank; ++d)
      n *= outputs[i].dims[d];
    printf("output %zu (%d threads):", i,
           (int)whittle_session_num_threads(session));
    for (int64_t k = 0; k < n && k < 8; ++k)
      printf(" %g", element(&outputs[i], k));
    printf("%s\n", n > 8 ? " ..." : "");
  }
  exit_code = 0;
  goto cleanup;

error:
  fprintf(stderr, "error: %s\n", whittle_last_error());
cleanup:
  whittle_session_destroy(session);
  for (size_t i = 0; inputs && i < n_in; ++i)
    free(inputs[i].data);
  free(inputs);
  free(outputs);
  whittle_model_close(model);
  return exit_code;
}
