// worker.hpp - the scheduler: one OS thread running green threads and a libuv reactor.
//
// Concepts
//   A Worker is one OS thread. It owns a run queue of runnable green threads,
//   a heap of deadlines, a StackPool, and a Reactor (a uv_loop_t). The code
//   that runs on the OS thread's own stack is the *scheduler context*; every
//   green thread has its own stack and Context.
//
//   The scheduler loop: apply what green threads asked of the reactor (fd
//   interest, deferred calls), poll the loop (blocking only when nothing is
//   runnable), expire deadlines, then dispatch the run queue. Dispatching is
//   direct: a green thread that parks or yields switches straight to the next
//   runnable thread, not back to the scheduler, for up to kDispatchBatch
//   switches; only then, or when the run queue is empty, does it switch to
//   the scheduler, which polls the reactor once more. A yield is therefore one
//   switch, and the reactor's system call is paid once per batch, not per
//   switch.
//
//   What a switch touches, at 10,000+ threads where each is a cache miss:
//   the first cache line of the two records (GreenThread keeps every field
//   a switch uses there) and the top lines of the resumed stack, which the
//   run queue prefetches one switch ahead (run_queue.hpp). The hot fields
//   of the Worker itself come first in it.
//
//   Several workers (SPRIG_WORKERS=N, worker_group.cpp) are a WorkerGroup:
//   the first is the OS thread that called run(), the others are OS threads
//   of sprig's. Each has all of the above of its own. A new green thread
//   stays beside its creator unless that worker has more than one thread more
//   than the least loaded (place_new_thread); a worker makes the records,
//   stacks and identities of its threads, and spawn() on another worker takes
//   that worker's records lock and hands the new thread over through its
//   mail (Reactor::post_mail). A green object's users may run on different
//   workers: its state is guarded by an ObjectGuard
//   (runtime/sync/object_lock.hpp), and a waker that takes a thread of
//   another worker off a wait queue posts the wake-up to that worker's mail
//   (wake_claimed, post_claimed_wake), or, when that worker is busy and its
//   own has nothing else to run, moves the thread to its own worker
//   (try_move_here, worker_wake.cpp; docs/design.md has the protocol).
//
// Invariants
//   - A green thread runs on the worker that made it, until a waker on
//     another worker moves it there (try_move_here): only under
//     TlsMode::kPerThread, where its TLS goes with it (compilers cache TLS
//     addresses, errno's among them, across calls), and only while it is
//     parked and claimed. Its record, stack and identity stay with the
//     worker that made them (its home, home_of()).
//   - Only a thread's own worker (GreenThread::worker) changes its state, run
//     queue links, timer and signal state; other workers ask through its
//     mail or inbox. A worker that reads or changes its threads from outside
//     them holds an OwnedThreadsPin, so none moves away meanwhile.
//   - A thread linked on a wait queue has not been claimed: the waker that
//     takes it off (under the object's guard) is the only one that may wake
//     it. A timeout or signal that finds it already off leaves it parked.
//   - libuv is entered only from the scheduler context: green threads record
//     what they need (FdWatcher interest, SchedulerCall) and park; the
//     scheduler applies it before it polls.
//   - Every state change goes through transition() (green_thread.cpp).
//   - A thread is on at most one wait queue, and on the run queue only when
//     kRunnable. A parked thread with a deadline is in the timer heap.
//   - errno belongs to the green thread: in its own identity (TlsMode::
//     kPerThread, runtime/core/identity.hpp), or saved when it is switched out and
//     restored when it runs again (TlsMode::kShared).
//   - A thread never frees its own stack: an exiting thread leaves itself in
//     `exited_`, and whoever runs next after the switch releases the stack.
//
// Rejected alternatives
//   - Always switching back to the scheduler between two green threads: two
//     switches per yield instead of one.
//   - A doubly linked run queue: each pop wrote the new front's `prev`, a
//     store into a cold record (docs/design.md, "The switch", has the
//     measurements of this and of the other choices of the switch path).
//   - A uv_timer_t per sleeping thread: every thread record would own a libuv
//     handle whose close is asynchronous, which makes pooling records (and
//     spawn+join at tens of nanoseconds) impossible. One timerfd, re-armed to
//     the earliest deadline, gives nanosecond precision instead of libuv's
//     millisecond timers.
//   - A hash map from handles to threads: a handle is (generation, slot) in a
//     table, so a stale handle is detected in O(1) without hashing.
#pragma once

