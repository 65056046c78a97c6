// green_thread.hpp - a green thread: its context, stack, state, wait reason and per-thread data.
#pragma once

#include "clock.hpp"
#include "context.hpp"
#include "list.hpp"
#include "stack_pool.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sprig {

class Worker;
class ObjectGuard;
struct GreenThread;

// The life of a green thread. Every change goes through transition(), which
// aborts on a change not listed in its table.
enum class ThreadState : uint8_t {
  // In the worker's pool of thread records: no stack, on no queue.
  kFree,
  // Ready to run: owns its stack (parked in its context), on the run queue.
  kRunnable,
  // Executing on the worker's OS thread: on no queue. One per worker.
  kRunning,
  // Waiting for a wake-up (a wait queue, an fd, a timer, another OS thread):
  // owns its stack, not on the run queue; wait_reason says what for.
  kParked,
  // Finished, not yet joined: its stack is back in the pool, its result kept.
  kExited,
};

const char *thread_state_name(ThreadState state);

// What a parked green thread waits for, for dumps and statistics.
enum class WaitReason : uint8_t {
  kNone,
  kSleep,
  kJoin,
  kMutex,
  kCond,
  kRwlockRead,
  kRwlockWrite,
  kSemaphore,
  kBarrier,
  kOnce,
  kChannelSend,
  kChannelRecv,
  kWaitGroup,
  kFdRead,
  kFdWrite,
  kFdReadWrite,
  kPoll, // several fds at once (poll, select, epoll_wait)
  kOffload,
  kDns,
  kFutex,  // futex(FUTEX_WAIT) through syscall(2)
  kRemote, // a wake-up from another OS thread
  kSignal, // sigwait, sigsuspend, pause
};

const char *wait_reason_name(WaitReason reason);

// Tags for the lists a thread can be on (see IntrusiveList).
struct RunLink : ListNode {};  // the run queue, or the worker's pool of free records
struct WaitLink : ListNode {}; // one WaitQueue

struct KeyValues; // thread-specific values, see keys.cpp

// A FIFO of parked green threads; every green sync primitive is built on it
// (runtime/sync/wait_queue.cpp). With several workers its users may run on
// different ones: the object's ObjectGuard (runtime/sync/object_lock.hpp)
// guards it, and a thread on another worker is woken through that worker's
// inbox (see Worker::wake_claimed).
class WaitQueue {
public:
  bool empty() const { return waiters_.empty(); }
  GreenThread *front() const { return waiters_.front(); }

  // Parks the running green thread at the back of this queue until woken or
  // until `deadline`. `guard` is held and guards this queue; it is released
  // just before the switch, and not held on return. Returns the waker's
  // result (0 unless it said otherwise), or -ETIMEDOUT. On return the
  // thread is no longer on the queue.
  int park(WaitReason reason, const void *object, Deadline deadline, ObjectGuard &guard);
  // Links the running thread at the back without parking yet, under the
  // guard keyed `guard_key`: for a caller with more to do before it parks
  // (a condition wait releases its mutex), which then calls
  // Worker::park_linked. A waker may take it off meanwhile, and move it to
  // its own worker (Worker::try_move_here).
  void link_running(GreenThread *self, const void *guard_key);

  // Under the guard: wakes the front waiter with `result`; returns it, or
  // nullptr if none.
  GreenThread *wake_one(int result = 0);
  // Wakes every waiter with `result`, in FIFO order; returns how many.
  size_t wake_all(int result = 0);
  // Wakes one particular waiter (it must be on this queue).
  void wake(GreenThread *thread, int result = 0);

  template <typename Fn> void for_each(Fn fn) const { waiters_.for_each(fn); }

  // Under the guard: takes a thread off this queue without waking it.
  inline void unlink(GreenThread *thread);

private:
  IntrusiveList<GreenThread, WaitLink> waiters_;
};

