// test_sync.cpp - mutex, cond, rwlock, semaphore, barrier, once: semantics, FIFO, errors, parking.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

namespace {

sprig_mutex_t *new_mutex(int kind) {
  sprig_mutex_t *mutex = nullptr;
  REQUIRE(sprig_mutex_create(&mutex, kind) == 0);
  return mutex;
}

sprig_cond_t *new_cond(clockid_t clock = CLOCK_MONOTONIC) {
  sprig_cond_t *cond = nullptr;
  REQUIRE(sprig_cond_create(&cond, clock) == 0);
  return cond;
}

sprig_sem_t *new_sem(unsigned initial) {
  sprig_sem_t *sem = nullptr;
  REQUIRE(sprig_sem_create(&sem, initial) == 0);
  return sem;
}

timespec deadline_in(clockid_t clock, int64_t ns) {
  int64_t when = now_ns(clock) + ns;
  return timespec{static_cast<time_t>(when / kSeconds), static_cast<long>(when % kSeconds)};
}

void join_all(const std::vector<sprig_thread_t> &threads) {
  for (sprig_thread_t thread : threads) {
    CHECK(join(thread) == 0);
  }
}

} // namespace

// ---- mutex ------------------------------------------------------------------

TEST_CASE("mutex: create arguments") {
  run_green([] {
    sprig_mutex_t *mutex = nullptr;
    CHECK(sprig_mutex_create(nullptr, SPRIG_MUTEX_NORMAL) == -EINVAL);
    CHECK(sprig_mutex_create(&mutex, 3) == -EINVAL);
    CHECK(sprig_mutex_create(&mutex, -1) == -EINVAL);
    for (int kind : {SPRIG_MUTEX_NORMAL, SPRIG_MUTEX_RECURSIVE, SPRIG_MUTEX_ERRORCHECK}) {
      REQUIRE(sprig_mutex_create(&mutex, kind) == 0);
      CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
      CHECK(sprig_mutex_unlock(mutex) == 0);
      CHECK(sprig_mutex_unlock(mutex) == -EPERM); // not locked
      CHECK(sprig_mutex_destroy(mutex) == 0);
    }
  });
}

TEST_CASE("mutex normal: held by another thread, try is -EBUSY and a timed lock -ETIMEDOUT") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    int try_result = 0, timed_result = 0;
    int64_t waited = 0;
    sprig_thread_t other = spawn_green([&] {
      try_result = sprig_mutex_lock(mutex, 0);
      int64_t start = now_ns();
      timed_result = sprig_mutex_lock(mutex, 20 * kMillis);
      waited = now_ns() - start;
    });
    CHECK(join(other) == 0);
    CHECK(try_result == -EBUSY);
    CHECK(timed_result == -ETIMEDOUT);
    CHECK(waited >= 20 * kMillis);
    CHECK(sprig_mutex_lock(mutex, 20 * kMillis) == -ETIMEDOUT); // relock by the owner
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

TEST_CASE("mutex recursive: the owner relocks, unlocks as often, others are refused") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_RECURSIVE);
    for (int i = 0; i < 3; ++i) {
      CHECK(sprig_mutex_lock(mutex, 0) == 0);
    }
    int try_result = 0, unlock_result = 0;
    sprig_thread_t other = spawn_green([&] {
      try_result = sprig_mutex_lock(mutex, 0);
      unlock_result = sprig_mutex_unlock(mutex);
    });
    CHECK(join(other) == 0);
    CHECK(try_result == -EBUSY);
    CHECK(unlock_result == -EPERM);
    for (int i = 0; i < 3; ++i) {
      CHECK(sprig_mutex_unlock(mutex) == 0);
    }
    CHECK(sprig_mutex_unlock(mutex) == -EPERM);
    other = spawn_green([&] {
      try_result = sprig_mutex_lock(mutex, 0);
      unlock_result = sprig_mutex_unlock(mutex);
    });
    CHECK(join(other) == 0);
    CHECK(try_result == 0); // free again after the last unlock
    CHECK(unlock_result == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

TEST_CASE("mutex errorcheck: relock is -EDEADLK, unlock by a non-owner -EPERM") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_ERRORCHECK);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == -EDEADLK);
    CHECK(sprig_mutex_lock(mutex, 0) == -EDEADLK);
    int unlock_result = 0;
    sprig_thread_t other = spawn_green([&] { unlock_result = sprig_mutex_unlock(mutex); });
    CHECK(join(other) == 0);
    CHECK(unlock_result == -EPERM);
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

