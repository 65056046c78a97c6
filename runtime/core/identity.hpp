// identity.hpp - a glibc thread identity per green thread: thread pointer, TCB, static TLS, DTV.
//
// Concepts
//   An *identity* is what glibc means by a thread: a `struct pthread` (the
//   TCB, where %fs points), the static TLS blocks of every module below it,
//   and a DTV for the modules loaded later. glibc's pthread_create lays one
//   out at the top of each new stack; sprig lays one out per green thread,
//   with the loader's own functions (_dl_allocate_tls fills the DTV and copies
//   every module's TLS image), and fills the descriptor fields glibc's own
//   functions read: self, the stack bounds, the scheduling fields, the robust
//   list head, the canary and pointer guard (the process's own), the kernel
//   thread ID (the worker's: the kernel knows only that thread).
//   The switch installs the next thread's thread pointer (wrfsbase where the
//   kernel allows it, arch_prctl otherwise), so `thread_local`, `__thread`,
//   errno, the C++ exception state and every per-thread variable of libc are
//   per green thread, and pthread_self() is the descriptor's address, which
//   glibc's functions (pthread_getattr_np, pthread_getaffinity_np, ...) accept.
//
// Placement
//   The main green thread keeps the identity the OS thread had before main
//   (so pthread_self() and the thread_local values set by constructors are
//   the same in main); the worker's scheduler context gets a fresh one of its
//   own. Every other green thread's identity is a block owned by its thread
//   record, carved in order from one range the worker reserves (records
//   stay dense, a page holding several, and Worker::current() tells the
//   worker's identities by address), made anew at each spawn and torn down
//   when the thread ends; the block keeps its DTV for the next thread, as
//   glibc's cached stacks keep theirs.
//
// Invariants
//   - %fs holds the identity of what runs: a green thread's while it runs,
//     the scheduler's between green threads. Nothing between the write and
//     the stack switch reads TLS.
//   - sprig's own thread_locals (t_worker) hold the worker's values in every
//     identity of that worker: written when the identity is made. Where
//     rdfsbase works, Worker::current() does not read t_worker (a cache line
//     per green thread) but looks the thread pointer up in the ranges of the
//     running workers (worker.hpp, WorkerIdentities).
//   - All identities of one worker share that OS thread's malloc cache and
//     arena (tcache, thread_arena), as all its green threads do in the shared
//     mode: a green thread is not an OS thread to malloc, and glibc has no
//     exported way to release a thread's cache at its end.
//   - glibc mutexes keep the kernel thread ID as their owner, so sprig keeps
//     interposing every pthread mutex, rwlock and key.
//
// Rejected alternatives
//   - The identity at the top of the green stack, as glibc places it: a
//     pthread_t must stay valid until the join, while sprig gives a stack
//     back when its thread ends; and the stack pool keeps its free list in
//     the stacks' top bytes.
//   - arch_prctl(ARCH_SET_FS) on every switch where wrfsbase works: a system
//     call, ~16x the cost (docs/identity/README.md).
//   - Hard-coded offsets alone: libc describes most fields for libthread_db
//     (_thread_db_*), and those are checked against the table at start; the
//     rest are keyed to the exact glibc version, which refuses others.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sprig {

struct GreenThread;
class Worker;

enum class TlsMode : uint8_t {
  kPerThread, // a glibc identity per green thread (the default)
  kShared,    // one identity per worker; errno and the C++ exception state switched by hand
};

