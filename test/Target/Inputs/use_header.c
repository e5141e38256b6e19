/* Calls a model library built from block.mlir through its generated header. */
#include "tiny-block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  float in[64], probs[64], hidden[64], probs2[64], hidden2[64];
  for (int i = 0; i < 64; ++i)
    in[i] = (float)((i % 11) - 5) * 0.25f;
  printf("abi %d workspace %lld\n", whittle_model_abi_version(),
         (long long)whittle_model_workspace_size());
  printf("tiny_block_run %d\n", tiny_block_run(in, probs, hidden));

  void *workspace =
      aligned_alloc(64, (whittle_model_workspace_size() + 63) / 64 * 64);
  void *inputs[] = {in};
  void *outputs[] = {probs2, hidden2};
  printf("whittle_model_run %d\n",
         whittle_model_run(inputs, outputs, workspace, NULL));
  printf("same %d\n", !memcmp(probs, probs2, sizeof probs) &&
                          !memcmp(hidden, hidden2, sizeof hidden));
  /* This model needs a workspace: a null one is refused, not dereferenced. */
  printf("null workspace %d\n", whittle_model_run(inputs, outputs, NULL, NULL));
  free(workspace);
  return 0;
}