TEST_CASE("mutex: waiters are served in FIFO order, by hand-off") {
  std::vector<int> order;
  run_green([&] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 5; ++i) {
      threads.push_back(spawn_green([&order, mutex, i] {
        CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
        order.push_back(i);
        sprig_yield(); // hold it across a switch
        CHECK(sprig_mutex_unlock(mutex) == 0);
      }));
    }
    sprig_yield(); // all five park on the mutex
    CHECK(order.empty());
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_mutex_lock(mutex, 0) == -EBUSY);        // handed to the first waiter already
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0); // queued behind all five
    order.push_back(5);
    CHECK(sprig_mutex_unlock(mutex) == 0);
    join_all(threads);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("mutex: waiting parks only the green thread") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_ERRORCHECK);
    ParkProof proof = prove_parks([&] { sprig_mutex_lock(mutex, SPRIG_FOREVER); },
                                  [&] {
                                    int rc = sprig_mutex_lock(mutex, 5 * kSeconds);
                                    return rc == 0 ? sprig_mutex_unlock(mutex) : rc;
                                  },
                                  [&] { sprig_mutex_unlock(mutex); });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

// ---- condition variable -----------------------------------------------------

TEST_CASE("cond: create arguments") {
  run_green([] {
    sprig_cond_t *cond = nullptr;
    CHECK(sprig_cond_create(nullptr, CLOCK_MONOTONIC) == -EINVAL);
    CHECK(sprig_cond_create(&cond, CLOCK_PROCESS_CPUTIME_ID) == -EINVAL);
    REQUIRE(sprig_cond_create(&cond, CLOCK_REALTIME) == 0);
    CHECK(sprig_cond_destroy(cond) == 0);
  });
}

