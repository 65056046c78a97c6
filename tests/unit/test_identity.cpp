// test_identity.cpp - a thread identity per green thread: the glibc layouts sprig accepts,
// SPRIG_TLS, thread-local variables, errno and pthread_self() per green thread.
#include "config.hpp"
#include "identity.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <string>

namespace {

// What glibc 2.36 says of itself on x86-64 (its _thread_db_* descriptors).
sprig::identity::Described glibc_2_36() {
  sprig::identity::Described described;
  described.version = "2.36";
  described.sizeof_pthread = 2368;
  described.list = 704;
  described.tid = 720;
  described.specific = 1296;
  described.schedparam = 1584;
  described.schedpolicy = 1588;
  described.start_routine = 1592;
  return described;
}

thread_local int t_counter = 5;
thread_local char t_buffer[64] = "image";

} // namespace

TEST_CASE("identity: glibc 2.36 as it describes itself is known") {
  sprig::identity::Layout layout;
  const char *why = nullptr;
  REQUIRE(sprig::identity::layout_for(glibc_2_36(), &layout, &why) == 0);
  CHECK(layout.sizeof_pthread == 2368);
  CHECK(layout.stackblock == 1680);
  CHECK(layout.robust_head == 736);
}

TEST_CASE(
    "identity: another glibc version, or a description that differs, is refused with a reason") {
  sprig::identity::Layout layout;
  const char *why = nullptr;
  sprig::identity::Described other = glibc_2_36();
  other.version = "2.99";
  CHECK(sprig::identity::layout_for(other, &layout, &why) == -ENOTSUP);
  REQUIRE(why != nullptr);
  CHECK(std::string(why).find("does not know") != std::string::npos);

  sprig::identity::Described moved = glibc_2_36();
  moved.tid = 724; // a field moved within the same version string: a patched glibc
  why = nullptr;
  CHECK(sprig::identity::layout_for(moved, &layout, &why) == -ENOTSUP);
  REQUIRE(why != nullptr);
  CHECK(std::string(why).find("differs") != std::string::npos);

  sprig::identity::Described unnamed = glibc_2_36();
  unnamed.version = nullptr;
  CHECK(sprig::identity::layout_for(unnamed, &layout, &why) == -ENOTSUP);
}

TEST_CASE("SPRIG_TLS: thread (the default) or shared; anything else is -EINVAL with one line") {
  sprig::Config config;
  {
    ScopedEnv env("SPRIG_TLS", nullptr);
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.tls_mode == sprig::TlsMode::kPerThread);
  }
  {
    ScopedEnv env("SPRIG_TLS", "shared");
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.tls_mode == sprig::TlsMode::kShared);
  }
  for (const char *bad : {"", "Thread", "per-thread", "1"}) {
    ScopedEnv env("SPRIG_TLS", bad);
    int rc = 0;
    std::string message = capture_stderr([&] { rc = sprig::config_load(&config); });
    CHECK(rc == -EINVAL);
    CHECK(message ==
          std::string("sprig: SPRIG_TLS: bad value '") + bad + "' (want thread or shared)\n");
  }
}

