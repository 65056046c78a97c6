// sprig.hpp - a thin header-only C++20 layer over the sprig C API (sprig.h).
//
// Conventions:
//   - Creating an object (a Thread, Mutex, Channel...) that fails throws
//     std::system_error(-rc, std::generic_category()).
//   - Blocking and other calls return the C API's int: 0 (or a count) on
//     success, a negative errno value on failure. Nothing else throws.
//   - Timeouts are a sprig::Timeout: nanoseconds as an int64_t, or any
//     std::chrono duration (negative durations mean "try once", like 0).
//     The default is sprig::forever.
//   - Destructors of sync objects ignore the C API's -EBUSY: destroy them only
//     when no green thread holds or waits on them.
//   - sprig::Thread follows std::jthread: its destructor (and move assignment)
//     joins a still joinable thread, so a forgotten join cannot leak it.
//   - An exception escaping a green thread's callable calls std::terminate.
#pragma once

#include <sprig.h>

#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

namespace sprig {

inline constexpr int64_t forever = SPRIG_FOREVER;

// A relative timeout for the blocking calls.
struct Timeout {
  int64_t ns;
  constexpr Timeout(int64_t nanoseconds = forever) noexcept : ns(nanoseconds) {}
  template <class Rep, class Period>
  constexpr Timeout(std::chrono::duration<Rep, Period> d) noexcept
      : ns(d < d.zero() ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) {}
};

namespace detail {

// What a green thread can run: a callable taking no arguments, called as an lvalue.
template <class F>
concept GreenTask = std::invocable<std::add_lvalue_reference_t<std::decay_t<F>>>;

inline void throw_if_error(int rc, const char *what) {
  if (rc < 0) {
    throw std::system_error(-rc, std::generic_category(), what);
  }
}

// Runs a heap-allocated callable on a green thread and frees it.
template <class F> void *run_owned(void *arg) noexcept {
  std::unique_ptr<F> fn(static_cast<F *>(arg));
  (*fn)();
  return nullptr;
}

// Runs a callable that outlives the green thread (sprig::run's).
template <class F> void *run_borrowed(void *arg) noexcept {
  (*static_cast<F *>(arg))();
  return nullptr;
}

} // namespace detail

// Runs `fn` as the main green thread of a worker on the calling OS thread and
// returns once every green thread has finished: sprig_run's result (0, -EINVAL,
// -EBUSY).
template <detail::GreenTask F> int run(F &&fn) {
  using Fn = std::remove_reference_t<F>;
  return sprig_run(&detail::run_borrowed<Fn>, const_cast<void *>(static_cast<const void *>(&fn)),
                   nullptr);
}

inline int yield() noexcept { return sprig_yield(); }
inline int sleep_for(Timeout duration) noexcept { return sprig_sleep(duration.ns); }
inline sprig_thread_t self() noexcept { return sprig_self(); }

// A joinable green thread running a callable (moved or copied into it).
class Thread {
public:
  Thread() noexcept = default;

  template <detail::GreenTask F>
  explicit Thread(F &&fn, const sprig_spawn_options *options = nullptr) {
    using Fn = std::decay_t<F>;
    auto owned = std::make_unique<Fn>(std::forward<F>(fn));
    int rc = sprig_spawn(&handle_, options, &detail::run_owned<Fn>, owned.get());
    detail::throw_if_error(rc, "sprig_spawn");
    owned.release(); // the green thread frees it
    if (options != nullptr && options->detached) {
      handle_ = 0;
    }
  }

  Thread(const Thread &) = delete;
  Thread &operator=(const Thread &) = delete;
  Thread(Thread &&other) noexcept : handle_(std::exchange(other.handle_, 0)) {}
  Thread &operator=(Thread &&other) noexcept {
    if (this != &other) {
      finish();
      handle_ = std::exchange(other.handle_, 0);
    }
    return *this;
  }
  ~Thread() { finish(); }

  bool joinable() const noexcept { return handle_ != 0; }
  sprig_thread_t handle() const noexcept { return handle_; }

  // Waits for the thread. The handle stays only on -ETIMEDOUT and -EDEADLK.
  int join(Timeout timeout = forever) noexcept {
    int rc = sprig_join(handle_, nullptr, timeout.ns);
    if (rc != -ETIMEDOUT && rc != -EDEADLK) {
      handle_ = 0;
    }
    return rc;
  }

  int detach() noexcept { return sprig_detach(std::exchange(handle_, 0)); }

private:
  // Joins, or detaches when joining is impossible (the thread itself).
  void finish() noexcept {
    if (joinable() && join() == -EDEADLK) {
      detach();
    }
  }

