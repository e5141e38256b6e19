/* fma_peak.c - measures the machine's fp32 FMA throughput (GFLOP/s), or with
 * --int8 the throughput of the integer multiply-add sequences of int8 GEMM
 * kernels (G MAC/s; see the integer variants below).
 *
 * Each thread runs CHAINS independent accumulator chains of vector FMAs
 * (acc = acc * a + b) held in registers, so the loop is bound by FMA
 * throughput, not latency or memory. One FMA on a W-lane vector counts as
 * 2*W flops. Variants: AVX2+FMA (8 lanes) and AVX-512F (16 lanes), each where
 * the CPU supports it; threads are pinned to CPUs 0..T-1 of the process's
 * affinity mask.
 *
 * Build:  clang-22 -O2 -march=native -pthread bench/fma_peak.c -o fma_peak
 * Run:    fma_peak [--threads 1,2] [--seconds 0.5] [--json] [--int8]
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

/* Integer variants (--int8): the instruction sequences of int8 GEMM kernels,
 * in 8 or 10 independent accumulator chains, as inline assembly so that no
 * compiler can hoist or fold them. One MAC is one 8-bit product added into a
 * sum:
 *   avx2-s16:  vpmaddwd (s16 x s16 pairs into i32) + vpaddd, 16 MACs per ymm
 *              pair (exact for any 8-bit operands widened to s16)
 *   avx2-u8s8: vpmaddubsw (u8 x s8 pairs into saturating i16) + vpmaddwd by
 *              ones + vpaddd, 32 MACs per ymm triple
 *   vnni-ymm, vnni-zmm: vpdpbusd (four u8 x s8 products into each i32), 32 /
 *              64 MACs per instruction */
#define CLOBBERS                                                               \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",      \
      "xmm9", "xmm10", "xmm11", "xmm12"

/* vpmaddwd into a temporary (three rotate), vpaddd into accumulator i. */
#define S16(i, t)                                                              \
  "vpmaddwd %%ymm14, %%ymm15, %%ymm" #t "\n\t"                                 \
  "vpaddd %%ymm" #t ", %%ymm" #i ", %%ymm" #i "\n\t"
#define U8S8(i, t)                                                             \
  "vpmaddubsw %%ymm14, %%ymm15, %%ymm" #t "\n\t"                               \
  "vpmaddwd %%ymm" #t ", %%ymm13, %%ymm" #t "\n\t"                             \
  "vpaddd %%ymm" #t ", %%ymm" #i ", %%ymm" #i "\n\t"
#define DPY(i) "vpdpbusd %%ymm14, %%ymm15, %%ymm" #i "\n\t"
#define DPZ(i) "vpdpbusd %%zmm14, %%zmm15, %%zmm" #i "\n\t"

__attribute__((noinline)) static float avx2S16(int64_t blocks) {
  for (int64_t i = 0; i < blocks * INNER; ++i)
    __asm__ volatile(S16(0, 10) S16(1, 11) S16(2, 12) S16(3, 10) S16(4, 11)
                         S16(5, 12) S16(6, 10) S16(7, 11)::
                             : CLOBBERS);
  return 0;
}
__attribute__((noinline)) static float avx2U8S8(int64_t blocks) {
  for (int64_t i = 0; i < blocks * INNER; ++i)
    __asm__ volatile(U8S8(0, 10) U8S8(1, 11) U8S8(2, 12) U8S8(3, 10) U8S8(4, 11)
                         U8S8(5, 12) U8S8(6, 10) U8S8(7, 11)::
                             : CLOBBERS);
  return 0;
}
__attribute__((noinline)) static float vnniYmm(int64_t blocks) {
  for (int64_t i = 0; i < blocks * INNER; ++i)
    __asm__ volatile(DPY(0) DPY(1) DPY(2) DPY(3) DPY(4) DPY(5) DPY(6) DPY(7)
                         DPY(8) DPY(9)::
                             : CLOBBERS);
  return 0;
}
__attribute__((noinline)) static float vnniZmm(int64_t blocks) {
  for (int64_t i = 0; i < blocks * INNER; ++i)
    __asm__ volatile(DPZ(0) DPZ(1) DPZ(2) DPZ(3) DPZ(4) DPZ(5) DPZ(6) DPZ(7)
                         DPZ(8) DPZ(9)::
                             : CLOBBERS);
  return 0;
}

typedef float (*kernel_fn)(int64_t);

struct variant {
  const char *name;
  kernel_fn fn;
  int lanes;
  int supported;
  /* Operations (fp32 flops, or int8 MACs) per block of one thread. */
  double perBlock;
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
  return v->perBlock * (double)blocks * threads / slowest / 1e9;
}

int main(int argc, char **argv) {
  int thread_counts[16] = {1, 2}, num_counts = 2;
  double seconds = 0.5;
  int json = 0, int8 = 0;
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
    } else if (!strcmp(argv[i], "--int8")) {
      int8 = 1;
    } else {
      fprintf(stderr,
              "usage: %s [--threads 1,2] [--seconds S] [--json] [--int8]\n",
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
  const double fmaBlock = 2.0 * CHAINS * INNER;
  struct variant fpVariants[] = {
      {"avx2", fma_avx2, 8,
       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"),
       8 * fmaBlock},
      {"avx512", fma_avx512, 16, __builtin_cpu_supports("avx512f"),
       16 * fmaBlock},
  };
  int avx2 = __builtin_cpu_supports("avx2");
  int vnni = __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512vl");
  struct variant intVariants[] = {
      {"avx2-s16", avx2S16, 8, avx2, 8 * 16.0 * INNER},
      {"avx2-u8s8", avx2U8S8, 8, avx2, 8 * 32.0 * INNER},
      {"vnni-ymm", vnniYmm, 8, vnni, 10 * 32.0 * INNER},
      {"vnni-zmm", vnniZmm, 16, vnni, 10 * 64.0 * INNER},
  };
  struct variant *variants = int8 ? intVariants : fpVariants;
  size_t numVariants = int8 ? sizeof intVariants / sizeof intVariants[0]
                            : sizeof fpVariants / sizeof fpVariants[0];
  const char *unit = int8 ? "G MAC/s" : "GFLOP/s";

  for (size_t vi = 0; vi < numVariants; ++vi) {
    const struct variant *v = &variants[vi];
    if (!v->supported) {
      if (!json)
        printf("%-9s not supported by this CPU\n", v->name);
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
      const char *key = int8 ? "gmacs" : "gflops";
      if (json)
        printf("{\"variant\": \"%s\", \"lanes\": %d, \"threads\": %d, "
               "\"pinned\": %s, \"%s\": %.2f, \"%s_per_thread\": %.2f}\n",
               v->name, v->lanes, threads, pin ? "true" : "false", key, best,
               key, best / threads);
      else
        printf("%-9s %2d thread%s: %8.1f %s (%.1f per thread, best of 3)\n",
               v->name, threads, threads == 1 ? " " : "s", best, unit,
               best / threads);
    }
  }
  return 0;
}
