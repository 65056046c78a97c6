// reactor.hpp - a worker's libuv loop: fd readiness, the deadline timerfd, cross-thread wake-ups,
// deferred calls.
//
// Green threads never call libuv. They record what they need here and park;
// the scheduler applies it in prepare() and then polls:
//   - FdWatcher: one per fd that a green thread has waited on, holding one
//     uv_poll_t shared by every reader and writer of that fd. Its interest is
//     recomputed from its waiters when it is marked dirty, so a thread that
//     waits on the same fd again before the next poll costs no epoll_ctl.
//   - SchedulerCall: a function to run on the scheduler context (uv_poll_init,
//     uv_queue_work, uv_getaddrinfo, uv_close...).
//   - The timer heap's earliest deadline arms one timerfd (TFD_TIMER_ABSTIME,
//     CLOCK_MONOTONIC), watched by a uv_poll_t.
//   - Other OS threads post wake-ups into a locked inbox and uv_async_send.
#pragma once

#include "clock.hpp"
#include "green_thread.hpp"
#include "list.hpp"
#include "vector.hpp"
#include "wait_queue.hpp"

#include <atomic>
#include <uv.h>

namespace sprig {

class Worker;

// The events a green thread waits for on an fd (libuv's UV_READABLE and
// UV_WRITABLE, and sprig.h's SPRIG_READABLE and SPRIG_WRITABLE).
inline constexpr int kFdReadable = UV_READABLE;
inline constexpr int kFdWritable = UV_WRITABLE;

enum class FdKind : uint8_t {
  kUnregistered, // not (yet) known to libuv
  kPollable,     // registered: `poll` is a live uv_poll_t
  kAlwaysReady,  // epoll refuses it (regular files, directories): always ready
  kClosing,      // uv_close'd; freed by the close callback
};

struct FdWatcher;

// One fd a parked green thread waits on. A thread waiting on several fds at
// once (poll, select, epoll_wait) has one FdWaiter per fd, all on its stack.
struct FdWaiter : ListNode {
  int fd = -1;
  int events = 0;      // UV_READABLE | UV_WRITABLE wanted
  int ready = 0;       // set when woken: the ready events, or -EBADF
  bool polled = false; // no fd was left for its watcher: looked at with poll(2) after naps
  GreenThread *thread = nullptr;
  FdWatcher *watcher = nullptr; // the watcher it is linked on, while linked
};

// The registration of a new FdWatcher, on its registrant's stack: tells the
// registrant whether the fd was closed (and the watcher freed) meanwhile.
struct Registration {
  FdWatcher *watcher;
  bool retired = false;
};

struct FdWatcher {
  uv_poll_t poll; // poll.data points back here
  int fd = -1;
  FdKind kind = FdKind::kUnregistered;
  Registration *registration = nullptr; // set while a registration is queued
  int applied_events = 0;               // UV_READABLE | UV_WRITABLE as last started
  bool dirty = false;
  int register_error = 0; // why uv_poll_init refused the fd
  int proxy_fd = -1;      // for a blocking fd: the epoll instance libuv watches instead
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

  // Scheduler context: apply deferred work, then poll once.
  void prepare();
  void poll(bool may_block);

  // Green thread: waits until `fd` is ready for `events` (SPRIG_READABLE |
  // SPRIG_WRITABLE bits) or the deadline; returns the ready events or a
  // negative errno.
  int wait_fd(int fd, int events, Deadline deadline);
  // Green thread: waits until one of `count` fds is ready or the deadline.
  // Fills each waiter's `ready` (0, ready events, or a negative errno such
  // as -EBADF for an fd that is closed or unknown to epoll). Returns the
  // number of waiters with a non-zero `ready`, or -ETIMEDOUT.
  int wait_fds(FdWaiter *waiters, size_t count, Deadline deadline);
  // Green thread: wakes the fd's waiters with -EBADF, forgets the fd in
  // libuv, then close(2)s it. Returns close's result.
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

  // Scheduler context: queue a call to run before the next poll.
  struct SchedulerCall {
    void (*call)(void *);
    void *argument;
  };
  void defer(void (*call)(void *), void *argument) { calls_.push_back({call, argument}); }

  // Any OS thread.
  void post_wake(GreenThread *thread, uint64_t park_serial, int result);

  uv_loop_t *loop() { return &loop_; }
  Worker *worker() const { return worker_; }
  const ReactorStats &stats() const { return stats_; }

  // Scheduler context: true when the loop holds nothing that could ever
  // wake a green thread: no fd interest, no pool or DNS request, no call or
  // remote wake-up queued; only sprig's own handles (the wake-up async, the
  // deadline timer, and unref'ed ones such as the control socket).
  bool only_own_work_left();

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
  // eventfd and signal pipes, the timerfd): a program that closes "every fd
  // above 2" must not close them.
  bool is_own_fd(int fd) const {
    if (fd >= 0 && static_cast<size_t>(fd) < proxy_fds_.size() &&
        proxy_fds_[static_cast<size_t>(fd)]) {
      return true;
    }
    for (int own : own_fds_) {
      if (own == fd) {
        return true;
      }
    }
    return false;
  }
  void note_proxy_fd(int fd, bool open) {
    if (static_cast<size_t>(fd) >= proxy_fds_.size()) {
      proxy_fds_.resize(static_cast<size_t>(fd) + 1);
    }
    proxy_fds_[static_cast<size_t>(fd)] = open;
  }

private:
  struct RemoteWake {
    GreenThread *thread;
    uint64_t park_serial;
    int result;
  };

  FdWatcher *watcher_for(int fd);
  void mark_dirty(FdWatcher *watcher);
  // Wakes the waiters of `watcher` that want any of `events` (with their
  // ready events), or all of them with `error` when it is non-zero.
  void wake_waiters(FdWatcher *watcher, int events, int error);
  void apply_interest(FdWatcher *watcher);
  void arm_timer();
  void drain_inbox();
  static void on_fd_ready(uv_poll_t *handle, int status, int events);
  static void on_timer_ready(uv_poll_t *handle, int status, int events);
  static void on_async(uv_async_t *handle);
  static void register_watcher(void *registration);
  static void retire_watcher(void *watcher);
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
  Vector<FdWatcher *> watchers_; // indexed by fd
  Vector<int> own_fds_;          // opened by init()
  Vector<bool> proxy_fds_;       // epoll proxies of blocking fds, by fd
  Vector<FdWatcher *> dirty_;
  Vector<SchedulerCall> calls_;
  Vector<SchedulerCall> running_calls_;

  std::atomic_flag inbox_lock_ = ATOMIC_FLAG_INIT;
  Vector<RemoteWake> inbox_;
  Vector<RemoteWake> inbox_drained_;

  unsigned own_active_handles_ = 0; // active handles right after init: async and timer
  ReactorStats stats_;
};

} // namespace sprig
