// reactor.hpp - a worker's libuv loop: fd readiness, the deadline timerfd, cross-thread wake-ups,
// deferred calls.
//
// Green threads never call libuv. They record what they need here and park;
// the scheduler applies it in prepare() and then polls:
//   - FdWatcher: one per fd that a green thread has waited on, registered
//     once in the reactor's own edge-triggered epoll set (the "fd set"),
//     for every event, and left there until the fd is closed. The scheduler
//     waits on the fd set, takes the edges out (harvest) and wakes the
//     waiters that want them. A wait therefore costs no epoll_ctl (see "Why
//     edge-triggered").
//   - libuv is embedded (uv_backend_fd): its epoll instance is in the fd
//     set, and uv_run(UV_RUN_NOWAIT) runs only when that instance is ready
//     or libuv has work queued (see poll()).
//   - SchedulerCall: a function to run on the scheduler context
//     (uv_queue_work, uv_getaddrinfo, uv_close...).
//   - The timer heap's earliest deadline arms one timerfd (TFD_TIMER_ABSTIME,
//     CLOCK_MONOTONIC), watched by a uv_poll_t.
//   - Other OS threads post wake-ups into a locked inbox and uv_async_send.
//
// Why edge-triggered, and a set of sprig's own: libuv's uv_poll_t is
// level-triggered, and uv_poll_start removes the fd from epoll before it
// adds it back. Following the waiters (stop when none is left, start when
// one comes) cost three epoll_ctl calls per echoed message with 10,000
// connections, measured with perf's syscall counters: a woken thread has
// usually not run yet when the scheduler polls again. Leaving the interest
// in place instead made every poll report the fds of threads still waiting
// on the run queue (throughput fell from 90,000 to 16,000 round trips/s).
// With edges nothing changes after the registration, and an fd is reported
// once per event. epoll_ctl needs no libuv call, so a registration is made
// by the waiting thread itself, and it changes no flag of the fd: blocking
// fds (an inherited pipe) need no stand-in.
//
// The rule that makes edges safe: a thread parks on an fd only after it has
// seen the fd not ready since the last harvest (Readiness::kNotReady: an
// EAGAIN, an EINPROGRESS, a zero-timeout look), and any edge after that look
// is harvested after it parks. A wait without that knowledge looks first
// (kUnknown: poll(2) with a zero timeout). The shim's read of a stream that
// came up short waits without trying again only while no edge of the fd has
// been harvested since (wait_readable_since, with an edge_mark).
#pragma once

#include "clock.hpp"
#include "green_thread.hpp"
#include "list.hpp"
#include "vector.hpp"
#include "wait_queue.hpp"

#include <atomic>
#include <sys/epoll.h>
#include <uv.h>

namespace sprig {

// libuv's own mutex calls go to these (runtime/io/libuv_fixups.cpp); the
// preload gives libc's, past its own exports (shim/real.cpp).
void libuv_use_libc_mutex_calls(int (*lock)(pthread_mutex_t *), int (*trylock)(pthread_mutex_t *),
                                int (*unlock)(pthread_mutex_t *));

class Worker;

// Moves fd far above the numbers a program uses (its lowest free ones): to
// three quarters of RLIMIT_NOFILE, at most 3072, close-on-exec. Returns the
// new number, or fd itself when it cannot move.
int move_fd_high(int fd);

// The events a green thread waits for on an fd (libuv's UV_READABLE and
// UV_WRITABLE, and sprig.h's SPRIG_READABLE and SPRIG_WRITABLE).
inline constexpr int kFdReadable = UV_READABLE;
inline constexpr int kFdWritable = UV_WRITABLE;

enum class FdKind : uint8_t {
  kUnregistered, // not (yet) in the fd set
  kPollable,     // in the fd set, for every event, edge-triggered
  kAlwaysReady,  // epoll refuses it (regular files, directories): always ready
};

// What a waiting thread knows of the fd's readiness (see the rule above).
enum class Readiness : uint8_t {
  kUnknown,  // the reactor looks with poll(2) before it parks
  kNotReady, // the caller has just found it not ready: park at once
};

struct FdWatcher;

// One fd a parked green thread waits on. A thread waiting on several fds at
// once (poll, select, epoll_wait) has one FdWaiter per fd, all on its stack.
struct FdWaiter : ListNode {
  int fd = -1;
  int events = 0;      // UV_READABLE | UV_WRITABLE wanted
  int ready = 0;       // set when woken: the ready events, or -EBADF
  bool polled = false; // the kernel refused the fd set this fd: looked at with poll(2) after naps
  GreenThread *thread = nullptr;
  FdWatcher *watcher = nullptr; // the watcher it is linked on, while linked
};

struct FdWatcher {
  int fd = -1;
  FdKind kind = FdKind::kUnregistered;
  uint32_t generation = 0;  // in the fd set's event data, with fd: an old registration's
                            // events (a closed fd's file kept open by a dup) are dropped
  uint32_t edges = 0;       // events harvested for it, wanted or not (see edge_mark)
  bool hung_up = false;     // an error or hang-up was harvested: reads no longer wait
  int64_t rechecked_ns = 0; // when recheck_registrations last looked at it
  IntrusiveList<FdWaiter> waiters;
};

// Counters for SPRIG_STATS; one increment per poll or callback.
struct ReactorStats {
  uint64_t blocking_polls = 0; // polls that could sleep (nothing was runnable)
  uint64_t fd_wakeups = 0;     // fd readiness callbacks
  uint64_t timer_wakeups = 0;  // the deadline timerfd fired
  uint64_t remote_wakeups = 0; // wake-ups posted by other OS threads
};

class Reactor {
public:
  int init(Worker *worker);
  // Closes every handle and the loop; no green thread may be waiting.
  void shutdown();

