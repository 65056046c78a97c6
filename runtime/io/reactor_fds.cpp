// reactor_fds.cpp - a worker's fd waits: the watchers, their registration in the edge-triggered fd
// set, the harvest of its edges, and the waits of green threads on fds.
#include "reactor.hpp"

#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <new>
#include <poll.h>
#include <sys/epoll.h>

namespace sprig {

namespace {

// sprig.h's SPRIG_READABLE / SPRIG_WRITABLE are libuv's UV_READABLE / UV_WRITABLE.
static_assert(UV_READABLE == 1 && UV_WRITABLE == 2);
constexpr int kReadWrite = UV_READABLE | UV_WRITABLE;
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

} // namespace sprig