#include "config.hpp"
#include "context.hpp"
#include "green_thread.hpp"
#include "identity.hpp"
#include "introspect.hpp"
#include "list.hpp"
#include "object_lock.hpp"
#include "reactor.hpp"
#include "run_queue.hpp"
#include "signals.hpp"
#include "stack_pool.hpp"
#include "timer_heap.hpp"
#include "vector.hpp"
#include "wait_queue.hpp"

#include <atomic>
#include <cstdint>

namespace sprig {

struct SpawnOptions {
  size_t stack_size = 0; // 0: the pool's default
  bool detached = false;
  const char *name = nullptr;
  // A stack the program gives (pthread_attr_setstack): used as it is, with
  // no guard page, and never freed by sprig, as glibc uses one.
  void *given_stack = nullptr;
  size_t given_stack_size = 0;
  // Where to write the new thread's name before it can run (glibc stores
  // pthread_create's *newthread before the thread starts, and on another
  // worker it may start, even end, before spawn returns): its handle, or its
  // thread pointer when publish_thread_pointer.
  uint64_t *publish = nullptr;
  bool publish_thread_pointer = false;
};

// Counters kept by every worker; cheap increments, read by tests and stats.
struct WorkerGroup;

struct WorkerStats {
  uint64_t threads_created = 0;
  uint64_t switches = 0;
  uint64_t parks = 0;
  uint64_t reactor_polls = 0;
  uint64_t peak_alive = 0;
  uint64_t threads_moved_in = 0;     // try_move_here
  uint64_t parks_by_reason[32] = {}; // indexed by WaitReason
};

class Worker;

// The worker of the calling OS thread (initial-exec TLS: one load).
// constinit: without it every use outside worker.cpp first tests for a TLS
// init function (a GOT load and a branch on every Worker::current()).
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers): constant-initialized to nullptr
extern thread_local constinit Worker *t_worker;

// TlsMode::kPerThread, where rdfsbase works: the worker of the calling
// context is found from its thread pointer, a register, not from t_worker.
// Every identity has its own t_worker, so that read is a cache line per
// green thread: at 10,000 threads it missed on every call into sprig
// (yield 86 -> 55 ns, shared mode 36 ns, same machine and build otherwise).
// Each running worker's identities (green threads' and the scheduler's)
// lie in one reserved range of its own; the OS thread's own identity, which
// main keeps, is listed beside it.
struct WorkerIdentities {
  std::atomic<uintptr_t> low{0};
  std::atomic<uintptr_t> size{0};
  std::atomic<uintptr_t> adopted{0};
  std::atomic<Worker *> worker{nullptr};
};
inline constexpr int kMaxIndexedWorkers = 64;
inline WorkerIdentities g_worker_identities[kMaxIndexedWorkers];
inline std::atomic<int> g_worker_identities_end{0}; // entries past it were never used
inline std::atomic<bool> g_find_worker_by_thread_pointer{false};
// Threads may move to the worker that wakes them (Worker::try_move_here):
// several workers, TlsMode::kPerThread, the assembly switch, SPRIG_MOVE on.
// Set as the group starts, before a second worker runs.
inline bool g_move_on_wake = false;

inline Worker *worker_of_thread_pointer() {
  uintptr_t tp;
  asm volatile("rdfsbase %0" : "=r"(tp));
  int end = g_worker_identities_end.load(std::memory_order_acquire);
  for (int index = 0; index < end; ++index) {
    const WorkerIdentities &entry = g_worker_identities[index];
    Worker *worker = entry.worker.load(std::memory_order_acquire);
    if (worker != nullptr && (tp - entry.low.load(std::memory_order_relaxed) <
                                  entry.size.load(std::memory_order_relaxed) ||
                              tp == entry.adopted.load(std::memory_order_relaxed))) {
      return worker;
    }
  }
  return nullptr;
}

class Worker {
public:
  // Runs main_fn as the first green thread and returns when every green
  // thread has finished (the body of sprig_run).
  static int run(void *(*main_fn)(void *), void *argument, void **result,
                 const SpawnOptions &main_options = SpawnOptions{});

