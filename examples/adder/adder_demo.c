/*===- adder_demo.c - Let a compiled decoder add numbers ------------------===*\
 *
 * Links adder.so (compiled by whittle-compile from adder.onnx) directly
 * through the generated adder.h. For each "A+B" on the command line the
 * compiled model writes the sum one token at a time: the prompt "AAA+BBB="
 * goes in, the most likely next token is appended, and so on. The model
 * writes the sum's digits least significant first; the demo prints them in
 * the usual order.
 *
\*===----------------------------------------------------------------------===*/

#include "adder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SEQ = 16, VOCAB = 13, PROMPT_LEN = 8, ANSWER_DIGITS = 4 };
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

  int64_t ids[SEQ];
  for (int i = 0; i < SEQ; ++i)
    ids[i] = i < PROMPT_LEN ? tokenOf(prompt[i]) : tokenOf('$');
  static float logits[SEQ * VOCAB];
  double stepMs[ANSWER_DIGITS + 1];
  char reversed[ANSWER_DIGITS + 1] = {0};

  for (int step = 0; step <= ANSWER_DIGITS; ++step) {
    int pos = PROMPT_LEN + step;
    double start = nowMs();
    if (adder_run(ids, logits) != 0) {
      fprintf(stderr, "adder_demo: the model failed to run\n");
      exit(1);
    }
    stepMs[step] = nowMs() - start;
    const float *row = logits + (size_t)(pos - 1) * VOCAB;
    int best = 0;
    for (int t = 1; t < VOCAB; ++t)
      if (row[t] > row[best])
        best = t;
    ids[pos] = best;
    if (step < ANSWER_DIGITS)
      reversed[step] = kVocab[best];
  }

  char answer[ANSWER_DIGITS + 1];
  for (int i = 0; i < ANSWER_DIGITS; ++i)
    answer[i] = reversed[ANSWER_DIGITS - 1 - i];
  answer[ANSWER_DIGITS] = 0;
  const char *digits = answer;
  while (*digits == '0' && digits[1])
    ++digits;

  qsort(stepMs, ANSWER_DIGITS + 1, sizeof(double), compareDoubles);
  int ok = strtoul(digits, NULL, 10) == a + b &&
           strspn(answer, "0123456789") == ANSWER_DIGITS;
  *correct += ok;
  printf("%u+%u=%s  (%s; %d tokens, median %.3f ms per token)\n", a, b, digits,
         ok ? "correct" : "WRONG", ANSWER_DIGITS + 1,
         stepMs[ANSWER_DIGITS / 2]);
  return 0;
}

int main(int argc, char **argv) {
  static const char *kDefaults[] = {"123+456", "999+1", "58+379", "640+360",
                                    "7+8"};
  const char **problems = argc > 1 ? (const char **)argv + 1 : kDefaults;
  int count = argc > 1 ? argc - 1 : (int)(sizeof kDefaults / sizeof *kDefaults);
  int correct = 0;
  for (int i = 0; i < count; ++i)
    if (solve(problems[i], &correct))
      return 1;
  printf("%d of %d correct\n", correct, count);
  return correct == count ? 0 : 2;
}
