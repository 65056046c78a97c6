// test_helpers.hpp - runs test code on green threads, and small shared test utilities.
#pragma once

#include <sprig.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

inline constexpr int64_t kMillis = 1'000'000;
inline constexpr int64_t kSeconds = 1'000'000'000;

inline int64_t now_ns(clockid_t clock = CLOCK_MONOTONIC) {
  timespec now{};
  clock_gettime(clock, &now);
  return now.tv_sec * kSeconds + now.tv_nsec;
}

// The first exception (a failed REQUIRE) that left a green thread; run_green rethrows it.
inline std::exception_ptr g_green_exception;

inline void *call_function(void *function) {
  try {
    (*static_cast<std::function<void()> *>(function))();
  } catch (...) {
    if (!g_green_exception) {
      g_green_exception = std::current_exception();
    }
  }
  return nullptr;
}

// Runs body as the first green thread of a sprig_run; returns sprig_run's result.
inline int run_green(std::function<void()> body) {
  g_green_exception = nullptr;
  int rc = sprig_run(call_function, &body, nullptr);
  if (std::exception_ptr failure = std::exchange(g_green_exception, nullptr)) {
    std::rethrow_exception(failure);
  }
  return rc;
}

// Starts body on a new green thread; returns its handle, or 0 when sprig_spawn fails.
// body must return normally (no sprig_exit), or its heap copy leaks.
inline sprig_thread_t spawn_green(std::function<void()> body,
                                  const sprig_spawn_options *opts = nullptr) {
  auto owned = std::make_unique<std::function<void()>>(std::move(body));
  auto trampoline = [](void *function) -> void * {
    std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()> *>(function));
    return call_function(body.get());
  };
  sprig_thread_t thread = 0;
  if (sprig_spawn(&thread, opts, trampoline, owned.get()) != 0) {
    return 0;
  }
  owned.release();
  return thread;
}

inline int join(sprig_thread_t thread) { return sprig_join(thread, nullptr, SPRIG_FOREVER); }

// Proves that `wait` parks only its own green thread: a witness green thread
// runs hold(), takes `steps` yields, then release(); `wait` starts while the
// witness is in its first yield and must succeed only after all its steps.
// A `wait` that blocked the OS thread would time out (its own timeout) instead.
struct ParkProof {
  int wait_result = -1;
  int steps_seen = -1;
};

inline ParkProof prove_parks(const std::function<void()> &hold, const std::function<int()> &wait,
                             const std::function<void()> &release, int steps = 100) {
  ParkProof proof;
  int taken = 0;
  sprig_thread_t witness = spawn_green([&] {
    hold();
    for (taken = 1; taken < steps; ++taken) {
      sprig_yield();
    }
    release();
  });
  sprig_thread_t waiter = spawn_green([&] {
    proof.wait_result = wait();
    proof.steps_seen = taken;
  });
  join(witness);
  join(waiter);
  return proof;
}

// Runs fn in a forked child and returns its wait status; fn's result is the
// exit code. For runs that may crash the process, or that must start fresh.
inline int status_of_child(const std::function<int()> &fn) {
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    for (int signal_number : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) {
      signal(signal_number, SIG_DFL); // die quietly: the parent reports
    }
    _exit(fn());
  }
  int status = -1;
  if (child > 0) {
    waitpid(child, &status, 0);
  }
  return status;
}

// Sets an environment variable for the life of the object (nullptr: unsets it).
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = getenv(name); old != nullptr) {
      old_ = old;
      had_old_ = true;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_old_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  std::string name_;
  std::string old_;
  bool had_old_ = false;
};

// Runs fn with stderr sent to a temporary file; returns what was written there.
inline std::string capture_stderr(const std::function<void()> &fn) {
  fflush(stderr);
  FILE *sink = tmpfile();
  int saved = dup(STDERR_FILENO);
  dup2(fileno(sink), STDERR_FILENO);
  fn();
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  rewind(sink);
  for (int c = fgetc(sink); c != EOF; c = fgetc(sink)) {
    text += static_cast<char>(c);
  }
  fclose(sink);
  return text;
}
