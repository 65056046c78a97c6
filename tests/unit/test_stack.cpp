// test_stack.cpp - green-thread stacks: the pool (reuse, limit, guard page) and stack sizes.
#include "stack_pool.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <alloca.h>
#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <vector>

namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

bool page_aligned(const void *address) {
  return reinterpret_cast<uintptr_t>(address) % sprig::StackPool::page_size() == 0;
}

// Writes the first and last byte of a stack: both must be mapped and writable.
void touch_ends(const sprig::Stack &stack) {
  auto *low = static_cast<volatile char *>(stack.low);
  low[0] = 1;
  low[stack.size - 1] = 2;
}

// Uses `bytes` of stack, touching one byte a page from the top down, as a
// deep call chain would (so a stack too small hits its guard page).
__attribute__((noinline)) int use_stack(size_t bytes) {
  auto *area = static_cast<volatile char *>(alloca(bytes));
  for (size_t offset = bytes; offset >= 4096; offset -= 4096) {
    area[offset - 1] = static_cast<char>(offset);
  }
  area[0] = 1;
  return area[bytes - 1];
}

bool exited_cleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// The number of memory maps of this process (lines of /proc/self/maps).
long memory_maps() {
  FILE *maps = fopen("/proc/self/maps", "r");
  REQUIRE(maps != nullptr);
  long lines = 0;
  for (int c = fgetc(maps); c != EOF; c = fgetc(maps)) {
    lines += c == '\n';
  }
  fclose(maps);
  return lines;
}

} // namespace

TEST_CASE("stack pool: default-size stacks are reused, up to the pool limit") {
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 2);
  CHECK(pool.default_size() == 64 * kKiB);
  sprig::Stack stacks[3];
  for (sprig::Stack &stack : stacks) {
    REQUIRE(pool.acquire(0, &stack) == 0);
    CHECK(stack.size == 64 * kKiB);
    CHECK(page_aligned(stack.low));
    touch_ends(stack);
  }
  CHECK(pool.mapped() == 3);
  CHECK(pool.pooled() == 0);
  pool.release(stacks[0]);
  pool.release(stacks[1]);
  CHECK(pool.pooled() == 2);
  CHECK(pool.mapped() == 3);
  pool.release(stacks[2]); // beyond the limit: given back to the kernel
  CHECK(pool.pooled() == 2);
  CHECK(pool.mapped() == 2);

  sprig::Stack again;
  REQUIRE(pool.acquire(64 * kKiB, &again) == 0); // the default size, asked by number
  CHECK((again.low == stacks[0].low || again.low == stacks[1].low));
  CHECK(pool.pooled() == 1);
  CHECK(pool.mapped() == 2);
  touch_ends(again);
  pool.release(again);
  CHECK(pool.pooled() == 2);
}

// One mmap per stack would merge into few maps while the stacks are taken
// and split into one map per live stack when every other one is unmapped:
// a million threads ending out of order then pass vm.max_map_count.
TEST_CASE("stack pool: stacks released out of order keep the number of memory maps bounded") {
  constexpr int kStacks = 300;
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 0); // nothing kept warm: every release gives memory back
  std::vector<sprig::Stack> stacks(kStacks);
  for (sprig::Stack &stack : stacks) {
    REQUIRE(pool.acquire(0, &stack) == 0);
    touch_ends(stack);
  }
  long maps_before = memory_maps();
  long most_maps = maps_before;
  for (int parity : {0, 1}) { // every other stack first: the worst order for per-stack maps
    for (int i = parity; i < kStacks; i += 2) {
      pool.release(stacks[static_cast<size_t>(i)]);
      if (i % 16 == parity) {
        most_maps = std::max(most_maps, memory_maps());
      }
    }
  }
  CAPTURE(maps_before);
  CHECK(most_maps - maps_before <= 16); // one map per stack would add about 150
  CHECK(pool.mapped() == 0);
  CHECK(pool.regions() <= 1); // empty regions are unmapped, one is kept as a spare
}

TEST_CASE("stack pool: a stack given back to the kernel comes back zeroed, its guard kept") {
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 0);
  sprig::Stack first;
  REQUIRE(pool.acquire(0, &first) == 0);
  static_cast<volatile char *>(first.low)[100] = 42;
  pool.release(first); // beyond the (empty) pool: memory returned, slot kept
  CHECK(pool.mapped() == 0);
  sprig::Stack again;
  REQUIRE(pool.acquire(0, &again) == 0);
  CHECK(again.low == first.low); // the same slot of the same region
  CHECK(static_cast<volatile char *>(again.low)[100] == 0);
  int status = status_of_child([&] {
    static_cast<volatile char *>(again.low)[-1] = 1;
    return 0;
  });
  CHECK(WIFSIGNALED(status));
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV));
  pool.release(again);
}