// Field order is a layout: the first cache line holds everything a switch
// reads or writes of the thread it leaves and of the thread it resumes (the
// run-queue links, the state, errno, the exception state and the saved stack
// pointer), so a switch at 10,000+ threads misses on one line per record.
struct GreenThread : RunLink, WaitLink {
  // ---- hot: the first 64 bytes (checked below) ----
  ThreadState state = ThreadState::kFree;
  WaitReason wait_reason = WaitReason::kNone;
  bool detached = false;
  bool in_timer_heap = false;
  int saved_errno = 0; // errno while the thread is switched out (TlsMode::kShared)
  union {
    // TlsMode::kShared: the C++ runtime's per-thread exception state
    // (__cxa_eh_globals: the caught-exception stack and the uncaught count)
    // while switched out.
    void *saved_exception_state[2] = {};
    // TlsMode::kPerThread: the thread's identity, what %fs holds while it
    // runs (runtime/core/identity.hpp), where its errno and exception state live;
    // and the block it is made in, kept with the record for reuse.
    struct {
      void *thread_pointer;
      void *identity_block;
    };
  };
  Context context; // `sp` first: the end of the hot line
  // ---- cold ----
  Stack stack;

  uint32_t slot = 0;       // index in the worker's thread table
  uint32_t generation = 0; // bumped each time the slot is reused
  uint64_t id = 0;         // sequence number, 1 = the first thread of the process

  const void *wait_object = nullptr; // the mutex, fd, thread... waited on
  // The queue this thread is linked on, if any, and the key of the guard
  // that guards it (set by the thread itself as it links, cleared when it
  // runs again). Linked on a queue means no waker has claimed it yet: a
  // waker takes it off under the guard, and only that waker may wake it
  // (a timeout or a signal finds it gone and leaves it be).
  WaitQueue *waiting_on = nullptr;
  const void *queue_guard = nullptr;
  // The worker it runs on. It changes only while the thread is parked and
  // claimed, by its waker (Worker::try_move_here); other workers read it to
  // post to it, and a worker pinned (OwnedThreadsPin) loses none of its own.
  std::atomic<Worker *> worker{nullptr};
  int64_t parked_since_ns = 0;
  Deadline deadline = kNoDeadline;
  uint32_t timer_index = 0;     // position in the timer heap while in_timer_heap
  int wake_result = 0;          // what park() returns: 0, -ETIMEDOUT, -EBADF...
  uint64_t park_serial = 0;     // counts parks, so a late wake-up from another OS thread is ignored
  uint32_t read_locks_held = 0; // rwlock read holds, across all rwlocks
  bool is_main = false;         // the thread sprig_run started
  // Set as it links on a wait queue: a waker on another worker may move it
  // there (Worker::try_move_here). Its Context::sp is cleared then, and
  // stored again by the switch away: the new worker waits for that before it
  // runs it.
  bool may_move = false;
  // Interposed calls of this thread under way (shim/runtime_entry.hpp): above
  // 1, sprig's code called back into an export (the program's malloc, taking
  // its mutex).
  uint16_t runtime_depth = 0;

  void *(*start)(void *) = nullptr;
  void *argument = nullptr;
  void *result = nullptr;
  GreenThread *joiner = nullptr; // the thread parked in join on this one
  WaitQueue join_waiters;        // where it parks, guarded by ObjectGuard(this)
  // The thread has ended and its stack is back in its worker's pool: a
  // join may free the record. Set under ObjectGuard(this).
  bool finished = false;
  // Between spawn and free_record: a handle may find it. Under its worker's
  // records lock (the state is the worker's alone to change, unlocked).
  bool in_use = false;
  // Process-shared mutexes (error-checking, recursive, robust) and rwlocks
  // (written) it holds: glibc wrote its worker's kernel thread ID as their
  // owner and compares it at unlock, so it does not move while it holds one.
  uint16_t locks_owned_by_tid = 0;
  // A hand-over from another worker on its way to this thread's worker
  // (Reactor::post_mail): a claimed wake-up or the arrival of a new thread,
  // at most one at a time. Linked without allocating, since a waker posts
  // while it holds an object's guard, and malloc may be the program's and
  // take a green mutex.
  GreenThread *mail_next = nullptr;
  uint64_t mail_serial = 0;
  int mail_result = 0;
  bool mail_is_arrival = false;
  KeyValues *keys = nullptr;
  void *wait_data = nullptr; // a parking primitive's own data (channels: the element)

