// test_config.cpp - the SPRIG_* variables config_load reads: defaults, SPRIG_INHERIT's values, one
// line for a bad one.
#include "config.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
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
