// test_channel.cpp - channels (buffered, rendezvous, timeouts, close) and wait groups.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace {

sprig_chan_t *new_chan(size_t elem_size, size_t capacity) {
  sprig_chan_t *chan = nullptr;
  REQUIRE(sprig_chan_create(&chan, elem_size, capacity) == 0);
  return chan;
}

sprig_waitgroup_t *new_group() {
  sprig_waitgroup_t *group = nullptr;
  REQUIRE(sprig_waitgroup_create(&group) == 0);
  return group;
}

int send_int(sprig_chan_t *chan, int value, int64_t timeout_ns) {
  return sprig_chan_send(chan, &value, timeout_ns);
}

} // namespace

TEST_CASE("channel: buffered elements come out in FIFO order") {
  run_green([] {
    CHECK(sprig_chan_create(nullptr, sizeof(int), 1) == -EINVAL);
    sprig_chan_t *chan = new_chan(sizeof(int), 4);
    for (int i = 1; i <= 4; ++i) {
      CHECK(send_int(chan, i, 0) == 0);
    }
    CHECK(sprig_chan_len(chan) == 4);
    CHECK(send_int(chan, 5, 0) == -EAGAIN);
    int64_t start = now_ns();
    CHECK(send_int(chan, 5, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(send_int(chan, 5, -3) == -EINVAL);
    for (int i = 1; i <= 4; ++i) {
      int value = 0;
      CHECK(sprig_chan_recv(chan, &value, 0) == 0);
      CHECK(value == i);
    }
    CHECK(sprig_chan_len(chan) == 0);
    int value = 0;
    CHECK(sprig_chan_recv(chan, &value, 0) == -EAGAIN);
    start = now_ns();
    CHECK(sprig_chan_recv(chan, &value, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("channel: elements are copied whole") {
  struct Record {
    char text[20];
    double number;
    long serial;
  };
  run_green([] {
    sprig_chan_t *chan = new_chan(sizeof(Record), 2);
    Record out{"hello, channel", 2.5, 77};
    CHECK(sprig_chan_send(chan, &out, 0) == 0);
    memset(&out, 0, sizeof out); // the channel holds its own copy
    Record in{};
    CHECK(sprig_chan_recv(chan, &in, 0) == 0);
    CHECK(std::string(in.text) == "hello, channel");
    CHECK(in.number == 2.5);
    CHECK(in.serial == 77);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("channel: capacity 0 is a rendezvous") {
  run_green([] {
    sprig_chan_t *chan = new_chan(sizeof(int), 0);
    CHECK(send_int(chan, 1, 0) == -EAGAIN); // nobody receives
    CHECK(sprig_chan_len(chan) == 0);
    bool sent = false;
    sprig_thread_t sender = spawn_green([&] {
      CHECK(send_int(chan, 42, SPRIG_FOREVER) == 0);
      sent = true;
    });
    for (int i = 0; i < 5; ++i) {
      sprig_yield();
    }
    CHECK_FALSE(sent); // the sender waits for a receiver
    int value = 0;
    CHECK(sprig_chan_recv(chan, &value, 0) == 0); // a sender waits: no blocking needed
    CHECK(value == 42);
    CHECK(join(sender) == 0);
    CHECK(sent);

    int received = 0;
    sprig_thread_t receiver = spawn_green([&] { sprig_chan_recv(chan, &received, SPRIG_FOREVER); });
    sprig_yield();                    // the receiver waits
    CHECK(send_int(chan, 7, 0) == 0); // a receiver waits: the send completes at once
    CHECK(join(receiver) == 0);
    CHECK(received == 7);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("channel: waiting receivers are served in FIFO order") {
  std::vector<int> got(3, -1);
  run_green([&] {
    sprig_chan_t *chan = new_chan(sizeof(int), 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 3; ++i) {
      threads.push_back(
          spawn_green([&got, chan, i] { sprig_chan_recv(chan, &got[i], SPRIG_FOREVER); }));
    }
    sprig_yield();
    for (int i = 0; i < 3; ++i) {
      CHECK(send_int(chan, 100 + i, SPRIG_FOREVER) == 0);
    }
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
    CHECK(sprig_chan_destroy(chan) == 0);
  });
  CHECK(got == std::vector<int>{100, 101, 102});
}

TEST_CASE("channel: close wakes every waiting sender and receiver with -EPIPE") {
  run_green([] {
    sprig_chan_t *full = new_chan(sizeof(int), 1);
    sprig_chan_t *empty = new_chan(sizeof(int), 1);
    CHECK(send_int(full, 0, 0) == 0);
    std::vector<int> results(6, 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 3; ++i) {
      threads.push_back(
          spawn_green([&results, full, i] { results[i] = send_int(full, i, SPRIG_FOREVER); }));
      threads.push_back(spawn_green([&results, empty, i] {
        int value = 0;
        results[3 + i] = sprig_chan_recv(empty, &value, SPRIG_FOREVER);
      }));
    }
    sprig_yield(); // all six wait
    CHECK(sprig_chan_close(full) == 0);
    CHECK(sprig_chan_close(empty) == 0);
    for (sprig_thread_t thread : threads) {
      CHECK(sprig_join(thread, nullptr, 5 * kSeconds) == 0);
    }
    CHECK(results == std::vector<int>(6, -EPIPE));
    CHECK(sprig_chan_close(full) == -EPIPE);
    CHECK(sprig_chan_destroy(full) == 0);
    CHECK(sprig_chan_destroy(empty) == 0);
  });
}

TEST_CASE("channel: a closed channel delivers what it holds, then -EPIPE") {
  run_green([] {
    sprig_chan_t *chan = new_chan(sizeof(int), 3);
    CHECK(send_int(chan, 1, 0) == 0);
    CHECK(send_int(chan, 2, 0) == 0);
    CHECK(sprig_chan_close(chan) == 0);
    CHECK(send_int(chan, 3, 0) == -EPIPE);
    CHECK(send_int(chan, 3, SPRIG_FOREVER) == -EPIPE);
    int value = 0;
    CHECK(sprig_chan_recv(chan, &value, 0) == 0);
    CHECK(value == 1);
    CHECK(sprig_chan_recv(chan, &value, SPRIG_FOREVER) == 0);
    CHECK(value == 2);
    CHECK(sprig_chan_recv(chan, &value, 0) == -EPIPE);
    CHECK(sprig_chan_recv(chan, &value, 5 * kSeconds) == -EPIPE);
    CHECK(sprig_chan_close(chan) == -EPIPE);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("channel: many producers and consumers, nothing lost or duplicated") {
  constexpr int kProducers = 8, kConsumers = 8, kPerProducer = 1000;
  long long received_sum = 0;
  int received_count = 0, send_errors = 0;
  run_green([&] {
    sprig_chan_t *chan = new_chan(sizeof(int), 16);
    std::vector<sprig_thread_t> producers, consumers;
    for (int p = 0; p < kProducers; ++p) {
      producers.push_back(spawn_green([&, p] {
        for (int i = 0; i < kPerProducer; ++i) {
          send_errors += send_int(chan, p * kPerProducer + i, SPRIG_FOREVER) != 0;
        }
      }));
    }
    for (int c = 0; c < kConsumers; ++c) {
      consumers.push_back(spawn_green([&] {
        int value = 0;
        while (sprig_chan_recv(chan, &value, SPRIG_FOREVER) == 0) {
          received_sum += value;
          ++received_count;
        }
      }));
    }
    for (sprig_thread_t thread : producers) {
      CHECK(join(thread) == 0);
    }
    CHECK(sprig_chan_close(chan) == 0);
    for (sprig_thread_t thread : consumers) {
      CHECK(join(thread) == 0);
    }
    CHECK(sprig_chan_destroy(chan) == 0);
  });
  constexpr long long kTotal = kProducers * kPerProducer;
  CHECK(send_errors == 0);
  CHECK(received_count == kTotal);
  CHECK(received_sum == kTotal * (kTotal - 1) / 2);
}

TEST_CASE("channel: destroy while waited on is -EBUSY; waiting parks only the green thread") {
  run_green([] {
    sprig_chan_t *chan = new_chan(sizeof(int), 1);
    sprig_thread_t receiver = spawn_green([&] {
      int value = 0;
      sprig_chan_recv(chan, &value, SPRIG_FOREVER);
    });
    sprig_yield();
    CHECK(sprig_chan_destroy(chan) == -EBUSY);
    CHECK(send_int(chan, 1, 0) == 0);
    CHECK(join(receiver) == 0);

    int value = 0;
    ParkProof for_recv =
        prove_parks([] {}, [&] { return sprig_chan_recv(chan, &value, 5 * kSeconds); },
                    [&] { send_int(chan, 2, 0); });
    CHECK(for_recv.wait_result == 0);
    CHECK(for_recv.steps_seen == 100);
    CHECK(value == 2);
    ParkProof for_send =
        prove_parks([&] { send_int(chan, 3, 0); }, [&] { return send_int(chan, 4, 5 * kSeconds); },
                    [&] { sprig_chan_recv(chan, &value, 0); });
    CHECK(for_send.wait_result == 0);
    CHECK(for_send.steps_seen == 100);
    CHECK(sprig_chan_recv(chan, &value, 0) == 0);
    CHECK(value == 4);
    CHECK(sprig_chan_destroy(chan) == 0);
  });
}

TEST_CASE("channel and waitgroup: NULL objects and out-pointers are -EINVAL") {
  run_green([] {
    int value = 0;
    CHECK(sprig_chan_send(nullptr, &value, 0) == -EINVAL);
    CHECK(sprig_chan_recv(nullptr, &value, 0) == -EINVAL);
    CHECK(sprig_chan_close(nullptr) == -EINVAL);
    CHECK(sprig_chan_destroy(nullptr) == -EINVAL);
    sprig_chan_t *chan = new_chan(sizeof(int), 1);
    CHECK(sprig_chan_recv(chan, nullptr, 0) == -EINVAL);
    CHECK(sprig_chan_destroy(chan) == 0);
    CHECK(sprig_waitgroup_add(nullptr, 1) == -EINVAL);
    CHECK(sprig_waitgroup_done(nullptr) == -EINVAL);
    CHECK(sprig_waitgroup_wait(nullptr, 0) == -EINVAL);
    CHECK(sprig_waitgroup_destroy(nullptr) == -EINVAL);
  });
}

// ---- wait groups ----------------------------------------------------------------

TEST_CASE("waitgroup: wait returns when every task is done") {
  run_green([] {
    CHECK(sprig_waitgroup_create(nullptr) == -EINVAL);
    sprig_waitgroup_t *group = new_group();
    CHECK(sprig_waitgroup_wait(group, 0) == 0); // counter 0: nothing to wait for
    int done = 0;
    CHECK(sprig_waitgroup_add(group, 3) == 0);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 3; ++i) {
      threads.push_back(spawn_green([&, i] {
        sprig_sleep((i + 1) * 5 * kMillis);
        ++done;
        sprig_waitgroup_done(group);
      }));
    }
    int second_waiter = 1;
    threads.push_back(
        spawn_green([&] { second_waiter = sprig_waitgroup_wait(group, SPRIG_FOREVER); }));
    CHECK(sprig_waitgroup_wait(group, SPRIG_FOREVER) == 0);
    CHECK(done == 3);
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
    CHECK(second_waiter == 0);
    CHECK(sprig_waitgroup_destroy(group) == 0);
  });
}

TEST_CASE("waitgroup: the counter cannot go below 0") {
  run_green([] {
    sprig_waitgroup_t *group = new_group();
    CHECK(sprig_waitgroup_done(group) == -EINVAL);
    CHECK(sprig_waitgroup_add(group, -1) == -EINVAL);
    CHECK(sprig_waitgroup_add(group, 2) == 0);
    CHECK(sprig_waitgroup_add(group, -3) == -EINVAL);
    CHECK(sprig_waitgroup_add(group, -2) == 0);
    CHECK(sprig_waitgroup_wait(group, 0) == 0);
    CHECK(sprig_waitgroup_destroy(group) == 0);
  });
}

TEST_CASE("waitgroup: wait times out, destroy while waited on is -EBUSY") {
  run_green([] {
    sprig_waitgroup_t *group = new_group();
    CHECK(sprig_waitgroup_add(group, 1) == 0);
    CHECK(sprig_waitgroup_wait(group, 0) == -ETIMEDOUT);
    int64_t start = now_ns();
    CHECK(sprig_waitgroup_wait(group, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK(sprig_waitgroup_wait(group, -2) == -EINVAL);
    sprig_thread_t waiter = spawn_green([&] { sprig_waitgroup_wait(group, SPRIG_FOREVER); });
    sprig_yield();
    CHECK(sprig_waitgroup_destroy(group) == -EBUSY);
    ParkProof proof = prove_parks([] {}, [&] { return sprig_waitgroup_wait(group, 5 * kSeconds); },
                                  [&] { sprig_waitgroup_done(group); });
    CHECK(proof.wait_result == 0);
    CHECK(proof.steps_seen == 100);
    CHECK(join(waiter) == 0);
    CHECK(sprig_waitgroup_destroy(group) == 0);
  });
}
