// multiplex.cpp - poll, ppoll, select, pselect and epoll_wait: a zero-timeout look, then a green
// wait on every fd.
//
// The program's own call is always made by libc with a zero timeout, so the
// answer (revents, fd sets, epoll events) is exactly libc's. Only the waiting
// is sprig's: one FdWaiter per fd on the reactor, and the look is repeated
// when one of them fires. The program's own epoll instance is itself an fd
// that polls readable when it has events, so epoll_wait waits on that.
// The signal masks of ppoll, pselect and epoll_pwait are the thread's for
// the whole call (MaskDuringWait), as natively; each look passes it too, so
// the kernel checks it. A handler that runs ends the wait with EINTR: these
// calls never restart (signal(7)).
//
// The kernel reads the program's arrays before sprig does wherever it can
// (the first look comes before sprig reads a pollfd), so a bad pointer or
// count gets the kernel's error in the kernel's order. select's sets, which
// each look rewrites, sprig must read first: with copy_from_program, so a
// bad one gets EFAULT, never a crash. Timeouts are read where glibc reads
// them: glibc copies those of ppoll, pselect and select itself, so a bad one
// faults in the program natively too.
#include "blocking.hpp"
#include "pool.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "vector.hpp"

#include <cstring>
#include <sys/epoll.h>
#include <sys/select.h>

