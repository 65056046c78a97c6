// div_cxx_late_runtime_lib.cpp - a C++ library a C program loads with dlopen(): a catch block that waits, then rethrows.
// Built by test_divergences.py (g++ -shared -fPIC) for div_cxx_late_runtime.c.
#include <unistd.h>

// Throws `id`, sleeps `park_us` inside the catch block, then rethrows with
// `throw;` and returns what the rethrow carried.
extern "C" int catch_wait_rethrow(int id, unsigned park_us) {
  try {
    throw id;
  } catch (int) {
    usleep(park_us);
    try {
      throw;
    } catch (int rethrown) {
      return rethrown;
    }
  }
  return -1;
}