TEST_CASE("stack pool: other sizes are rounded to pages; those of one size are kept warm") {
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 8);
  size_t page = sprig::StackPool::page_size();
  sprig::Stack odd;
  REQUIRE(pool.acquire(100000, &odd) == 0);
  CHECK(odd.size == (100000 + page - 1) / page * page);
  touch_ends(odd);
  CHECK(pool.mapped() == 1);
  pool.release(odd);
  CHECK(pool.mapped() == 1); // kept warm
  CHECK(pool.pooled() == 1);

  sprig::Stack again;
  REQUIRE(pool.acquire(100000, &again) == 0);
  CHECK(again.low == odd.low); // the same stack, reused
  CHECK(again.size == odd.size);
  CHECK(pool.pooled() == 0);
  touch_ends(again);

  // Once none of that size is warm, the next size released is the one kept;
  // a stack of any other size is unmapped.
  sprig::Stack big;
  REQUIRE(pool.acquire(8 * kMiB, &big) == 0);
  touch_ends(big);
  pool.release(big);
  CHECK(pool.pooled() == 1);
  pool.release(again);
  CHECK(pool.pooled() == 1);
  CHECK(pool.mapped() == 1);
  sprig::Stack big_again;
  REQUIRE(pool.acquire(8 * kMiB, &big_again) == 0);
  CHECK(big_again.low == big.low);
  pool.release(big_again);

  // Up to the pool limit (8 here).
  std::vector<sprig::Stack> stacks(10);
  for (sprig::Stack &stack : stacks) {
    REQUIRE(pool.acquire(8 * kMiB, &stack) == 0);
  }
  for (const sprig::Stack &stack : stacks) {
    pool.release(stack);
  }
  CHECK(pool.pooled() == 8);
  CHECK(pool.mapped() == 8);
}

TEST_CASE("stack pool: in_guard covers exactly the page below the stack") {
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 1);
  sprig::Stack stack;
  REQUIRE(pool.acquire(0, &stack) == 0);
  size_t page = sprig::StackPool::page_size();
  auto *low = static_cast<char *>(stack.low);
  CHECK(sprig::StackPool::in_guard(stack, low - 1));
  CHECK(sprig::StackPool::in_guard(stack, low - page));
  CHECK_FALSE(sprig::StackPool::in_guard(stack, low));
  CHECK_FALSE(sprig::StackPool::in_guard(stack, low - page - 1));
  CHECK_FALSE(sprig::StackPool::in_guard(stack, low + stack.size));
  pool.release(stack);
}

TEST_CASE("stack pool: the guard page really faults") {
  sprig::StackPool pool;
  pool.configure(64 * kKiB, 1);
  sprig::Stack stack;
  REQUIRE(pool.acquire(0, &stack) == 0);
  auto write_at = [&](ptrdiff_t offset) {
    return status_of_child([&] {
      static_cast<volatile char *>(stack.low)[offset] = 1;
      return 0;
    });
  };
  CHECK(exited_cleanly(write_at(0))); // the control: the lowest usable byte
  int status = write_at(-1);
  CHECK(WIFSIGNALED(status));
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV));
  CAPTURE(pool.guard_uses_madvise());
  pool.release(stack);
}

TEST_CASE("sprig_spawn honours stack_size: 1 MiB of stack in a 2 MiB thread") {
  int status = status_of_child([] {
    int used = -1;
    int rc = run_green([&] {
      sprig_spawn_options opts{};
      opts.stack_size = 2 * kMiB;
      sprig_thread_t thread = spawn_green([&] { used = use_stack(kMiB); }, &opts);
      join(thread);
    });
    return rc == 0 && used >= 0 ? 0 : 1;
  });
  CHECK(exited_cleanly(status));
}

TEST_CASE("SPRIG_STACK_SIZE: a bad value is -EINVAL, a good one sets the default size") {
  for (const char *bad : {"banana", "-1", "12Q", "4096"}) {
    CAPTURE(bad);
    ScopedEnv env("SPRIG_STACK_SIZE", bad);
    int rc = 0;
    std::string message = capture_stderr([&] { rc = run_green([] {}); });
    CHECK(rc == -EINVAL);
    CHECK(message.find("SPRIG_STACK_SIZE") != std::string::npos);
  }
  ScopedEnv env("SPRIG_STACK_SIZE", "1M");
  int status = status_of_child([] {
    int used = -1;
    int rc = run_green([&] { join(spawn_green([&] { used = use_stack(768 * kKiB); })); });
    return rc == 0 && used >= 0 ? 0 : 1;
  });
  CHECK(exited_cleanly(status)); // 768 KiB would overflow the built-in 256 KiB default
}