// A sanitizer build runs in the shared mode (the sanitizers keep their own
// per-thread state in TLS): there, every green thread shares the OS
// thread's instance, which is what this test then checks.
TEST_CASE("identity: thread_local variables, errno and pthread_self() are per green thread") {
  ScopedEnv env("SPRIG_TLS", nullptr);
  t_counter = 9; // the OS thread's instance, before the worker
  pthread_t os_thread = pthread_self();
  int *os_errno = &errno;
  constexpr int kThreads = 8;
  int initial[kThreads] = {};
  int final_count[kThreads] = {};
  bool own_buffer[kThreads] = {};
  bool own_errno[kThreads] = {};
  bool stack_reported[kThreads] = {};
  pthread_t selves[kThreads] = {};
  pthread_t main_self = 0;
  sprig::TlsMode mode = sprig::TlsMode::kShared;
  int rc = run_green([&] {
    mode = sprig::identity::mode();
    main_self = pthread_self();
    sprig_thread_t threads[kThreads];
    for (int i = 0; i < kThreads; ++i) {
      threads[i] = spawn_green([&, i] {
        initial[i] = t_counter;
        own_buffer[i] = strcmp(t_buffer, "image") == 0;
        snprintf(t_buffer, sizeof t_buffer, "thread %d", i);
        errno = 100 + i;
        for (int step = 0; step < 10; ++step) {
          ++t_counter;
          sprig_yield();
        }
        final_count[i] = t_counter;
        own_errno[i] = errno == 100 + i && &errno != os_errno;
        selves[i] = pthread_self();
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
          void *low = nullptr;
          size_t size = 0;
          pthread_attr_getstack(&attr, &low, &size);
          char local = 0;
          stack_reported[i] =
              &local > static_cast<char *>(low) && &local < static_cast<char *>(low) + size;
          pthread_attr_destroy(&attr);
        }
      });
    }
    for (sprig_thread_t thread : threads) {
      join(thread);
    }
  });
  REQUIRE(rc == 0);
  if (kSanitized) {
    CHECK(mode == sprig::TlsMode::kShared);
    CHECK(t_counter == 9 + kThreads * 10);
    return;
  }
  REQUIRE(mode == sprig::TlsMode::kPerThread);
  CHECK(pthread_equal(main_self, os_thread)); // green thread 1 keeps the OS thread's identity
  CHECK(t_counter == 9);                      // untouched by the other green threads
  for (int i = 0; i < kThreads; ++i) {
    CAPTURE(i);
    CHECK(initial[i] == 5); // each starts from the TLS image, not from the OS thread's 9
    CHECK(final_count[i] == 15);
    CHECK(own_buffer[i]);
    CHECK(own_errno[i]);
    CHECK(stack_reported[i]);
    CHECK_FALSE(pthread_equal(selves[i], os_thread));
    for (int j = 0; j < i; ++j) {
      CHECK_FALSE(pthread_equal(selves[i], selves[j]));
    }
  }
}

TEST_CASE("identity: SPRIG_TLS=shared keeps one instance per OS thread") {
  ScopedEnv env("SPRIG_TLS", "shared");
  t_counter = 0;
  int rc = run_green([] {
    sprig_thread_t first = spawn_green([] { t_counter += 1; });
    sprig_thread_t second = spawn_green([] { t_counter += 10; });
    join(first);
    join(second);
  });
  CHECK(rc == 0);
  CHECK(sprig::identity::mode() == sprig::TlsMode::kShared);
  CHECK(t_counter == 11);
}

// Not under the sanitizers: they run the shared mode, and run_green and the
// runtime's per-run settings were not written for sprig_run on several OS
// threads at once.
TEST_CASE("identity: workers on several OS threads at once each keep their identities apart" *
          doctest::skip(kSanitized)) {
  ScopedEnv env("SPRIG_TLS", nullptr);
  constexpr int kWorkers = 4;
  constexpr int kThreadsEach = 50;
  int wrong[kWorkers] = {};
  int rcs[kWorkers] = {};
  pthread_t os_threads[kWorkers];
  struct Job {
    int *wrong;
    int *rc;
  } jobs[kWorkers];
  for (int w = 0; w < kWorkers; ++w) {
    jobs[w] = Job{&wrong[w], &rcs[w]};
    auto body = [](void *argument) -> void * {
      auto *job = static_cast<Job *>(argument);
      *job->rc = run_green([job] {
        sprig_thread_t threads[kThreadsEach];
        for (sprig_thread_t &thread : threads) {
          thread = spawn_green([job] {
            if (t_counter != 5) {
              ++*job->wrong;
            }
            for (int step = 0; step < 20; ++step) {
              ++t_counter;
              sprig_yield();
            }
            if (t_counter != 25) {
              ++*job->wrong;
            }
          });
        }
        for (sprig_thread_t thread : threads) {
          join(thread);
        }
      });
      return nullptr;
    };
    REQUIRE(pthread_create(&os_threads[w], nullptr, body, &jobs[w]) == 0);
  }
  for (pthread_t os_thread : os_threads) {
    pthread_join(os_thread, nullptr);
  }
  for (int w = 0; w < kWorkers; ++w) {
    CAPTURE(w);
    CHECK(rcs[w] == 0);
    CHECK(wrong[w] == 0);
  }
}