TEST_CASE("cond: signal wakes the longest waiter, broadcast wakes all") {
  std::vector<int> woke;
  run_green([&] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    sprig_cond_t *cond = new_cond();
    int tokens = 0;
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 4; ++i) {
      threads.push_back(spawn_green([&, i] {
        CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
        while (tokens == 0) {
          CHECK(sprig_cond_wait(cond, mutex, SPRIG_FOREVER) == 0);
        }
        --tokens;
        woke.push_back(i);
        CHECK(sprig_mutex_unlock(mutex) == 0);
      }));
    }
    sprig_yield(); // all four wait
    CHECK(woke.empty());
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    tokens = 1;
    CHECK(sprig_cond_signal(cond) == 0);
    CHECK(sprig_mutex_unlock(mutex) == 0);
    for (int i = 0; i < 5; ++i) {
      sprig_yield();
    }
    CHECK(woke == std::vector<int>{0});
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    tokens = 3;
    CHECK(sprig_cond_broadcast(cond) == 0);
    CHECK(sprig_mutex_unlock(mutex) == 0);
    join_all(threads);
    CHECK(sprig_cond_signal(cond) == 0); // no waiter: nothing happens
    CHECK(sprig_cond_destroy(cond) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
  CHECK(woke == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("cond: a timed wait returns -ETIMEDOUT holding the mutex again") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_ERRORCHECK);
    sprig_cond_t *cond = new_cond();
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    CHECK(sprig_cond_wait(cond, mutex, 0) == -ETIMEDOUT);
    int64_t start = now_ns();
    CHECK(sprig_cond_wait(cond, mutex, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(sprig_cond_wait(cond, mutex, -2) == -EINVAL);
    CHECK(sprig_mutex_lock(mutex, 0) == -EDEADLK); // still ours
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_cond_destroy(cond) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

TEST_CASE("cond: wait without holding the mutex is -EPERM") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    sprig_cond_t *cond = new_cond();
    CHECK(sprig_cond_wait(cond, mutex, SPRIG_FOREVER) == -EPERM);
    timespec deadline = deadline_in(CLOCK_MONOTONIC, kSeconds);
    CHECK(sprig_cond_wait_until(cond, mutex, &deadline) == -EPERM);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    int other_result = 0;
    sprig_thread_t other =
        spawn_green([&] { other_result = sprig_cond_wait(cond, mutex, SPRIG_FOREVER); });
    CHECK(join(other) == 0);
    CHECK(other_result == -EPERM); // held, but by someone else
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_cond_destroy(cond) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

TEST_CASE("cond_wait_until: deadlines on CLOCK_REALTIME and CLOCK_MONOTONIC") {
  for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC}) {
    CAPTURE(clock);
    run_green([clock] {
      sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
      sprig_cond_t *cond = new_cond(clock);
      CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);

      // Fires, and not before the deadline on the cond's own clock.
      timespec deadline = deadline_in(clock, 30 * kMillis);
      int64_t deadline_ns = deadline.tv_sec * kSeconds + deadline.tv_nsec;
      CHECK(sprig_cond_wait_until(cond, mutex, &deadline) == -ETIMEDOUT);
      CHECK(now_ns(clock) >= deadline_ns);

      // A deadline already past times out at once.
      timespec past = deadline_in(clock, -kSeconds);
      int64_t start = now_ns();
      CHECK(sprig_cond_wait_until(cond, mutex, &past) == -ETIMEDOUT);
      CHECK(now_ns() - start < kSeconds);

      // Does not fire when signalled in time.
      bool ready = false;
      sprig_thread_t signaller = spawn_green([&] {
        sprig_sleep(10 * kMillis);
        sprig_mutex_lock(mutex, SPRIG_FOREVER);
        ready = true;
        sprig_cond_signal(cond);
        sprig_mutex_unlock(mutex);
      });
      deadline = deadline_in(clock, 5 * kSeconds);
      int rc = 0;
      while (!ready && rc == 0) {
        rc = sprig_cond_wait_until(cond, mutex, &deadline);
      }
      CHECK(rc == 0);
      CHECK(ready);
      CHECK(now_ns(clock) < deadline.tv_sec * kSeconds + deadline.tv_nsec);

      // NULL waits without limit.
      ready = false;
      sprig_thread_t second = spawn_green([&] {
        sprig_mutex_lock(mutex, SPRIG_FOREVER);
        ready = true;
        sprig_cond_signal(cond);
        sprig_mutex_unlock(mutex);
      });
      while (!ready && rc == 0) {
        rc = sprig_cond_wait_until(cond, mutex, nullptr);
      }
      CHECK(rc == 0);

      timespec bad = deadline_in(clock, kSeconds);
      bad.tv_nsec = kSeconds;
      CHECK(sprig_cond_wait_until(cond, mutex, &bad) == -EINVAL);
      bad.tv_nsec = -1;
      CHECK(sprig_cond_wait_until(cond, mutex, &bad) == -EINVAL);
      CHECK(sprig_mutex_unlock(mutex) == 0);
      CHECK(join(signaller) == 0);
      CHECK(join(second) == 0);
      CHECK(sprig_cond_destroy(cond) == 0);
      CHECK(sprig_mutex_destroy(mutex) == 0);
    });
  }
}

TEST_CASE("cond: waiting parks only the green thread") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    sprig_cond_t *cond = new_cond();
    bool ready = false;
    ParkProof proof = prove_parks([] {},
                                  [&] {
                                    int rc = sprig_mutex_lock(mutex, SPRIG_FOREVER);
                                    while (rc == 0 && !ready) {
                                      rc = sprig_cond_wait(cond, mutex, 5 * kSeconds);
                                    }
                                    sprig_mutex_unlock(mutex);
                                    return rc;
                                  },
                                  [&] {
                                    sprig_mutex_lock(mutex, SPRIG_FOREVER);
                                    ready = true;
                                    sprig_cond_signal(cond);
                                    sprig_mutex_unlock(mutex);
                                  });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(sprig_cond_destroy(cond) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
  });
}

// ---- rwlock -----------------------------------------------------------------

