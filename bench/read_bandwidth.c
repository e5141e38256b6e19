// Measures the sustained memory read bandwidth: T threads each sum their
// share of a buffer far larger than the caches, the median of several
// passes. This is the bound of a decode step, which reads every weight once.
//
//   cc -O3 -march=native -pthread bench/read_bandwidth.c -o read_bandwidth
//   ./read_bandwidth [THREADS] [MIB] [PASSES]
//
// Prints one JSON line: {"threads", "mib", "gb_per_s", "passes"}.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const uint64_t *begin;
  size_t words;
  uint64_t sum;
} Share;

static void *readShare(void *arg) {
  Share *s = arg;
  // Eight independent accumulators keep several loads in flight; the
  // compiler vectorizes the loop to full-width loads.
  uint64_t acc[8] = {0};
  const uint64_t *p = s->begin;
  size_t n = s->words / 8 * 8;
  for (size_t i = 0; i < n; i += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += p[i + j];
  uint64_t sum = 0;
  for (int j = 0; j < 8; ++j)
    sum += acc[j];
  s->sum = sum;
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compareDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  size_t mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 1024;
  int passes = argc > 3 ? atoi(argv[3]) : 7;
  if (threads < 1 || threads > 256 || mib < 64 || passes < 1 || passes > 100) {
    fprintf(stderr, "usage: read_bandwidth [THREADS 1-256] [MIB >= 64] "
                    "[PASSES 1-100]\n");
    return 1;
  }
  size_t bytes = mib << 20, words = bytes / 8;
  uint64_t *buffer = aligned_alloc(64, bytes);
  if (!buffer) {
    fprintf(stderr, "read_bandwidth: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  memset(buffer, 1, bytes); // fault every page in before timing
  pthread_t ids[256];
  Share shares[256];
  double seconds[100];
  uint64_t check = 0;
  for (int pass = 0; pass < passes; ++pass) {
    double start = now();
    for (int t = 0; t < threads; ++t) {
      size_t first = words * t / threads, last = words * (t + 1) / threads;
      shares[t] = (Share){buffer + first, last - first, 0};
      pthread_create(&ids[t], NULL, readShare, &shares[t]);
    }
    for (int t = 0; t < threads; ++t) {
      pthread_join(ids[t], NULL);
      check += shares[t].sum;
    }
    seconds[pass] = now() - start;
  }
  qsort(seconds, passes, sizeof(double), compareDouble);
  double median = seconds[passes / 2];
  printf("{\"threads\": %d, \"mib\": %zu, \"gb_per_s\": %.2f, \"passes\": %d, "
         "\"checksum\": %llu}\n",
         threads, mib, bytes / median / 1e9, passes,
         (unsigned long long)(check & 0xffff));
  free(buffer);
  return 0;
}