  // See Worker::after_fork_in_child.
  void after_fork_in_child();

  // Scheduler context: run the queued calls, arm the timer; then poll once.
  void prepare();
  void poll(bool may_block);

  // Green thread: waits until `fd` is ready for `events` (SPRIG_READABLE |
  // SPRIG_WRITABLE bits) or the deadline; returns the ready events or a
  // negative errno. `known` is what the caller knows of the fd's readiness.
  int wait_fd(int fd, int events, Deadline deadline, Readiness known);
  // Names the edges of fd harvested so far: 0 when it has no watcher.
  uint64_t edge_mark(int fd) const {
    FdWatcher *watcher =
        fd >= 0 && static_cast<size_t>(fd) < watchers_.size() ? watchers_[fd] : nullptr;
    return watcher == nullptr ? 0
                              : static_cast<uint64_t>(watcher->generation) << 32 | watcher->edges;
  }
  // Green thread: for a read of fd that found it not ready when edge_mark
  // was `mark`: returns UV_READABLE at once if an edge has been harvested
  // since (another waiter may have taken it) or the fd has hung up (a short
  // read before end-of-file), else waits as wait_fd.
  int wait_readable_since(int fd, uint64_t mark, Deadline deadline);
  // Green thread: waits until one of `count` fds is ready or the deadline;
  // the caller has just found none of them ready (Readiness::kNotReady).
  // Fills each waiter's `ready` (0, ready events, or a negative errno such
  // as -EBADF for an fd that is closed). Returns the number of waiters with
  // a non-zero `ready`, or -ETIMEDOUT.
  int wait_fds(FdWaiter *waiters, size_t count, Deadline deadline);
  // Green thread: wakes the fd's waiters with -EBADF, takes the fd out of
  // the fd set, then close(2)s it. Returns close's result.
  int close_fd(int fd);
  // Wakes every thread waiting on fd as if it were ready, so each retries
  // its call (after shutdown(2), which epoll does not always report).
  void nudge_fd(int fd) {
    if (fd >= 0 && static_cast<size_t>(fd) < watchers_.size() && watchers_[fd] != nullptr) {
      wake_waiters(watchers_[fd], UV_READABLE | UV_WRITABLE, 0);
    }
  }
  // Green thread: as close_fd, without closing: for an fd about to be
  // replaced (dup2 onto it).
  void forget_fd(int fd);

  // Queues a call to run on the scheduler context before the next poll.
  struct SchedulerCall {
    void (*call)(void *);
    void *argument;
  };
  void defer(void (*call)(void *), void *argument) { calls_.push_back({call, argument}); }

  // Any OS thread: asks this reactor's worker to act on one of its threads
  // (Worker::wake_from_other_thread, post_call) or on an fd.
  enum class RemoteKind : uint8_t {
    kThisPark, // wake it if it is still in the park numbered park_serial
    kCall,     // call(thread, argument) on the scheduler context
    kNudgeFd,  // nudge_fd(park_serial): the fd was shut down or closed on another worker
    kForgetFd, // forget_fd(park_serial): another worker dup2()s onto the fd
  };
  using RemoteCall = void (*)(GreenThread *thread, void *argument);
  void post(RemoteKind kind, GreenThread *thread, uint64_t park_serial, int result,
            RemoteCall call = nullptr, void *argument = nullptr);
  // Async-signal-safe: ends a blocking poll (the signal trampoline's inbox).
  void wake_from_signal_handler() { uv_async_send(&async_); }

  // Any OS thread: a claimed wake-up (park_serial, result) or an arrival
  // for a thread of this worker, through the thread's own mail fields: no
  // allocation (see GreenThread::mail_next).
  void post_mail(GreenThread *thread, bool arrival, uint64_t park_serial, int result);
  // Any OS thread: nothing posted and not yet drained.
  bool inbox_empty();
  // Scheduler context, with several workers and nothing runnable: waits up
  // to `ns` for a post without sleeping in the kernel, and drains what came.
  // A post to a spinning reactor skips the eventfd write (uv_async_send), so
  // a hand-off between two workers costs no system call on either side while
  // both are this close; a worker that sleeps costs one wake-up.
  bool spin_for_mail(int64_t ns);

