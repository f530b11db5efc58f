/*
 * xstate-check: is each thread's vector register state kept across preemption?
 *
 *   xstate-check --size          print the host's user XSAVE size in bytes (CPUID 0xD.0:EBX, the
 *                                size for the features the OS enabled in XCR0; what ptrace needs)
 *   xstate-check SECONDS THREADS run THREADS threads in one process for SECONDS; print one JSON
 *                                line; exit 1 if any thread read back a value it did not write
 *
 * Each thread loads its own pattern into vector registers, spins long enough to be preempted, and
 * reads them back. It uses registers in every XSAVE component the CPU has: the upper half of ymm1
 * (AVX, within user-mode-linux's 832 bytes) and, with AVX-512, zmm16 (Hi16_ZMM) and the upper half
 * of zmm1 (ZMM_Hi256), which live only past those 832 bytes and so only in the interposer's
 * per-thread shadow (sandbox/xstate/uml-xstate.c). The spin is one asm block, so nothing else
 * (libc's EVEX string functions included) can touch the registers in between.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPIN 200000UL /* ~0.1–1 ms per round: many timer ticks land mid-spin */

struct worker {
  int id;
  int avx512;
  double seconds;
  unsigned long rounds;
  unsigned long mismatches;
};

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static int os_has(uint64_t mask) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
  return (xgetbv0() & mask) == mask;
}

static int have_avx(void) {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AVX) && os_has(0x6);
}

static int have_avx512(void) {
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F) && os_has(0xe6);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ymm1 := pattern (both halves), spin, read ymm1 back. */
__attribute__((target("avx"))) static void round_avx(const uint64_t in[4], uint64_t out[4]) {
  __asm__ volatile(
      "vmovdqu (%[in]), %%ymm1\n\t"
      "mov %[spin], %%rcx\n"
      "1: dec %%rcx\n\t"
      "jnz 1b\n\t"
      "vmovdqu %%ymm1, (%[out])\n\t"
      "vzeroupper\n\t"
      :
      : [in] "r"(in), [out] "r"(out), [spin] "i"(SPIN)
      : "rcx", "xmm1", "memory");
}

/* zmm1 and zmm16 := pattern, spin, read both back. */
__attribute__((target("avx512f"))) static void round_avx512(const uint64_t in[8], uint64_t out[16]) {
  __asm__ volatile(
      "vmovdqu64 (%[in]), %%zmm1\n\t"
      "vmovdqu64 (%[in]), %%zmm16\n\t"
      "mov %[spin], %%rcx\n"
      "1: dec %%rcx\n\t"
      "jnz 1b\n\t"
      "vmovdqu64 %%zmm1, (%[out])\n\t"
      "vmovdqu64 %%zmm16, 64(%[out])\n\t"
      "vzeroupper\n\t"
      :
      : [in] "r"(in), [out] "r"(out), [spin] "i"(SPIN)
      : "rcx", "xmm1", "xmm16", "memory");
}

static void fill(uint64_t *p, int n, int id, unsigned long round) {
  for (int i = 0; i < n; i++) p[i] = ((uint64_t)(id + 1) << 56) ^ ((uint64_t)i << 48) ^ round;
}

static void *run(void *arg) {
  struct worker *w = arg;
  uint64_t in[8], out[16];
  double end = now() + w->seconds;
  while (now() < end) {
    fill(in, 8, w->id, w->rounds);
    if (w->avx512) {
      round_avx512(in, out);
      if (memcmp(in, out, 64) != 0 || memcmp(in, out + 8, 64) != 0) w->mismatches++;
    } else {
      round_avx(in, out);
      if (memcmp(in, out, 32) != 0) w->mismatches++;
    }
    w->rounds++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--size") == 0) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d)) return 2;
    printf("%u\n", b);
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: xstate-check --size | xstate-check SECONDS THREADS\n");
    return 2;
  }
  if (!have_avx()) {
    fprintf(stderr, "xstate-check: this CPU has no AVX; nothing past SSE to check\n");
    return 2;
  }
  double seconds = atof(argv[1]);
  int n = atoi(argv[2]);
  if (n < 2 || n > 64 || seconds <= 0) return 2;
  struct worker *ws = calloc((size_t)n, sizeof *ws);
  pthread_t *ts = calloc((size_t)n, sizeof *ts);
  int avx512 = have_avx512();
  for (int i = 0; i < n; i++) {
    ws[i] = (struct worker){.id = i, .avx512 = avx512, .seconds = seconds};
    pthread_create(&ts[i], NULL, run, &ws[i]);
  }
  unsigned long rounds = 0, mismatches = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(ts[i], NULL);
    rounds += ws[i].rounds;
    mismatches += ws[i].mismatches;
  }
  printf("{\"registers\":\"%s\",\"threads\":%d,\"rounds\":%lu,\"mismatches\":%lu}\n",
         avx512 ? "ymm1,zmm1,zmm16" : "ymm1", n, rounds, mismatches);
  return mismatches == 0 ? 0 : 1;
}
