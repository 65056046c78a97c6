// Prototype: a second glibc "thread identity" (TCB + static TLS + DTV) made by hand,
// entered with wrfsbase on a separate stack (ucontext), in a normal program.
// Build: gcc -O1 -g -mfsgsbase -o proto proto.c -ldl
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <ctype.h>
#include <signal.h>
#include <unistd.h>
#include <malloc.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include <immintrin.h>
#include <resolv.h>
#include <sys/wait.h>

// ---- loader / libc private entry points (looked up, not linked) ----
static void  (*p_get_tls_static_info)(size_t *, size_t *);
static void *(*p_allocate_tls)(void *);
static void  (*p_deallocate_tls)(void *, _Bool);
static void  (*p_ctype_init)(void);
static void  (*p_call_tls_dtors)(void);
static int   (*p_cxa_thread_atexit_impl)(void (*)(void *), void *, void *);
static void  **p_resp;            // &__resp in the *calling* thread's TLS
extern __thread int dummy_unused;  // (not used)
extern void *__dso_handle;

// ---- layout: from _thread_db_* where exported, else from libc6-dbg (gdb ptype /o) ----
static uint32_t SZ_PTHREAD, OFF_TID, OFF_LIST, OFF_CANCEL, OFF_SPECIFIC, OFF_SCHEDPOL, OFF_SCHEDPRIO, OFF_DTVP;
static long RSEQ_OFF;
enum { // not exported by libthread_db descriptors; checked against gdb/libc6-dbg for 2.36-9+deb12u14
  OFF_TCB = 0, OFF_SELF = 16, OFF_MULTI = 24, OFF_STACK_GUARD = 40, OFF_PTR_GUARD = 48, OFF_FEATURE1 = 72,
  OFF_ROBUST_PREV = 728, OFF_ROBUST_HEAD = 736, OFF_FLAGS = 780, OFF_SPEC_1ST = 784,
  OFF_LOCK = 1560, OFF_SETXID = 1564, OFF_JOINID = 1568,
  OFF_STACKBLOCK = 1680, OFF_STACKBLOCK_SIZE = 1688, OFF_GUARDSIZE = 1696, OFF_REP_GUARDSIZE = 1704,
  OFF_RES = 1720, OFF_EXITING = 2297, OFF_EXIT_LOCK = 2300, OFF_TLS_STATE = 2304,
};
#define F(pd, off, T) (*(T *)((char *)(pd) + (off)))

static uint32_t desc_off(const char *n) {
  char s[128]; snprintf(s, sizeof s, "_thread_db_%s", n);
  const uint32_t *d = dlsym(RTLD_DEFAULT, s);
  if (!d) { fprintf(stderr, "missing %s\n", s); exit(1); }
  return d[2];
}

static void *getfs(void) { void *p; __asm__ volatile("mov %%fs:0, %0" : "=r"(p)); return p; }
static int use_wrfsbase;
static void setfs(void *tp) {
  if (use_wrfsbase) _writefsbase_u64((uint64_t)tp);
  else syscall(SYS_arch_prctl, ARCH_SET_FS, tp);
}

// ---- identity ----
struct ident { void *map; size_t maplen; void *pd; char *stack_lo; size_t stack_size; };
static size_t tls_size, tls_align;

