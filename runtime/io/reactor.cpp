// reactor.cpp - the libuv side of a worker: its loop and fd set, the deadline timerfd, the
// remote-wake inbox, fork (fd watchers and the waits on fds are reactor_fds.cpp).
#include "reactor.hpp"

#include "fatal.hpp"
#include "introspect.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace sprig {

void libuv_fixups_refresh(); // libuv_fixups.cpp

namespace {

// Which fds below `limit` are open now.
void find_open_fds(Vector<bool> &open, int limit) {
  open.resize(static_cast<size_t>(limit));
  for (int fd = 0; fd < limit; ++fd) {
    open[static_cast<size_t>(fd)] = sys::fcntl(fd, F_GETFD) >= 0;
  }
}

} // namespace

int Reactor::init(Worker *worker) {
  worker_ = worker;
  libuv_fixups_refresh();
  // libuv and the timerfd take the lowest free numbers: look that far.
  constexpr int kLookAhead = 64;
  Vector<bool> before;
  find_open_fds(before, kLookAhead);
  int rc = uv_loop_init(&loop_);
  if (rc != 0) {
    return rc;
  }
  loop_.data = this;
  rc = uv_async_init(&loop_, &async_, on_async);
  if (rc != 0) {
    uv_loop_close(&loop_);
    return rc;
  }
  async_.data = this;
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0 || uv_poll_init(&loop_, &timer_poll_, timer_fd_) != 0) {
    fatal("cannot create the worker's timerfd (errno %d)", errno);
  }
  timer_poll_.data = this;
  uv_poll_start(&timer_poll_, UV_READABLE, on_timer_ready);
  if (int opened = open_fd_set(); opened != 0) {
    fatal("cannot create the worker's epoll set (errno %d)", -opened);
  }
  Vector<bool> after;
  find_open_fds(after, kLookAhead);
  for (int fd = 0; fd < kLookAhead; ++fd) {
    if (after[static_cast<size_t>(fd)] && !before[static_cast<size_t>(fd)]) {
      own_fds_.push_back(fd);
    }
  }
  own_active_handles_ = loop_.active_handles;
  initialized_ = true;
  return 0;
}

void Reactor::shutdown() {
  if (!initialized_) {
    return; // init failed and undid its own work
  }
  for (FdWatcher *watcher : watchers_) {
    if (watcher != nullptr) {
      watcher->~FdWatcher();
      free(watcher);
    }
  }
  watchers_.clear();
  uv_close(reinterpret_cast<uv_handle_t *>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t *>(&timer_poll_), nullptr);
  // Runs the close callbacks, and waits for abandoned DNS or pool requests.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) {
    fatal("the worker's libuv loop still has handles at shutdown");
  }
  close(timer_fd_);
  timer_fd_ = -1;
  sys::close(fd_set_);
  fd_set_ = -1;
}

void Reactor::after_fork_in_child() {
  // The timerfd's file description is shared with the parent: arming it here
  // would move the parent's timer. A new one takes over the same fd number,
  // so libuv's watcher for it stays valid. The fd set likewise: the parent's
  // would report the parent's events here.
  int fresh = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fresh < 0 || sys::call(SYS_dup3, fresh, timer_fd_, O_CLOEXEC) < 0) {
    fatal("cannot make a timerfd in the child of fork (errno %d)", errno);
  }
  sys::close(fresh);
  armed_deadline_ = kNoDeadline;
  long fresh_set = sys::call(SYS_epoll_create1, EPOLL_CLOEXEC);
  if (fresh_set < 0 || sys::call(SYS_dup3, fresh_set, fd_set_, O_CLOEXEC) < 0) {
    fatal("cannot make an epoll set in the child of fork (errno %ld)", -fresh_set);
  }
  sys::close(static_cast<int>(fresh_set));
  // The other threads' waits, calls and wake-ups went with them.
  for (FdWatcher *watcher : watchers_) {
    if (watcher != nullptr) {
      watcher->waiters.abandon_all();
      if (watcher->kind == FdKind::kPollable && add_to_fd_set(watcher) != 0) {
        watcher->kind = FdKind::kUnregistered; // the next wait registers it again
      }
    }
  }
  linked_waiters_ = 0;
  remote_waits_ = 0;
  calls_.clear();
  inbox_.clear();
  // A new epoll instance and async eventfd, with every watcher re-added.
  if (uv_loop_fork(&loop_) != 0 || add_libuv_to_fd_set() != 0) {
    fatal("uv_loop_fork failed in the child of fork");
  }
  observe::after_fork_in_child(*this);
}