namespace sprig::shim {

namespace {

Deadline deadline_from_ms(int timeout_ms) {
  Deadline deadline = kNoDeadline;
  if (timeout_ms >= 0) {
    timeout_to_deadline(static_cast<int64_t>(timeout_ms) * 1'000'000, &deadline);
  }
  return deadline;
}

// A poll that returns without parking lets the other runnable green threads
// run first. Natively the kernel preempts a thread whose event loop never
// waits (redis-benchmark --threads spins on always-writable sockets until
// another thread's count of replies stops it; a loop of zero-timeout polls
// waits for another thread's write); under sprig such a loop would hold the
// worker for ever. The result is returned as found: natively, too, another
// thread may run between the call's return and its caller's next step.
long without_starving(long result) {
  Worker::current()->yield();
  return result;
}

// Repeats `look` (libc's call with a zero timeout: a count, 0, or -errno)
// until it finds something, fails, or the deadline passes; between looks the
// thread parks on the waiters that `collect` fills. `collect` runs once,
// after the first look found nothing: the kernel has then read the program's
// arrays and found them good, so sprig may read them too.
template <typename Look, typename Collect>
long wait_and_look(Deadline deadline, Look look, Collect collect) {
  Vector<FdWaiter> waiters;
  bool parked = false;
  GreenThread *self = Worker::current_thread();
  for (;;) {
    long found = look();
    if (found != 0 || deadline <= monotonic_now_ns()) {
      return parked ? found : without_starving(found);
    }
    if (!parked) {
      collect(waiters);
      parked = true;
    }
    if (waiters.empty()) { // nothing to wait on: a plain sleep
      int rc = Worker::current()->park(WaitReason::kPoll, nullptr, deadline);
      if (rc == -EINTR && !signals::handler_ran(self)) {
        continue;
      }
      return rc == -ECANCELED || rc == -EINTR ? rc : look();
    }
    int rc = Worker::current()->reactor().wait_fds(waiters.begin(), waiters.size(), deadline);
    if (rc == -ETIMEDOUT) {
      return look();
    }
    if (rc == -ECANCELED) {
      return rc; // pthread_cancel: the cancellation point ends the thread
    }
    if (rc == -EINTR && signals::handler_ran(self)) {
      return rc; // never restarted
    }
  }
}

void add_waiter(Vector<FdWaiter> &waiters, int fd, int events) {
  FdWaiter waiter;
  waiter.fd = fd;
  waiter.events = events;
  waiters.push_back(waiter);
}

// `look` is libc's poll or ppoll with a zero timeout.
template <typename Look>
long poll_green(struct pollfd *fds, nfds_t nfds, Deadline deadline, Look look) {
  return wait_and_look(deadline, look, [&](Vector<FdWaiter> &waiters) {
    for (nfds_t index = 0; index < nfds; ++index) {
      if (fds[index].fd < 0) {
        continue;
      }
      short events = fds[index].events;
      int wanted =
          ((events & (POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLRDHUP)) != 0 ? kFdReadable
                                                                                    : 0) |
          ((events & (POLLOUT | POLLWRNORM | POLLWRBAND)) != 0 ? kFdWritable : 0);
      // Errors and hang-ups are reported whatever was asked: wake for them too.
      add_waiter(waiters, fds[index].fd, wanted != 0 ? wanted : kFdReadable);
    }
  });
}

// One of the program's select sets, `nfds` bits of it: a program may pass
// nfds above FD_SETSIZE with sets it allocated larger, as the kernel allows,
// so the bits are handled as an array of fd_mask words, not fd_set. The looks
// run on sprig's copy; the program's set gets the answer once, at the end.
class SelectSet {
public:
  // Copies the program's set: 0, or -EFAULT when it cannot be read whole.
  long load(fd_set *set, int nfds) {
    set_ = reinterpret_cast<__fd_mask *>(set);
    if (set_ == nullptr) {
      return 0;
    }
    size_t words = (static_cast<size_t>(nfds) + kBitsPerWord - 1) / kBitsPerWord;
    wanted_.resize(words);
    working_.resize(words);
    return copy_from_program(wanted_.begin(), set_, bytes());
  }
  bool wants(int fd) const {
    return set_ != nullptr && ((wanted_[static_cast<size_t>(fd) / kBitsPerWord] >>
                                (static_cast<size_t>(fd) % kBitsPerWord)) &
                               1) != 0;
  }
  // The set a look passes to the kernel, which rewrites it: the wanted bits
  // afresh each time.
  fd_set *for_look() {
    if (set_ == nullptr) {
      return nullptr;
    }
    memcpy(working_.begin(), wanted_.begin(), bytes());
    return reinterpret_cast<fd_set *>(working_.begin());
  }
  // The last look's answer into the program's set: 0 or -EFAULT.
  long store() const {
    return set_ == nullptr ? 0 : copy_to_program(set_, working_.begin(), bytes());
  }

private:
  static constexpr size_t kBitsPerWord = 8 * sizeof(__fd_mask);
  size_t bytes() const { return wanted_.size() * sizeof(__fd_mask); }
  __fd_mask *set_ = nullptr;
  Vector<__fd_mask> wanted_;
  Vector<__fd_mask> working_;
};

// The kernel counts at most its fd table's size of select bits and ignores
// the rest; no table is larger than fs.nr_open's default, 2^20.
constexpr int kMaxSelectBits = 1 << 20;

// select and pselect: `look(read, write, except)` is libc's call with a zero
// timeout on sprig's copies; `wait_in_kernel()` the program's own call,
// which blocks the worker, for sets sprig cannot read whole (the kernel
// clamps nfds to its fd table and may accept them).
template <typename Look, typename WaitInKernel>
long select_green(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, Deadline deadline,
                  Look look, WaitInKernel wait_in_kernel) {
  int bits = nfds < kMaxSelectBits ? nfds : kMaxSelectBits;
  SelectSet read_set;
  SelectSet write_set;
  SelectSet except_set;
  if (read_set.load(readfds, bits) != 0 || write_set.load(writefds, bits) != 0 ||
      except_set.load(exceptfds, bits) != 0) {
    return wait_in_kernel();
  }
  long rc = wait_and_look(
      deadline,
      [&] { return look(bits, read_set.for_look(), write_set.for_look(), except_set.for_look()); },
      [&](Vector<FdWaiter> &waiters) {
        for (int fd = 0; fd < bits; ++fd) {
          int wanted = (read_set.wants(fd) || except_set.wants(fd) ? kFdReadable : 0) |
                       (write_set.wants(fd) ? kFdWritable : 0);
          if (wanted != 0) {
            add_waiter(waiters, fd, wanted);
          }
        }
      });
  if (rc >= 0 && (read_set.store() != 0 || write_set.store() != 0 || except_set.store() != 0)) {
    return -EFAULT; // as the kernel, when it cannot write the answer back
  }
  return rc;
}

// An epoll set with an EPOLLEXCLUSIVE entry is waited on by libc's call
// itself, on libuv's thread pool: the kernel wakes only one of the epoll sets
// that share a file exclusively, and only one that a thread waits on in
// epoll_wait. A set that sprig's own epoll set watches (the green wait) is
// not such a one, so every process's set would wake for each event
// (fs/eventpoll.c, ep_poll_callback). The call waits in slices of at most
// kExclusiveSliceMs, so that a pthread_cancel ends it within one.
constexpr int kExclusiveSliceMs = 100;

// `wait(ms)` is libc's epoll_pwait with a timeout of ms.
template <typename Wait> long wait_exclusive(Deadline deadline, Wait wait) {
  GreenThread *self = Worker::current_thread();
  for (;;) {
    int slice = kExclusiveSliceMs;
    if (deadline != kNoDeadline) {
      int64_t left_ms = (deadline - monotonic_now_ns() + 999'999) / 1'000'000;
      slice = left_ms < 0 ? 0 : (left_ms < slice ? static_cast<int>(left_ms) : slice);
    }
    long found = run_on_pool([&] { return wait(slice); });
    if (found != 0 || deadline <= monotonic_now_ns() ||
        (self->cancel_pending && !self->cancel_disabled)) {
      return found; // a pending cancel acts as the call returns
    }
  }
}

// `look` is libc's epoll_wait or epoll_pwait with a zero timeout, `wait(ms)`
// the same call with a timeout.
template <typename Look, typename Wait>
long epoll_green(int epfd, Deadline deadline, Look look, Wait wait) {
  if (epfd >= 0 && fd_info(epfd).exclusive_epoll) {
    long found = look();
    return found != 0 ? found : wait_exclusive(deadline, wait);
  }
  return wait_and_look(deadline, look,
                       [&](Vector<FdWaiter> &waiters) { add_waiter(waiters, epfd, kFdReadable); });
}

// The timespec timeout of ppoll or pselect. glibc copies it itself before
// the kernel sees it (so that the kernel's update of the time left does not
// reach the program): a bad pointer faults in the program natively too.
// -EINVAL for an interval the kernel refuses; else 0 and the deadline
// (kNoDeadline for none).
long timespec_deadline(const timespec *timeout, Deadline *deadline) {
  *deadline = kNoDeadline;
  if (timeout == nullptr) {
    return 0;
  }
  timespec interval = *timeout;
  if (interval.tv_sec < 0 || !valid_nanoseconds(interval)) {
    return -EINVAL;
  }
  *deadline = deadline_after_interval(interval.tv_sec, interval.tv_nsec);
  return 0;
}

int finish(long rc) { return set_errno_result(static_cast<int>(rc)); }

// The mask of ppoll, pselect or epoll_pwait, the thread's while the call
// lasts. A bad pointer is left to the first look, where the kernel reports
// it. interrupted(): a handler ran as the mask was set (a signal pending and
// now unblocked), so the call fails with EINTR without waiting.
class MaskDuringWait {
public:
  explicit MaskDuringWait(const sigset_t *mask) {
    signals::SignalSet during = 0;
    if (mask == nullptr || copy_from_program(&during, mask, sizeof during) != 0) {
      return;
    }
    worker_ = Worker::current();
    self_ = worker_->running();
    before_ = self_->signal_mask;
    signals::change_mask(*worker_, self_, during);
    interrupted_ = signals::handler_ran(self_);
  }
  ~MaskDuringWait() {
    if (worker_ != nullptr) {
      bool ran = signals::handler_ran(self_);
      signals::change_mask(*worker_, self_, before_);
      self_->signal_handler_ran = ran || signals::handler_ran(self_);
    }
  }
  MaskDuringWait(const MaskDuringWait &) = delete;
  MaskDuringWait &operator=(const MaskDuringWait &) = delete;
  bool interrupted() const { return interrupted_; }

private:
  Worker *worker_ = nullptr;
  GreenThread *self_ = nullptr;
  signals::SignalSet before_ = 0;
  bool interrupted_ = false;
};

} // namespace

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
  auto look = [&] { return result_of(real::poll(fds, nfds, 0)); };
  if (timeout == 0) {
    return finish(without_starving(look()));
  }
  return finish(poll_green(fds, nfds, deadline_from_ms(timeout), look));
}

int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
          const sigset_t *sigmask) {
  Deadline deadline = kNoDeadline;
  if (long rc = timespec_deadline(timeout, &deadline); rc != 0) {
    return finish(rc);
  }
  MaskDuringWait mask(sigmask);
  if (mask.interrupted()) {
    return finish(-EINTR);
  }
  // Each look passes the program's mask too: the kernel checks it.
  timespec zero{};
  return finish(poll_green(fds, nfds, deadline,
                           [&] { return result_of(real::ppoll(fds, nfds, &zero, sigmask)); }));
}