static int make_ident(struct ident *id, size_t stack_size) {
  size_t pg = 4096, guard = pg;
  size_t len = guard + stack_size + tls_size + tls_align;
  len = (len + pg - 1) & ~(pg - 1);
  char *m = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) return -1;
  mprotect(m, guard, PROT_NONE);
  // TLS_TCB_AT_TP: pd at top, aligned down; static TLS lies right below pd.
  char *pd = (char *)(((uintptr_t)(m + len) - SZ_PTHREAD) & ~(uintptr_t)(tls_align - 1));
  memset(pd, 0, SZ_PTHREAD);          // mmap is zero anyway; cached reuse would need this
  if (p_allocate_tls(pd) == NULL) return -1;   // DTV + copy of every module's init image
  void *self = getfs();
  F(pd, OFF_TCB, void *) = pd;
  F(pd, OFF_SELF, void *) = pd;
  F(pd, OFF_MULTI, int) = 1;
  F(pd, OFF_STACK_GUARD, uintptr_t) = F(self, OFF_STACK_GUARD, uintptr_t);
  F(pd, OFF_PTR_GUARD, uintptr_t) = F(self, OFF_PTR_GUARD, uintptr_t);
  F(pd, OFF_FEATURE1, unsigned) = F(self, OFF_FEATURE1, unsigned);
  // list_t self-linked (not on GL(dl_stack_used/user))
  F(pd, OFF_LIST, void *) = pd + OFF_LIST; F(pd, OFF_LIST + 8, void *) = pd + OFF_LIST;
  F(pd, OFF_TID, pid_t) = gettid();
  // robust list head, as allocate_stack
  F(pd, OFF_ROBUST_PREV, void *) = pd + OFF_ROBUST_HEAD;
  F(pd, OFF_ROBUST_HEAD, void *) = pd + OFF_ROBUST_HEAD;                  // list
  F(pd, OFF_ROBUST_HEAD + 8, long) = 0 - 32; /* offsetof(__lock) - offsetof(__list.__next) */
  F(pd, OFF_ROBUST_HEAD + 16, void *) = NULL;                             // list_op_pending
  F(pd, OFF_SPECIFIC, void *) = pd + OFF_SPEC_1ST;                        // specific[0]
  F(pd, OFF_FLAGS, int) = F(self, OFF_FLAGS, int) & (0x20 | 0x40);        // ATTR_FLAG_SCHED_SET|POLICY_SET
  F(pd, OFF_SCHEDPOL, int) = F(self, OFF_SCHEDPOL, int);
  F(pd, OFF_SCHEDPRIO, int) = F(self, OFF_SCHEDPRIO, int);
  F(pd, OFF_JOINID, void *) = NULL;   // joinable
  F(pd, OFF_SETXID, int) = 0;
  F(pd, OFF_STACKBLOCK, void *) = m;
  F(pd, OFF_STACKBLOCK_SIZE, size_t) = len;
  F(pd, OFF_GUARDSIZE, size_t) = guard;
  F(pd, OFF_REP_GUARDSIZE, size_t) = guard;
  F(pd, RSEQ_OFF + 4, int) = -2;      // rseq_area.cpu_id = RSEQ_CPU_ID_REGISTRATION_FAILED: sched_getcpu -> syscall
  id->map = m; id->maplen = len; id->pd = pd;
  id->stack_lo = m + guard;
  id->stack_size = (size_t)((pd - tls_size + SZ_PTHREAD) - (m + guard)) & ~(size_t)63;
  return 0;
}

static void free_ident(struct ident *id) {
  p_deallocate_tls(id->pd, 0);
  munmap(id->map, id->maplen);
}

// ---- the test ----
static __thread int tv = 42;
static pthread_key_t key;
static int key_dtor_runs, tls_dtor_runs;
static void key_dtor(void *p) { key_dtor_runs++; }
static void tls_dtor(void *p) { tls_dtor_runs++; }
static pthread_mutex_t rmx;
static ucontext_t uc_main, uc_green;
static struct ident G;
static void *orig_tp;
static int do_ctype_init = 1;
static int *orig_errno_addr;
static void *orig_malloc_ptr;