  // The worker of the calling OS thread, or nullptr.
  static Worker *current() {
    if (g_find_worker_by_thread_pointer.load(std::memory_order_relaxed)) {
      // Contexts outside every indexed range (an OS thread sprig did not
      // make, a worker starting or ending) have their own t_worker.
      if (Worker *worker = worker_of_thread_pointer(); worker != nullptr) [[likely]] {
        // Some thread of this range runs on another worker: every identity
        // names the worker it runs on in its own t_worker (a cache line per
        // thread, read only then).
        if (worker->emigrants_.load(std::memory_order_relaxed) != 0) [[unlikely]] {
          return t_worker;
        }
        return worker;
      }
    }
    return t_worker;
  }
  // The green thread running on the calling OS thread, or nullptr when the
  // caller is not a green thread (scheduler context, or no worker).
  static GreenThread *current_thread() {
    Worker *worker = current();
    return worker == nullptr ? nullptr : worker->running_;
  }

  GreenThread *running() const { return running_; }
  // The same, read from another OS thread (try_move_here, RuntimeEntry).
  GreenThread *running_seen_from_outside() const {
    return __atomic_load_n(&running_, __ATOMIC_RELAXED);
  }
  // vfork(2) (shim/vfork.cpp): the child runs in this worker's memory until
  // it execs or exits. It runs as no green thread, so every call it makes
  // goes to libc and leaves the worker as the parent had it; the parent,
  // resumed, is the running thread again.
  void enter_vfork_child() {
    vfork_parent_ = running_;
    set_running(nullptr);
  }
  void resume_vfork_parent() {
    if (vfork_parent_ != nullptr) {
      set_running(vfork_parent_);
      vfork_parent_ = nullptr;
    }
  }
  bool in_vfork_child() const { return vfork_parent_ != nullptr; }
  // TlsMode::kPerThread: the identity this OS thread had before sprig (main
  // keeps it), whose robust list is the one the kernel walks when the thread
  // ends (shim/shared_sync.hpp); nullptr in TlsMode::kShared.
  void *kernel_thread_pointer() const {
    if (fork_child_thread_pointer_ != nullptr) {
      return fork_child_thread_pointer_;
    }
    return adopted_thread_pointer_ != nullptr ? adopted_thread_pointer_ : kernel_thread_pointer_;
  }
  // Calls fn on every thread that runs on this worker (not free): those of
  // its own records that have not moved away, then those of other workers'
  // records that moved here, each table under its records lock and all of it
  // under an OwnedThreadsPin. fn must not spawn, join or free a record.
  template <typename Fn> void for_each_thread(Fn fn) const;
  // Calls fn on every record of this worker's table in use (not free),
  // wherever its thread runs, in slot order, under the records lock.
  template <typename Fn> void for_each_record(Fn fn) const;
  // Keeps every thread that runs on this worker here while held: a waker on
  // another worker moves none away (try_move_here). Taken by code that reads
  // or changes threads other than the running one (signal routing, cancels,
  // dumps). Nests; nothing when threads never move.
  class OwnedThreadsPin {
  public:
    explicit OwnedThreadsPin(const Worker &worker) : worker_(g_move_on_wake ? &worker : nullptr) {
      if (worker_ != nullptr) {
        worker_->pins_.fetch_add(1, std::memory_order_seq_cst);
      }
    }
    ~OwnedThreadsPin() {
      if (worker_ != nullptr) {
        worker_->pins_.fetch_sub(1, std::memory_order_release);
      }
    }
    OwnedThreadsPin(const OwnedThreadsPin &) = delete;
    OwnedThreadsPin &operator=(const OwnedThreadsPin &) = delete;

  private:
    const Worker *worker_;
  };
  // True when `thread` runs on this worker; stays true while the caller
  // holds an OwnedThreadsPin of this worker.
  bool owns(const GreenThread *thread) const {
    return thread->worker.load(std::memory_order_seq_cst) == this;
  }
  // The worker whose records, stacks and identities a thread's came from.
  static Worker *home_of(const GreenThread *thread) {
    return by_index(static_cast<int>(thread->slot >> kSlotBits));
  }
  StackPool &stacks() { return stacks_; }
  // Its place in the process's table of workers (handles carry it).
  int index() const { return index_; }
  static Worker *by_index(int index);
  WorkerGroup *group() const { return group_; }
  // With several workers: this worker is about to sleep with nothing but
  // another worker able to wake any of its threads (the group's deadlock
  // check, runtime/introspect/introspect.cpp). Cleared as its poll returns.
  bool stuck() const { return stuck_.load(std::memory_order_seq_cst); }
  void set_stuck(bool stuck) { stuck_.store(stuck, std::memory_order_seq_cst); }
  Reactor &reactor() { return reactor_; }
  signals::WorkerSignals &signals() { return signals_; }
  const signals::WorkerSignals &signals() const { return signals_; }
  const WorkerStats &stats() const { return stats_; }
  size_t alive() const { return alive_.load(std::memory_order_relaxed); }

