/*===- adder_demo.c - Let a compiled decoder add numbers ------------------===*\
 *
 * Links adder.so (compiled by whittle-compile --decode from adder.onnx)
 * directly through the generated adder.h. For each "A+B" on the command line
 * the compiled model writes the sum one token at a time through its
 * key/value cache: the prompt "AAA+BBB=" is prefilled in one step, then each
 * decode step computes one new token only, and the most likely next token
 * is appended. The model writes the sum's digits least significant first;
 * the demo prints them in the usual order.
 *
\*===----------------------------------------------------------------------===*/

#include "adder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { VOCAB = 13, PROMPT_LEN = 8, ANSWER_DIGITS = 4 };
static const char kVocab[] = "0123456789+=$";

static int tokenOf(char c) {
  const char *p = strchr(kVocab, c);
  return p && c ? (int)(p - kVocab) : -1;
}

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The decode session: the cache (zeroed before first use) and a workspace
 * for every entry point. */
static void *state, *workspace;

static void *alignedZeroed(int64_t bytes) {
  size_t size = (size_t)((bytes + 63) / 64 * 64);
  void *p = aligned_alloc(64, size ? size : 64);
  if (!p) {
    fprintf(stderr, "adder_demo: out of memory\n");
    exit(1);
  }
  memset(p, 0, size);
  return p;
}

/* Runs n tokens at position; returns the most likely token after the last. */
static int step(int64_t n, const int64_t *tokens, int64_t position) {
  static float logits[ADDER_DECODE_CHUNK * VOCAB];
  void *outputs[] = {logits};
  if (whittle_model_decode(n, tokens, position, state, outputs, workspace,
                           NULL) != 0) {
    fprintf(stderr, "adder_demo: the model failed to run\n");
    exit(1);
  }
  const float *row = logits + (size_t)(n - 1) * VOCAB;
  int best = 0;
  for (int t = 1; t < VOCAB; ++t)
    if (row[t] > row[best])
      best = t;
  return best;
}

/* Returns 0 and prints the model's answer, or 1 on a malformed problem. */
static int solve(const char *problem, int *correct) {
  unsigned a, b;
  char tail;
  if (sscanf(problem, "%u+%u%c", &a, &b, &tail) != 2 || a > 999 || b > 999) {
    fprintf(stderr,
            "adder_demo: '%s' is not of the form A+B with A, B < 1000\n",
            problem);
    return 1;
  }
  char prompt[PROMPT_LEN + 1];
  snprintf(prompt, sizeof prompt, "%03u+%03u=", a, b);

  int64_t ids[ADDER_DECODE_CHUNK];
  for (int i = 0; i < ADDER_DECODE_CHUNK; ++i)
    ids[i] = i < PROMPT_LEN ? tokenOf(prompt[i]) : tokenOf('$');
  double stepMs[ANSWER_DIGITS];
  char reversed[ANSWER_DIGITS + 1] = {0};

  // The prompt in one prefill step (padded to the chunk), then one token per
  // decode step. A new problem starts over at position 0.
  double start = nowMs();
  int next = step(ADDER_DECODE_CHUNK, ids, 0);
  double prefillMs = nowMs() - start;
  for (int i = 0; i < ANSWER_DIGITS; ++i) {
    reversed[i] = kVocab[next];
    int64_t token = next;
    start = nowMs();
    next = step(1, &token, PROMPT_LEN + i);
    stepMs[i] = nowMs() - start;
  }

  char answer[ANSWER_DIGITS + 1];
  for (int i = 0; i < ANSWER_DIGITS; ++i)
    answer[i] = reversed[ANSWER_DIGITS - 1 - i];
  answer[ANSWER_DIGITS] = 0;
  const char *digits = answer;
  while (*digits == '0' && digits[1])
    ++digits;

  qsort(stepMs, ANSWER_DIGITS, sizeof(double), compareDoubles);
  int ok = strtoul(digits, NULL, 10) == a + b &&
           strspn(answer, "0123456789") == ANSWER_DIGITS;
  *correct += ok;
  printf("%u+%u=%s  (%s; prefill %d tokens %.3f ms, then median %.3f ms per "
         "token)\n",
         a, b, digits, ok ? "correct" : "WRONG", PROMPT_LEN, prefillMs,
         (stepMs[ANSWER_DIGITS / 2 - 1] + stepMs[ANSWER_DIGITS / 2]) / 2);
  return 0;
}

int main(int argc, char **argv) {
  static const char *kDefaults[] = {"123+456", "999+1", "58+379", "640+360",
                                    "7+8"};
  const char **problems = argc > 1 ? (const char **)argv + 1 : kDefaults;
  int count = argc > 1 ? argc - 1 : (int)(sizeof kDefaults / sizeof *kDefaults);
  int64_t size = whittle_model_workspace_size();
  if (whittle_model_decode_workspace_size() > size)
    size = whittle_model_decode_workspace_size();
  workspace = alignedZeroed(size);
  state = alignedZeroed(ADDER_DECODE_STATE_BYTES);
  int correct = 0;
  for (int i = 0; i < count; ++i)
    if (solve(problems[i], &correct))
      return 1;
  free(state);
  free(workspace);
  printf("%d of %d correct\n", correct, count);
  return correct == count ? 0 : 2;
}
