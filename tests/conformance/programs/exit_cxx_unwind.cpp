// exit_cxx_unwind.cpp - pthread_exit in C++ unwinds the thread: destructors of every frame run, a catch (...) that rethrows sees the unwind, RAII guards release their locks.
/* sprig: green */
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>

static std::mutex print_lock;

static void say(const std::string &text) {
  std::lock_guard<std::mutex> guard(print_lock);
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

struct Noisy {
  std::string name;
  explicit Noisy(std::string n) : name(std::move(n)) { say("construct " + name); }
  ~Noisy() { say("destruct " + name); }
};

static std::mutex shared_lock;

static void deep(int depth, const std::string &who) {
  Noisy frame(who + " frame " + std::to_string(depth));
  if (depth > 0) {
    deep(depth - 1, who);
    return;
  }
  usleep(10000);
  if (!who.empty()) {
    pthread_exit(reinterpret_cast<void *>(depth + 100));
  }
}

static void *worker(void *arg) {
  std::string who = static_cast<const char *>(arg);
  Noisy outer(who + " outer");
  std::lock_guard<std::mutex> guard(shared_lock); // released by the unwind
  try {
    deep(2, who);
  } catch (...) {
    say(who + " catch (...) saw the unwind, rethrows");
    throw;
  }
  return nullptr;
}

static void cleanup(void *arg) { say(std::string("cleanup handler of ") + static_cast<char *>(arg)); }

static void *with_cleanup(void *arg) {
  pthread_cleanup_push(cleanup, arg);
  Noisy local("local of cleanup thread");
  usleep(5000);
  pthread_exit(nullptr);
  pthread_cleanup_pop(0);
  return nullptr;
}

int main() {
  alarm(20);
  const char *names[] = {"t1", "t2"};
  for (const char *name : names) {
    pthread_t thread;
    pthread_create(&thread, nullptr, worker, const_cast<char *>(name));
    void *result = nullptr;
    pthread_join(thread, &result);
    std::printf("%s joined with %ld\n", name, reinterpret_cast<long>(result));
  }
  // The lock the exited threads held is free again.
  std::printf("shared lock free: %s\n", shared_lock.try_lock() ? "yes" : "no");
  shared_lock.unlock();
  pthread_t thread;
  pthread_create(&thread, nullptr, with_cleanup, const_cast<char *>("c1"));
  pthread_join(thread, nullptr);
  std::printf("done\n");
  return 0;
}