static void green_body(void) {
  setfs(G.pd);
  if (do_ctype_init) p_ctype_init();
  if (getenv("CTYPE_FIRST")) printf("[green] early isalpha=%d\n", !!isalpha(getpid() ? 0x61 : 0));
  *p_resp = (char *)G.pd + OFF_RES;   // what start_thread does: __resp = &pd->res   (p_resp = &__resp relative slot, see main)
  printf("[green] fs=%p pd=%p pthread_self=%p gettid=%d\n", getfs(), G.pd, (void *)pthread_self(), gettid());
  printf("[green] tv initial=%d (expect 42), &tv=%p\n", tv, (void *)&tv); tv = 99;
  errno = ENOENT;
  printf("[green] &errno=%p (orig %p) errno=%d\n", (void *)&errno, (void *)orig_errno_addr, errno);
  printf("[green] canary %%fs:0x28 equal=%d ptrguard equal=%d\n",
         F(G.pd, OFF_STACK_GUARD, long) == F(orig_tp, OFF_STACK_GUARD, long),
         F(G.pd, OFF_PTR_GUARD, long) == F(orig_tp, OFF_PTR_GUARD, long));
  pthread_attr_t a; void *sa; size_t ss, gs; int ds;
  int r = pthread_getattr_np(pthread_self(), &a);
  pthread_attr_getstack(&a, &sa, &ss); pthread_attr_getguardsize(&a, &gs); pthread_attr_getdetachstate(&a, &ds);
  printf("[green] pthread_getattr_np=%d stack=%p..%p size=%zu guard=%zu detach=%d (block %p..%p)\n",
         r, sa, (char *)sa + ss, ss, gs, ds, G.map, (char *)G.map + G.maplen);
  pthread_attr_destroy(&a);
  clockid_t cid; struct timespec ts;
  r = pthread_getcpuclockid(pthread_self(), &cid);
  printf("[green] pthread_getcpuclockid=%d clock=%d gettime=%d\n", r, (int)cid, clock_gettime(cid, &ts));
  cpu_set_t cs; r = pthread_getaffinity_np(pthread_self(), sizeof cs, &cs);
  printf("[green] pthread_getaffinity_np=%d ncpu=%d\n", r, CPU_COUNT(&cs));
  int pol; struct sched_param sp; r = pthread_getschedparam(pthread_self(), &pol, &sp);
  printf("[green] pthread_getschedparam=%d policy=%d prio=%d\n", r, pol, sp.sched_priority);
  char nm[32]; r = pthread_getname_np(pthread_self(), nm, sizeof nm);
  printf("[green] pthread_getname_np=%d name=%s\n", r, nm);
  r = pthread_kill(pthread_self(), 0);
  printf("[green] pthread_kill(self,0)=%d pthread_equal(self,orig)=%d\n", r, pthread_equal(pthread_self(), (pthread_t)orig_tp));
  r = pthread_kill((pthread_t)orig_tp, 0);
  printf("[green] pthread_kill(orig,0)=%d\n", r);
  void *p = malloc(100); void *q = malloc(200000);
  printf("[green] malloc(100)=%p (orig thread's malloc %p) malloc(200000)=%p\n", p, orig_malloc_ptr, q);
  free(p); free(q);
  printf("[green] strerror(EINVAL)=%s strerror(12345)=%s\n", strerror(EINVAL), strerror(12345));
  printf("[green] *__ctype_b_loc()=%p *__ctype_toupper_loc()=%p\n", (void *)*__ctype_b_loc(), (void *)*__ctype_toupper_loc());
  printf("[green] isalpha('a')=%d toupper('q')=%c\n", !!isalpha('a'), toupper('q'));
  printf("[green] sched_getcpu=%d\n", sched_getcpu());
  printf("[green] res_init=%d _res@%p (pd->res %p)\n", res_init(), (void *)&_res, (char *)G.pd + OFF_RES);
  r = pthread_mutex_trylock(&rmx);   // recursive mutex held by the *original* thread (same kernel tid)
  printf("[green] trylock(recursive mutex held by orig)=%d  <-- 0 means ownership by tid is shared!\n", r);
  if (r == 0) pthread_mutex_unlock(&rmx);
  { pthread_t t; int r1 = pthread_create(&t, NULL, (void *(*)(void *))strlen, (void *)"abc"); void *rv; int r2 = pthread_join(t, &rv);
    printf("[green] pthread_create from green=%d join=%d rv=%ld\n", r1, r2, (long)rv); }
  if (getenv("FORK")) { fflush(stdout); pid_t c = fork();
    if (c == 0) { pthread_t t; void *rv; int r1 = pthread_create(&t, NULL, (void *(*)(void *))strlen, (void *)"abcd"); int r2 = pthread_join(t, &rv);
      printf("[child] self=%p tid=%d gettid=%d create=%d join=%d rv=%ld malloc=%p\n", (void *)pthread_self(), F(G.pd, OFF_TID, int), gettid(), r1, r2, (long)rv, malloc(10)); fflush(stdout); _exit(0); }
    int st; waitpid(c, &st, 0); printf("[green] fork child status=%x\n", st); }
  pthread_setspecific(key, (void *)0x1234);
  printf("[green] getspecific=%p\n", pthread_getspecific(key));
  p_cxa_thread_atexit_impl(tls_dtor, NULL, &__dso_handle);
  // ---- "exit" of the green thread: what sprig could do ----
  p_call_tls_dtors();
  void *v = pthread_getspecific(key); if (v) { pthread_setspecific(key, NULL); key_dtor(v); }
  printf("[green] tls dtors run=%d key dtors run=%d\n", tls_dtor_runs, key_dtor_runs);
  fflush(stdout);
  setfs(orig_tp);
  swapcontext(&uc_green, &uc_main);
}

// simple per-identity malloc exercise (for leak measurement)
static void green_small(void) {
  setfs(G.pd); p_ctype_init();
  void *p = malloc(64); free(p);
  (void)strerror(12345);
  p_call_tls_dtors();
  setfs(orig_tp);
  swapcontext(&uc_green, &uc_main);
}

static void run_green(void (*fn)(void)) {
  getcontext(&uc_green);
  uc_green.uc_stack.ss_sp = G.stack_lo; uc_green.uc_stack.ss_size = G.stack_size;
  uc_green.uc_link = NULL;
  makecontext(&uc_green, fn, 0);
  swapcontext(&uc_main, &uc_green);
}

