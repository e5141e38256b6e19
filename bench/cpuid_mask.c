/* cpuid_mask.c - runs a program as if the CPU had no AVX-512 and no VNNI.
 *
 * ONNX Runtime (its MLAS kernels) picks its GEMM kernels from CPUID at run
 * time, so on a CPU with AVX-512 VNNI it cannot be made to run its AVX2
 * integer path, which is what a CPU without VNNI (Zen 2/3, Haswell..Comet
 * Lake) runs. This preload library makes that path measurable on the same
 * machine: it turns on CPUID faulting for the process (Linux
 * arch_prctl(ARCH_SET_CPUID, 0); the CPU or hypervisor must support it:
 * "cpuid_fault" in /proc/cpuinfo), so that every CPUID instruction raises
 * SIGSEGV; the handler executes CPUID itself with faulting briefly off,
 * clears the AVX-512 and VNNI feature bits (leaf 7: AVX512*, AVX512_VNNI,
 * AVX512_BF16, AVX512_FP16, AVX-VNNI, AMX) and resumes after the
 * instruction. Nothing else changes: the same cores, caches and clocks run
 * whichever instructions the program then chooses.
 *
 * The setting is per thread and inherited by threads created later, so it
 * is turned on in a constructor, before the program starts any. Other
 * SIGSEGVs go to the program's own handler (sigaction is interposed so that
 * the program's handler never replaces this one) or the default action.
 *
 * Build: cc -O2 -shared -fPIC bench/cpuid_mask.c -o cpuid_mask.so
 * Use:   LD_PRELOAD=./cpuid_mask.so node bench/ort_run.js MODEL.onnx ...
 * (/proc/cpuinfo is the kernel's view and does not change.)
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* The SIGSEGV action the program asked for: ours stays installed. */
static struct sigaction previous;
static int installed;

static int realSigaction(int sig, const struct sigaction *act,
                         struct sigaction *old) {
  static int (*real)(int, const struct sigaction *, struct sigaction *);
  if (!real)
    real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(
        RTLD_NEXT, "sigaction");
  return real(sig, act, old);
}

/* Programs that install their own SIGSEGV handler without chaining to the
 * one before (Node.js's WebAssembly trap handler) get it recorded as the
 * action for other faults instead. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (sig != SIGSEGV || !installed)
    return realSigaction(sig, act, old);
  if (old)
    *old = previous;
  if (act)
    previous = *act;
  return 0;
}

static long setCpuid(int enabled) {
  return syscall(SYS_arch_prctl, ARCH_SET_CPUID, (unsigned long)enabled);
}

/* Leaf 7, subleaf 0. */
#define EBX7_MASK                                                              \
  ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) |            \
   (1u << 28) | (1u << 30) | (1u << 31)) /* F DQ IFMA PF ER CD BW VL */
#define ECX7_MASK                                                              \
  ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) |                           \
   (1u << 14)) /* VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
#define EDX7_MASK                                                              \
  ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) |  \
   (1u                                                                         \
    << 25)) /* 4VNNIW 4FMAPS VP2INTERSECT AMX-BF16 FP16 AMX-TILE AMX-INT8 */
/* Leaf 7, subleaf 1: AVX-VNNI, AVX512_BF16, AVX-IFMA, AVX-VNNI-INT8. */
#define EAX71_MASK ((1u << 4) | (1u << 5) | (1u << 23))
#define EDX71_MASK (1u << 4)

static void onSegv(int sig, siginfo_t *info, void *raw) {
  ucontext_t *uc = raw;
  greg_t *r = uc->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)r[REG_RIP];
  if (ip[0] == 0x0f && ip[1] == 0xa2) {
    uint32_t leaf = (uint32_t)r[REG_RAX], sub = (uint32_t)r[REG_RCX];
    uint32_t a, b, c, d;
    setCpuid(1);
    __asm__ volatile("cpuid"
                     : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
                     : "a"(leaf), "c"(sub));
    setCpuid(0);
    if (leaf == 7 && sub == 0) {
      b &= ~EBX7_MASK;
      c &= ~ECX7_MASK;
      d &= ~EDX7_MASK;
    } else if (leaf == 7 && sub == 1) {
      a &= ~EAX71_MASK;
      d &= ~EDX71_MASK;
    }
    r[REG_RAX] = a;
    r[REG_RBX] = b;
    r[REG_RCX] = c;
    r[REG_RDX] = d;
    r[REG_RIP] += 2;
    return;
  }
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(sig, info, raw);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  /* Fault again with the default action (a core dump names the real fault). */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  installed = 0;
  realSigaction(SIGSEGV, &dfl, NULL);
}

__attribute__((constructor)) static void enableMasking(void) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = onSegv;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (realSigaction(SIGSEGV, &action, &previous) != 0 || setCpuid(0) != 0) {
    fprintf(stderr, "cpuid_mask: error: cannot enable CPUID faulting (is "
                    "cpuid_fault in /proc/cpuinfo?)\n");
    _exit(2);
  }
  installed = 1;
}