TEST_CASE("rwlock: readers share it") {
  int inside = 0, most_inside = 0;
  run_green([&] {
    sprig_rwlock_t *rwlock = nullptr;
    CHECK(sprig_rwlock_create(nullptr) == -EINVAL);
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 5; ++i) {
      threads.push_back(spawn_green([&] {
        CHECK(sprig_rwlock_rdlock(rwlock, 0) == 0);
        most_inside = std::max(most_inside, ++inside);
        for (int step = 0; step < 3; ++step) {
          sprig_yield();
        }
        --inside;
        CHECK(sprig_rwlock_unlock(rwlock) == 0);
      }));
    }
    join_all(threads);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
  CHECK(most_inside == 5);
}

TEST_CASE("rwlock: a writer excludes readers and other writers") {
  run_green([] {
    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    int readers_in = 0, writers_in = 0, overlaps = 0;
    CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == 0);
    bool main_writes = true;
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 3; ++i) {
      threads.push_back(spawn_green([&] {
        CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == 0);
        overlaps += main_writes || writers_in > 0;
        ++readers_in;
        sprig_yield();
        --readers_in;
        CHECK(sprig_rwlock_unlock(rwlock) == 0);
      }));
      threads.push_back(spawn_green([&] {
        CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == 0);
        overlaps += main_writes || writers_in > 0 || readers_in > 0;
        ++writers_in;
        sprig_yield();
        --writers_in;
        CHECK(sprig_rwlock_unlock(rwlock) == 0);
      }));
    }
    int try_read = 0, try_write = 0;
    sprig_thread_t trier = spawn_green([&] {
      try_read = sprig_rwlock_rdlock(rwlock, 0);
      try_write = sprig_rwlock_wrlock(rwlock, 10 * kMillis);
    });
    CHECK(join(trier) == 0); // the others park meanwhile
    CHECK(readers_in == 0);
    CHECK(writers_in == 0);
    main_writes = false;
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    join_all(threads);
    CHECK(overlaps == 0);
    CHECK(try_read == -EBUSY);
    CHECK(try_write == -ETIMEDOUT);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
}

TEST_CASE("rwlock: a waiting writer holds back readers that come after it") {
  std::string order;
  run_green([&] {
    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == 0);
    sprig_thread_t writer = spawn_green([&] {
      CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == 0);
      order += 'W';
      sprig_yield();
      CHECK(sprig_rwlock_unlock(rwlock) == 0);
    });
    sprig_thread_t reader = spawn_green([&] {
      CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == 0);
      order += 'R';
      CHECK(sprig_rwlock_unlock(rwlock) == 0);
    });
    int late_try = 0;
    sprig_thread_t late = spawn_green([&] { late_try = sprig_rwlock_rdlock(rwlock, 0); });
    sprig_yield();
    CHECK(join(late) == 0);
    CHECK(late_try == -EBUSY);
    CHECK(order.empty());
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(join(writer) == 0);
    CHECK(join(reader) == 0);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
  CHECK(order == "WR");
}

TEST_CASE("rwlock: locking again while holding the write lock is -EDEADLK") {
  run_green([] {
    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    CHECK(sprig_rwlock_wrlock(rwlock, 0) == 0);
    CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == -EDEADLK);
    CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == -EDEADLK);
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
}

TEST_CASE("rwlock: unlock when not held is -EPERM") {
  run_green([] {
    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    CHECK(sprig_rwlock_unlock(rwlock) == -EPERM);
    CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == 0);
    int reader_unlock = 0;
    sprig_thread_t other = spawn_green([&] { reader_unlock = sprig_rwlock_unlock(rwlock); });
    CHECK(join(other) == 0);
    CHECK(reader_unlock == -EPERM);
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == 0);
    other = spawn_green([&] { reader_unlock = sprig_rwlock_unlock(rwlock); });
    CHECK(join(other) == 0);
    CHECK(reader_unlock == -EPERM);
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(sprig_rwlock_unlock(rwlock) == -EPERM);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
}

TEST_CASE("rwlock: waiting parks only the green thread") {
  run_green([] {
    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    ParkProof for_write = prove_parks([&] { sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER); },
                                      [&] {
                                        int rc = sprig_rwlock_wrlock(rwlock, 5 * kSeconds);
                                        return rc == 0 ? sprig_rwlock_unlock(rwlock) : rc;
                                      },
                                      [&] { sprig_rwlock_unlock(rwlock); });
    CHECK(for_write.wait_result == 0);
    CHECK(for_write.steps_seen == 100);
    ParkProof for_read = prove_parks([&] { sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER); },
                                     [&] {
                                       int rc = sprig_rwlock_rdlock(rwlock, 5 * kSeconds);
                                       return rc == 0 ? sprig_rwlock_unlock(rwlock) : rc;
                                     },
                                     [&] { sprig_rwlock_unlock(rwlock); });
    CHECK(for_read.wait_result == 0);
    CHECK(for_read.steps_seen == 100);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);
  });
}

// ---- semaphore --------------------------------------------------------------