void Reactor::prepare() {
  while (!calls_.empty()) {
    running_calls_.swap(calls_);
    for (const SchedulerCall &call : running_calls_) {
      call.call(call.argument);
    }
    running_calls_.clear();
  }
  if (linked_waiters_ == 0) {
    next_recheck_ns_ = 0;
  } else if (int64_t now = monotonic_now_ns(); next_recheck_ns_ == 0) {
    next_recheck_ns_ = now + kRecheckNs;
  } else if (now >= next_recheck_ns_) {
    recheck_registrations(now);
    next_recheck_ns_ = now + kRecheckNs;
  }
  arm_timer();
}

// libuv is embedded, as uv_backend_fd() allows: the scheduler waits on the
// fd set, which holds libuv's epoll instance, and runs libuv only when that
// instance is ready or libuv has work of its own queued (closing handles).
// The other way round (libuv waiting, the fd set one of its fds) made every
// socket event wake two epoll instances, in the kernel, in the sender's
// context: about 1 us more CPU per echoed message for the load generator,
// and a second epoll_wait per poll for the worker.
void Reactor::poll(bool may_block) {
  observe::before_poll(*this, may_block);
  stats_.blocking_polls += may_block ? 1 : 0;
  // A harvest wakes green threads only: what libuv has queued stays as it is.
  int libuv_timeout_ms = uv_backend_timeout(&loop_);
  bool harvested = harvest(may_block ? libuv_timeout_ms : 0);
  if (worker_->stuck()) {
    worker_->set_stuck(false); // before the inbox is drained (see observe::before_poll)
  }
  if (harvested || libuv_timeout_ms == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
}

bool Reactor::spin_for_mail(int64_t ns) {
  spinning_.store(true, std::memory_order_seq_cst);
  int64_t until = monotonic_now_ns() + ns;
  bool mail = has_mail_.load(std::memory_order_seq_cst);
  for (int round = 0; !mail; ++round) {
    __builtin_ia32_pause();
    if ((round & 63) == 63) {
      if (monotonic_now_ns() >= until) {
        break;
      }
      // The CPU goes to whoever else wants it (the worker that is to post,
      // when both share a CPU), and comes back at once when nobody does.
      sys::call(SYS_sched_yield);
    }
    mail = has_mail_.load(std::memory_order_seq_cst);
  }
  spinning_.store(false, std::memory_order_seq_cst);
  // A post that saw this reactor spinning sent no wake-up: look once more.
  if (mail || has_mail_.load(std::memory_order_seq_cst)) {
    drain_inbox();
    return true;
  }
  return false;
}

bool Reactor::inbox_empty() {
  if (mail_.load(std::memory_order_seq_cst) != nullptr) {
    return false;
  }
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  bool empty = inbox_.empty();
  inbox_lock_.clear(std::memory_order_release);
  return empty;
}

bool Reactor::only_own_work_left() {
  if (linked_waiters_ != 0 || remote_waits_ != 0 || loop_.active_handles > own_active_handles_ ||
      loop_.active_reqs.count != 0 || !calls_.empty()) {
    return false;
  }
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  bool inbox_empty = inbox_.empty();
  inbox_lock_.clear(std::memory_order_release);
  return inbox_empty;
}

void Reactor::arm_timer() {
  Deadline earliest = worker_->earliest_deadline();
  if (next_recheck_ns_ != 0 && next_recheck_ns_ < earliest) {
    earliest = next_recheck_ns_;
  }
  if (earliest == armed_deadline_ || earliest == kNoDeadline) {
    return; // a stale, earlier expiry only costs one spurious wake-up
  }
  itimerspec when{};
  when.it_value.tv_sec = earliest / kNanosPerSecond;
  when.it_value.tv_nsec = earliest % kNanosPerSecond;
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &when, nullptr) != 0) {
    fatal("timerfd_settime failed (errno %d)", errno);
  }
  armed_deadline_ = earliest;
}

void Reactor::on_timer_ready(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  auto *reactor = static_cast<Reactor *>(handle->data);
  uint64_t expirations = 0;
  ssize_t ignored = read(reactor->timer_fd_, &expirations, sizeof expirations);
  (void)ignored;
  reactor->armed_deadline_ = kNoDeadline;
  ++reactor->stats_.timer_wakeups;
  reactor->worker_->expire_timers(monotonic_now_ns());
}

// ---- the fd set -------------------------------------------------------------

int move_fd_high(int fd) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 64) {
    return fd;
  }
  rlim_t top = limit.rlim_cur < 4096 ? limit.rlim_cur : 4096;
  long high = sys::fcntl(fd, F_DUPFD_CLOEXEC, static_cast<long>(top - top / 4));
  if (high < 0) {
    return fd;
  }
  sys::close(fd);
  return static_cast<int>(high);
}