namespace identity {

// glibc's layout as sprig needs it; offsets in bytes from the thread pointer.
struct Layout {
  size_t sizeof_pthread = 0;
  size_t list = 0, tid = 0, robust_prev = 0, robust_head = 0, flags = 0, specific_1stblock = 0;
  size_t specific = 0, joinid = 0, schedparam = 0, schedpolicy = 0, start_routine = 0, arg = 0;
  size_t stackblock = 0, stackblock_size = 0, guardsize = 0, reported_guardsize = 0, res = 0;
  size_t strsignal_buf = 0, strerror_buf = 0;
  // libc's own TLS block, as offsets from its start.
  size_t libc_errno = 0, libc_h_errno = 0, libc_resp = 0, libc_tcache = 0, libc_thread_arena = 0;
};

// What the running glibc says of itself: the version and the libthread_db
// descriptors ({bits, count, offset}) of the fields they describe.
struct Described {
  const char *version = nullptr;
  uint32_t sizeof_pthread = 0;
  uint32_t list = 0, tid = 0, specific = 0, schedparam = 0, schedpolicy = 0, start_routine = 0;
};

// The layout for `described`, or -ENOTSUP with the reason in `why` when sprig
// does not know that glibc (another version, or a descriptor that differs).
int layout_for(const Described &described, Layout *layout, const char **why);

// Called as a worker starts: the first worker of the process (none other
// running) sets the process's mode, probing the running glibc and the CPU
// once; later workers, while one runs, get the mode it set (the switch reads
// it, so it cannot change under a running worker). -ENOTSUP with a one-line
// reason when the per-thread mode is asked for and impossible.
int start_worker(TlsMode mode, const char **why);
// Called as a worker that start_worker() accepted ends.
void stop_worker();

// The mode the process runs in (init's).
TlsMode mode();
inline bool g_per_thread = false; // mode() == kPerThread, read on every switch

// The thread pointer of the calling context.
inline void *current() {
  void *tp;
  asm volatile("movq %%fs:0, %0" : "=r"(tp)); // tcbhead_t.tcb: the TCB's own address
  return tp;
}
// Makes `tp` the thread pointer of the calling OS thread.
void install_slow(void *tp);
inline bool g_has_wrfsbase = false;
inline void install(void *tp) {
  if (g_has_wrfsbase) [[likely]] {
    asm volatile("wrfsbase %0" : : "r"(tp) : "memory");
  } else {
    install_slow(tp);
  }
}

// Bytes of one identity block (static TLS and descriptor). A block may start
// at any address: it holds room to align its descriptor as the TLS needs.
size_t block_size();
// A new block (from aligned_alloc) before its first create(); and a block
// given back for good (its DTV freed).
void prepare_block(void *block);
void discard_block(void *block);

// Stack bounds as pthread_getattr_np reports them.
struct StackBounds {
  void *low = nullptr; // lowest usable byte
  size_t size = 0;     // usable bytes
  size_t guard = 0;    // bytes of guard just below `low`
};

// Makes an identity in `block` (block_size() bytes)
// for `thread`, on `worker`; what glibc copies from the creating thread
// (the kernel thread ID, the guards) comes from the identity `carrier`. Returns its thread pointer,
// or nullptr when the loader cannot allocate the DTV.
void *create(void *block, GreenThread *thread, Worker *worker, const StackBounds &stack,
             bool detached, void *carrier);
// Called on the new identity before the thread's code: what glibc's
// start_thread does first (the ctype tables of the locale).
void on_first_entry();
// Called on the identity of a thread that ends, before it switches away:
// C++ thread_local destructors (__cxa_thread_atexit_impl), as glibc runs them.
void run_thread_local_destructors();
// After the thread has left its identity for good: frees its dynamic TLS
// blocks and libc's per-thread buffers; the DTV stays with the block for
// its next create(). The pthread_t still names the thread (for join) until
// forget().
void release(void *tp);
// The pthread_t no longer names a green thread.
void forget(void *tp);
// A thread that pthread_detach made detached: what pthread_getattr_np reports.
void set_detached(void *tp, bool detached);

// What an adopted identity held before its worker took it over.
struct Adopted {
  void *stackblock = nullptr;
  size_t stackblock_size = 0, guardsize = 0, reported_guardsize = 0;
  void *start_routine = nullptr, *arg = nullptr;
};

// The main green thread adopts the calling OS thread's identity (what it
// held is kept in `saved`); undone by give_back_adopted() when the worker
// ends.
void *adopt_current(GreenThread *thread, Worker *worker, const StackBounds &stack, Adopted *saved);
void give_back_adopted(void *tp, const Adopted &saved);
// The scheduler context's own identity: made in `block` like a green one,
// but naming no green thread.
void *create_scheduler(void *block, Worker *worker);

// A parked thread's identity, moved to `worker` (Worker::try_move_here):
// what it shared with its old worker's OS thread becomes that of `carrier`,
// the new worker's scheduler identity, and its t_worker names `worker`:
// malloc's thread cache and arena (not thread-safe), and the kernel thread
// ID, which glibc's recursive locks take as their owner (the loader's among
// them: two OS threads with one ID both got in). A thread holding a lock
// whose owner glibc compares by that ID does not move (locks_owned_by_tid).
void move_to(void *tp, Worker *worker, void *carrier);

// The green thread a pthread_t names in this mode, or nullptr.
GreenThread *thread_of(void *tp);

} // namespace identity
} // namespace sprig