int main(int argc, char **argv) {
  use_wrfsbase = (getauxval(AT_HWCAP2) & 2) != 0 && !getenv("NO_WRFSBASE");
  if (getenv("NO_CTYPE_INIT")) do_ctype_init = 0;
  p_get_tls_static_info = dlvsym(RTLD_DEFAULT, "_dl_get_tls_static_info", "GLIBC_PRIVATE");
  p_allocate_tls = dlvsym(RTLD_DEFAULT, "_dl_allocate_tls", "GLIBC_PRIVATE");
  p_deallocate_tls = dlvsym(RTLD_DEFAULT, "_dl_deallocate_tls", "GLIBC_PRIVATE");
  p_ctype_init = dlvsym(RTLD_DEFAULT, "__ctype_init", "GLIBC_PRIVATE");
  p_call_tls_dtors = dlvsym(RTLD_DEFAULT, "__call_tls_dtors", "GLIBC_PRIVATE");
  p_cxa_thread_atexit_impl = dlsym(RTLD_DEFAULT, "__cxa_thread_atexit_impl");
  void **resp_orig = dlvsym(RTLD_DEFAULT, "__resp", "GLIBC_PRIVATE");  // TLS symbol: address in *this* thread
  long resp_tpoff = (char *)resp_orig - (char *)getfs();
  RSEQ_OFF = *(long *)dlsym(RTLD_DEFAULT, "__rseq_offset");
  printf("syms: get_tls_static_info=%p allocate_tls=%p deallocate_tls=%p ctype_init=%p call_tls_dtors=%p __resp tpoff=%ld rseq_off=%ld\n",
         p_get_tls_static_info, p_allocate_tls, p_deallocate_tls, p_ctype_init, p_call_tls_dtors, resp_tpoff, RSEQ_OFF);
  SZ_PTHREAD = *(uint32_t *)dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
  OFF_TID = desc_off("pthread_tid"); OFF_LIST = desc_off("pthread_list"); OFF_CANCEL = desc_off("pthread_cancelhandling");
  OFF_SPECIFIC = desc_off("pthread_specific"); OFF_SCHEDPOL = desc_off("pthread_schedpolicy");
  OFF_SCHEDPRIO = desc_off("pthread_schedparam_sched_priority"); OFF_DTVP = desc_off("pthread_dtvp");
  // consistency of hard-coded offsets against exported ones
  if (OFF_TID != 720 || OFF_LIST != 704 || OFF_CANCEL != 776 || OFF_SPECIFIC != 1296 || OFF_DTVP != 8 || SZ_PTHREAD != 2368 || RSEQ_OFF != 2336) {
    fprintf(stderr, "layout mismatch\n"); return 1;
  }
  p_get_tls_static_info(&tls_size, &tls_align);
  printf("static TLS size=%zu align=%zu (incl. TCB %u) wrfsbase=%d\n", tls_size, tls_align, SZ_PTHREAD, use_wrfsbase);

  pthread_t bg; if (getenv("MT")) pthread_create(&bg, NULL, (void *(*)(void *))pause, NULL);
  orig_tp = getfs();
  printf("orig tp=%p pthread_self=%p\n", orig_tp, (void *)pthread_self());
  pthread_mutexattr_t ma; pthread_mutexattr_init(&ma); pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rmx, &ma); pthread_mutex_lock(&rmx);
  pthread_key_create(&key, key_dtor); pthread_setspecific(key, (void *)0x5678);
  tv = 7; errno = EINTR; orig_errno_addr = &errno;
  orig_malloc_ptr = malloc(100);

  if (make_ident(&G, 256 * 1024)) { perror("make_ident"); return 1; }
  p_resp = (void **)((char *)G.pd + resp_tpoff);  // same static-TLS offset in the new block
  run_green(green_body);
  printf("[orig] back: fs==orig %d tv=%d (expect 7) errno=%d (expect %d) getspecific=%p (expect 0x5678) __resp=%p (&_res %p)\n",
         getfs() == orig_tp, tv, errno, EINTR, pthread_getspecific(key), *resp_orig, (void *)&_res);
  printf("[orig] isalpha=%d pthread_getattr_np ok=%d\n", !!isalpha('a'), ({ pthread_attr_t a; int r = pthread_getattr_np(pthread_self(), &a); pthread_attr_destroy(&a); r == 0; }));
  free_ident(&G);

  // leak check: N identities each doing malloc/free + strerror(unknown) and then freed
  int N = argc > 1 ? atoi(argv[1]) : 1000;
  struct mallinfo2 m0 = mallinfo2();
  for (int i = 0; i < N; i++) {
    make_ident(&G, 64 * 1024);
    run_green(green_small);
    free_ident(&G);
  }
  struct mallinfo2 m1 = mallinfo2();
  printf("[leak] %d identities: uordblks %zu -> %zu (+%zu B, %.1f B/identity), arenas(hblks=%zu)\n", N,
         m0.uordblks, m1.uordblks, m1.uordblks - m0.uordblks, (double)(m1.uordblks - m0.uordblks) / N, m1.hblks);
  if (getenv("STATS")) malloc_stats();
  return 0;
}
