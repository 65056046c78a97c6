// test_sleep.cpp - sprig_sleep precision and overlap, and timeouts that fire or do not fire.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <vector>

TEST_CASE("sprig_sleep never returns early") {
  run_green([] {
    for (int64_t requested : {int64_t{0}, kMillis, 5 * kMillis, 20 * kMillis}) {
      CAPTURE(requested);
      int64_t start = now_ns();
      CHECK(sprig_sleep(requested) == 0);
      CHECK(now_ns() - start >= requested);
    }
  });
}

TEST_CASE("1,000 threads sleeping 200 ms overlap") {
  constexpr int kThreads = 1000;
  int early = 0;
  int64_t first_start = INT64_MAX, last_end = 0;
  run_green([&] {
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.push_back(spawn_green([&] {
        int64_t begin = now_ns();
        first_start = std::min(first_start, begin);
        sprig_sleep(200 * kMillis);
        int64_t end = now_ns();
        last_end = std::max(last_end, end);
        early += end - begin < 200 * kMillis;
      }));
    }
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
  });
  CHECK(early == 0);
  CHECK(last_end - first_start >= 200 * kMillis);
  CHECK(last_end - first_start < 2 * kSeconds); // one after another would take 200 s
}

TEST_CASE("sleeps wake in deadline order") {
  std::string order;
  run_green([&] {
    std::vector<sprig_thread_t> threads;
    for (auto [letter, ms] : {std::pair{'c', 90}, {'a', 30}, {'b', 60}}) {
      threads.push_back(spawn_green([&order, letter, ms] {
        sprig_sleep(ms * kMillis);
        order += letter;
      }));
    }
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
  });
  CHECK(order == "abc");
}

TEST_CASE("a sleep ends while another green thread keeps yielding") {
  bool woke = false;
  int64_t yields = 0;
  run_green([&] {
    sprig_thread_t sleeper = spawn_green([&] {
      sprig_sleep(10 * kMillis);
      woke = true;
    });
    int64_t give_up = now_ns() + 5 * kSeconds;
    while (!woke && now_ns() < give_up) {
      sprig_yield();
      ++yields;
    }
    CHECK(join(sleeper) == 0);
  });
  CHECK(woke);
  CHECK(yields > 0);
}

TEST_CASE("semaphore timeout fires, and does not fire when posted in time") {
  run_green([] {
    sprig_sem_t *sem = nullptr;
    REQUIRE(sprig_sem_create(&sem, 0) == 0);
    int64_t start = now_ns();
    CHECK(sprig_sem_wait(sem, 30 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 30 * kMillis);

    sprig_thread_t poster = spawn_green([&] {
      sprig_sleep(10 * kMillis);
      sprig_sem_post(sem);
    });
    start = now_ns();
    CHECK(sprig_sem_wait(sem, 5 * kSeconds) == 0);
    CHECK(now_ns() - start < 2 * kSeconds);
    CHECK(join(poster) == 0);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}

TEST_CASE("channel timeouts fire, and do not fire when served in time") {
  run_green([] {
    sprig_chan_t *chan = nullptr;
    REQUIRE(sprig_chan_create(&chan, sizeof(int), 1) == 0);
    int value = 0;
    int64_t start = now_ns();
    CHECK(sprig_chan_recv(chan, &value, 30 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 30 * kMillis);

    sprig_thread_t sender = spawn_green([&] {
      sprig_sleep(10 * kMillis);
      int sent = 5;
      sprig_chan_send(chan, &sent, SPRIG_FOREVER);
    });
    start = now_ns();
    CHECK(sprig_chan_recv(chan, &value, 5 * kSeconds) == 0);
    CHECK(value == 5);
    CHECK(now_ns() - start < 2 * kSeconds);
    CHECK(join(sender) == 0);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("a timeout that did not fire does not cut a later sleep short") {
  run_green([] {
    sprig_sem_t *sem = nullptr;
    REQUIRE(sprig_sem_create(&sem, 0) == 0);
    sprig_thread_t poster = spawn_green([&] { sprig_sem_post(sem); });
    CHECK(sprig_sem_wait(sem, 30 * kMillis) == 0); // served long before its deadline
    int64_t start = now_ns();
    CHECK(sprig_sleep(80 * kMillis) == 0); // spans the old deadline
    CHECK(now_ns() - start >= 80 * kMillis);
    CHECK(join(poster) == 0);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}
