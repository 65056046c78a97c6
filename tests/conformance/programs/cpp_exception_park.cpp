// cpp_exception_park.cpp - a thread that sleeps inside a catch block still rethrows and reads its own exception afterwards.
/* sprig: green */
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Outcome {
  std::string before_sleep;
  std::string after_sleep;
  std::string rethrown;
  int uncaught_in_destructor = -1;
};

struct ReportsUnwinding {
  Outcome *outcome;
  ~ReportsUnwinding() { outcome->uncaught_in_destructor = std::uncaught_exceptions(); }
};

void work(int index, Outcome *outcome) {
  try {
    try {
      ReportsUnwinding guard{outcome};
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      throw std::runtime_error("error of thread " + std::to_string(index));
    } catch (const std::runtime_error &error) {
      outcome->before_sleep = error.what();
      // Other threads throw and catch their own exceptions while this one sleeps.
      std::this_thread::sleep_for(std::chrono::milliseconds(10 + 5 * (index % 4)));
      outcome->after_sleep = error.what();
      std::exception_ptr current = std::current_exception();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::rethrow_exception(current);
    }
  } catch (const std::runtime_error &error) {
    outcome->rethrown = error.what();
  }
}

} // namespace

int main() {
  alarm(20);
  constexpr int kThreads = 16;
  std::vector<Outcome> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back(work, i, &outcomes[i]);
  }
  for (auto &thread : threads) {
    thread.join();
  }
  int right = 0;
  for (int i = 0; i < kThreads; i++) {
    std::string expected = "error of thread " + std::to_string(i);
    const Outcome &outcome = outcomes[i];
    bool ok = outcome.before_sleep == expected && outcome.after_sleep == expected &&
              outcome.rethrown == expected && outcome.uncaught_in_destructor == 1;
    right += ok;
    if (!ok) {
      std::printf("thread %d: before \"%s\" after \"%s\" rethrown \"%s\" uncaught %d\n", i,
                  outcome.before_sleep.c_str(), outcome.after_sleep.c_str(), outcome.rethrown.c_str(),
                  outcome.uncaught_in_destructor);
    }
  }
  std::printf("threads that saw only their own exception: %d of %d\n", right, kThreads);
  std::printf("uncaught_exceptions in main: %d\n", std::uncaught_exceptions());
  return 0;
}