// Makes the fd set, with libuv's own epoll instance in it. It stays at the
// low number it gets, below the program's first fd, with libuv's own: moved
// high, the closefrom() or close_range() of a program that closes its fds
// from some number up would close it.
int Reactor::open_fd_set() {
  long set = sys::call(SYS_epoll_create1, EPOLL_CLOEXEC);
  if (set < 0) {
    return static_cast<int>(set);
  }
  fd_set_ = static_cast<int>(set);
  return add_libuv_to_fd_set();
}

// libuv's epoll instance polls readable when one of libuv's fds (the
// timerfd, the async eventfd, the pool's, the control socket) has an event:
// level-triggered, so whatever one uv_run leaves is reported again.
int Reactor::add_libuv_to_fd_set() {
  epoll_event interest{};
  interest.events = EPOLLIN;
  interest.data.u64 = kLibuvEventData;
  return static_cast<int>(
      sys::call(SYS_epoll_ctl, fd_set_, EPOLL_CTL_ADD, uv_backend_fd(&loop_), &interest));
}

// ---- wake-ups from other OS threads ------------------------------------------

void Reactor::post(RemoteKind kind, GreenThread *thread, uint64_t park_serial, int result,
                   RemoteCall call, void *argument) {
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  inbox_.push_back({thread, park_serial, result, kind, call, argument});
  inbox_lock_.clear(std::memory_order_release);
  signal_mail();
}

void Reactor::post_mail(GreenThread *thread, bool arrival, uint64_t park_serial, int result) {
  thread->mail_is_arrival = arrival;
  thread->mail_serial = park_serial;
  thread->mail_result = result;
  GreenThread *head = mail_.load(std::memory_order_relaxed);
  do {
    thread->mail_next = head;
  } while (!mail_.compare_exchange_weak(head, thread, std::memory_order_release,
                                        std::memory_order_relaxed));
  signal_mail();
}

void Reactor::signal_mail() {
  has_mail_.store(true, std::memory_order_seq_cst);
  if (!spinning_.load(std::memory_order_seq_cst)) {
    uv_async_send(&async_);
  }
}

// The mail in the order it was posted.
void Reactor::drain_mail() {
  GreenThread *newest = mail_.exchange(nullptr, std::memory_order_acquire);
  GreenThread *oldest = nullptr;
  while (newest != nullptr) {
    GreenThread *next = newest->mail_next;
    newest->mail_next = oldest;
    oldest = newest;
    newest = next;
  }
  while (oldest != nullptr) {
    GreenThread *thread = oldest;
    oldest = thread->mail_next;
    thread->mail_next = nullptr;
    stats_.remote_wakeups += 1;
    if (thread->mail_is_arrival) {
      worker_->arrive(thread);
    } else if (thread->state == ThreadState::kParked &&
               thread->park_serial == thread->mail_serial) {
      worker_->wake_claimed(thread, thread->mail_result);
    } else {
      // Only its waker may wake a claimed thread: it cannot have moved on.
      fatal("a claimed wake-up found thread %llu in another state or park",
            static_cast<unsigned long long>(thread->id));
    }
  }
}

void Reactor::on_async(uv_async_t *handle) { static_cast<Reactor *>(handle->data)->drain_inbox(); }

void Reactor::drain_inbox() {
  has_mail_.store(false, std::memory_order_seq_cst);
  drain_mail();
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  inbox_drained_.swap(inbox_);
  inbox_lock_.clear(std::memory_order_release);
  stats_.remote_wakeups += inbox_drained_.size();
  for (const RemoteWake &wake : inbox_drained_) {
    GreenThread *thread = wake.thread;
    switch (wake.kind) {
    case RemoteKind::kCall: {
      // For a thread that has moved on since (Worker::try_move_here): on to
      // its worker now, which alone changes it.
      Worker::OwnedThreadsPin pin(*worker_);
      if (thread != nullptr && !worker_->owns(thread)) {
        Worker::post_call(thread, wake.call, wake.argument);
        break;
      }
      wake.call(thread, wake.argument);
      break;
    }
    case RemoteKind::kNudgeFd:
      nudge_fd(static_cast<int>(wake.park_serial));
      break;
    case RemoteKind::kForgetFd:
      forget_fd(static_cast<int>(wake.park_serial));
      break;
    case RemoteKind::kThisPark:
      if (thread->state == ThreadState::kParked && thread->park_serial == wake.park_serial) {
        worker_->wake(thread, wake.result);
      }
      break;
    }
  }
  inbox_drained_.clear();
}

} // namespace sprig
