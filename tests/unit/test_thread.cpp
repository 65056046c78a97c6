// test_thread.cpp - green thread life cycle: spawn, join, detach, exit, self, yield, names, errors.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace {

void *return_argument(void *arg) { return arg; }

void *int_to_pointer(intptr_t value) { return reinterpret_cast<void *>(value); }

bool g_after_exit_ran = false;

[[noreturn]] void finish_from_a_nested_call(void *result) { sprig_exit(result); }

void *exit_early(void *arg) {
  finish_from_a_nested_call(arg);
  g_after_exit_ran = true; // never reached
  return nullptr;
}

int g_alive = 0;
int g_most_alive = 0;

void *square_after_yields(void *arg) {
  auto value = reinterpret_cast<intptr_t>(arg);
  g_most_alive = std::max(g_most_alive, ++g_alive);
  for (int i = 0; i < 3; ++i) {
    sprig_yield();
  }
  --g_alive;
  return int_to_pointer(value * value);
}

std::string name_of(sprig_thread_t thread) {
  char buf[16];
  memset(buf, 'x', sizeof buf);
  if (sprig_get_name(thread, buf, sizeof buf) != 0) {
    return "<error>";
  }
  return std::string(buf, strnlen(buf, sizeof buf));
}

} // namespace

TEST_CASE("spawn and join deliver the thread's result") {
  CHECK(run_green([] {
          sprig_thread_t thread = 0;
          REQUIRE(sprig_spawn(&thread, nullptr, return_argument, int_to_pointer(42)) == 0);
          CHECK(thread != 0);
          void *result = nullptr;
          CHECK(sprig_join(thread, &result, SPRIG_FOREVER) == 0);
          CHECK(result == int_to_pointer(42));
        }) == 0);
}

TEST_CASE("sprig_run stores main_fn's result, also when main_fn calls sprig_exit") {
  void *result = nullptr;
  CHECK(sprig_run(return_argument, int_to_pointer(7), &result) == 0);
  CHECK(result == int_to_pointer(7));
  CHECK(sprig_run(return_argument, int_to_pointer(8), nullptr) == 0);
  g_after_exit_ran = false;
  CHECK(sprig_run(exit_early, int_to_pointer(9), &result) == 0);
  CHECK(result == int_to_pointer(9));
  CHECK_FALSE(g_after_exit_ran);
}

TEST_CASE("sprig_exit ends a spawned thread with its result") {
  g_after_exit_ran = false;
  run_green([] {
    sprig_thread_t thread = 0;
    REQUIRE(sprig_spawn(&thread, nullptr, exit_early, int_to_pointer(99)) == 0);
    void *result = nullptr;
    CHECK(sprig_join(thread, &result, SPRIG_FOREVER) == 0);
    CHECK(result == int_to_pointer(99));
  });
  CHECK_FALSE(g_after_exit_ran);
}

TEST_CASE("sprig_run returns only after detached threads have finished") {
  bool finished = false;
  CHECK(run_green([&] {
          sprig_spawn_options opts{};
          opts.detached = 1;
          CHECK(spawn_green(
                    [&] {
                      sprig_sleep(20 * kMillis);
                      finished = true;
                    },
                    &opts) != 0);
        }) == 0);
  CHECK(finished);
}

TEST_CASE("sprig_self identifies the calling green thread") {
  CHECK(sprig_self() == 0);
  run_green([] {
    sprig_thread_t main_thread = sprig_self();
    CHECK(main_thread != 0);
    sprig_thread_t seen_inside = 0;
    sprig_thread_t thread = spawn_green([&] { seen_inside = sprig_self(); });
    REQUIRE(thread != 0);
    CHECK(join(thread) == 0);
    CHECK(seen_inside == thread);
    CHECK(seen_inside != main_thread);
    CHECK(sprig_self() == main_thread);
  });
  CHECK(sprig_self() == 0);
}

