/*===- run_model.c - Calling a compiled model directly -------------------===*\
 *
 * Links scale_add.so like any C library and calls it through the header
 * whittle-compile writes next to it: no runtime library involved. The model
 * computes out = x * 2 + y over f32[2x3] (examples/scale_add.onnx).
 *
 *   whittle-compile scale_add.onnx -o scale_add.so    (writes scale_add.h)
 *   cc run_model.c -I. ./scale_add.so -o run_model
 *
\*===----------------------------------------------------------------------===*/

#include "scale_add.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  /* The library describes itself; the header also declares the raw ABI. */
  printf("ABI version %d\n", (int)whittle_model_abi_version());
  printf("%s", whittle_model_metadata());

  const float x[6] = {1, 2, 3, 4, 5, 6};
  const float y[6] = {0.5f, 0.25f, 0, -1, -2, -3};
  float out[6];
  int32_t rc = scale_add_run(x, y, out);
  if (rc != 0) {
    fprintf(stderr, "scale_add_run failed with code %d\n", (int)rc);
    return 1;
  }

  int ok = 1;
  printf("out =");
  for (int i = 0; i < 6; ++i) {
    printf(" %g", out[i]);
    ok &= fabsf(out[i] - (x[i] * 2 + y[i])) <= 1e-6f;
  }
  printf("\n%s\n", ok ? "result matches x * 2 + y" : "WRONG RESULT");
  return ok ? 0 : 1;
}