TEST_CASE("semaphore: count, value, timeout 0 is -EAGAIN, timed wait -ETIMEDOUT") {
  run_green([] {
    CHECK(sprig_sem_create(nullptr, 0) == -EINVAL);
    sprig_sem_t *sem = new_sem(2);
    unsigned value = 99;
    CHECK(sprig_sem_value(sem, &value) == 0);
    CHECK(value == 2);
    CHECK(sprig_sem_wait(sem, 0) == 0);
    CHECK(sprig_sem_wait(sem, SPRIG_FOREVER) == 0);
    CHECK(sprig_sem_wait(sem, 0) == -EAGAIN);
    CHECK(sprig_sem_value(sem, &value) == 0);
    CHECK(value == 0);
    int64_t start = now_ns();
    CHECK(sprig_sem_wait(sem, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(sprig_sem_wait(sem, -5) == -EINVAL);
    CHECK(sprig_sem_post(sem) == 0);
    CHECK(sprig_sem_post(sem) == 0);
    CHECK(sprig_sem_value(sem, &value) == 0);
    CHECK(value == 2);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}

TEST_CASE("semaphore: post past SEM_VALUE_MAX is -EOVERFLOW") {
  run_green([] {
    sprig_sem_t *sem = new_sem(SEM_VALUE_MAX);
    CHECK(sprig_sem_post(sem) == -EOVERFLOW);
    unsigned value = 0;
    CHECK(sprig_sem_value(sem, &value) == 0);
    CHECK(value == unsigned{SEM_VALUE_MAX});
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}

TEST_CASE("semaphore: posts serve waiters in FIFO order") {
  std::vector<int> order;
  run_green([&] {
    sprig_sem_t *sem = new_sem(0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 4; ++i) {
      threads.push_back(spawn_green([&order, sem, i] {
        CHECK(sprig_sem_wait(sem, SPRIG_FOREVER) == 0);
        order.push_back(i);
      }));
    }
    sprig_yield();
    CHECK(sprig_sem_post(sem) == 0);
    CHECK(sprig_sem_wait(sem, 0) == -EAGAIN); // the post went to the first waiter
    for (int i = 0; i < 5; ++i) {
      sprig_yield();
    }
    CHECK(order == std::vector<int>{0});
    for (int i = 0; i < 3; ++i) {
      CHECK(sprig_sem_post(sem) == 0);
    }
    join_all(threads);
    unsigned value = 99;
    CHECK(sprig_sem_value(sem, &value) == 0);
    CHECK(value == 0);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("semaphore: waiting parks only the green thread") {
  run_green([] {
    sprig_sem_t *sem = new_sem(0);
    ParkProof proof = prove_parks([] {}, [&] { return sprig_sem_wait(sem, 5 * kSeconds); },
                                  [&] { sprig_sem_post(sem); });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}

// ---- barrier ----------------------------------------------------------------

TEST_CASE("barrier: one serial thread per round, over several rounds") {
  constexpr int kThreads = 5, kRounds = 4;
  int arrived[kRounds] = {}, serial[kRounds] = {};
  int early_leavers = 0, bad_results = 0;
  run_green([&] {
    sprig_barrier_t *barrier = nullptr;
    CHECK(sprig_barrier_create(&barrier, 0) == -EINVAL);
    CHECK(sprig_barrier_create(nullptr, 2) == -EINVAL);
    REQUIRE(sprig_barrier_create(&barrier, kThreads) == 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.push_back(spawn_green([&] {
        for (int round = 0; round < kRounds; ++round) {
          ++arrived[round];
          int rc = sprig_barrier_wait(barrier, SPRIG_FOREVER);
          serial[round] += rc == SPRIG_BARRIER_SERIAL_THREAD;
          bad_results += rc != 0 && rc != SPRIG_BARRIER_SERIAL_THREAD;
          early_leavers += arrived[round] != kThreads;
        }
      }));
    }
    join_all(threads);
    CHECK(sprig_barrier_destroy(barrier) == 0);
  });
  CHECK(bad_results == 0);
  CHECK(early_leavers == 0);
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    CHECK(serial[round] == 1);
  }
}

TEST_CASE("barrier: count 1 never waits; a timed-out thread leaves the round") {
  run_green([] {
    sprig_barrier_t *single = nullptr;
    REQUIRE(sprig_barrier_create(&single, 1) == 0);
    CHECK(sprig_barrier_wait(single, 0) == SPRIG_BARRIER_SERIAL_THREAD);
    CHECK(sprig_barrier_wait(single, SPRIG_FOREVER) == SPRIG_BARRIER_SERIAL_THREAD);
    CHECK(sprig_barrier_destroy(single) == 0);

    sprig_barrier_t *pair = nullptr;
    REQUIRE(sprig_barrier_create(&pair, 2) == 0);
    int64_t start = now_ns();
    CHECK(sprig_barrier_wait(pair, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    int other = -1;
    sprig_thread_t partner = spawn_green([&] { other = sprig_barrier_wait(pair, 5 * kSeconds); });
    int mine = sprig_barrier_wait(pair, 5 * kSeconds); // needs the partner: we left the last round
    CHECK(join(partner) == 0);
    CHECK(mine + other == SPRIG_BARRIER_SERIAL_THREAD);
    CHECK(mine >= 0);
    CHECK(other >= 0);
    CHECK(sprig_barrier_destroy(pair) == 0);
  });
}

TEST_CASE("barrier: waiting parks only the green thread") {
  run_green([] {
    sprig_barrier_t *barrier = nullptr;
    REQUIRE(sprig_barrier_create(&barrier, 2) == 0);
    ParkProof proof = prove_parks([] {},
                                  [&] {
                                    int rc = sprig_barrier_wait(barrier, 5 * kSeconds);
                                    return rc == SPRIG_BARRIER_SERIAL_THREAD ? 0 : rc;
                                  },
                                  [&] { sprig_barrier_wait(barrier, 5 * kSeconds); });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(sprig_barrier_destroy(barrier) == 0);
  });
}

// ---- once -------------------------------------------------------------------

namespace {

sprig_once_t g_once = SPRIG_ONCE_INIT;
int g_once_runs = 0;
bool g_once_done = false;

void slow_init() {
  ++g_once_runs;
  sprig_sleep(20 * kMillis); // the other 99 callers arrive meanwhile
  g_once_done = true;
}

sprig_once_t g_recursive_once = SPRIG_ONCE_INIT;
int g_recursive_result = 1;

void recursive_init() { g_recursive_result = sprig_once(&g_recursive_once, recursive_init); }

} // namespace

TEST_CASE("once: runs exactly once while 100 threads race, all wait for it to return") {
  int saw_unfinished = 0, failures = 0;
  run_green([&] {
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 100; ++i) {
      threads.push_back(spawn_green([&] {
        failures += sprig_once(&g_once, slow_init) != 0;
        saw_unfinished += !g_once_done;
      }));
    }
    join_all(threads);
    CHECK(sprig_once(&g_once, slow_init) == 0);
  });
  CHECK(g_once_runs == 1);
  CHECK(failures == 0);
  CHECK(saw_unfinished == 0);
}

TEST_CASE("once: init calling sprig_once on the same control is -EDEADLK") {
  run_green([] { CHECK(sprig_once(&g_recursive_once, recursive_init) == 0); });
  CHECK(g_recursive_result == -EDEADLK);
}

namespace {

sprig_once_t g_gated_once = SPRIG_ONCE_INIT;
sprig_sem_t *g_once_gate = nullptr;

void gated_init() { sprig_sem_wait(g_once_gate, 5 * kSeconds); }

} // namespace

TEST_CASE("once: waiting for another thread's init parks only the green thread") {
  run_green([] {
    g_once_gate = new_sem(0);
    sprig_thread_t initializer = spawn_green([] { sprig_once(&g_gated_once, gated_init); });
    sprig_yield(); // the initializer is inside gated_init
    ParkProof proof = prove_parks([] {}, [] { return sprig_once(&g_gated_once, gated_init); },
                                  [] { sprig_sem_post(g_once_gate); });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(join(initializer) == 0);
    CHECK(sprig_sem_destroy(g_once_gate) == 0);
  });
}

TEST_CASE("NULL objects are -EINVAL") {
  run_green([] {
    CHECK(sprig_mutex_destroy(nullptr) == -EINVAL);
    CHECK(sprig_mutex_lock(nullptr, 0) == -EINVAL);
    CHECK(sprig_mutex_unlock(nullptr) == -EINVAL);
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    CHECK(sprig_mutex_lock(mutex, 0) == 0);
    CHECK(sprig_cond_wait(nullptr, mutex, 0) == -EINVAL);
    CHECK(sprig_cond_wait_until(nullptr, mutex, nullptr) == -EINVAL);
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);
    CHECK(sprig_cond_destroy(nullptr) == -EINVAL);
    CHECK(sprig_cond_signal(nullptr) == -EINVAL);
    CHECK(sprig_cond_broadcast(nullptr) == -EINVAL);
    CHECK(sprig_rwlock_rdlock(nullptr, 0) == -EINVAL);
    CHECK(sprig_rwlock_wrlock(nullptr, 0) == -EINVAL);
    CHECK(sprig_rwlock_unlock(nullptr) == -EINVAL);
    CHECK(sprig_sem_wait(nullptr, 0) == -EINVAL);
    CHECK(sprig_sem_post(nullptr) == -EINVAL);
    sprig_sem_t *sem = new_sem(1);
    CHECK(sprig_sem_value(sem, nullptr) == -EINVAL);
    CHECK(sprig_sem_destroy(sem) == 0);
    CHECK(sprig_barrier_wait(nullptr, 0) == -EINVAL);
    CHECK(sprig_once(nullptr, slow_init) == -EINVAL);
  });
}

// ---- destroy while in use -----------------------------------------------------

TEST_CASE("destroy of a held or waited-on object is -EBUSY") {
  run_green([] {
    sprig_mutex_t *mutex = new_mutex(SPRIG_MUTEX_NORMAL);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    CHECK(sprig_mutex_destroy(mutex) == -EBUSY);

    sprig_cond_t *cond = new_cond();
    sprig_thread_t cond_waiter = spawn_green([&] {
      CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
      CHECK(sprig_cond_wait(cond, mutex, SPRIG_FOREVER) == 0);
      CHECK(sprig_mutex_unlock(mutex) == 0);
    });
    CHECK(sprig_mutex_unlock(mutex) == 0);
    sprig_yield(); // the waiter takes the mutex and waits on cond
    CHECK(sprig_cond_destroy(cond) == -EBUSY);
    CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
    sprig_thread_t mutex_waiter = spawn_green([&] {
      CHECK(sprig_mutex_lock(mutex, SPRIG_FOREVER) == 0);
      CHECK(sprig_mutex_unlock(mutex) == 0);
    });
    CHECK(sprig_cond_signal(cond) == 0);
    sprig_yield(); // mutex_waiter and the woken cond waiter queue on the mutex
    CHECK(sprig_mutex_unlock(mutex) == 0);
    CHECK(sprig_mutex_destroy(mutex) == -EBUSY); // handed to a waiter
    CHECK(join(cond_waiter) == 0);
    CHECK(join(mutex_waiter) == 0);
    CHECK(sprig_cond_destroy(cond) == 0);
    CHECK(sprig_mutex_destroy(mutex) == 0);

    sprig_rwlock_t *rwlock = nullptr;
    REQUIRE(sprig_rwlock_create(&rwlock) == 0);
    CHECK(sprig_rwlock_rdlock(rwlock, SPRIG_FOREVER) == 0);
    CHECK(sprig_rwlock_destroy(rwlock) == -EBUSY);
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(sprig_rwlock_wrlock(rwlock, SPRIG_FOREVER) == 0);
    CHECK(sprig_rwlock_destroy(rwlock) == -EBUSY);
    CHECK(sprig_rwlock_unlock(rwlock) == 0);
    CHECK(sprig_rwlock_destroy(rwlock) == 0);

    sprig_sem_t *sem = new_sem(0);
    sprig_thread_t sem_waiter = spawn_green([&] { sprig_sem_wait(sem, SPRIG_FOREVER); });
    sprig_yield();
    CHECK(sprig_sem_destroy(sem) == -EBUSY);
    CHECK(sprig_sem_post(sem) == 0);
    CHECK(join(sem_waiter) == 0);
    CHECK(sprig_sem_destroy(sem) == 0);

    sprig_barrier_t *barrier = nullptr;
    REQUIRE(sprig_barrier_create(&barrier, 2) == 0);
    sprig_thread_t barrier_waiter =
        spawn_green([&] { sprig_barrier_wait(barrier, SPRIG_FOREVER); });
    sprig_yield();
    CHECK(sprig_barrier_destroy(barrier) == -EBUSY);
    CHECK(sprig_barrier_wait(barrier, SPRIG_FOREVER) >= 0);
    CHECK(join(barrier_waiter) == 0);
    CHECK(sprig_barrier_destroy(barrier) == 0);
  });
}