TEST_CASE("names: set, get, truncation to 15 bytes, spawn option, errors") {
  run_green([] {
    sprig_thread_t self = sprig_self();
    CHECK(sprig_set_name(self, "main-thread") == 0);
    CHECK(name_of(self) == "main-thread");
    CHECK(sprig_set_name(self, "abcdefghijklmnopqrstuvwxyz") == 0);
    CHECK(name_of(self) == "abcdefghijklmno");
    char small[15];
    CHECK(sprig_get_name(self, small, sizeof small) == -ERANGE);
    CHECK(sprig_set_name(self, nullptr) == -EINVAL);

    sprig_spawn_options opts{};
    opts.name = "named-by-options-long";
    sprig_thread_t named = 0;
    REQUIRE(sprig_spawn(&named, &opts, return_argument, nullptr) == 0);
    CHECK(name_of(named) == "named-by-option");
    CHECK(sprig_set_name(named, "renamed") == 0);
    CHECK(name_of(named) == "renamed");
    CHECK(join(named) == 0);
    char buf[16];
    CHECK(sprig_set_name(named, "stale") == -ESRCH);
    CHECK(sprig_get_name(named, buf, sizeof buf) == -ESRCH);
  });
}

TEST_CASE("10,000 concurrent green threads each yield and are joined with their results") {
  const int count = kSanitized ? 2000 : 10000;
  g_alive = 0;
  g_most_alive = 0;
  int wrong_results = 0;
  int failed_spawns = 0;
  CHECK(run_green([&] {
          std::vector<sprig_thread_t> threads(count);
          for (int i = 0; i < count; ++i) {
            if (sprig_spawn(&threads[i], nullptr, square_after_yields, int_to_pointer(i)) != 0) {
              ++failed_spawns;
            }
          }
          for (int i = 0; i < count; ++i) {
            void *result = nullptr;
            if (sprig_join(threads[i], &result, SPRIG_FOREVER) != 0 ||
                result != int_to_pointer(intptr_t{i} * i)) {
              ++wrong_results;
            }
          }
        }) == 0);
  CHECK(failed_spawns == 0);
  CHECK(wrong_results == 0);
  CHECK(g_most_alive == count); // every thread had started before any finished
  CHECK(g_alive == 0);
}

TEST_CASE("join errors: self, twice, zero, detached, a second joiner") {
  run_green([] {
    CHECK(sprig_join(sprig_self(), nullptr, SPRIG_FOREVER) == -EDEADLK);
    CHECK(sprig_join(0, nullptr, SPRIG_FOREVER) == -ESRCH);

    sprig_thread_t thread = 0;
    REQUIRE(sprig_spawn(&thread, nullptr, return_argument, nullptr) == 0);
    CHECK(join(thread) == 0);
    CHECK(join(thread) == -ESRCH);
    CHECK(sprig_detach(thread) == -ESRCH);

    sprig_sem_t *gate = nullptr;
    REQUIRE(sprig_sem_create(&gate, 0) == 0);
    sprig_thread_t target = spawn_green([&] { sprig_sem_wait(gate, SPRIG_FOREVER); });
    int first_join = 1;
    sprig_thread_t joiner = spawn_green([&] { first_join = join(target); });
    sprig_yield(); // target and joiner park
    CHECK(sprig_join(target, nullptr, 0) == -EINVAL);
    CHECK(sprig_join(target, nullptr, SPRIG_FOREVER) == -EINVAL);
    CHECK(sprig_sem_post(gate) == 0);
    CHECK(join(joiner) == 0);
    CHECK(first_join == 0);
    CHECK(sprig_sem_destroy(gate) == 0);
  });
}

TEST_CASE("detach: join is refused, detach twice is refused, the thread still runs") {
  run_green([] {
    bool ran = false;
    sprig_thread_t thread = spawn_green([&] { ran = true; });
    REQUIRE(thread != 0);
    CHECK(sprig_detach(thread) == 0);
    CHECK(sprig_detach(thread) == -EINVAL);
    CHECK(sprig_join(thread, nullptr, SPRIG_FOREVER) == -EINVAL);
    for (int i = 0; i < 100 && !ran; ++i) {
      sprig_yield();
    }
    CHECK(ran);
    CHECK(sprig_join(thread, nullptr, SPRIG_FOREVER) == -ESRCH); // freed at exit

    bool option_ran = false;
    sprig_spawn_options opts{};
    opts.detached = 1;
    sprig_thread_t detached = spawn_green([&] { option_ran = true; }, &opts);
    REQUIRE(detached != 0);
    CHECK(sprig_join(detached, nullptr, SPRIG_FOREVER) == -EINVAL);
    CHECK(sprig_detach(detached) == -EINVAL);
    for (int i = 0; i < 100 && !option_ran; ++i) {
      sprig_yield();
    }
    CHECK(option_ran);
  });
}

