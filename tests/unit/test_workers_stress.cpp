// test_workers_stress.cpp - several workers: threads spread over them; a randomized sync stress.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace {

// A wait that must succeed gets this long; running out of it means a lost
// wake-up (or a lock never given back), counted as a failure, not a hang.
constexpr int64_t kPatience = 20 * kSeconds;

pid_t kernel_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

uint64_t xorshift(uint64_t &state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// A timeout for a wait that may give up: try once, a few microseconds, or the
// full patience (which must then succeed).
int64_t random_timeout(uint64_t &rng, bool *must_succeed) {
  uint64_t pick = xorshift(rng) % 8;
  *must_succeed = pick >= 2;
  if (pick == 0) {
    return 0;
  }
  if (pick == 1) {
    return static_cast<int64_t>(1'000 + xorshift(rng) % 100'000);
  }
  return kPatience;
}

struct Item {
  uint32_t sender;
  uint32_t seq;
  uint64_t value;
};

constexpr int kStressThreads = 16;
constexpr int kSemSlots = 3;
constexpr int kQueueCapacity = 8;

// Everything the stress threads share. The protected data is plain; only
// the checking counters are atomic, so a lock that let two threads in shows.
struct Shared {
  int ops_per_thread = 0;

  sprig_mutex_t *mutex = nullptr;
  long counter = 0;
  std::atomic<sprig_thread_t> holder{0};

  sprig_rwlock_t *rwlock = nullptr;
  long rw_value = 0;
  std::atomic<int> readers_inside{0};
  std::atomic<int> writers_inside{0};

  sprig_sem_t *sem = nullptr;
  std::atomic<int> sem_inside{0};
  std::atomic<int> sem_most_inside{0};

  // A bounded queue behind a mutex and two condition variables.
  sprig_mutex_t *queue_mutex = nullptr;
  sprig_cond_t *not_empty = nullptr;
  sprig_cond_t *not_full = nullptr;
  std::atomic<sprig_thread_t> queue_holder{0};
  uint64_t queue[kQueueCapacity] = {};
  int queue_head = 0;
  int queue_count = 0;
  bool producers_done = false;

  sprig_chan_t *buffered = nullptr;   // capacity 4
  sprig_chan_t *rendezvous = nullptr; // capacity 0

  sprig_barrier_t *start_line = nullptr;
  std::atomic<int> serial_threads{0};

  std::atomic<int> detached_spawned{0};
  std::atomic<int> detached_finished{0};

  // Invariant violations, by kind.
  std::atomic<int> mutex_overlaps{0};
  std::atomic<int> rw_overlaps{0};
  std::atomic<int> rw_torn_reads{0};
  std::atomic<int> sem_overflows{0};
  std::atomic<int> queue_overlaps{0};
  std::atomic<int> bad_join_results{0};
  std::atomic<int> bad_waitgroup_results{0};
  std::atomic<int> bad_detached_handles{0};
  std::atomic<int> lost_identity{0};
  std::atomic<int> unexpected_errors{0};
  std::atomic<int> lost_wakeups{0}; // a wait that must succeed ran out of patience
};

// What one stress thread did, read by main after joining it.
struct Tally {
  pid_t first_tid = 0; // the OS thread of the worker it was placed on
  pid_t tid = 0;       // the one it last ran on
  long moves = 0;      // times it ran on another OS thread than before
  int *errno_address = nullptr;
  long increments = 0;
  long rw_writes = 0;
  long produced = 0;
  uint64_t produced_sum = 0;
  uint32_t sent[2] = {0, 0};
  uint64_t sent_sum[2] = {0, 0};
  long joins = 0;
  long waitgroup_children = 0;
};

// The receiving end of a channel: one receiver, so each sender's items must
// arrive in the order it sent them.
struct Receiver {
  sprig_chan_t *chan = nullptr;
  uint32_t received = 0;
  uint64_t sum = 0;
  int out_of_order = 0;
  int end_result = 0;
};

struct QueueConsumer {
  long consumed = 0;
  uint64_t sum = 0;
};

void note(std::atomic<int> &counter) { counter.fetch_add(1, std::memory_order_relaxed); }

// Classifies the result of a wait: 0 is success; -ETIMEDOUT, -EBUSY or -EAGAIN
// are allowed only when the wait was allowed to give up.
bool waited(Shared &shared, int rc, bool must_succeed) {
  if (rc == 0) {
    return true;
  }
  if (rc == -ETIMEDOUT || rc == -EBUSY || rc == -EAGAIN) {
    if (must_succeed) {
      note(shared.lost_wakeups);
    }
  } else {
    note(shared.unexpected_errors);
  }
  return false;
}

void *triple_plus_one(void *arg) {
  auto value = reinterpret_cast<uintptr_t>(arg);
  if (value % 3 == 0) {
    sprig_yield();
  }
  return reinterpret_cast<void *>(value * 3 + 1);
}

struct DetachedTask {
  Shared *shared;
};

void *detached_child(void *arg) {
  auto *task = static_cast<DetachedTask *>(arg);
  sprig_yield();
  task->shared->detached_finished.fetch_add(1, std::memory_order_release);
  delete task;
  return nullptr;
}

struct WaitgroupTask {
  sprig_waitgroup_t *group;
  uint64_t *slot;
  uint64_t value;
};

void *waitgroup_child(void *arg) {
  auto *task = static_cast<WaitgroupTask *>(arg);
  if (task->value % 2 == 0) {
    sprig_yield();
  }
  *task->slot = task->value * 7; // plain: the wait group must order it before the waiter
  sprig_waitgroup_done(task->group);
  return nullptr;
}

void op_mutex(Shared &shared, Tally &tally, uint64_t &rng) {
  bool must_succeed = false;
  int64_t timeout = random_timeout(rng, &must_succeed);
  if (!waited(shared, sprig_mutex_lock(shared.mutex, timeout), must_succeed)) {
    return;
  }
  sprig_thread_t self = sprig_self();
  if (shared.holder.exchange(self) != 0) {
    note(shared.mutex_overlaps);
  }
  long before = shared.counter;
  if (xorshift(rng) % 4 == 0) {
    sprig_yield(); // others on this worker try the held mutex meanwhile
  }
  shared.counter = before + 1;
  ++tally.increments;
  if (shared.holder.exchange(0) != self) {
    note(shared.mutex_overlaps);
  }
  if (sprig_mutex_unlock(shared.mutex) != 0) {
    note(shared.unexpected_errors);
  }
}

void op_rwlock(Shared &shared, Tally &tally, uint64_t &rng) {
  bool must_succeed = false;
  int64_t timeout = random_timeout(rng, &must_succeed);
  bool writer = xorshift(rng) % 4 == 0;
  if (writer) {
    if (!waited(shared, sprig_rwlock_wrlock(shared.rwlock, timeout), must_succeed)) {
      return;
    }
    if (shared.writers_inside.fetch_add(1) != 0 || shared.readers_inside.load() != 0) {
      note(shared.rw_overlaps);
    }
    long before = shared.rw_value;
    if (xorshift(rng) % 4 == 0) {
      sprig_yield();
    }
    shared.rw_value = before + 1;
    ++tally.rw_writes;
    if (shared.readers_inside.load() != 0) {
      note(shared.rw_overlaps);
    }
    shared.writers_inside.fetch_sub(1);
  } else {
    if (!waited(shared, sprig_rwlock_rdlock(shared.rwlock, timeout), must_succeed)) {
      return;
    }
    shared.readers_inside.fetch_add(1);
    if (shared.writers_inside.load() != 0) {
      note(shared.rw_overlaps);
    }
    long first = shared.rw_value;
    if (xorshift(rng) % 4 == 0) {
      sprig_yield();
    }
    if (shared.rw_value != first) {
      note(shared.rw_torn_reads);
    }
    if (shared.writers_inside.load() != 0) {
      note(shared.rw_overlaps);
    }
    shared.readers_inside.fetch_sub(1);
  }
  if (sprig_rwlock_unlock(shared.rwlock) != 0) {
    note(shared.unexpected_errors);
  }
}

void op_semaphore(Shared &shared, uint64_t &rng) {
  bool must_succeed = false;
  int64_t timeout = random_timeout(rng, &must_succeed);
  if (!waited(shared, sprig_sem_wait(shared.sem, timeout), must_succeed)) {
    return;
  }
  int inside = shared.sem_inside.fetch_add(1) + 1;
  if (inside > kSemSlots) {
    note(shared.sem_overflows);
  }
  int most = shared.sem_most_inside.load();
  while (inside > most && !shared.sem_most_inside.compare_exchange_weak(most, inside)) {
  }
  if (xorshift(rng) % 2 == 0) {
    sprig_yield();
  }
  shared.sem_inside.fetch_sub(1);
  if (sprig_sem_post(shared.sem) != 0) {
    note(shared.unexpected_errors);
  }
}

// Takes the queue's mutex (full patience) and marks the holder.
bool lock_queue(Shared &shared) {
  if (!waited(shared, sprig_mutex_lock(shared.queue_mutex, kPatience), true)) {
    return false;
  }
  if (shared.queue_holder.exchange(sprig_self()) != 0) {
    note(shared.queue_overlaps);
  }
  return true;
}

void unlock_queue(Shared &shared) {
  if (shared.queue_holder.exchange(0) != sprig_self()) {
    note(shared.queue_overlaps);
  }
  if (sprig_mutex_unlock(shared.queue_mutex) != 0) {
    note(shared.unexpected_errors);
  }
}

// One cond wait with the queue's mutex held: a short timeout sometimes, so
// the relock after a timeout is exercised too. Returns false on an error
// other than a permitted timeout.
bool wait_on(Shared &shared, sprig_cond_t *cond, uint64_t &rng) {
  bool short_wait = xorshift(rng) % 4 == 0;
  int64_t timeout = short_wait ? static_cast<int64_t>(1'000 + xorshift(rng) % 50'000) : kPatience;
  if (shared.queue_holder.exchange(0) != sprig_self()) {
    note(shared.queue_overlaps);
  }
  int rc = sprig_cond_wait(cond, shared.queue_mutex, timeout);
  // Relocked whatever the result: nobody else may hold the mutex now.
  if (shared.queue_holder.exchange(sprig_self()) != 0) {
    note(shared.queue_overlaps);
  }
  if (rc == 0 || (rc == -ETIMEDOUT && short_wait)) {
    return true;
  }
  if (rc == -ETIMEDOUT) {
    note(shared.lost_wakeups);
  } else {
    note(shared.unexpected_errors);
  }
  return false;
}

void op_produce(Shared &shared, Tally &tally, uint64_t &rng) {
  if (!lock_queue(shared)) {
    return;
  }
  bool room = true;
  for (int attempt = 0; shared.queue_count == kQueueCapacity; ++attempt) {
    if (attempt == 1000 || !wait_on(shared, shared.not_full, rng)) {
      room = false;
      break;
    }
  }
  if (room) {
    uint64_t value = xorshift(rng) >> 8;
    shared.queue[(shared.queue_head + shared.queue_count) % kQueueCapacity] = value;
    ++shared.queue_count;
    ++tally.produced;
    tally.produced_sum += value;
    int rc = xorshift(rng) % 4 == 0 ? sprig_cond_broadcast(shared.not_empty)
                                    : sprig_cond_signal(shared.not_empty);
    if (rc != 0) {
      note(shared.unexpected_errors);
    }
  }
  unlock_queue(shared);
}

void consume_queue(Shared &shared, QueueConsumer &consumer, uint64_t seed) {
  uint64_t rng = seed;
  const long max_rounds = 10L * kStressThreads * shared.ops_per_thread;
  for (long round = 0; round < max_rounds; ++round) {
    if (!lock_queue(shared)) {
      return;
    }
    bool ok = true;
    for (int attempt = 0; shared.queue_count == 0 && !shared.producers_done; ++attempt) {
      if (attempt == 1000 || !wait_on(shared, shared.not_empty, rng)) {
        ok = false;
        break;
      }
    }
    if (!ok || shared.queue_count == 0) { // an error, or done and drained
      unlock_queue(shared);
      return;
    }
    consumer.sum += shared.queue[shared.queue_head];
    shared.queue_head = (shared.queue_head + 1) % kQueueCapacity;
    --shared.queue_count;
    ++consumer.consumed;
    if (sprig_cond_signal(shared.not_full) != 0) {
      note(shared.unexpected_errors);
    }
    unlock_queue(shared);
  }
}

void op_send(Shared &shared, Tally &tally, uint64_t &rng, uint32_t index) {
  int which = static_cast<int>(xorshift(rng) % 2);
  sprig_chan_t *chan = which == 0 ? shared.buffered : shared.rendezvous;
  bool must_succeed = false;
  int64_t timeout = random_timeout(rng, &must_succeed);
  Item item{index, tally.sent[which] + 1, xorshift(rng) >> 8};
  int rc = sprig_chan_send(chan, &item, timeout);
  if (rc == -EAGAIN && timeout == 0) {
    return; // full, or no receiver waiting
  }
  if (!waited(shared, rc, must_succeed)) {
    return;
  }
  ++tally.sent[which];
  tally.sent_sum[which] += item.value;
}

void receive_all(Shared &shared, Receiver &receiver) {
  std::vector<uint32_t> last_seq(kStressThreads, 0);
  const long max_items = 2L * kStressThreads * shared.ops_per_thread + 1;
  for (long n = 0; n < max_items; ++n) {
    Item item{};
    int rc = sprig_chan_recv(receiver.chan, &item, kPatience);
    if (rc == -EPIPE) {
      receiver.end_result = rc;
      return;
    }
    if (rc != 0) {
      receiver.end_result = rc;
      waited(shared, rc, true);
      return;
    }
    if (item.sender >= kStressThreads || item.seq != last_seq[item.sender] + 1) {
      ++receiver.out_of_order;
    } else {
      last_seq[item.sender] = item.seq;
    }
    ++receiver.received;
    receiver.sum += item.value;
  }
}

void op_spawn_join(Shared &shared, Tally &tally, uint64_t &rng) {
  if (xorshift(rng) % 8 == 0) {
    // A detached child: sprig_run waits for it.
    sprig_thread_t child = 0;
    sprig_spawn_options options{0, 1, nullptr};
    shared.detached_spawned.fetch_add(1);
    auto *task = new DetachedTask{&shared};
    if (sprig_spawn(&child, &options, detached_child, task) != 0) {
      shared.detached_spawned.fetch_sub(1);
      delete task;
      note(shared.unexpected_errors);
      return;
    }
    // The handle names the detached child (-EINVAL), or nothing once it has
    // ended (-ESRCH): never another thread, even when the child ran, ended
    // and was freed on its worker before sprig_spawn returned.
    if (int rc = sprig_detach(child); rc != -EINVAL && rc != -ESRCH) {
      note(shared.bad_detached_handles);
    }
    return;
  }
  uintptr_t value = xorshift(rng) % 1'000'000;
  sprig_thread_t child = 0;
  if (sprig_spawn(&child, nullptr, triple_plus_one, reinterpret_cast<void *>(value)) != 0) {
    note(shared.unexpected_errors);
    return;
  }
  void *result = nullptr;
  int rc = -ETIMEDOUT;
  if (xorshift(rng) % 2 == 0) {
    rc = sprig_join(child, &result, 0); // perhaps already finished
    if (rc != 0 && rc != -ETIMEDOUT) {
      note(shared.unexpected_errors);
      return;
    }
  }
  if (rc != 0 && !waited(shared, sprig_join(child, &result, kPatience), true)) {
    return;
  }
  if (reinterpret_cast<uintptr_t>(result) != value * 3 + 1) {
    note(shared.bad_join_results);
  }
  ++tally.joins;
}

void op_waitgroup(Shared &shared, Tally &tally, uint64_t &rng, sprig_waitgroup_t *group) {
  int children = 1 + static_cast<int>(xorshift(rng) % 3);
  uint64_t slots[3] = {0, 0, 0};
  WaitgroupTask tasks[3];
  sprig_thread_t threads[3] = {0, 0, 0};
  if (sprig_waitgroup_add(group, children) != 0) {
    note(shared.unexpected_errors);
    return;
  }
  for (int i = 0; i < children; ++i) {
    tasks[i] = WaitgroupTask{group, &slots[i], 1 + xorshift(rng) % 1'000'000};
    if (sprig_spawn(&threads[i], nullptr, waitgroup_child, &tasks[i]) != 0) {
      note(shared.unexpected_errors);
      sprig_waitgroup_done(group);
      threads[i] = 0;
    }
  }
  if (waited(shared, sprig_waitgroup_wait(group, kPatience), true)) {
    for (int i = 0; i < children; ++i) {
      if (threads[i] != 0 && slots[i] != tasks[i].value * 7) {
        note(shared.bad_waitgroup_results);
      }
    }
  }
  for (int i = 0; i < children; ++i) {
    if (threads[i] != 0) {
      waited(shared, sprig_join(threads[i], nullptr, kPatience), true);
      ++tally.waitgroup_children;
    }
  }
}

thread_local uint32_t t_stress_index = 0;

void stress_thread(Shared &shared, Tally &tally, uint32_t index) {
  uint64_t rng = 0x9E3779B97F4A7C15ULL * (index + 1);
  tally.tid = tally.first_tid = kernel_tid();
  tally.errno_address = &errno;
  t_stress_index = index + 1;
  int rc = sprig_barrier_wait(shared.start_line, kPatience);
  if (rc == SPRIG_BARRIER_SERIAL_THREAD) {
    shared.serial_threads.fetch_add(1);
  } else {
    waited(shared, rc, true);
  }
  sprig_waitgroup_t *group = nullptr;
  if (sprig_waitgroup_create(&group) != 0) {
    note(shared.unexpected_errors);
    return;
  }
  for (int op = 0; op < shared.ops_per_thread; ++op) {
    uint64_t pick = xorshift(rng) % 100;
    if (pick < 25) {
      op_mutex(shared, tally, rng);
    } else if (pick < 45) {
      op_rwlock(shared, tally, rng);
    } else if (pick < 55) {
      op_semaphore(shared, rng);
    } else if (pick < 70) {
      op_produce(shared, tally, rng);
    } else if (pick < 85) {
      op_send(shared, tally, rng, index);
    } else if (pick < 93) {
      op_spawn_join(shared, tally, rng);
    } else if (pick < 98) {
      op_waitgroup(shared, tally, rng, group);
    } else {
      sprig_sleep(static_cast<int64_t>(xorshift(rng) % 50'000));
    }
    // A thread may move to the worker that woke it (SPRIG_TLS=thread, the
    // default; not in a sanitizer build, whose TLS mode is shared): its
    // thread-locals and errno go with it.
    if (kernel_tid() != tally.tid) {
      ++tally.moves;
      tally.tid = kernel_tid();
    }
    // (In the shared mode thread-locals are the worker's, shared by its threads.)
    if (!kSanitized && (t_stress_index != index + 1 || &errno != tally.errno_address)) {
      note(shared.lost_identity);
    }
  }
  if (sprig_waitgroup_destroy(group) != 0) {
    note(shared.unexpected_errors);
  }
}

void check_clean(const char *what, const std::atomic<int> &counter) {
  CHECK_MESSAGE(counter.load() == 0, what);
}

// kStressThreads threads, each doing `ops` random operations on shared sync
// objects, with `workers` workers; then every invariant is checked.
void run_stress(int workers, int ops) {
  ScopedEnv workers_variable("SPRIG_WORKERS", std::to_string(workers).c_str());
  Shared shared;
  shared.ops_per_thread = ops;
  std::vector<Tally> tallies(kStressThreads);
  Receiver receivers[2];
  QueueConsumer consumers[2];
  int64_t started = now_ns();
  int run_result = run_green([&] {
    REQUIRE(sprig_mutex_create(&shared.mutex, SPRIG_MUTEX_NORMAL) == 0);
    REQUIRE(sprig_rwlock_create(&shared.rwlock) == 0);
    REQUIRE(sprig_sem_create(&shared.sem, kSemSlots) == 0);
    REQUIRE(sprig_mutex_create(&shared.queue_mutex, SPRIG_MUTEX_NORMAL) == 0);
    REQUIRE(sprig_cond_create(&shared.not_empty, CLOCK_MONOTONIC) == 0);
    REQUIRE(sprig_cond_create(&shared.not_full, CLOCK_MONOTONIC) == 0);
    REQUIRE(sprig_chan_create(&shared.buffered, sizeof(Item), 4) == 0);
    REQUIRE(sprig_chan_create(&shared.rendezvous, sizeof(Item), 0) == 0);
    REQUIRE(sprig_barrier_create(&shared.start_line, kStressThreads) == 0);
    receivers[0].chan = shared.buffered;
    receivers[1].chan = shared.rendezvous;

    std::vector<sprig_thread_t> helpers;
    for (Receiver &receiver : receivers) {
      helpers.push_back(spawn_green([&] { receive_all(shared, receiver); }));
    }
    for (int i = 0; i < 2; ++i) {
      helpers.push_back(
          spawn_green([&, i] { consume_queue(shared, consumers[i], 0x1234567ULL + i); }));
    }
    std::vector<sprig_thread_t> stressors;
    for (int i = 0; i < kStressThreads; ++i) {
      stressors.push_back(
          spawn_green([&, i] { stress_thread(shared, tallies[i], static_cast<uint32_t>(i)); }));
    }
    for (sprig_thread_t thread : helpers) {
      REQUIRE(thread != 0);
    }
    for (sprig_thread_t thread : stressors) {
      REQUIRE(thread != 0);
    }
    for (sprig_thread_t thread : stressors) {
      CHECK(sprig_join(thread, nullptr, 2 * kPatience) == 0);
    }
    // The producers are done: the consumers drain the queue and stop, the
    // receivers drain their channels and see -EPIPE.
    REQUIRE(sprig_mutex_lock(shared.queue_mutex, kPatience) == 0);
    shared.producers_done = true;
    CHECK(sprig_cond_broadcast(shared.not_empty) == 0);
    CHECK(sprig_mutex_unlock(shared.queue_mutex) == 0);
    CHECK(sprig_chan_close(shared.buffered) == 0);
    CHECK(sprig_chan_close(shared.rendezvous) == 0);
    for (sprig_thread_t thread : helpers) {
      CHECK(sprig_join(thread, nullptr, 2 * kPatience) == 0);
    }

    unsigned sem_value = 0;
    CHECK(sprig_sem_value(shared.sem, &sem_value) == 0);
    CHECK(sem_value == kSemSlots);
    CHECK(sprig_mutex_destroy(shared.mutex) == 0);
    CHECK(sprig_rwlock_destroy(shared.rwlock) == 0);
    CHECK(sprig_sem_destroy(shared.sem) == 0);
    CHECK(sprig_cond_destroy(shared.not_empty) == 0);
    CHECK(sprig_cond_destroy(shared.not_full) == 0);
    CHECK(sprig_mutex_destroy(shared.queue_mutex) == 0);
    CHECK(sprig_chan_destroy(shared.buffered) == 0);
    CHECK(sprig_chan_destroy(shared.rendezvous) == 0);
    CHECK(sprig_barrier_destroy(shared.start_line) == 0);
  });
  REQUIRE(run_result == 0);
  int64_t elapsed_ms = (now_ns() - started) / kMillis;

  // sprig_run returned only once the detached children had finished too.
  CHECK(shared.detached_finished.load() == shared.detached_spawned.load());
  CHECK(shared.serial_threads.load() == 1);

  long increments = 0, rw_writes = 0, produced = 0, joins = 0, waitgroup_children = 0;
  uint64_t produced_sum = 0;
  uint32_t sent[2] = {0, 0};
  uint64_t sent_sum[2] = {0, 0};
  std::set<pid_t> tids;
  long moves = 0;
  for (const Tally &tally : tallies) {
    moves += tally.moves;
    increments += tally.increments;
    rw_writes += tally.rw_writes;
    produced += tally.produced;
    produced_sum += tally.produced_sum;
    joins += tally.joins;
    waitgroup_children += tally.waitgroup_children;
    for (int which = 0; which < 2; ++which) {
      sent[which] += tally.sent[which];
      sent_sum[which] += tally.sent_sum[which];
    }
    tids.insert(tally.first_tid);
  }
  std::string summary =
      "stress: " + std::to_string(workers) + " workers, " + std::to_string(kStressThreads) +
      " threads x " + std::to_string(ops) + " operations in " + std::to_string(elapsed_ms) +
      " ms: increments=" + std::to_string(increments) + " rw_writes=" + std::to_string(rw_writes) +
      " produced=" + std::to_string(produced) + " sent=" + std::to_string(sent[0]) + "+" +
      std::to_string(sent[1]) + " joins=" + std::to_string(joins) +
      " waitgroup_children=" + std::to_string(waitgroup_children) +
      " detached=" + std::to_string(shared.detached_spawned.load()) +
      " moves=" + std::to_string(moves);
  INFO(summary);
  // All the stress threads were alive while they were placed (the barrier):
  // every worker ran some.
  CHECK(tids.size() == static_cast<size_t>(workers));
  // Every kind of operation happened, under contention.
  CHECK(increments > 0);
  CHECK(rw_writes > 0);
  CHECK(produced > 0);
  CHECK(sent[0] > 0);
  CHECK(sent[1] > 0);
  CHECK(joins > 0);
  CHECK(waitgroup_children > 0);

  CHECK(shared.counter == increments);
  CHECK(shared.rw_value == rw_writes);
  CHECK(shared.sem_most_inside.load() <= kSemSlots);
  CHECK(shared.queue_count == 0);
  CHECK(consumers[0].consumed + consumers[1].consumed == produced);
  CHECK(consumers[0].sum + consumers[1].sum == produced_sum);
  for (int which = 0; which < 2; ++which) {
    std::string channel = which == 0 ? "buffered channel" : "rendezvous channel";
    INFO(channel);
    CHECK(receivers[which].end_result == -EPIPE);
    CHECK(receivers[which].received == sent[which]);
    CHECK(receivers[which].sum == sent_sum[which]);
    CHECK(receivers[which].out_of_order == 0);
  }
  check_clean("mutex: two holders at once", shared.mutex_overlaps);
  check_clean("rwlock: a writer with readers or another writer", shared.rw_overlaps);
  check_clean("rwlock: a reader saw the value change", shared.rw_torn_reads);
  check_clean("semaphore: more holders than slots", shared.sem_overflows);
  check_clean("queue mutex: two holders at once (cond wait relock)", shared.queue_overlaps);
  check_clean("join: wrong result", shared.bad_join_results);
  check_clean("wait group: a child's write not seen after the wait", shared.bad_waitgroup_results);
  check_clean("spawn: a detached thread's handle named another thread",
              shared.bad_detached_handles);
  check_clean("a thread's thread-locals or errno changed", shared.lost_identity);
  if (kSanitized) {
    CHECK(moves == 0); // the shared TLS mode: threads stay where they started
  }
  check_clean("an unexpected error result", shared.unexpected_errors);
  check_clean("a wait that must succeed timed out (lost wake-up)", shared.lost_wakeups);
}

} // namespace

TEST_CASE("workers: new threads spread over the workers, each on one OS thread") {
  ScopedEnv workers("SPRIG_WORKERS", "2");
  ScopedEnv stay("SPRIG_MOVE", "0"); // placement alone: no thread moves as it is woken
  constexpr int kChildren = 8;
  std::vector<pid_t> first_tid(kChildren, 0);
  std::vector<pid_t> last_tid(kChildren, 0);
  std::vector<int> gate_result(kChildren, -1);
  pid_t main_tid = 0;
  int run_result = run_green([&] {
    main_tid = kernel_tid();
    // The children stay alive until all are spawned, so each spawn sees the
    // load of the others and placement alternates between the two workers.
    sprig_waitgroup_t *gate = nullptr;
    REQUIRE(sprig_waitgroup_create(&gate) == 0);
    REQUIRE(sprig_waitgroup_add(gate, 1) == 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < kChildren; ++i) {
      threads.push_back(spawn_green([&, i] {
        first_tid[i] = kernel_tid();
        gate_result[i] = sprig_waitgroup_wait(gate, kPatience);
        sprig_sleep(100'000);
        sprig_yield();
        last_tid[i] = kernel_tid();
      }));
      REQUIRE(threads.back() != 0);
    }
    CHECK(sprig_waitgroup_done(gate) == 0);
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
    CHECK(kernel_tid() == main_tid);
    CHECK(sprig_waitgroup_destroy(gate) == 0);
  });
  REQUIRE(run_result == 0);
  std::map<pid_t, int> per_tid;
  per_tid[main_tid] = 1; // the main green thread runs on the first worker
  for (int i = 0; i < kChildren; ++i) {
    CHECK(first_tid[i] != 0);
    CHECK(gate_result[i] == 0);
    CHECK(last_tid[i] == first_tid[i]); // no migration
    ++per_tid[first_tid[i]];
  }
  CHECK(per_tid.size() == 2);
  CHECK(main_tid == kernel_tid()); // the first worker is the caller of sprig_run
  int most = 0;
  int fewest = kChildren + 1;
  for (auto [tid, count] : per_tid) {
    most = std::max(most, count);
    fewest = std::min(fewest, count);
  }
  CHECK(most - fewest <= 1); // the least-loaded worker takes each new thread
}

TEST_CASE("workers: randomized stress of mutex, rwlock, semaphore, cond, channels, join and wait "
          "groups across two workers") {
  run_stress(2, kSanitized ? 2000 : 8000);
}

TEST_CASE("workers: the same stress with more workers than cores") {
  run_stress(4, kSanitized ? 1000 : 4000);
}
