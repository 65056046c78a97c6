// main.cpp - the doctest runner of the sprig unit tests.
//
// The unit tests are written for one worker: a yield lets the threads they
// spawned run, in a known order. sprig_run's default is one worker per CPU,
// so the runner sets SPRIG_WORKERS=1 for every test; the tests of several
// workers (test_workers_stress.cpp, test_config.cpp) set their own.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char **argv) {
  setenv("SPRIG_WORKERS", "1", 1);
  return doctest::Context(argc, argv).run();
}
