/* fma_peak.c - measures the machine's fp32 FMA throughput (GFLOP/s).
 *
 * Each thread runs CHAINS independent accumulator chains of vector FMAs
 * (acc = acc * a + b) held in registers, so the loop is bound by FMA
 * throughput, not latency or memory. One FMA on a W-lane vector counts as
 * 2*W flops. Variants: AVX2+FMA (8 lanes) and AVX-512F (16 lanes), each where
 * the CPU supports it; threads are pinned to CPUs 0..T-1 of the process's
 * affinity mask.
 *
 * Build:  clang-22 -O2 -march=native -pthread bench/fma_peak.c -o fma_peak
 * Run:    fma_peak [--threads 1,2] [--seconds 0.5] [--json]
 * With --json, prints one JSON object per (variant, threads) line.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12  /* independent chains: >= latency (4) x FMA ports (2) */
#define INNER 1000 /* FMAs per chain per inner block */

/* Read through volatiles so that the compiler cannot constant-fold any chain
 * (a chain starting at a fixed point of x -> a*x + b would become invariant).
 */
static volatile float seed_x = 1.0f, seed_a = 0.999f, seed_b = 1e-3f;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Runs `blocks` inner blocks; returns a value derived from every chain so
 * that none of them is dead code. */
__attribute__((target("avx2,fma"), noinline)) static float
fma_avx2(int64_t blocks) {
  __m256 acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = _mm256_set1_ps(seed_x + 1e-3f * c);
  /* a * acc + b with a < 1 keeps values bounded (no overflow, no denormals). */
  const __m256 a = _mm256_set1_ps(seed_a), b = _mm256_set1_ps(seed_b);
  for (int64_t i = 0; i < blocks; ++i) {
    for (int k = 0; k < INNER; ++k) {
#pragma clang loop unroll(full)
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    }
  }
  __m256 sum = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    sum = _mm256_add_ps(sum, acc[c]);
  float out[8];
  _mm256_storeu_ps(out, sum);
  return out[0] + out[7];
}

__attribute__((target("avx512f"), noinline)) static float
fma_avx512(int64_t blocks) {
  __m512 acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = _mm512_set1_ps(seed_x + 1e-3f * c);
  const __m512 a = _mm512_set1_ps(seed_a), b = _mm512_set1_ps(seed_b);
  for (int64_t i = 0; i < blocks; ++i) {
    for (int k = 0; k < INNER; ++k) {
#pragma clang loop unroll(full)
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    }
  }
  __m512 sum = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  return _mm512_reduce_add_ps(sum);
}

typedef float (*kernel_fn)(int64_t);

struct variant {
  const char *name;
  kernel_fn fn;
  int lanes;
  int supported;
};

struct job {
  kernel_fn fn;
  int64_t blocks;
  int cpu; /* -1: do not pin */
  pthread_barrier_t *barrier;
  double seconds;
  volatile float sink;
};

static void *worker(void *arg) {
  struct job *j = arg;
  if (j->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(j->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  j->fn(j->blocks / 16 + 1); /* warm up clocks and caches */
  pthread_barrier_wait(j->barrier);
  double t0 = now();
  j->sink = j->fn(j->blocks);
  j->seconds = now() - t0;
  return NULL;
}

/* GFLOP/s of `threads` threads each running `blocks` blocks; the slowest
 * thread's time is the elapsed time. */
static double run(const struct variant *v, int threads, const int *cpus,
                  int64_t blocks) {
  pthread_t tid[256];
  struct job jobs[256];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)threads);
  for (int t = 0; t < threads; ++t) {
    jobs[t] = (struct job){v->fn, blocks, cpus ? cpus[t] : -1, &barrier, 0, 0};
    pthread_create(&tid[t], NULL, worker, &jobs[t]);
  }
  double slowest = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(tid[t], NULL);
    if (jobs[t].seconds > slowest)
      slowest = jobs[t].seconds;
  }
  pthread_barrier_destroy(&barrier);
  double flops =
      2.0 * v->lanes * CHAINS * (double)INNER * (double)blocks * threads;
  return flops / slowest / 1e9;
}

int main(int argc, char **argv) {
  int thread_counts[16] = {1, 2}, num_counts = 2;
  double seconds = 0.5;
  int json = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      num_counts = 0;
      for (char *s = strtok(argv[++i], ","); s && num_counts < 16;
           s = strtok(NULL, ","))
        thread_counts[num_counts++] = atoi(s);
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else {
      fprintf(stderr, "usage: %s [--threads 1,2] [--seconds S] [--json]\n",
              argv[0]);
      return 2;
    }
  }

  /* Pin thread t to the t-th CPU of the affinity mask (so that taskset
   * applies). */
  cpu_set_t mask;
  int cpus[256], ncpus = 0;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0)
    for (int c = 0; c < CPU_SETSIZE && ncpus < 256; ++c)
      if (CPU_ISSET(c, &mask))
        cpus[ncpus++] = c;

  __builtin_cpu_init();
  struct variant variants[] = {
      {"avx2", fma_avx2, 8,
       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
      {"avx512", fma_avx512, 16, __builtin_cpu_supports("avx512f")},
  };

  for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; ++vi) {
    const struct variant *v = &variants[vi];
    if (!v->supported) {
      if (!json)
        printf("%-7s not supported by this CPU\n", v->name);
      continue;
    }
    /* Calibrate blocks so that one run takes about `seconds`. */
    int64_t blocks = 64;
    for (;;) {
      double t0 = now();
      v->fn(blocks);
      double dt = now() - t0;
      if (dt > 0.05 || blocks > (1LL << 40)) {
        blocks = (int64_t)(blocks * seconds / dt) + 1;
        break;
      }
      blocks *= 4;
    }
    for (int k = 0; k < num_counts; ++k) {
      int threads = thread_counts[k];
      if (threads < 1 || threads > 256)
        continue;
      int pin = ncpus >= threads;
      double best = 0;
      for (int rep = 0; rep < 3; ++rep) {
        double g = run(v, threads, pin ? cpus : NULL, blocks);
        if (g > best)
          best = g;
      }
      if (json)
        printf(
            "{\"variant\": \"%s\", \"lanes\": %d, \"threads\": %d, "
            "\"pinned\": %s, \"gflops\": %.2f, \"gflops_per_thread\": %.2f}\n",
            v->name, v->lanes, threads, pin ? "true" : "false", best,
            best / threads);
      else
        printf("%-7s %2d thread%s: %8.1f GFLOP/s (%.1f per thread, %d chains, "
               "best of 3)\n",
               v->name, threads, threads == 1 ? " " : "s", best, best / threads,
               CHAINS);
    }
  }
  return 0;
}
