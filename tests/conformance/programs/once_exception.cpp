// once_exception.cpp - std::call_once (pthread_once underneath): an initializer that throws leaves the flag unset, so a later call (here, by a thread that waited meanwhile) runs it again.
/* sprig: green */
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

static std::once_flag flag;
static std::atomic<int> attempts{0};
static std::atomic<int> caught{0};
static std::atomic<bool> succeeded{false};

static void init() {
  int attempt = ++attempts;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (attempt < 3) {
    throw std::runtime_error("attempt failed");
  }
  succeeded = true;
}

static bool call() {
  for (int i = 0; i < 5; i++) {
    try {
      std::call_once(flag, init);
      return succeeded.load();
    } catch (const std::exception &) {
      ++caught;
    }
  }
  return false;
}

int main() {
  alarm(20);
  bool runner_saw_success = false;
  bool latecomer_saw_success = false;
  std::thread runner([&] { runner_saw_success = call(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::thread latecomer([&] { latecomer_saw_success = call(); });
  runner.join();
  latecomer.join();
  std::printf("attempts: %d, exceptions caught: %d\n", attempts.load(), caught.load());
  std::printf("both returned after the successful attempt: %s\n",
              runner_saw_success && latecomer_saw_success ? "yes" : "no");
  std::call_once(flag, init);
  std::printf("attempts after another call: %d\n", attempts.load());
  return 0;
}
