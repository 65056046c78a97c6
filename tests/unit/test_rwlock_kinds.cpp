// test_rwlock_kinds.cpp - sprig::RwLock's glibc kinds (the preload's pthread_rwlock_t): who gets
// past and who goes first.
#include "test_helpers.hpp"

#include "sync.hpp"

#include <cerrno>
#include <cstring>
#include <doctest/doctest.h>
#include <new>
#include <string>

using sprig::RwLock;
using sprig::RwLockKind;

namespace {

// A writer holds the lock; a writer, then a reader, queue up; the holder
// unlocks. Returns the order in which the two waiters got the lock.
std::string order_after_write_unlock(RwLock &lock) {
  std::string order;
  REQUIRE(lock.write_lock(sprig::kNoDeadline) == 0);
  sprig_thread_t writer = spawn_green([&] {
    CHECK(lock.write_lock(sprig::kNoDeadline) == 0);
    order += 'W';
    sprig_yield();
    CHECK(lock.unlock() == 0);
  });
  sprig_yield();
  sprig_thread_t reader = spawn_green([&] {
    CHECK(lock.read_lock(sprig::kNoDeadline) == 0);
    order += 'R';
    sprig_yield();
    CHECK(lock.unlock() == 0);
  });
  sprig_yield();
  CHECK(order.empty());
  CHECK(lock.unlock() == 0);
  CHECK(join(writer) == 0);
  CHECK(join(reader) == 0);
  CHECK(!lock.busy());
  return order;
}

// A reader holds the lock and a writer waits: may another reader get in?
int try_read_past_waiting_writer(RwLock &lock) {
  REQUIRE(lock.read_lock(sprig::kNoDeadline) == 0);
  bool writer_in = false;
  sprig_thread_t writer = spawn_green([&] {
    CHECK(lock.write_lock(sprig::kNoDeadline) == 0);
    writer_in = true;
    CHECK(lock.unlock() == 0);
  });
  sprig_yield();
  int rc = lock.try_read_lock();
  if (rc == 0) {
    CHECK(lock.unlock() == 0);
  }
  CHECK(!writer_in);
  CHECK(lock.unlock() == 0);
  CHECK(join(writer) == 0);
  CHECK(writer_in);
  CHECK(!lock.busy());
  return rc;
}

} // namespace

TEST_CASE("rwlock kinds: all-zero bytes are an unlocked lock that prefers readers") {
  run_green([] {
    alignas(RwLock) unsigned char storage[sizeof(RwLock)];
    memset(storage, 0, sizeof storage);
    RwLock &lock = *std::launder(reinterpret_cast<RwLock *>(storage));
    CHECK(lock.kind() == RwLockKind::kPreferReader);
    CHECK(!lock.busy());
    CHECK(try_read_past_waiting_writer(lock) == 0);
    CHECK(order_after_write_unlock(lock) == "RW");
  });
}

TEST_CASE("rwlock kinds: a default-constructed lock (the direct API's) is FIFO") {
  run_green([] {
    RwLock lock;
    CHECK(lock.kind() == RwLockKind::kFifo);
    CHECK(try_read_past_waiting_writer(lock) == -EBUSY);
    CHECK(order_after_write_unlock(lock) == "WR");
  });
}

TEST_CASE("rwlock kinds: prefer writer lets readers join, then hands over writer to writer") {
  run_green([] {
    RwLock lock(RwLockKind::kPreferWriter);
    CHECK(try_read_past_waiting_writer(lock) == 0);
    CHECK(order_after_write_unlock(lock) == "WR");
  });
}

TEST_CASE("rwlock kinds: prefer writer nonrecursive holds back new readers") {
  run_green([] {
    RwLock lock(RwLockKind::kPreferWriterNonrecursive);
    CHECK(try_read_past_waiting_writer(lock) == -EBUSY);
    CHECK(order_after_write_unlock(lock) == "WR");
  });
}

TEST_CASE("rwlock kinds: a writer that times out lets the readers it held back in") {
  run_green([] {
    RwLock lock(RwLockKind::kPreferWriterNonrecursive);
    REQUIRE(lock.read_lock(sprig::kNoDeadline) == 0);
    int writer_rc = 0;
    bool reader_in = false;
    sprig_thread_t writer =
        spawn_green([&] { writer_rc = lock.write_lock(sprig::monotonic_now_ns() + 20 * kMillis); });
    sprig_yield();
    sprig_thread_t reader = spawn_green([&] {
      CHECK(lock.read_lock(sprig::kNoDeadline) == 0);
      reader_in = true;
      CHECK(lock.unlock() == 0);
    });
    sprig_yield();
    CHECK(!reader_in);
    CHECK(join(writer) == 0);
    CHECK(writer_rc == -ETIMEDOUT);
    CHECK(join(reader) == 0);
    CHECK(reader_in);
    CHECK(lock.unlock() == 0);
    CHECK(!lock.busy());
    CHECK(lock.try_write_lock() == 0);
    CHECK(lock.unlock() == 0);
  });
}

TEST_CASE("rwlock kinds: try functions say -EBUSY, blocking ones -EDEADLK, to the writer") {
  run_green([] {
    for (RwLockKind kind : {RwLockKind::kPreferReader, RwLockKind::kPreferWriter,
                            RwLockKind::kPreferWriterNonrecursive, RwLockKind::kFifo}) {
      RwLock lock(kind);
      CHECK(lock.try_write_lock() == 0);
      CHECK(lock.try_write_lock() == -EBUSY);
      CHECK(lock.try_read_lock() == -EBUSY);
      CHECK(lock.write_lock(sprig::kNoDeadline) == -EDEADLK);
      CHECK(lock.read_lock(sprig::kNoDeadline) == -EDEADLK);
      CHECK(lock.unlock() == 0);
      CHECK(lock.unlock() == -EPERM);
      CHECK(lock.try_read_lock() == 0);
      CHECK(lock.try_write_lock() == -EBUSY);
      CHECK(lock.unlock() == 0);
      CHECK(!lock.busy());
    }
  });
}