  // pthread cancellation and exit unwinding (shim/cancel.cpp, shim/thread_exit.cpp).
  void *cleanup_buffers = nullptr;    // innermost pthread_cleanup_push buffer, linked outwards
  bool cancel_disabled = false;       // PTHREAD_CANCEL_DISABLE
  bool cancel_asynchronous = false;   // PTHREAD_CANCEL_ASYNCHRONOUS (acted on as deferred)
  bool cancel_pending = false;        // pthread_cancel was called on this thread
  bool in_cancellation_point = false; // inside an interposed call that is one
  bool exiting = false;               // pthread_exit is unwinding this thread's stack
  void *exit_value = nullptr;         // pthread_exit's argument while unwinding
  // The _Unwind_Exception of that unwinding: it must outlive the frames it unwinds.
  alignas(16) unsigned char unwind_exception[32] = {};

  // Signals (runtime/signals/signals.hpp): the mask, the signals queued for this
  // thread, what sigwait takes, and what the handlers of its last wait were.
  uint64_t signal_mask = 0;
  uint64_t signals_queued = 0;
  uint64_t sigwait_set = 0;
  bool signal_deliverable = false; // queued & ~mask != 0, counted by the worker
  bool signal_handler_ran = false;
  bool signal_restarts = true; // every handler that ran had SA_RESTART
  // The thread's alternate signal stack (sigaltstack), size 0 when none.
  void *alt_stack_base = nullptr;
  size_t alt_stack_size = 0;
  int alt_stack_flags = 0; // SS_AUTODISARM as set

  char name[16] = {};
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof" // two link bases: not standard-layout
static_assert(offsetof(GreenThread, context) + offsetof(Context, sp) + sizeof(void *) <= 64,
              "the fields a switch touches share the record's first cache line");
static_assert(sizeof(GreenThread) <= 448, "records are allocated in 64-byte lines: 7 of them");
#pragma GCC diagnostic pop

// kAllowedTransitions[from][to]: the only state changes there are.
inline constexpr bool kAllowedTransitions[5][5] = {
    //               Free   Runnable Running Parked Exited
    /* Free     */ {false, true, false, false, false},
    /* Runnable */ {false, false, true, false, false},
    /* Running  */ {false, true, false, true, true},
    /* Parked   */ {false, true, false, false, false},
    /* Exited   */ {true, false, false, false, false},
};

// kAllowedSources[to]: the table's column `to` as a bit mask of the states
// it may be entered from, so that a check with a constant `to` is one bit test.
inline constexpr auto kAllowedSources = [] {
  struct Masks {
    unsigned of[5];
  } masks{};
  for (int to = 0; to < 5; ++to) {
    for (int from = 0; from < 5; ++from) {
      if (kAllowedTransitions[from][to]) {
        masks.of[to] |= 1U << from;
      }
    }
  }
  return masks;
}();

inline void WaitQueue::unlink(GreenThread *thread) {
  waiters_.unlink(thread);
  __atomic_store_n(&thread->waiting_on, nullptr, __ATOMIC_RELEASE);
}

[[noreturn]] void bad_transition(const GreenThread &thread, ThreadState to);

// Checked state change; aborts with both states named if `to` is not allowed
// from the thread's current state. Inline: it runs twice per switch.
inline void transition(GreenThread &thread, ThreadState to) {
  unsigned sources = kAllowedSources.of[static_cast<int>(to)];
  if (((sources >> static_cast<unsigned>(thread.state)) & 1U) == 0) [[unlikely]] {
    bad_transition(thread, to);
  }
  thread.state = to;
}

// The same check where the caller knows the only state the thread can be in
// (the running thread, a thread taken off the run queue): the table is
// consulted at compile time, and the run-time check is one comparison.
template <ThreadState From, ThreadState To> inline void transition(GreenThread &thread) {
  static_assert(kAllowedTransitions[static_cast<int>(From)][static_cast<int>(To)]);
  if (thread.state != From) [[unlikely]] {
    bad_transition(thread, To);
  }
  thread.state = To;
}

} // namespace sprig
