// identity.cpp - making, entering and ending green thread identities (see identity.hpp).
#include "identity.hpp"

#include "worker.hpp"

#include <asm/prctl.h>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <malloc.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sprig::identity {

namespace {

constexpr size_t kTcbSelf = 16;            // tcbhead_t.self (x86-64 ABI)
constexpr size_t kTcbMultipleThreads = 24; // tcbhead_t.multiple_threads
constexpr size_t kTcbStackGuard = 0x28;    // what -fstack-protector reads
constexpr size_t kTcbPointerGuard = 0x30;  // PTR_MANGLE's key
constexpr size_t kTcbFeature1 = 0x48;      // CET feature bits
constexpr size_t kTcbDtv = 8;
constexpr long kHwcap2Fsgsbase = 2;         // HWCAP2_FSGSBASE
constexpr int32_t kRseqCpuIdUnset = -2;     // RSEQ_CPU_ID_REGISTRATION_FAILED
constexpr int64_t kRobustFutexOffset = -32; // glibc's: the robust list links to __list in the mutex

struct Loader {
  void (*get_tls_static_info)(size_t *, size_t *) = nullptr;
  void *(*allocate_tls)(void *) = nullptr;
  void *(*allocate_tls_init)(void *, bool) = nullptr;
  void (*deallocate_tls)(void *, bool) = nullptr;
  void (*ctype_init)() = nullptr;
  void (*call_tls_dtors)() = nullptr;
};

Loader g_loader;
Layout g_layout;
TlsMode g_mode = TlsMode::kShared;
size_t g_block_size = 0;
size_t g_block_align = 0;
// Offsets from the thread pointer, the same in every identity.
ptrdiff_t g_libc_block = 0; // libc's TLS block
ptrdiff_t g_t_worker = 0;   // sprig's t_worker
ptrdiff_t g_rseq_cpu_id = 0;
bool g_has_rseq_area = false;

// start_worker()'s state: the workers running, and the probe's outcome
// (0: not made, 1: the per-thread mode works, -1: it does not, g_probe_why).
std::atomic_flag g_starting = ATOMIC_FLAG_INIT;
int g_running_workers = 0;
int g_probe = 0;
const char *g_probe_why = nullptr;

// The marker in start_routine that tells a green identity from an OS thread's.
void green_identity_marker() {}

template <typename T> T &field(void *tp, size_t offset) {
  return *reinterpret_cast<T *>(static_cast<char *>(tp) + offset);
}
template <typename T> T &field(void *tp, ptrdiff_t offset) {
  return *reinterpret_cast<T *>(static_cast<char *>(tp) + offset);
}

template <typename Fn> bool lookup(Fn *fn, const char *name) {
  *fn = reinterpret_cast<Fn>(dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE"));
  return *fn != nullptr;
}

uint32_t described_offset(const char *name) {
  const auto *descriptor =
      static_cast<const uint32_t *>(dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE"));
  return descriptor == nullptr ? UINT32_MAX : descriptor[2];
}

Described describe_running_glibc() {
  Described described;
  described.version = gnu_get_libc_version();
  const auto *size = static_cast<const uint32_t *>(
      dlvsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread", "GLIBC_PRIVATE"));
  described.sizeof_pthread = size == nullptr ? 0 : *size;
  described.list = described_offset("_thread_db_pthread_list");
  described.tid = described_offset("_thread_db_pthread_tid");
  described.specific = described_offset("_thread_db_pthread_specific");
  described.schedparam = described_offset("_thread_db_pthread_schedparam_sched_priority");
  described.schedpolicy = described_offset("_thread_db_pthread_schedpolicy");
  described.start_routine = described_offset("_thread_db_pthread_start_routine");
  return described;
}

// Checks the undescribed fields on the running thread, where glibc has
// filled them (__tls_init_tp for the main thread, start_thread otherwise).
const char *check_on_running_thread(void *tp) {
  if (field<void *>(tp, kTcbSelf) != tp) {
    return "the thread pointer's self field is not where sprig expects it";
  }
  if (field<pid_t>(tp, g_layout.tid) != static_cast<pid_t>(syscall(SYS_gettid))) {
    return "struct pthread's tid is not the kernel thread ID";
  }
  void *head = nullptr;
  size_t length = 0;
  if (syscall(SYS_get_robust_list, 0, &head, &length) == 0 && head != nullptr &&
      head != static_cast<char *>(tp) + g_layout.robust_head) {
    return "the robust list head the kernel knows is not where sprig expects it";
  }
  if (field<void *>(tp, g_layout.specific) !=
      static_cast<char *>(tp) + g_layout.specific_1stblock) {
    return "struct pthread's specific_1stblock is not where sprig expects it";
  }
  char *libc_block = static_cast<char *>(static_cast<void *>(&errno)) - g_layout.libc_errno;
  auto *resp = static_cast<char *>(dlvsym(RTLD_DEFAULT, "__resp", "GLIBC_PRIVATE"));
  if (reinterpret_cast<char *>(&h_errno) != libc_block + g_layout.libc_h_errno ||
      resp != libc_block + g_layout.libc_resp) {
    return "libc's thread-local variables are not where sprig expects them";
  }
  // With glibc's malloc the calling thread has a malloc cache from here on
  // (through a volatile pointer: the compiler may drop a malloc freed unused).
  // A program with a malloc of its own leaves both slots empty.
  void *volatile probe = malloc(1);
  free(probe);
  void *tcache = *reinterpret_cast<void **>(libc_block + g_layout.libc_tcache);
  void *arena = *reinterpret_cast<void **>(libc_block + g_layout.libc_thread_arena);
  void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  bool glibc_malloc = libc != nullptr && dlsym(libc, "malloc") == dlsym(RTLD_DEFAULT, "malloc");
  if (libc != nullptr) {
    dlclose(libc);
  }
  if (glibc_malloc && (tcache == nullptr || arena == nullptr || malloc_usable_size(tcache) < 576)) {
    return "malloc's thread cache is not where sprig expects it";
  }
  g_libc_block = libc_block - static_cast<char *>(tp);
  return nullptr;
}

} // namespace

void install_slow(void *tp) { syscall(SYS_arch_prctl, ARCH_SET_FS, tp); }

TlsMode mode() { return g_mode; }
size_t block_size() { return g_block_size; }

namespace {

// Everything about the running glibc and CPU the per-thread mode needs,
// found once per process: nullptr, or why the mode cannot be.
const char *probe() {
  const char *why = nullptr;
  if (layout_for(describe_running_glibc(), &g_layout, &why) != 0) {
    return why;
  }
  if (!lookup(&g_loader.get_tls_static_info, "_dl_get_tls_static_info") ||
      !lookup(&g_loader.allocate_tls, "_dl_allocate_tls") ||
      !lookup(&g_loader.allocate_tls_init, "_dl_allocate_tls_init") ||
      !lookup(&g_loader.deallocate_tls, "_dl_deallocate_tls") ||
      !lookup(&g_loader.ctype_init, "__ctype_init") ||
      !lookup(&g_loader.call_tls_dtors, "__call_tls_dtors")) {
    return "the loader does not export the TLS functions sprig needs";
  }
  void *tp = current();
  if (const char *failed = check_on_running_thread(tp); failed != nullptr) {
    return failed;
  }
  size_t static_size = 0;
  size_t align = 0;
  g_loader.get_tls_static_info(&static_size, &align);
  if (align < 64) {
    align = 64;
  }
  g_block_align = align;
  g_block_size = (static_size + 2 * align - 1) & ~(align - 1);
  if (const auto *offset = static_cast<const ptrdiff_t *>(dlsym(RTLD_DEFAULT, "__rseq_offset"));
      offset != nullptr) {
    g_rseq_cpu_id = *offset + 4; // struct rseq: cpu_id_start, then cpu_id
    g_has_rseq_area = true;
  }
  // Static TLS: the same offset from every thread pointer.
  g_t_worker = reinterpret_cast<char *>(&t_worker) - static_cast<char *>(tp);
  g_has_wrfsbase = (getauxval(AT_HWCAP2) & kHwcap2Fsgsbase) != 0;
  return nullptr;
}

// The mode for a process whose first worker asks for `mode`.
int choose_mode(TlsMode mode, const char **why) {
  g_mode = TlsMode::kShared;
  g_per_thread = false;
  if (mode == TlsMode::kShared) {
    return 0;
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers keep their own per-thread state in TLS, for OS threads:
  // a sanitizer build of sprig runs in the shared mode (sprig(7)).
  (void)why;
  return 0;
#endif
  if (g_probe == 0) {
    g_probe_why = probe();
    g_probe = g_probe_why == nullptr ? 1 : -1;
  }
  if (g_probe < 0) {
    *why = g_probe_why;
    return -ENOTSUP;
  }
  g_mode = TlsMode::kPerThread;
  g_per_thread = true;
  return 0;
}

} // namespace

int start_worker(TlsMode mode, const char **why) {
  while (g_starting.test_and_set(std::memory_order_acquire)) {
  }
  int rc = 0;
  if (g_running_workers == 0) {
    rc = choose_mode(mode, why);
  }
  if (rc == 0) {
    ++g_running_workers;
  }
  g_starting.clear(std::memory_order_release);
  return rc;
}

void stop_worker() {
  while (g_starting.test_and_set(std::memory_order_acquire)) {
  }
  --g_running_workers;
  g_starting.clear(std::memory_order_release);
}

namespace {

// What an identity shares with the OS thread of the worker it runs on,
// taken from `carrier`, an identity of that OS thread: malloc's thread cache
// and arena, which are not thread-safe, and the worker itself (t_worker).
void share_worker_state(void *tp, Worker *worker, void *carrier) {
  auto *libc_block = static_cast<char *>(tp) + g_libc_block;
  auto *carrier_libc = static_cast<char *>(carrier) + g_libc_block;
  field<void *>(libc_block, g_layout.libc_tcache) =
      field<void *>(carrier_libc, g_layout.libc_tcache);
  field<void *>(libc_block, g_layout.libc_thread_arena) =
      field<void *>(carrier_libc, g_layout.libc_thread_arena);
  field<Worker *>(tp, g_t_worker) = worker;
}

void fill(void *tp, void *carrier, Worker *worker) {
  memset(tp, 0, g_layout.sizeof_pthread);
  field<void *>(tp, size_t{0}) = tp;
  field<void *>(tp, kTcbSelf) = tp;
  field<int>(tp, kTcbMultipleThreads) = 1;
  field<uintptr_t>(tp, kTcbStackGuard) = field<uintptr_t>(carrier, kTcbStackGuard);
  field<uintptr_t>(tp, kTcbPointerGuard) = field<uintptr_t>(carrier, kTcbPointerGuard);
  field<uint32_t>(tp, kTcbFeature1) = field<uint32_t>(carrier, kTcbFeature1);
  auto *list = static_cast<char *>(tp) + g_layout.list;
  field<void *>(tp, g_layout.list) = list;
  field<void *>(tp, g_layout.list + sizeof(void *)) = list;
  field<pid_t>(tp, g_layout.tid) = field<pid_t>(carrier, g_layout.tid);
  auto *robust_head = static_cast<char *>(tp) + g_layout.robust_head;
  field<void *>(tp, g_layout.robust_prev) = robust_head;
  field<void *>(tp, g_layout.robust_head) = robust_head;
  field<int64_t>(tp, g_layout.robust_head + sizeof(void *)) = kRobustFutexOffset;
  field<void *>(tp, g_layout.specific) = static_cast<char *>(tp) + g_layout.specific_1stblock;
  field<int>(tp, g_layout.schedparam) = field<int>(carrier, g_layout.schedparam);
  field<int>(tp, g_layout.schedpolicy) = field<int>(carrier, g_layout.schedpolicy);
  constexpr int kSchedFlags = 0x20 | 0x40; // ATTR_FLAG_SCHED_SET | ATTR_FLAG_POLICY_SET
  field<int>(tp, g_layout.flags) = field<int>(carrier, g_layout.flags) & kSchedFlags;
  if (g_has_rseq_area) {
    field<int32_t>(tp, g_rseq_cpu_id) = kRseqCpuIdUnset; // sched_getcpu asks the kernel
  }
  // The loader's DTV and TLS images are in place: the identity's own
  // per-thread values, and what is shared with the worker.
  auto *libc_block = static_cast<char *>(tp) + g_libc_block;
  field<void *>(libc_block, g_layout.libc_resp) = static_cast<char *>(tp) + g_layout.res;
  share_worker_state(tp, worker, carrier);
}

void set_stack(void *tp, const StackBounds &stack) {
  field<void *>(tp, g_layout.stackblock) = static_cast<char *>(stack.low) - stack.guard;
  field<size_t>(tp, g_layout.stackblock_size) = stack.size + stack.guard;
  field<size_t>(tp, g_layout.guardsize) = stack.guard;
  field<size_t>(tp, g_layout.reported_guardsize) = stack.guard;
}

void *place(void *block) {
  auto end = reinterpret_cast<uintptr_t>(block) + g_block_size;
  return reinterpret_cast<void *>((end - g_layout.sizeof_pthread) & ~(g_block_align - 1));
}

// glibc's dtv_t: tcbhead_t.dtv points at entry 1 of the array; entry -1
// holds the length, entry 0 the generation, entry i module i's block.
union DtvEntry {
  size_t counter;
  struct {
    void *value;
    void *to_free; // a dynamic block malloc'ed by __tls_get_addr
  } pointer;
};

void *make(void *block, Worker *worker, void *carrier) {
  void *tp = place(block);
  // The DTV first: the loader writes the dtv field and the TLS images
  // only, and fill() then clears the rest of the descriptor. A block whose
  // DTV was kept (release()) is made again as glibc reuses a cached stack:
  // the DTV cleared, then _dl_allocate_tls_init copies the images again and
  // sets the entries (resizing the DTV if modules came since); no
  // allocation, where _dl_allocate_tls callocs a DTV each time.
  if (auto *dtv = field<DtvEntry *>(tp, kTcbDtv); dtv != nullptr) {
    memset(dtv, 0, (dtv[-1].counter + 1) * sizeof(DtvEntry));
    if (g_loader.allocate_tls_init(tp, true) == nullptr) {
      return nullptr;
    }
  } else if (g_loader.allocate_tls(tp) == nullptr) {
    return nullptr;
  }
  void *dtv = field<void *>(tp, kTcbDtv);
  fill(tp, carrier, worker);
  field<void *>(tp, kTcbDtv) = dtv;
  return tp;
}

} // namespace

void *create(void *block, GreenThread *thread, Worker *worker, const StackBounds &stack,
             bool detached, void *carrier) {
  void *tp = make(block, worker, carrier);
  if (tp == nullptr) {
    return nullptr;
  }
  set_stack(tp, stack);
  field<void *>(tp, g_layout.joinid) = detached ? tp : nullptr;
  field<void (*)()>(tp, g_layout.start_routine) = green_identity_marker;
  field<GreenThread *>(tp, g_layout.arg) = thread;
  return tp;
}

void *create_scheduler(void *block, Worker *worker) { return make(block, worker, current()); }

void move_to(void *tp, Worker *worker, void *carrier) {
  field<pid_t>(tp, g_layout.tid) = field<pid_t>(carrier, g_layout.tid);
  share_worker_state(tp, worker, carrier);
}

void on_first_entry() { g_loader.ctype_init(); }

void run_thread_local_destructors() { g_loader.call_tls_dtors(); }

void prepare_block(void *block) { field<void *>(place(block), kTcbDtv) = nullptr; }

void discard_block(void *block) {
  void *tp = place(block);
  if (field<void *>(tp, kTcbDtv) != nullptr) {
    g_loader.deallocate_tls(tp, false);
    field<void *>(tp, kTcbDtv) = nullptr;
  }
}

void release(void *tp) {
  // The dynamic TLS blocks go now; the DTV stays for the block's next
  // identity (make()).
  // free() is called only for what is there: a DTV has some twenty entries,
  // nearly all empty, and as many free(NULL) calls were a tenth of a
  // spawn+join.
  auto *dtv = field<DtvEntry *>(tp, kTcbDtv);
  for (size_t module = 1; module <= dtv[-1].counter; ++module) {
    if (void *block = dtv[module].pointer.to_free; block != nullptr) [[unlikely]] {
      free(block);
      dtv[module].pointer.to_free = nullptr;
    }
  }
  for (size_t buffer : {g_layout.strsignal_buf, g_layout.strerror_buf}) {
    if (void *text = field<void *>(tp, buffer); text != nullptr) [[unlikely]] {
      free(text);
      field<void *>(tp, buffer) = nullptr;
    }
  }
  field<pid_t>(tp, g_layout.tid) = 0; // as the kernel clears an ended thread's
}

void forget(void *tp) {
  field<void (*)()>(tp, g_layout.start_routine) = nullptr;
  field<GreenThread *>(tp, g_layout.arg) = nullptr;
}

void set_detached(void *tp, bool detached) {
  field<void *>(tp, g_layout.joinid) = detached ? tp : nullptr;
}

void *adopt_current(GreenThread *thread, Worker *worker, const StackBounds &stack, Adopted *saved) {
  void *tp = current();
  saved->stackblock = field<void *>(tp, g_layout.stackblock);
  saved->stackblock_size = field<size_t>(tp, g_layout.stackblock_size);
  saved->guardsize = field<size_t>(tp, g_layout.guardsize);
  saved->reported_guardsize = field<size_t>(tp, g_layout.reported_guardsize);
  saved->start_routine = field<void *>(tp, g_layout.start_routine);
  saved->arg = field<void *>(tp, g_layout.arg);
  set_stack(tp, stack);
  field<void (*)()>(tp, g_layout.start_routine) = green_identity_marker;
  field<GreenThread *>(tp, g_layout.arg) = thread;
  field<Worker *>(tp, g_t_worker) = worker;
  return tp;
}

void give_back_adopted(void *tp, const Adopted &saved) {
  field<void *>(tp, g_layout.stackblock) = saved.stackblock;
  field<size_t>(tp, g_layout.stackblock_size) = saved.stackblock_size;
  field<size_t>(tp, g_layout.guardsize) = saved.guardsize;
  field<size_t>(tp, g_layout.reported_guardsize) = saved.reported_guardsize;
  field<void *>(tp, g_layout.start_routine) = saved.start_routine;
  field<void *>(tp, g_layout.arg) = saved.arg;
}

GreenThread *thread_of(void *tp) {
  if (tp == nullptr || field<void (*)()>(tp, g_layout.start_routine) != green_identity_marker) {
    return nullptr;
  }
  return field<GreenThread *>(tp, g_layout.arg);
}

} // namespace sprig::identity