  sprig_thread_t handle_ = 0;
};

// Meets BasicLockable and Lockable: std::lock_guard, std::unique_lock work.
class Mutex {
public:
  explicit Mutex(sprig_mutex_kind kind = SPRIG_MUTEX_NORMAL) {
    detail::throw_if_error(sprig_mutex_create(&mutex_, kind), "sprig_mutex_create");
  }
  Mutex(const Mutex &) = delete;
  Mutex &operator=(const Mutex &) = delete;
  ~Mutex() { sprig_mutex_destroy(mutex_); }

  int lock(Timeout timeout = forever) noexcept { return sprig_mutex_lock(mutex_, timeout.ns); }
  bool try_lock() noexcept { return sprig_mutex_lock(mutex_, 0) == 0; }
  int unlock() noexcept { return sprig_mutex_unlock(mutex_); }
  sprig_mutex_t *native() const noexcept { return mutex_; }

private:
  sprig_mutex_t *mutex_ = nullptr;
};

class CondVar {
public:
  explicit CondVar(clockid_t clock = CLOCK_MONOTONIC) {
    detail::throw_if_error(sprig_cond_create(&cond_, clock), "sprig_cond_create");
  }
  CondVar(const CondVar &) = delete;
  CondVar &operator=(const CondVar &) = delete;
  ~CondVar() { sprig_cond_destroy(cond_); }

  // The caller holds `mutex`; it is held again on return, even on timeout.
  int wait(Mutex &mutex, Timeout timeout = forever) noexcept {
    return sprig_cond_wait(cond_, mutex.native(), timeout.ns);
  }
  // Waits until ready() holds; each wake-up gets the full timeout again.
  template <std::predicate Predicate>
  int wait(Mutex &mutex, Predicate ready, Timeout timeout = forever) {
    while (!ready()) {
      if (int rc = wait(mutex, timeout); rc < 0) {
        return ready() ? 0 : rc;
      }
    }
    return 0;
  }
  int signal() noexcept { return sprig_cond_signal(cond_); }
  int broadcast() noexcept { return sprig_cond_broadcast(cond_); }

private:
  sprig_cond_t *cond_ = nullptr;
};

class Semaphore {
public:
  explicit Semaphore(unsigned initial = 0) {
    detail::throw_if_error(sprig_sem_create(&sem_, initial), "sprig_sem_create");
  }
  Semaphore(const Semaphore &) = delete;
  Semaphore &operator=(const Semaphore &) = delete;
  ~Semaphore() { sprig_sem_destroy(sem_); }

  int wait(Timeout timeout = forever) noexcept { return sprig_sem_wait(sem_, timeout.ns); }
  int post() noexcept { return sprig_sem_post(sem_); }
  // The count now, or a negative errno value.
  long value() const noexcept {
    unsigned count = 0;
    int rc = sprig_sem_value(sem_, &count);
    return rc < 0 ? rc : static_cast<long>(count);
  }

private:
  sprig_sem_t *sem_ = nullptr;
};

class WaitGroup {
public:
  WaitGroup() { detail::throw_if_error(sprig_waitgroup_create(&group_), "sprig_waitgroup_create"); }
  WaitGroup(const WaitGroup &) = delete;
  WaitGroup &operator=(const WaitGroup &) = delete;
  ~WaitGroup() { sprig_waitgroup_destroy(group_); }

  int add(int64_t delta = 1) noexcept { return sprig_waitgroup_add(group_, delta); }
  int done() noexcept { return sprig_waitgroup_done(group_); }
  int wait(Timeout timeout = forever) noexcept { return sprig_waitgroup_wait(group_, timeout.ns); }

private:
  sprig_waitgroup_t *group_ = nullptr;
};

// A bounded FIFO of T; capacity 0 is a rendezvous. Elements are copied bytewise.
template <class T> class Channel {
  static_assert(std::is_trivially_copyable_v<T>, "sprig::Channel<T> needs a trivially copyable T");

public:
  explicit Channel(size_t capacity = 0) {
    detail::throw_if_error(sprig_chan_create(&chan_, sizeof(T), capacity), "sprig_chan_create");
  }
  Channel(const Channel &) = delete;
  Channel &operator=(const Channel &) = delete;
  ~Channel() { sprig_chan_destroy(chan_); }

  // -EPIPE once closed; -EAGAIN with timeout 0 when full.
  int send(const T &value, Timeout timeout = forever) noexcept {
    return sprig_chan_send(chan_, &value, timeout.ns);
  }
  // -EPIPE once closed and drained; -EAGAIN with timeout 0 when empty.
  int recv(T &value, Timeout timeout = forever) noexcept {
    return sprig_chan_recv(chan_, &value, timeout.ns);
  }
  int close() noexcept { return sprig_chan_close(chan_); }
  size_t size() const noexcept { return sprig_chan_len(chan_); }

private:
  sprig_chan_t *chan_ = nullptr;
};

} // namespace sprig
