// test_run_queue.cpp - the run queue stays first in, first out whichever way it prefetches.
#include "run_queue.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace {

// Records whose saved sp points into a stack-like buffer, as parked threads' do.
struct Threads {
  explicit Threads(size_t count) : records(count), stack(count * 1024) {
    for (size_t index = 0; index < count; ++index) {
      records[index].context.sp = &stack[index * 1024];
    }
  }
  std::vector<sprig::GreenThread> records;
  std::vector<char> stack;
};

} // namespace

TEST_CASE("the run queue pops in push order, one ahead and in batches") {
  Threads threads(40);
  sprig::RunQueue queue;
  std::vector<sprig::GreenThread *> popped;
  auto pop_some = [&](int count) {
    for (int index = 0; index < count; ++index) {
      sprig::GreenThread *thread = queue.pop_front();
      REQUIRE(thread != nullptr);
      popped.push_back(thread);
    }
  };
  for (size_t index = 0; index < 20; ++index) {
    queue.push_back(&threads.records[index]);
  }
  pop_some(3); // one ahead
  queue.prefetch_in_batches(true);
  pop_some(9); // a batch boundary passed, then one more batch begun
  for (size_t index = 20; index < 30; ++index) {
    queue.push_back(&threads.records[index]); // behind the batch's last thread
  }
  pop_some(10);
  queue.prefetch_in_batches(false);
  pop_some(2);
  queue.prefetch_in_batches(true);
  pop_some(6); // runs into the tail: the batch ends there
  CHECK(queue.empty());
  CHECK(queue.pop_front() == nullptr);
  // Emptied, the queue is back to one ahead; pushes after that pop in order too.
  for (size_t index = 30; index < 40; ++index) {
    queue.push_back(&threads.records[index]);
  }
  pop_some(10);
  REQUIRE(popped.size() == 40);
  for (size_t index = 0; index < popped.size(); ++index) {
    CHECK(popped[index] == &threads.records[index]);
  }
}

TEST_CASE("a rotation pops the front and queues the yielding thread behind the rest") {
  Threads threads(5);
  sprig::GreenThread *yielding = &threads.records[4];
  for (bool in_batches : {false, true}) {
    sprig::RunQueue queue;
    queue.prefetch_in_batches(in_batches);
    CHECK(queue.rotate(yielding) == nullptr); // nobody else: nothing queued
    CHECK(queue.empty());
    queue.push_back(&threads.records[0]);
    CHECK(queue.rotate(yielding) == &threads.records[0]); // the front was alone
    CHECK(queue.pop_front() == yielding);
    CHECK(queue.empty());
    for (size_t index = 0; index < 3; ++index) {
      queue.push_back(&threads.records[index]);
    }
    queue.prefetch_in_batches(in_batches);
    CHECK(queue.rotate(yielding) == &threads.records[0]);
    CHECK(queue.pop_front() == &threads.records[1]);
    CHECK(queue.pop_front() == &threads.records[2]);
    CHECK(queue.pop_front() == yielding);
    CHECK(queue.pop_front() == nullptr);
  }
}