int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
           struct timeval *timeout) {
  // As glibc's select (on pselect6): it reads the timeout itself, 32 bits of
  // tv_usec, refuses negative parts with EINVAL, carries whole seconds of
  // tv_usec into tv_sec (saturating), and writes the time left back whatever
  // the call's result. A bad pointer faults in the program, as natively.
  int64_t seconds = timeout == nullptr ? 0 : timeout->tv_sec;
  auto micros = static_cast<int32_t>(timeout == nullptr ? 0 : timeout->tv_usec);
  if (seconds < 0 || micros < 0) {
    return finish(-EINVAL);
  }
  int64_t carried = micros / 1'000'000;
  seconds = seconds > INT64_MAX - carried ? INT64_MAX : seconds + carried;
  int64_t nanos = static_cast<int64_t>(micros % 1'000'000) * 1000;
  Deadline deadline = timeout == nullptr ? kNoDeadline : deadline_after_interval(seconds, nanos);
  long rc = nfds < 0
                ? -EINVAL
                : select_green(
                      nfds, readfds, writefds, exceptfds, deadline,
                      [](int bits, fd_set *read, fd_set *write, fd_set *except) {
                        timeval zero{};
                        return result_of(real::select(bits, read, write, except, &zero));
                      },
                      [&] {
                        return result_of(real::select(nfds, readfds, writefds, exceptfds, timeout));
                      });
  if (timeout != nullptr) {
    if (deadline != kNoDeadline) {
      int64_t left = deadline - monotonic_now_ns();
      left = left < 0 ? 0 : left;
      seconds = left / kNanosPerSecond;
      nanos = left % kNanosPerSecond;
    }
    timeout->tv_sec = seconds;
    timeout->tv_usec = nanos / 1000;
  }
  return finish(rc);
}

int pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
            const struct timespec *timeout, const sigset_t *sigmask) {
  Deadline deadline = kNoDeadline;
  if (long rc = timespec_deadline(timeout, &deadline); rc != 0) {
    return finish(rc);
  }
  if (nfds < 0) { // the kernel's answer, after its check of the mask
    timespec zero{};
    return finish(result_of(real::pselect(nfds, readfds, writefds, exceptfds, &zero, sigmask)));
  }
  MaskDuringWait mask(sigmask);
  if (mask.interrupted()) {
    return finish(-EINTR);
  }
  return finish(select_green(
      nfds, readfds, writefds, exceptfds, deadline,
      [&](int bits, fd_set *read, fd_set *write, fd_set *except) {
        timespec zero{};
        return result_of(real::pselect(bits, read, write, except, &zero, sigmask));
      },
      [&] {
        return result_of(real::pselect(nfds, readfds, writefds, exceptfds, timeout, sigmask));
      }));
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  int rc = real::epoll_ctl(epfd, op, fd, event);
  if (rc == 0 && op == EPOLL_CTL_ADD && (event->events & EPOLLEXCLUSIVE) != 0) {
    fd_info(epfd).exclusive_epoll = true; // the kernel has read `event`: it is good
  }
  return rc;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  return sprig::shim::epoll_pwait(epfd, events, maxevents, timeout, nullptr);
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
                const sigset_t *sigmask) {
  // epoll_pwait with no mask is epoll_wait, in glibc as in the kernel.
  auto call = [&](int timeout_ms) {
    return result_of(real::epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask));
  };
  if (timeout == 0) {
    return finish(without_starving(call(0)));
  }
  MaskDuringWait mask(sigmask);
  if (mask.interrupted()) {
    return finish(-EINTR);
  }
  return finish(epoll_green(
      epfd, deadline_from_ms(timeout), [&] { return call(0); }, call));
}

} // namespace sprig::shim