  int spawn(const SpawnOptions &options, void *(*start)(void *), void *argument,
            GreenThread **spawned);

  // Handles: (generation << 32) | slot. 0 is never a handle.
  // Slots carry the worker's index in their top byte.
  static constexpr uint32_t kSlotBits = 24;
  static uint64_t handle_of(const GreenThread *thread) {
    return (static_cast<uint64_t>(thread->generation) << 32) | thread->slot;
  }
  // The live (not free) thread behind a handle, on any worker, or nullptr.
  static GreenThread *find(uint64_t handle);

  int join(GreenThread *target, void **result, Deadline deadline);
  int detach(GreenThread *target);
  [[noreturn]] void exit_running(void *result);

  // Parks the running thread (the caller has put it on whatever it waits
  // on). Returns the wake result, or -ETIMEDOUT at `deadline`.
  int park(WaitReason reason, const void *object, Deadline deadline);
  // As park, without running signal handlers on the way out: for a caller
  // that must first undo what it linked on its stack (an fd waiter), then
  // calls signals::deliver itself, so a handler that jumps out leaves no
  // dangling link.
  int park_quietly(WaitReason reason, const void *object, Deadline deadline);
  // As park_quietly, for a thread that WaitQueue::link_running linked;
  // `guard`, when not null, is held and is released just before the switch.
  int park_linked(WaitReason reason, const void *object, Deadline deadline, ObjectGuard *guard);
  // Makes a parked thread of this worker runnable with `result`; a no-op
  // for any other state, and for a thread another waker has claimed. Takes
  // it off its wait queue and out of the timer heap.
  void wake(GreenThread *thread, int result);
  bool take_back(GreenThread *thread);
  // A thread of this worker that a waker took off a wait queue (it is
  // parked: only its worker runs it, and that worker is the caller).
  void wake_claimed(GreenThread *thread, int result);
  // A waker on this worker took `thread`, of `owner`, off a wait queue
  // (under its guard). When `owner` is busy running another thread and this
  // worker has nothing else to run, the thread moves here instead of waiting
  // for `owner` (docs/design.md, "Threads move to their waker's worker");
  // false when it stays, for post_claimed_wake.
  bool try_move_here(GreenThread *thread, Worker *owner, int result);
  // Any OS thread: the same for a thread of this worker, through its mail.
  void post_claimed_wake(GreenThread *thread, int result);
  // Any OS thread: puts a thread made for this worker by another one
  // (spawn) on its run queue.
  void post_arrival(GreenThread *thread);
  // Any OS thread: runs call(thread, argument) on the scheduler context of
  // the thread's worker (a cancel or a signal for a thread of another one).
  static void post_call(GreenThread *thread, void (*call)(GreenThread *, void *), void *argument);
  // Any OS thread: runs call(nullptr, argument) on this worker's scheduler
  // context (a part of a thread dump).
  void post_scheduler_call(void (*call)(GreenThread *, void *), void *argument) {
    reactor_.post(Reactor::RemoteKind::kCall, nullptr, 0, 0, call, argument);
  }
  // Green thread: wakes the threads of every worker that wait on fd, as
  // Reactor::nudge_fd does on this one, so each retries its call (after a
  // shutdown or a close of the fd).
  void nudge_fd_everywhere(int fd);
  // Green thread: Reactor::forget_fd on every worker (dup2 onto fd).
  void forget_fd_everywhere(int fd);
  // Scheduler context: what post_claimed_wake and post_arrival sent.
  void arrive(GreenThread *thread);
  void count_alive();
  // True when another green thread is waiting to run on this worker.
  bool others_runnable() const { return !run_queue_.empty(); }
  // Puts the running thread at the back of the run queue. Inline: the body
  // of sprig_yield and pthread_yield.
  [[gnu::always_inline]] inline void yield();

