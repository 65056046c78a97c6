// multiplex.cpp - poll, ppoll, select, pselect and epoll_wait: a zero-timeout look, then a green
// wait on every fd.
//
// The program's own call is always made by libc with a zero timeout, so the
// answer (revents, fd sets, epoll events) is exactly libc's. Only the waiting
// is sprig's: one FdWaiter per fd on the reactor, and the look is repeated
// when one of them fires. The program's own epoll instance is itself an fd
// that polls readable when it has events, so epoll_wait waits on that.
// Signal masks of ppoll, pselect and epoll_pwait are not applied while the
// green thread waits (see sprig(7)).
#include "blocking.hpp"
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

Deadline deadline_from_timespec(const timespec *timeout) {
  Deadline deadline = kNoDeadline;
  if (timeout != nullptr) {
    timeout_to_deadline(timeout->tv_sec * kNanosPerSecond + timeout->tv_nsec, &deadline);
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
// thread parks on `waiters`.
template <typename Look>
long wait_and_look(Vector<FdWaiter> &waiters, Deadline deadline, Look look) {
  bool parked = false;
  for (;;) {
    long found = look();
    if (found != 0 || deadline <= monotonic_now_ns()) {
      return parked ? found : without_starving(found);
    }
    parked = true;
    if (waiters.empty()) { // nothing to wait on: a plain sleep
      int rc = Worker::current()->park(WaitReason::kPoll, nullptr, deadline);
      return rc == -ECANCELED ? rc : look();
    }
    int rc = Worker::current()->reactor().wait_fds(waiters.begin(), waiters.size(), deadline);
    if (rc == -ETIMEDOUT) {
      return look();
    }
    if (rc == -ECANCELED) {
      return rc; // pthread_cancel: the cancellation point ends the thread
    }
  }
}

void add_waiter(Vector<FdWaiter> &waiters, int fd, int events) {
  FdWaiter waiter;
  waiter.fd = fd;
  waiter.events = events;
  waiters.push_back(waiter);
}

long poll_green(struct pollfd *fds, nfds_t nfds, Deadline deadline) {
  Vector<FdWaiter> waiters;
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
  return wait_and_look(waiters, deadline, [&] { return result_of(real::poll(fds, nfds, 0)); });
}

// The program's copy of one select set, all `nfds` bits of it: a program may
// pass nfds above FD_SETSIZE with sets it allocated larger, as the kernel
// allows, so the bits are handled as an array of fd_mask words, not fd_set.
class SelectSet {
public:
  SelectSet(fd_set *set, int nfds) : set_(reinterpret_cast<__fd_mask *>(set)) {
    if (set_ != nullptr) {
      size_t words = (static_cast<size_t>(nfds) + kBitsPerWord - 1) / kBitsPerWord;
      wanted_.resize(words);
      memcpy(wanted_.begin(), set_, words * sizeof(__fd_mask));
    }
  }
  bool wants(int fd) const {
    return set_ != nullptr && ((wanted_[static_cast<size_t>(fd) / kBitsPerWord] >>
                                (static_cast<size_t>(fd) % kBitsPerWord)) &
                               1) != 0;
  }
  // select rewrites its sets: each look starts again from the program's.
  void restore() {
    if (set_ != nullptr) {
      memcpy(set_, wanted_.begin(), wanted_.size() * sizeof(__fd_mask));
    }
  }

private:
  static constexpr size_t kBitsPerWord = 8 * sizeof(__fd_mask);
  __fd_mask *set_;
  Vector<__fd_mask> wanted_;
};

long select_green(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                  Deadline deadline) {
  SelectSet read_set(readfds, nfds);
  SelectSet write_set(writefds, nfds);
  SelectSet except_set(exceptfds, nfds);
  Vector<FdWaiter> waiters;
  for (int fd = 0; fd < nfds; ++fd) {
    int wanted = (read_set.wants(fd) || except_set.wants(fd) ? kFdReadable : 0) |
                 (write_set.wants(fd) ? kFdWritable : 0);
    if (wanted != 0) {
      add_waiter(waiters, fd, wanted);
    }
  }
  return wait_and_look(waiters, deadline, [&] {
    read_set.restore();
    write_set.restore();
    except_set.restore();
    timeval zero{};
    return result_of(real::select(nfds, readfds, writefds, exceptfds, &zero));
  });
}

long epoll_green(int epfd, struct epoll_event *events, int maxevents, Deadline deadline) {
  Vector<FdWaiter> waiters;
  add_waiter(waiters, epfd, kFdReadable);
  return wait_and_look(waiters, deadline,
                       [&] { return result_of(real::epoll_wait(epfd, events, maxevents, 0)); });
}

int finish(long rc) { return set_errno_result(static_cast<int>(rc)); }

} // namespace

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
  if (timeout == 0) {
    return finish(without_starving(result_of(real::poll(fds, nfds, 0))));
  }
  return finish(poll_green(fds, nfds, deadline_from_ms(timeout)));
}

int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *) {
  if (timeout != nullptr &&
      (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= kNanosPerSecond)) {
    return set_errno_result(-EINVAL);
  }
  return finish(poll_green(fds, nfds, deadline_from_timespec(timeout)));
}

int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
           struct timeval *timeout) {
  if (nfds < 0 || (timeout != nullptr && (timeout->tv_sec < 0 || timeout->tv_usec < 0))) {
    return set_errno_result(-EINVAL);
  }
  Deadline deadline = kNoDeadline;
  if (timeout != nullptr) {
    timeout_to_deadline(timeout->tv_sec * kNanosPerSecond + timeout->tv_usec * 1000, &deadline);
  }
  long rc = select_green(nfds, readfds, writefds, exceptfds, deadline);
  if (timeout != nullptr) { // Linux reports the time not slept
    int64_t left = deadline == kNoDeadline ? 0 : deadline - monotonic_now_ns();
    left = left < 0 ? 0 : left;
    timeout->tv_sec = left / kNanosPerSecond;
    timeout->tv_usec = (left % kNanosPerSecond) / 1000;
  }
  return finish(rc);
}

int pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
            const struct timespec *timeout, const sigset_t *) {
  if (nfds < 0 || (timeout != nullptr && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                                          timeout->tv_nsec >= kNanosPerSecond))) {
    return set_errno_result(-EINVAL);
  }
  return finish(select_green(nfds, readfds, writefds, exceptfds, deadline_from_timespec(timeout)));
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  if (timeout == 0) {
    return finish(without_starving(result_of(real::epoll_wait(epfd, events, maxevents, 0))));
  }
  return finish(epoll_green(epfd, events, maxevents, deadline_from_ms(timeout)));
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
                const sigset_t *) {
  return sprig::shim::epoll_wait(epfd, events, maxevents, timeout);
}

} // namespace sprig::shim
