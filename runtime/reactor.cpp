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
#include <sys/timerfd.h>
#include <unistd.h>

namespace sprig {

namespace {

// sprig.h's SPRIG_READABLE / SPRIG_WRITABLE are libuv's UV_READABLE / UV_WRITABLE.
static_assert(UV_READABLE == 1 && UV_WRITABLE == 2);
constexpr int kReadWrite = UV_READABLE | UV_WRITABLE;

void free_watcher(uv_handle_t *handle) {
  auto *watcher = static_cast<FdWatcher *>(handle->data);
  if (watcher->proxy_fd >= 0) {
    sys::close(watcher->proxy_fd);
  }
  watcher->~FdWatcher();
  free(watcher);
}

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
    if (watcher == nullptr) {
      continue;
    }
    if (watcher->kind == FdKind::kPollable) {
      uv_close(reinterpret_cast<uv_handle_t *>(&watcher->poll), free_watcher);
    } else {
      watcher->~FdWatcher();
      free(watcher);
    }
  }
  watchers_.clear();
  dirty_.clear();
  uv_close(reinterpret_cast<uv_handle_t *>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t *>(&timer_poll_), nullptr);
  // Runs the close callbacks, and waits for abandoned DNS or pool requests.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) {
    fatal("the worker's libuv loop still has handles at shutdown");
  }
  close(timer_fd_);
  timer_fd_ = -1;
}

void Reactor::after_fork_in_child() {
  // The timerfd's file description is shared with the parent: arming it here
  // would move the parent's timer. A new one takes over the same fd number,
  // so libuv's watcher for it stays valid.
  int fresh = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fresh < 0 || sys::call(SYS_dup3, fresh, timer_fd_, O_CLOEXEC) < 0) {
    fatal("cannot make a timerfd in the child of fork (errno %d)", errno);
  }
  sys::close(fresh);
  armed_deadline_ = kNoDeadline;
  // The other threads' waits, calls and wake-ups went with them.
  for (FdWatcher *watcher : watchers_) {
    if (watcher != nullptr) {
      watcher->waiters.abandon_all();
      mark_dirty(watcher);
      if (watcher->proxy_fd >= 0) { // shared with the parent, like the timerfd
        epoll_event interest{};
        interest.data.fd = watcher->fd;
        long proxy = sys::call(SYS_epoll_create1, EPOLL_CLOEXEC);
        if (proxy < 0 ||
            sys::call(SYS_epoll_ctl, proxy, EPOLL_CTL_ADD, watcher->fd, &interest) != 0 ||
            sys::call(SYS_dup3, proxy, watcher->proxy_fd, O_CLOEXEC) < 0) {
          fatal("cannot renew an epoll proxy in the child of fork");
        }
        sys::close(static_cast<int>(proxy));
        watcher->applied_events = -1; // re-apply the interest
      }
    }
  }
  calls_.clear();
  inbox_.clear();
  // A new epoll instance and async eventfd, with every watcher re-added.
  if (uv_loop_fork(&loop_) != 0) {
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
  for (FdWatcher *watcher : dirty_) {
    watcher->dirty = false;
    apply_interest(watcher);
  }
  dirty_.clear();
  arm_timer();
}

void Reactor::poll(bool may_block) {
  observe::before_poll(*this, may_block);
  stats_.blocking_polls += may_block ? 1 : 0;
  uv_run(&loop_, may_block ? UV_RUN_ONCE : UV_RUN_NOWAIT);
}

