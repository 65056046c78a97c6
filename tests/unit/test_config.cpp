// test_config.cpp - the SPRIG_* variables config_load reads: defaults, SPRIG_INHERIT's values, one
// line for a bad one, and SPRIG_WORKERS's default (the CPUs of the affinity mask).
#include "config.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <sched.h>
#include <string>

TEST_CASE("SPRIG_INHERIT: 1 (the default) or 0; anything else is -EINVAL with one line") {
  sprig::Config config;
  {
    ScopedEnv env("SPRIG_INHERIT", nullptr);
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.children_inherit_preload);
  }
  {
    ScopedEnv env("SPRIG_INHERIT", "0");
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK_FALSE(config.children_inherit_preload);
  }
  {
    ScopedEnv env("SPRIG_INHERIT", "1");
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.children_inherit_preload);
  }
  for (const char *bad : {"", "no", "01", "true", " 0"}) {
    ScopedEnv env("SPRIG_INHERIT", bad);
    int rc = 0;
    std::string message = capture_stderr([&] { rc = sprig::config_load(&config); });
    CHECK(rc == -EINVAL);
    CHECK(message == std::string("sprig: SPRIG_INHERIT: bad value '") + bad + "' (want 1 or 0)\n");
  }
}

TEST_CASE("SPRIG_WORKERS: by default the CPUs of the affinity mask, so one CPU gives one worker") {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  sprig::Config config;
  {
    ScopedEnv env("SPRIG_WORKERS", nullptr);
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.workers == std::min(CPU_COUNT(&allowed), sprig::kMaxWorkers));
    int first = 0;
    while (!CPU_ISSET(first, &allowed)) {
      ++first;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0); // as `taskset -c N` does
    int loaded = sprig::config_load(&config);
    REQUIRE(sched_setaffinity(0, sizeof allowed, &allowed) == 0);
    REQUIRE(loaded == 0);
    CHECK(config.workers == 1);
  }
  {
    ScopedEnv env("SPRIG_WORKERS", "3");
    REQUIRE(sprig::config_load(&config) == 0);
    CHECK(config.workers == 3); // a count given is taken as it is, CPUs or not
  }
}
