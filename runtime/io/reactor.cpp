// reactor.cpp - the libuv side of a worker: fd watchers, the deadline timerfd, the remote-wake
// inbox.
#include "reactor.hpp"

#include "fatal.hpp"
#include "introspect.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace sprig {

namespace {

// sprig.h's SPRIG_READABLE / SPRIG_WRITABLE are libuv's UV_READABLE / UV_WRITABLE.
static_assert(UV_READABLE == 1 && UV_WRITABLE == 2);
constexpr int kReadWrite = UV_READABLE | UV_WRITABLE;

} // namespace

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
  if (harvest(may_block ? libuv_timeout_ms : 0) || libuv_timeout_ms == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
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

// ---- fd readiness -----------------------------------------------------------

namespace {

constexpr uint32_t kFdSetEvents = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// An event of the fd set as UV_READABLE | UV_WRITABLE. An error or hang-up
// wakes every waiter, as poll(2) reports them whatever was asked: its next
// call returns the error or end-of-file.
int ready_events_of(uint32_t events) {
  int ready = (events & (EPOLLERR | EPOLLHUP)) != 0 ? kReadWrite : 0;
  ready |= (events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) != 0 ? UV_READABLE : 0;
  ready |= (events & EPOLLOUT) != 0 ? UV_WRITABLE : 0;
  return ready;
}

} // namespace

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

namespace {

// A watcher's registration in the fd set: every event, edge-triggered, and
// the fd with its generation as the event data.
epoll_event interest_of(const FdWatcher &watcher) {
  epoll_event interest{};
  interest.events = kFdSetEvents;
  interest.data.u64 =
      static_cast<uint64_t>(watcher.generation) << 32 | static_cast<uint32_t>(watcher.fd);
  return interest;
}

} // namespace

// Puts the watcher's fd in the fd set: 0 or a negative errno (-EPERM for a
// regular file, which epoll refuses).
int Reactor::add_to_fd_set(FdWatcher *watcher) {
  epoll_event interest = interest_of(*watcher);
  long rc = sys::call(SYS_epoll_ctl, fd_set_, EPOLL_CTL_ADD, watcher->fd, &interest);
  if (rc == -EEXIST) { // this file at this number is still in the set
    rc = sys::call(SYS_epoll_ctl, fd_set_, EPOLL_CTL_MOD, watcher->fd, &interest);
  }
  return static_cast<int>(rc);
}

// Scheduler context: waits up to timeout_ms (-1: no limit) for the fd set,
// takes its edges and wakes their waiters. Returns true when libuv's epoll
// instance is ready. A burst larger than a few batches stays in the set for
// the next poll.
bool Reactor::harvest(int timeout_ms) {
  constexpr int kMaxBatches = 8;
  bool libuv_ready = false;
  for (int batch = 0; batch < kMaxBatches; ++batch) {
    long count =
        sys::call(SYS_epoll_wait, fd_set_, harvested_, kHarvestBatch, batch == 0 ? timeout_ms : 0);
    for (long index = 0; index < count; ++index) {
      uint64_t data = harvested_[index].data.u64;
      if (data == kLibuvEventData) {
        libuv_ready = true;
        continue;
      }
      auto fd = static_cast<size_t>(static_cast<uint32_t>(data));
      FdWatcher *watcher = fd < watchers_.size() ? watchers_[fd] : nullptr;
      if (watcher == nullptr || watcher->generation != static_cast<uint32_t>(data >> 32)) {
        continue; // an old registration's event
      }
      ++stats_.fd_wakeups;
      ++watcher->edges;
      uint32_t events = harvested_[index].events;
      watcher->hung_up = watcher->hung_up || (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0;
      wake_waiters(watcher, ready_events_of(events), 0);
    }
    if (count < kHarvestBatch) {
      break;
    }
  }
  return libuv_ready;
}

// Scheduler context, every kRecheckNs while some thread waits on an fd: makes
// sure that each fd waited on for a while is still in the fd set as the file
// it is now. An fd closed behind sprig's back (a raw close syscall, fclose,
// close_range, an OS thread that is not green) leaves its watcher, and a new
// fd the kernel gives the same number without sprig seeing it (an eventfd, an
// open) would be waited on through the old, dead registration for ever. A
// watcher is looked at once its oldest waiter has waited kRecheckNs, then
// each time that wait has doubled, up to every 64 s: one epoll_ctl, which
// adds the fd again if the kernel had dropped it (and reports it at once if
// it is ready).
void Reactor::recheck_registrations(int64_t now) {
  constexpr int64_t kLongestGapNs = 64 * kRecheckNs;
  for (FdWatcher *watcher : watchers_) {
    if (watcher == nullptr || watcher->kind != FdKind::kPollable || watcher->waiters.empty()) {
      continue;
    }
    int64_t waited = now - watcher->waiters.front()->thread->parked_since_ns;
    int64_t gap = waited / 2 < kRecheckNs ? kRecheckNs : waited / 2;
    gap = gap < kLongestGapNs ? gap : kLongestGapNs;
    if (waited < kRecheckNs || now - watcher->rechecked_ns < gap) {
      continue;
    }
    watcher->rechecked_ns = now;
    epoll_event interest = interest_of(*watcher);
    if (sys::call(SYS_epoll_ctl, fd_set_, EPOLL_CTL_MOD, watcher->fd, &interest) == -ENOENT) {
      add_to_fd_set(watcher);
    }
  }
}

FdWatcher *Reactor::watcher_for(int fd) {
  auto index = static_cast<size_t>(fd);
  if (index >= watchers_.size()) {
    watchers_.resize(index + 1);
  }
  if (watchers_[index] == nullptr) {
    void *memory = malloc(sizeof(FdWatcher));
    if (memory == nullptr) {
      return nullptr;
    }
    auto *watcher = new (memory) FdWatcher();
    watcher->fd = fd;
    watchers_[index] = watcher;
  }
  return watchers_[index];
}

// Finds or makes the registered watcher of fd. Returns 0, or a negative
// errno: -EBADF for an fd that is not open, -ENOMEM or -ENOSPC when the
// kernel refuses the fd set another fd (fs.epoll.max_user_watches).
int Reactor::register_fd(int fd, FdWatcher **registered) {
  FdWatcher *watcher = watcher_for(fd);
  if (watcher == nullptr) {
    return -ENOMEM;
  }
  if (watcher->kind == FdKind::kUnregistered) {
    watcher->generation = ++next_generation_;
    int rc = add_to_fd_set(watcher);
    if (rc == -EPERM) {
      watcher->kind = FdKind::kAlwaysReady; // epoll refuses regular files
    } else if (rc == 0) {
      watcher->kind = FdKind::kPollable;
    } else {
      watchers_[static_cast<size_t>(fd)] = nullptr;
      watcher->~FdWatcher();
      free(watcher);
      return rc;
    }
  }
  *registered = watcher;
  return 0;
}

void Reactor::wake_waiters(FdWatcher *watcher, int events, int error) {
  watcher->waiters.for_each([&](FdWaiter *waiter) {
    int ready = error != 0 ? error : events & waiter->events;
    if (ready != 0) {
      waiter->ready = ready;
      unlink_waiter(waiter);
      worker_->wake(waiter->thread, 0);
    }
  });
}

void Reactor::link_waiter(FdWatcher *watcher, FdWaiter *waiter) {
  watcher->waiters.push_back(waiter);
  waiter->watcher = watcher;
  ++linked_waiters_;
}

void Reactor::unlink_waiter(FdWaiter *waiter) {
  waiter->watcher->waiters.unlink(waiter);
  waiter->watcher = nullptr;
  --linked_waiters_;
}

namespace {

// The waiter's events that poll(2) finds ready now, or -EBADF.
int poll_once(const FdWaiter &waiter) {
  pollfd probe{waiter.fd, 0, 0};
  probe.events = static_cast<short>(((waiter.events & UV_READABLE) != 0 ? POLLIN : 0) |
                                    ((waiter.events & UV_WRITABLE) != 0 ? POLLOUT : 0));
  if (sys::poll(&probe, 1, 0) <= 0 || probe.revents == 0) {
    return 0;
  }
  if ((probe.revents & POLLNVAL) != 0) {
    return -EBADF;
  }
  if ((probe.revents & (POLLERR | POLLHUP)) != 0) {
    return waiter.events; // as on_fd_ready: the next call reports the error
  }
  return ((probe.revents & POLLIN) != 0 ? UV_READABLE : 0) |
         ((probe.revents & POLLOUT) != 0 ? UV_WRITABLE : 0);
}

constexpr int64_t kFirstPollNapNs = 50'000;
constexpr int64_t kLastPollNapNs = 10'000'000;

} // namespace

// Parks until a watcher wakes the thread, one of the polled waiters is
// ready (looked at after each nap: 50 us, doubling up to 10 ms), or the
// deadline. Returns the wake result, 0 for a polled waiter found ready, or
// -ETIMEDOUT.
int Reactor::park_polling(FdWaiter *waiters, size_t count, WaitReason reason, const void *object,
                          Deadline deadline) {
  for (int64_t nap_ns = kFirstPollNapNs;; nap_ns = nap_ns < kLastPollNapNs ? nap_ns * 2 : nap_ns) {
    Deadline nap_end = kNoDeadline;
    timeout_to_deadline(nap_ns, &nap_end);
    bool napping = nap_end < deadline;
    int rc = worker_->park_quietly(reason, object, napping ? nap_end : deadline);
    if (rc != -ETIMEDOUT) {
      return rc;
    }
    bool found = false;
    for (size_t index = 0; index < count; ++index) {
      if (waiters[index].polled) {
        waiters[index].ready = poll_once(waiters[index]);
        found = found || waiters[index].ready != 0;
      }
    }
    if (found) {
      return 0;
    }
    if (!napping) {
      return rc;
    }
  }
}

int Reactor::wait_fds(FdWaiter *waiters, size_t count, Deadline deadline) {
  GreenThread *self = worker_->running();
  int ready_count = 0;
  size_t polled_count = 0;
  for (size_t index = 0; index < count; ++index) {
    FdWaiter &waiter = waiters[index];
    waiter.ready = 0;
    waiter.polled = false;
    waiter.thread = self;
    FdWatcher *watcher = nullptr;
    int rc = waiter.fd < 0 ? -EBADF : register_fd(waiter.fd, &watcher);
    if (rc == -ENOMEM || rc == -ENOSPC) {
      // The kernel refuses the fd set another fd. The real call would wait,
      // not fail: look at this fd with poll(2) after naps instead.
      waiter.polled = true;
      ++polled_count;
      continue;
    }
    if (rc != 0 || watcher->kind == FdKind::kAlwaysReady) {
      waiter.ready = rc != 0 ? rc : waiter.events;
      ++ready_count;
      continue;
    }
    link_waiter(watcher, &waiter);
  }
  int rc = 0;
  if (ready_count == 0) {
    WaitReason reason = count > 1                          ? WaitReason::kPoll
                        : waiters[0].events == UV_READABLE ? WaitReason::kFdRead
                        : waiters[0].events == UV_WRITABLE ? WaitReason::kFdWrite
                                                           : WaitReason::kFdReadWrite;
    const void *object = count > 1
                             ? static_cast<const void *>(waiters)
                             : reinterpret_cast<const void *>(static_cast<intptr_t>(waiters[0].fd));
    rc = polled_count == 0 ? worker_->park_quietly(reason, object, deadline)
                           : park_polling(waiters, count, reason, object, deadline);
  }
  ready_count = 0;
  for (size_t index = 0; index < count; ++index) {
    FdWaiter &waiter = waiters[index];
    if (waiter.watcher != nullptr) {
      unlink_waiter(&waiter);
    }
    ready_count += waiter.ready != 0 ? 1 : 0;
  }
  if (worker_->signals().work()) [[unlikely]] {
    signals::deliver(*worker_, self); // the waiters are unlinked: a handler may jump out
  }
  if (ready_count > 0) {
    return ready_count;
  }
  return rc != 0 ? rc : -ETIMEDOUT;
}

int Reactor::wait_fd(int fd, int events, Deadline deadline, Readiness known) {
  if (fd < 0) {
    return -EBADF;
  }
  if (events == 0 || (events & ~kReadWrite) != 0) {
    return -EINVAL;
  }
  FdWaiter waiter;
  waiter.fd = fd;
  waiter.events = events;
  if (known == Readiness::kUnknown) {
    if (int ready = poll_once(waiter); ready != 0) {
      return ready;
    }
  }
  int rc = wait_fds(&waiter, 1, deadline);
  return rc < 0 ? rc : waiter.ready;
}

int Reactor::wait_readable_since(int fd, uint64_t mark, Deadline deadline) {
  uint64_t now = edge_mark(fd);
  if (now != 0 && (now != mark || watchers_[static_cast<size_t>(fd)]->hung_up)) {
    return UV_READABLE; // an edge came since, or end-of-file: let the caller try its read
  }
  // No watcher: its registration adds the fd as it is now, ready or not.
  return wait_fd(fd, UV_READABLE, deadline, Readiness::kNotReady);
}

int Reactor::close_fd(int fd) {
  forget_fd(fd);
  return static_cast<int>(sys::close(fd));
}

void Reactor::forget_fd(int fd) {
  if (fd >= 0 && static_cast<size_t>(fd) < watchers_.size()) {
    FdWatcher *watcher = watchers_[static_cast<size_t>(fd)];
    if (watcher != nullptr) {
      watchers_[static_cast<size_t>(fd)] = nullptr;
      wake_waiters(watcher, kReadWrite, -EBADF);
      if (watcher->kind == FdKind::kPollable) {
        // Before the close: a dup of the fd would keep its file, and so
        // this registration, in the set.
        epoll_event unused{};
        sys::call(SYS_epoll_ctl, fd_set_, EPOLL_CTL_DEL, fd, &unused);
      }
      watcher->~FdWatcher();
      free(watcher);
    }
  }
}

// ---- wake-ups from other OS threads ------------------------------------------

void Reactor::post_wake(GreenThread *thread, uint64_t park_serial, int result) {
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  inbox_.push_back({thread, park_serial, result});
  inbox_lock_.clear(std::memory_order_release);
  uv_async_send(&async_);
}

void Reactor::on_async(uv_async_t *handle) { static_cast<Reactor *>(handle->data)->drain_inbox(); }

void Reactor::drain_inbox() {
  while (inbox_lock_.test_and_set(std::memory_order_acquire)) {
  }
  inbox_drained_.swap(inbox_);
  inbox_lock_.clear(std::memory_order_release);
  stats_.remote_wakeups += inbox_drained_.size();
  for (const RemoteWake &wake : inbox_drained_) {
    if (wake.thread->state == ThreadState::kParked &&
        wake.thread->park_serial == wake.park_serial) {
      worker_->wake(wake.thread, wake.result);
    }
  }
  inbox_drained_.clear();
}

} // namespace sprig