bool Reactor::only_own_work_left() {
  if (loop_.active_handles > own_active_handles_ || loop_.active_reqs.count != 0 ||
      !calls_.empty()) {
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

void Reactor::mark_dirty(FdWatcher *watcher) {
  if (!watcher->dirty && watcher->kind == FdKind::kPollable) {
    watcher->dirty = true;
    dirty_.push_back(watcher);
  }
}

void Reactor::apply_interest(FdWatcher *watcher) {
  if (watcher->kind != FdKind::kPollable) {
    return;
  }
  int wanted = 0;
  watcher->waiters.for_each([&](FdWaiter *waiter) { wanted |= waiter->events; });
  if (wanted == watcher->applied_events) {
    return;
  }
  if (watcher->proxy_fd >= 0) {
    // The proxy epoll instance watches the fd for `wanted`; libuv watches
    // the proxy, which is readable whenever the fd is ready.
    epoll_event interest{};
    interest.events = ((wanted & UV_READABLE) != 0 ? EPOLLIN | EPOLLRDHUP : 0U) |
                      ((wanted & UV_WRITABLE) != 0 ? EPOLLOUT : 0U);
    interest.data.fd = watcher->fd;
    sys::call(SYS_epoll_ctl, watcher->proxy_fd, EPOLL_CTL_MOD, watcher->fd, &interest);
  }
  int uv_wanted = watcher->proxy_fd >= 0 && wanted != 0 ? UV_READABLE : wanted;
  if (wanted == 0) {
    uv_poll_stop(&watcher->poll);
  } else {
    int rc = uv_poll_start(&watcher->poll, uv_wanted, on_fd_ready);
    if (rc != 0) {
      wake_waiters(watcher, kReadWrite, rc);
      wanted = 0;
    }
  }
  watcher->applied_events = wanted;
}

void Reactor::on_fd_ready(uv_poll_t *handle, int status, int events) {
  auto *watcher = static_cast<FdWatcher *>(handle->data);
  Reactor *reactor = static_cast<Reactor *>(handle->loop->data);
  ++reactor->stats_.fd_wakeups;
  if (status < 0) {
    // libuv reports EPOLLERR (a refused connect, a reset) as UV_EBADF and
    // stops the handle. Like poll(2), wake every waiter as ready: its next
    // call returns the real error.
    watcher->applied_events = 0;
    events = kReadWrite;
  } else if (watcher->proxy_fd >= 0) {
    // libuv saw the proxy readable: ask it what the fd itself is ready for.
    epoll_event ready{};
    long count = sys::call(SYS_epoll_wait, watcher->proxy_fd, &ready, 1, 0);
    events = 0;
    if (count > 0) {
      if ((ready.events & (EPOLLERR | EPOLLHUP)) != 0) {
        events = kReadWrite;
      }
      events |= (ready.events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) != 0 ? UV_READABLE : 0;
      events |= (ready.events & EPOLLOUT) != 0 ? UV_WRITABLE : 0;
    }
  } else if ((events & UV_DISCONNECT) != 0) {
    events |= kReadWrite;
  }
  reactor->wake_waiters(watcher, events, 0);
  // Recompute the interest once the woken threads have run: most wait again.
  reactor->mark_dirty(watcher);
}

// Scheduler context: makes the fd known to libuv.
//
// uv_poll_init sets O_NONBLOCK on the fd's file description, which other
// processes may share (an inherited pipe, a passed socket): even a flag put
// back at once would be seen by them for a moment. So a blocking fd is not
// given to libuv: it goes into a proxy epoll instance of its own (epoll_ctl
// changes no flags), and libuv watches the proxy. An fd that is already
// non-blocking (every socket sprig creates) is given to libuv directly.
void Reactor::register_watcher(void *registration_pointer) {
  FdWatcher *watcher = static_cast<Registration *>(registration_pointer)->watcher;
  Reactor &reactor = Worker::current()->reactor();
  long flags = sys::fcntl(watcher->fd, F_GETFL);
  if (flags < 0) {
    watcher->register_error = static_cast<int>(flags);
    return;
  }
  int watched = watcher->fd;
  if ((flags & O_NONBLOCK) == 0) {
    long proxy = sys::call(SYS_epoll_create1, EPOLL_CLOEXEC);
    if (proxy < 0) {
      watcher->register_error = static_cast<int>(proxy);
      return;
    }
    epoll_event interest{};
    interest.data.fd = watcher->fd;
    long added = sys::call(SYS_epoll_ctl, proxy, EPOLL_CTL_ADD, watcher->fd, &interest);
    if (added != 0) {
      sys::close(static_cast<int>(proxy));
      if (added == -EPERM) {
        watcher->kind = FdKind::kAlwaysReady; // epoll refuses regular files
      } else {
        watcher->register_error = static_cast<int>(added);
      }
      return;
    }
    watcher->proxy_fd = static_cast<int>(proxy);
    reactor.note_proxy_fd(watcher->proxy_fd, true);
    watched = watcher->proxy_fd;
  }
  int rc = uv_poll_init(&reactor.loop_, &watcher->poll, watched);
  if (rc == 0) {
    watcher->poll.data = watcher;
    watcher->kind = FdKind::kPollable;
  } else if (rc == UV_EPERM) {
    watcher->kind = FdKind::kAlwaysReady; // epoll refuses regular files
  } else {
    watcher->register_error = rc;
  }
  if (watcher->kind != FdKind::kPollable && watcher->proxy_fd >= 0) {
    reactor.note_proxy_fd(watcher->proxy_fd, false);
    sys::close(watcher->proxy_fd);
    watcher->proxy_fd = -1;
  }
}

// Scheduler context: frees a watcher that close_fd took out of the table.
// Queued after any registration of the same watcher, so it runs after it.
void Reactor::retire_watcher(void *watcher_pointer) {
  auto *watcher = static_cast<FdWatcher *>(watcher_pointer);
  if (watcher->registration != nullptr) {
    watcher->registration->retired = true;
  }
  if (watcher->proxy_fd >= 0) {
    Worker::current()->reactor().note_proxy_fd(watcher->proxy_fd, false);
  }
  if (watcher->kind == FdKind::kPollable) {
    watcher->kind = FdKind::kClosing;
    uv_close(reinterpret_cast<uv_handle_t *>(&watcher->poll), free_watcher);
  } else {
    watcher->~FdWatcher();
    free(watcher);
  }
}

// Finds or makes the registered watcher of fd. Returns 0, or a negative
// errno: -EBADF when the fd is closed while it is being registered.
int Reactor::register_fd(int fd, FdWatcher **registered) {
  auto index = static_cast<size_t>(fd);
  for (;;) {
    FdWatcher *watcher = watcher_for(fd);
    if (watcher == nullptr) {
      return -ENOMEM;
    }
    if (watcher->kind != FdKind::kUnregistered) {
      *registered = watcher;
      return 0;
    }
    if (watcher->registration != nullptr) {
      // Another thread registers it: queue behind its call, then look again.
      worker_->run_in_scheduler([](void *) {}, nullptr);
      continue;
    }
    Registration registration{watcher};
    watcher->registration = &registration;
    worker_->run_in_scheduler(register_watcher, &registration);
    if (registration.retired) {
      return -EBADF; // closed, and the watcher freed, meanwhile
    }
    watcher->registration = nullptr;
    if (watchers_[index] != watcher) {
      return -EBADF; // closed meanwhile; retire_watcher will free it
    }
    if (watcher->kind == FdKind::kUnregistered) {
      int rc = watcher->register_error;
      watchers_[index] = nullptr;
      watcher->~FdWatcher();
      free(watcher);
      return rc;
    }
  }
}

void Reactor::wake_waiters(FdWatcher *watcher, int events, int error) {
  watcher->waiters.for_each([&](FdWaiter *waiter) {
    int ready = error != 0 ? error : events & waiter->events;
    if (ready != 0) {
      waiter->ready = ready;
      watcher->waiters.unlink(waiter);
      waiter->watcher = nullptr;
      worker_->wake(waiter->thread, 0);
    }
  });
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
    int rc = worker_->park(reason, object, napping ? nap_end : deadline);
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
  size_t linked = 0;
  for (; linked < count; ++linked) {
    FdWaiter &waiter = waiters[linked];
    waiter.ready = 0;
    waiter.polled = false;
    waiter.thread = self;
    FdWatcher *watcher = nullptr;
    int rc = waiter.fd < 0 ? -EBADF : register_fd(waiter.fd, &watcher);
    if (rc == 0 && watcher == nullptr) {
      rc = -ENOMEM;
    }
    if (rc == -EMFILE || rc == -ENFILE) {
      // A blocking fd needs an epoll proxy, and no fd is left for one. The
      // real call would wait, not fail: look at this fd with poll(2) after
      // naps instead (park_polling).
      waiter.polled = true;
      ++polled_count;
      continue;
    }
    if (rc != 0 || watcher->kind == FdKind::kAlwaysReady) {
      waiter.ready = rc != 0 ? rc : waiter.events;
      ++ready_count;
      continue;
    }
    watcher->waiters.push_back(&waiter);
    waiter.watcher = watcher;
    mark_dirty(watcher);
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
    rc = polled_count == 0 ? worker_->park(reason, object, deadline)
                           : park_polling(waiters, count, reason, object, deadline);
  }
  // Leave every watcher still holding one of ours; the interest of each may
  // have to drop our events.
  ready_count = 0;
  for (size_t index = 0; index < count; ++index) {
    FdWaiter &waiter = waiters[index];
    if (waiter.watcher != nullptr) {
      waiter.watcher->waiters.unlink(&waiter);
      mark_dirty(waiter.watcher);
      waiter.watcher = nullptr;
    }
    ready_count += waiter.ready != 0 ? 1 : 0;
  }
  if (ready_count > 0) {
    return ready_count;
  }
  return rc != 0 ? rc : -ETIMEDOUT;
}

int Reactor::wait_fd(int fd, int events, Deadline deadline) {
  if (fd < 0) {
    return -EBADF;
  }
  if (events == 0 || (events & ~kReadWrite) != 0) {
    return -EINVAL;
  }
  FdWaiter waiter;
  waiter.fd = fd;
  waiter.events = events;
  int rc = wait_fds(&waiter, 1, deadline);
  return rc < 0 ? rc : waiter.ready;
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
      // libuv must forget the fd before the number can be reused.
      worker_->run_in_scheduler(retire_watcher, watcher);
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