  // Runs `call(argument)` on the scheduler context, then resumes the caller:
  // for work that must enter libuv. The call must not park.
  void run_in_scheduler(void (*call)(void *), void *argument);
  // Parks the running thread after queueing `call(argument)` for the
  // scheduler context; the call (or a libuv callback it starts) must wake it.
  int park_after_scheduler_call(void (*call)(void *), void *argument, WaitReason reason,
                                const void *object, Deadline deadline);

  // Thread-safe: wakes `thread` from another OS thread if it is still in the
  // park numbered `park_serial` (GreenThread::park_serial). The wake-up
  // travels through the reactor's uv_async_t.
  void wake_from_other_thread(GreenThread *thread, uint64_t park_serial, int result);

  // In the child of fork(), on the thread that forked: every other green
  // thread is gone (as every other OS thread is, natively), and the reactor
  // gets kernel objects of its own.
  void after_fork_in_child();

  // Called by the reactor (scheduler context).
  void expire_timers(int64_t now_ns);
  // True while the scheduler loop should go on: a lone worker until its
  // threads have ended; one of a group until the group's have.
  bool keep_running() const;
  // Worker group (worker_group.cpp): the first worker starts the others as
  // sprig_run starts, and stops and joins them when every thread has ended.
  int start_group(int workers);
  void start_group_at_first_spawn();
  void stop_group();
  static void *serve(void *group_pointer);
  void thread_ended();
  Deadline earliest_deadline() const {
    lock_timers();
    Deadline earliest = timers_.earliest();
    unlock_timers();
    return earliest;
  }

  // sprig_green_thread_main's body.
  [[noreturn]] void thread_main(GreenThread *thread);

private:
  static constexpr int kDispatchBatch = 512;
  static constexpr int64_t kSpinForMailNs = 50'000; // see scheduler_loop
  static constexpr int kSpinMissesBeforeRest = 8;   // see wait_for_mail_briefly
  static constexpr uint64_t kThreadIdBlock = 1024;

  void set_running(GreenThread *thread) { __atomic_store_n(&running_, thread, __ATOMIC_RELAXED); }
  // The timer heap's guard, while threads move: a waker on another worker
  // takes a moved thread's timer out (try_move_here). Never held across a
  // malloc (TimerHeap::prepare_room) nor while taking an object's guard.
  inline void lock_timers() const;
  inline void unlock_timers() const;
  inline void insert_timer(GreenThread *thread);
  // Takes `thread` out of this worker's heap if it is there.
  inline void remove_timer(GreenThread *thread);
  // Scheduler context: the threads try_move_here took, on their way to the run queue.
  void adopt_movers();

  Worker() = default;
  static int create(const Config &config, Worker **created);
  void dispose();
  // The guard of this worker's records, stacks and identities, taken by
  // spawn on another worker (no-op with one worker).
  void lock_records() const {
    if (g_multi_worker) {
      while (records_lock_.test_and_set(std::memory_order_acquire)) {
        __builtin_ia32_pause();
      }
    }
  }
  void unlock_records() const {
    if (g_multi_worker) {
      records_lock_.clear(std::memory_order_release);
    }
  }
  Worker *place_new_thread();
  void post_fd_to_others(Reactor::RemoteKind kind, int fd);
  int take_index();
  void give_back_index();
  void destroy();
  void scheduler_loop();
  void wait_for_mail_briefly();
  // Leaves the running thread (already parked, runnable or exited) for the
  // next runnable thread or the scheduler.
  void switch_away(GreenThread *self, bool self_is_done);
  // Leaves `self` for `next`, a thread just taken off the run queue, or for
  // the scheduler when `next` is nullptr; returns when `self` runs again.
  // Inline: a yield is then one function around the assembly switch, with
  // no second call and no second set of saved registers (docs/design.md,
  // "The switch").
  [[gnu::always_inline]] inline void switch_to(GreenThread *self, GreenThread *next,
                                               bool self_is_done);
  // TlsMode::kShared: errno and the C++ exception state are the OS thread's,
  // so they are kept in the record while a thread is switched out.
  [[gnu::always_inline]] inline void save_shared_thread_state(GreenThread *self);
  [[gnu::always_inline]] inline void restore_shared_thread_state(GreenThread *self);
  // The kernel mask follows the thread about to run, when masks differ
  // (runtime/signals/signals.hpp); the test is one predicted branch otherwise.
  [[gnu::always_inline]] inline void follow_signal_mask(const GreenThread *next);
  // Work owed after any switch, run by whoever was resumed.
  void after_switch();
  static size_t stack_color(uint64_t id, size_t stack_size);
  GreenThread *new_record();
  void free_record(GreenThread *thread);
  void release_exited(GreenThread *thread);
  int spawn_thread(const SpawnOptions &options, void *(*start)(void *), void *argument,
                   GreenThread **spawned, bool adopt_caller_identity, const GreenThread *creator);
  GreenThread *find_here(uint64_t handle);
  int make_identity(GreenThread *thread, bool adopt_caller, void *carrier);
  void *new_identity_block();
  void index_identities();
  static constexpr size_t kIdentityRangeBytes = size_t{1} << 35; // 7.8 million identities here
  int start_identities(GreenThread *main_thread);
  void end_identities();

