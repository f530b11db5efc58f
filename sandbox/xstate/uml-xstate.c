/*
 * uml-xstate.so: an LD_PRELOAD interposer on libc's ptrace() for Debian's user-mode-linux 6.1,
 * loaded into the linux.uml host process by scripts/sandbox. See docs/sandbox.md.
 *
 * Why: UML 6.1 saves and restores each guest thread's FPU state with PTRACE_GETREGSET /
 * PTRACE_SETREGSET on NT_X86_XSTATE into a fixed 832-byte buffer (sizeof(struct _xstate):
 * x87+SSE+AVX). The host kernel's xstateregs_set() refuses (EFAULT) any SETREGSET whose length is
 * not the host's full user XSAVE size (fpu_user_cfg.max_size). On AVX-512 (~2.7 KB) and AMX
 * (~11 KB) hosts every write fails, UML prints "userspace - ptrace set fp regs failed, errno = 14"
 * and init dies. GETREGSET with a short buffer still succeeds, so UML believes it has xstate.
 *
 * What: for NT_X86_XSTATE requests shorter than the host's size, this reads the full state into a
 * per-thread shadow, hands UML the part it knows, and on SETREGSET writes UML's part over that
 * thread's shadow and passes the full size on.
 *
 * The guard: the shadow is keyed by UML's buffer address, which is the guest thread's own
 * `regs->fp` (arch/um/os-Linux/skas/process.c passes it to both calls). Guest threads of one guest
 * process share one host process, so the state past UML's 832 bytes (AVX-512, AMX) must be switched
 * here or one thread would see another's zmm registers. Without the shadow (a fresh read before
 * each write) the host process keeps whichever thread ran last. scripts/sandbox's self-test
 * (test/sandbox/xstate.test.ts, sandbox/xstate/xstate-check.c) fails if that happens.
 *
 * Environment (read once, at load):
 *   UML_XSTATE_VISIBLE=N  show UML only the first N bytes (N >= 576: legacy area + XSAVE header).
 *                         With 576, AVX state also lives only in the shadow: that makes a small-
 *                         XSAVE host exercise the same path as a large one (SANDBOX_XSTATE=on).
 *   UML_XSTATE_GUARD=0    no per-thread shadow: fresh read before each write (proves the self-test
 *                         can fail; never for real use).
 *   UML_XSTATE_REFUSE=1   fail each such SETREGSET with EFAULT, as a large-XSAVE host's kernel does
 *                         without this interposer (tests scripts/sandbox's boot diagnosis anywhere).
 *
 * It must be async-signal-safe and allocation-free after load: UML calls ptrace from its
 * scheduler, and may do so from signal context. The shadow is one lazily-committed mmap.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define XSAVE_LEGACY_AND_HEADER 576 /* 512-byte FXSAVE area + 64-byte XSAVE header */
#define PROBE_BYTES (64 * 1024)     /* larger than any x86 XSAVE area so far (AMX: ~11 KB) */
#define SLOTS 8192                  /* guest threads remembered; more fall back to a fresh read */

struct slot {
  uintptr_t key; /* UML's buffer address; 0 = free */
  unsigned char *state;
};

static size_t host_size;        /* the host's full user XSAVE size, learnt from the kernel */
static size_t visible_limit;    /* 0 = whatever UML asks for */
static int guard = 1;
static int refuse;
static struct slot slots[SLOTS];
static unsigned char *arena;    /* SLOTS * host_size bytes, committed page by page on first touch */
static unsigned char *scratch;  /* for requests that find no slot */

static long raw_ptrace(long request, long pid, void *addr, void *data) {
  return syscall(SYS_ptrace, request, pid, addr, data);
}