  uv_loop_t *loop() { return &loop_; }
  Worker *worker() const { return worker_; }
  const ReactorStats &stats() const { return stats_; }

  // Scheduler context: true when the loop holds nothing that could ever
  // wake a green thread: no fd waiter, no pool or DNS request, no call or
  // remote wake-up queued; only sprig's own handles (the wake-up async, the
  // deadline timer, and unref'ed ones such as the control socket).
  bool only_own_work_left();
  // A green thread waits for an OS thread of its own to wake it
  // (shim/off_worker.hpp): until it is woken, the worker is not deadlocked.
  void expect_remote_wake() { ++remote_waits_; }
  void remote_wake_arrived() { --remote_waits_; }

  // Calls fn(thread, fd) for every fd a parked green thread waits on.
  template <typename Fn> void for_each_fd_waiter(Fn fn) const {
    for (FdWatcher *watcher : watchers_) {
      if (watcher != nullptr) {
        watcher->waiters.for_each([&](FdWaiter *waiter) { fn(waiter->thread, waiter->fd); });
      }
    }
  }

  // Fds sprig opened for itself after init (the control socket, the dump
  // signal's eventfd): the program cannot close them (see is_own_fd).
  void note_own_fd(int fd, bool open) {
    for (size_t index = 0; index < own_fds_.size(); ++index) {
      if (own_fds_[index] == fd) {
        if (!open) {
          own_fds_[index] = own_fds_.back();
          own_fds_.pop_back();
        }
        return;
      }
    }
    if (open) {
      own_fds_.push_back(fd);
    }
  }

  // True for the fds the reactor itself opened (libuv's epoll instance,
  // eventfd and signal pipes, the timerfd, the fd set): a program that
  // closes "every fd above 2" must not close them.
  bool is_own_fd(int fd) const {
    for (int own : own_fds_) {
      if (own == fd) {
        return true;
      }
    }
    return false;
  }

private:
  struct RemoteWake {
    GreenThread *thread;
    uint64_t park_serial;
    int result;
    RemoteKind kind;
    RemoteCall call;
    void *argument;
  };

  FdWatcher *watcher_for(int fd);
  // Wakes the waiters of `watcher` that want any of `events` (with their
  // ready events), or all of them with `error` when it is non-zero.
  void wake_waiters(FdWatcher *watcher, int events, int error);
  void link_waiter(FdWatcher *watcher, FdWaiter *waiter);
  void unlink_waiter(FdWaiter *waiter);
  void arm_timer();
  void drain_inbox();
  void drain_mail();
  void signal_mail();
  bool harvest(int timeout_ms);
  int add_libuv_to_fd_set();
  void recheck_registrations(int64_t now);
  int open_fd_set();
  int add_to_fd_set(FdWatcher *watcher);
  static void on_timer_ready(uv_poll_t *handle, int status, int events);
  static void on_async(uv_async_t *handle);
  int register_fd(int fd, FdWatcher **registered);
  int park_polling(FdWaiter *waiters, size_t count, WaitReason reason, const void *object,
                   Deadline deadline);

  Worker *worker_ = nullptr;
  bool initialized_ = false; // init() succeeded: shutdown() has work to do
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_poll_t timer_poll_{};
  int timer_fd_ = -1;
  Deadline armed_deadline_ = kNoDeadline;
  int fd_set_ = -1; // the edge-triggered epoll set of every watched fd
  uint32_t next_generation_ = 0;
  size_t linked_waiters_ = 0;    // FdWaiters on some watcher: for only_own_work_left
  size_t remote_waits_ = 0;      // green threads an OS thread of sprig's will wake: the same
  int64_t next_recheck_ns_ = 0;  // while waiters are linked: see recheck_registrations
  Vector<FdWatcher *> watchers_; // indexed by fd
  Vector<int> own_fds_;          // opened by init()
  Vector<SchedulerCall> calls_;
  Vector<SchedulerCall> running_calls_;

  std::atomic_flag inbox_lock_ = ATOMIC_FLAG_INIT;
  std::atomic<bool> has_mail_{false};        // set by post, cleared as the inbox is drained
  std::atomic<GreenThread *> mail_{nullptr}; // post_mail's, newest first
  std::atomic<bool> spinning_{false};        // in spin_for_mail: a post needs no eventfd write
  Vector<RemoteWake> inbox_;
  Vector<RemoteWake> inbox_drained_;

  unsigned own_active_handles_ = 0; // active handles right after init: async, timer
  ReactorStats stats_;
  static constexpr int kHarvestBatch = 256;
  // The event data of libuv's epoll instance in the fd set (fds' have a
  // generation of at least 1 in the high half, and an fd in the low one).
  static constexpr uint64_t kLibuvEventData = UINT32_MAX;
  static constexpr int64_t kRecheckNs = 1'000'000'000;
  epoll_event harvested_[kHarvestBatch];
};

} // namespace sprig