  // Hot: read or written on every switch.
  GreenThread *running_ = nullptr; // written with set_running: other workers read it
  // Threads of this worker's records that now run on another (current()).
  std::atomic<uint32_t> emigrants_{0};
  mutable std::atomic<uint32_t> pins_{0}; // OwnedThreadsPin holders
  GreenThread *movers_ = nullptr;         // try_move_here's, linked by mail_next
  int *errno_ = nullptr; // this OS thread's errno, looked up once (TlsMode::kShared)
  void *scheduler_thread_pointer_ = nullptr; // the scheduler's identity (TlsMode::kPerThread)
  int dispatch_budget_ = 0;
  int spins_missed_ = 0;          // idle spins in a row that found no mail (wait_for_mail_briefly)
  bool group_pending_ = false;    // config_.workers > 1, the group not started yet
  GreenThread *exited_ = nullptr; // stack to release after the next switch
  // This OS thread's __cxa_eh_globals, when the program has a C++ runtime:
  // saved and restored per green thread like errno, so an exception caught
  // in one green thread is not seen, or freed, by another.
  void **exception_state_ = nullptr;
  void *main_result_ = nullptr; // what the first thread returned
  RunQueue run_queue_;
  IntrusiveList<GreenThread, RunLink> free_records_;
  Vector<GreenThread *> slots_;
  TimerHeap timers_;
  StackPool stacks_;
  Reactor reactor_;
  WorkerStats stats_;
  std::atomic<size_t> alive_{0}; // threads here not yet exited (try_move_here moves them)
  Context scheduler_context_{};
  ucontext_t scheduler_uc_{};   // the scheduler's registers under SPRIG_SWITCH=ucontext
  uint64_t next_thread_id_ = 0; // ids are taken from the process in blocks
  uint64_t thread_id_limit_ = 0;
  void *scheduler_identity_block_ = nullptr;
  // Every identity block is carved from this reserved range, in order; a
  // block stays with its record (see WorkerIdentities).
  char *identity_range_ = nullptr;
  size_t identity_range_used_ = 0;
  int identity_index_ = -1;                // in g_worker_identities, or -1
  void *adopted_thread_pointer_ = nullptr; // the OS thread's own identity, lent to main
  identity::Adopted adopted_fields_;       // what it held before
  signals::WorkerSignals signals_;
  GreenThread *vfork_parent_ = nullptr;   // set while a vfork child runs here
  int index_ = -1;                        // in the table of workers (Worker::by_index)
  Config config_;                         // as the process's first worker read it
  void *kernel_thread_pointer_ = nullptr; // see kernel_thread_pointer()
  // In the child of fork(): the forking thread's identity, whose robust list
  // and kernel thread ID glibc's fork set up for the child's one OS thread
  // (the OS thread's own is another when that thread had moved here).
  void *fork_child_thread_pointer_ = nullptr;
  WorkerGroup *group_ = nullptr; // with several workers
  // Threads placed here and not yet ended: the load placement compares.
  std::atomic<int64_t> placed_{0};
  mutable std::atomic_flag records_lock_ = ATOMIC_FLAG_INIT;
  mutable std::atomic_flag timers_lock_ = ATOMIC_FLAG_INIT;
  std::atomic<bool> stuck_{false};
};

} // namespace sprig

#include "worker_inline.hpp"