static struct slot *slot_for(uintptr_t key, int create) {
  size_t start = (key >> 6) % SLOTS;
  for (size_t i = 0; i < SLOTS; i++) {
    struct slot *s = &slots[(start + i) % SLOTS];
    if (s->key == key) return s;
    if (s->key == 0) {
      if (!create || arena == NULL) return NULL;
      s->key = key;
      s->state = arena + ((size_t)(s - slots)) * host_size;
      return s;
    }
  }
  return NULL;
}

/* The host's size, from a GETREGSET with a large buffer: the kernel shortens iov_len to it. */
static size_t probe_host_size(long pid) {
  static unsigned char probe[PROBE_BYTES];
  struct iovec iov = {probe, sizeof probe};
  if (raw_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) return 0;
  return iov.iov_len;
}

static int ensure_ready(long pid) {
  if (host_size != 0) return 0;
  size_t size = probe_host_size(pid);
  if (size == 0) return -1;
  void *a = mmap(NULL, SLOTS * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  void *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return -1;
  arena = a == MAP_FAILED ? NULL : a;
  scratch = s;
  host_size = size;
  return 0;
}

/* How many of UML's bytes are real state; the rest of its buffer is left zeroed. */
static size_t visible(size_t uml_len) {
  size_t n = uml_len < host_size ? uml_len : host_size;
  if (visible_limit != 0 && visible_limit < n) n = visible_limit;
  return n;
}

static long get_xstate(long pid, struct iovec *iov) {
  struct slot *s = guard ? slot_for((uintptr_t)iov->iov_base, 1) : NULL;
  unsigned char *full = s != NULL ? s->state : scratch;
  struct iovec whole = {full, host_size};
  if (raw_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &whole) < 0) return -1;
  size_t n = visible(iov->iov_len);
  memcpy(iov->iov_base, full, n);
  memset((unsigned char *)iov->iov_base + n, 0, iov->iov_len - n);
  return 0;
}

static long set_xstate(long pid, struct iovec *iov) {
  if (refuse) {
    errno = EFAULT;
    return -1;
  }
  struct slot *s = guard ? slot_for((uintptr_t)iov->iov_base, 0) : NULL;
  unsigned char *full = s != NULL ? s->state : scratch;
  if (s == NULL) {
    /* A thread we never read (new, or no guard): start from what the host process holds now. */
    struct iovec whole = {full, host_size};
    if (raw_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &whole) < 0) return -1;
  }
  memcpy(full, iov->iov_base, visible(iov->iov_len));
  struct iovec whole = {full, host_size};
  return raw_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &whole);
}

static int needs_help(long request, void *addr, struct iovec *iov, long pid) {
  if ((request != PTRACE_GETREGSET && request != PTRACE_SETREGSET) || (long)addr != NT_X86_XSTATE) return 0;
  if (iov == NULL || ensure_ready(pid) < 0) return 0;
  return iov->iov_len < host_size || (visible_limit != 0 && visible_limit < iov->iov_len);
}

long ptrace(enum __ptrace_request request, ...) {
  static long (*real)(enum __ptrace_request, ...);
  va_list ap;
  va_start(ap, request);
  long pid = va_arg(ap, long);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  struct iovec *iov = data;
  if (needs_help(request, addr, iov, pid)) {
    return request == PTRACE_GETREGSET ? get_xstate(pid, iov) : set_xstate(pid, iov);
  }
  if (real == NULL) real = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
  return real(request, pid, addr, data);
}

__attribute__((constructor)) static void load_settings(void) {
  const char *v = getenv("UML_XSTATE_VISIBLE");
  if (v != NULL && *v != '\0') {
    long n = strtol(v, NULL, 10);
    visible_limit = n >= XSAVE_LEGACY_AND_HEADER ? (size_t)n : XSAVE_LEGACY_AND_HEADER;
  }
  const char *g = getenv("UML_XSTATE_GUARD");
  guard = !(g != NULL && strcmp(g, "0") == 0);
  const char *r = getenv("UML_XSTATE_REFUSE");
  refuse = r != NULL && strcmp(r, "1") == 0;
}