TEST_CASE("bad arguments are -EINVAL") {
  CHECK(sprig_run(nullptr, nullptr, nullptr) == -EINVAL);
  run_green([] {
    sprig_thread_t thread = 0;
    CHECK(sprig_spawn(&thread, nullptr, nullptr, nullptr) == -EINVAL);
    CHECK(sprig_spawn(nullptr, nullptr, return_argument, nullptr) == -EINVAL);
    sprig_spawn_options opts{};
    opts.stack_size = 8 * 1024;
    CHECK(sprig_spawn(&thread, &opts, return_argument, nullptr) == -EINVAL);
    CHECK(sprig_get_name(sprig_self(), nullptr, 16) == -EINVAL);
  });
}

TEST_CASE("calls that park fail with -EPERM outside sprig_run") {
  CHECK(sprig_yield() == -EPERM);
  CHECK(sprig_sleep(1000) == -EPERM);
  sprig_thread_t thread = 0;
  CHECK(sprig_spawn(&thread, nullptr, return_argument, nullptr) == -EPERM);
}

TEST_CASE("nested sprig_run is -EBUSY") {
  int nested = 0;
  CHECK(run_green([&] { nested = sprig_run(return_argument, nullptr, nullptr); }) == 0);
  CHECK(nested == -EBUSY);
}

TEST_CASE("timeouts: negative values other than SPRIG_FOREVER are -EINVAL") {
  run_green([] {
    sprig_thread_t thread = 0;
    REQUIRE(sprig_spawn(&thread, nullptr, return_argument, nullptr) == 0);
    CHECK(sprig_join(thread, nullptr, -2) == -EINVAL);
    CHECK(sprig_join(thread, nullptr, INT64_MIN) == -EINVAL);
    CHECK(sprig_sleep(-2) == -EINVAL);
    CHECK(join(thread) == 0); // the refused joins left the thread joinable
  });
}

TEST_CASE("join with a timeout on a running thread is -ETIMEDOUT, then joins") {
  run_green([] {
    sprig_sem_t *gate = nullptr;
    REQUIRE(sprig_sem_create(&gate, 0) == 0);
    sprig_thread_t thread = spawn_green([&] { sprig_sem_wait(gate, SPRIG_FOREVER); });
    CHECK(sprig_join(thread, nullptr, 0) == -ETIMEDOUT);
    int64_t start = now_ns();
    CHECK(sprig_join(thread, nullptr, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(sprig_sem_post(gate) == 0);
    CHECK(sprig_join(thread, nullptr, 5 * kSeconds) == 0);
    CHECK(sprig_sem_destroy(gate) == 0);
  });
}

TEST_CASE("errno set before parking is intact after resuming") {
  constexpr int kThreads = 50;
  int mismatches = 0;
  run_green([&] {
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.push_back(spawn_green([&mismatches, i] {
        for (int round = 0; round < 5; ++round) {
          int mine = 1000 + i * 10 + round;
          errno = mine;
          if (round % 2 == 0) {
            sprig_yield();
          } else {
            sprig_sleep(kMillis);
          }
          mismatches += errno != mine;
        }
      }));
    }
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
  });
  CHECK(mismatches == 0);
}

// Spawn appends the new thread to the run queue without running it; each
// yield moves the caller to the back. A, B, C spawned in that order, each
// appending its letter and yielding three times, give "ABCABCABC".
TEST_CASE("yield runs threads in FIFO order") {
  std::string order;
  run_green([&] {
    std::vector<sprig_thread_t> threads;
    for (char letter : {'A', 'B', 'C'}) {
      threads.push_back(spawn_green([&order, letter] {
        for (int i = 0; i < 3; ++i) {
          order += letter;
          sprig_yield();
        }
      }));
    }
    CHECK(order.empty()); // spawn did not run them
    CHECK(sprig_yield() == 0);
    CHECK(order == "ABC"); // the caller went behind the three
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
  });
  CHECK(order == "ABCABCABC");
}
