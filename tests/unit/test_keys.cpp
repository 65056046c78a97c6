// test_keys.cpp - thread-specific values: per-thread values, destructors at exit, key limits.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <vector>

namespace {

int g_destructor_calls = 0;
void *g_last_destroyed = nullptr;

void count_destructor(void *value) {
  ++g_destructor_calls;
  g_last_destroyed = value;
}

sprig_key_t g_sticky_key;
int g_sticky_calls = 0;
int g_sticky_wanted_rounds = 0;

// Sets its value again until it has run g_sticky_wanted_rounds times.
void sticky_destructor(void *value) {
  if (++g_sticky_calls < g_sticky_wanted_rounds) {
    sprig_setspecific(g_sticky_key, value);
  }
}

int g_markers[64];
void *marker(int i) { return &g_markers[i]; }

// sprig_exit skips the rest of the thread, so this one owns no heap state.
void *set_value_then_exit(void *key) {
  sprig_setspecific(*static_cast<sprig_key_t *>(key), marker(42));
  sprig_exit(nullptr);
}

sprig_key_t new_key(void (*destructor)(void *)) {
  sprig_key_t key = 0;
  REQUIRE(sprig_key_create(&key, destructor) == 0);
  return key;
}

} // namespace

TEST_CASE("keys: values belong to each green thread") {
  run_green([] {
    sprig_key_t key = new_key(nullptr);
    CHECK(sprig_getspecific(key) == nullptr);
    CHECK(sprig_setspecific(key, marker(1)) == 0);
    CHECK(sprig_getspecific(key) == marker(1));
    void *seen_by_other = marker(9);
    void *other_after_set = nullptr;
    sprig_thread_t other = spawn_green([&] {
      seen_by_other = sprig_getspecific(key);
      sprig_setspecific(key, marker(2));
      sprig_yield();
      other_after_set = sprig_getspecific(key);
    });
    sprig_yield();
    CHECK(sprig_getspecific(key) == marker(1));
    CHECK(join(other) == 0);
    CHECK(seen_by_other == nullptr);
    CHECK(other_after_set == marker(2));
    CHECK(sprig_getspecific(key) == marker(1));
    CHECK(sprig_key_delete(key) == 0);
  });
}

TEST_CASE("keys: destructors run at thread exit for non-NULL values only") {
  g_destructor_calls = 0;
  sprig_key_t key = 0;
  run_green([&key] {
    key = new_key(count_destructor);
    std::vector<sprig_thread_t> threads;
    for (int i = 0; i < 10; ++i) {
      threads.push_back(spawn_green([key, i] { sprig_setspecific(key, marker(i + 1)); }));
    }
    threads.push_back(spawn_green([key] { sprig_setspecific(key, nullptr); }));
    threads.push_back(spawn_green([] {}));
    for (sprig_thread_t thread : threads) {
      CHECK(join(thread) == 0);
    }
    CHECK(g_destructor_calls == 10);

    sprig_thread_t exiting = 0;
    REQUIRE(sprig_spawn(&exiting, nullptr, set_value_then_exit, &key) == 0);
    CHECK(join(exiting) == 0);
    CHECK(g_destructor_calls == 11);
    CHECK(g_last_destroyed == marker(42));

    CHECK(sprig_setspecific(key, marker(7)) == 0); // the first green thread's own value
    // the key must outlive this thread's exit for its destructor to run
  });
  CHECK(g_destructor_calls == 12);
  CHECK(g_last_destroyed == marker(7));
  CHECK(sprig_key_delete(key) == 0); // keys are process-wide: no green thread needed
}

TEST_CASE("keys: a destructor that sets the value again runs again, at most 4 rounds") {
  for (int wanted : {2, 100}) {
    CAPTURE(wanted);
    g_sticky_calls = 0;
    g_sticky_wanted_rounds = wanted;
    run_green([] {
      g_sticky_key = new_key(sticky_destructor);
      sprig_thread_t thread = spawn_green([] { sprig_setspecific(g_sticky_key, marker(3)); });
      CHECK(join(thread) == 0);
      CHECK(sprig_key_delete(g_sticky_key) == 0);
    });
    CHECK(g_sticky_calls == std::min(wanted, 4));
  }
}

TEST_CASE("keys: deleted and invalid keys") {
  g_destructor_calls = 0;
  run_green([] {
    CHECK(sprig_key_create(nullptr, nullptr) == -EINVAL);
    CHECK(sprig_setspecific(1024, marker(1)) == -EINVAL);
    CHECK(sprig_setspecific(0xdeadbeef, marker(1)) == -EINVAL);
    CHECK(sprig_getspecific(0xdeadbeef) == nullptr);

    sprig_key_t key = new_key(count_destructor);
    sprig_key_t fresh = 0;
    void *holder_sees = marker(9);
    sprig_thread_t holder = spawn_green([&] {
      sprig_setspecific(key, marker(5));
      sprig_yield();
      holder_sees = sprig_getspecific(fresh);
    });
    sprig_yield(); // holder sets its value
    CHECK(sprig_key_delete(key) == 0);
    CHECK(sprig_setspecific(key, marker(1)) == -EINVAL);
    CHECK(sprig_key_delete(key) == -EINVAL);
    // A new key (perhaps the same number) starts NULL in every thread.
    fresh = new_key(count_destructor);
    CHECK(join(holder) == 0);
    CHECK(holder_sees == nullptr);
    CHECK(sprig_key_delete(fresh) == 0);
  });
  CHECK(g_destructor_calls == 0); // deleted keys run no destructors
}

TEST_CASE("keys: a new key is NULL in a thread that had a value under the old one") {
  run_green([] {
    sprig_key_t key = new_key(nullptr);
    CHECK(sprig_setspecific(key, marker(4)) == 0);
    CHECK(sprig_key_delete(key) == 0);
    sprig_key_t fresh = new_key(nullptr);
    CHECK(sprig_getspecific(fresh) == nullptr);
    CHECK(sprig_key_delete(fresh) == 0);
  });
}

TEST_CASE("keys: at most 1024, then -EAGAIN") {
  run_green([] {
    std::vector<sprig_key_t> keys;
    sprig_key_t key = 0;
    int rc = 0;
    while (keys.size() < 2000 && (rc = sprig_key_create(&key, nullptr)) == 0) {
      keys.push_back(key);
    }
    CHECK(rc == -EAGAIN);
    CHECK(keys.size() <= 1024);
    CHECK(keys.size() >= 1000); // other tests delete their keys
    for (sprig_key_t created : keys) {
      CHECK(sprig_key_delete(created) == 0);
    }
    CHECK(sprig_key_create(&key, nullptr) == 0); // a slot is free again
    CHECK(sprig_key_delete(key) == 0);
  });
}
