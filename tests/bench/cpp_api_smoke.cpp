// cpp_api_smoke.cpp - exercises every class of sprig.hpp once; prints "check NAME ok" per check.
#include <sprig.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace {

int g_failures = 0;

void check(const char *name, bool passed) {
  std::printf("check %s %s\n", name, passed ? "ok" : "FAILED");
  if (!passed) {
    ++g_failures;
  }
}

// Outside sprig::run there is no green thread to spawn from: EPERM, thrown.
void check_spawn_outside_run_throws() {
  int code = 0;
  try {
    sprig::Thread thread([] {});
  } catch (const std::system_error &error) {
    code = error.code().value();
  }
  check("spawn_outside_run_throws", code == EPERM);
}

void check_mutex_with_lock_guard() {
  sprig::Mutex mutex;
  long counter = 0;
  std::vector<sprig::Thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 100; ++k) {
        std::lock_guard<sprig::Mutex> hold(mutex);
        long seen = counter;
        sprig::yield(); // others run, but cannot enter
        counter = seen + 1;
      }
    });
  }
  for (auto &thread : threads) {
    thread.join();
  }
  check("mutex_lock_guard", counter == 100 * 100);
  check("mutex_try_lock", mutex.try_lock() && mutex.unlock() == 0);
}

void check_condvar_predicate() {
  sprig::Mutex mutex;
  sprig::CondVar ready_changed;
  bool ready = false;
  sprig::Thread setter([&] {
    sprig::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard<sprig::Mutex> hold(mutex);
    ready = true;
    ready_changed.signal();
  });
  mutex.lock();
  int rc = ready_changed.wait(
      mutex, [&] { return ready; }, std::chrono::seconds(5));
  mutex.unlock();
  check("condvar_predicate", rc == 0 && ready);
  mutex.lock();
  rc = ready_changed.wait(mutex, std::chrono::milliseconds(1));
  mutex.unlock();
  check("condvar_timeout", rc == -ETIMEDOUT);
}

void check_semaphore() {
  sprig::Semaphore tokens(0);
  std::vector<sprig::Thread> posters;
  for (int i = 0; i < 10; ++i) {
    posters.emplace_back([&] { tokens.post(); });
  }
  int taken = 0;
  for (int i = 0; i < 10; ++i) {
    taken += tokens.wait(std::chrono::seconds(5)) == 0;
  }
  check("semaphore", taken == 10 && tokens.value() == 0 && tokens.wait(0) == -EAGAIN);
}

void check_waitgroup_and_detach() {
  sprig::WaitGroup group;
  int finished = 0;
  group.add(50);
  for (int i = 0; i < 50; ++i) {
    sprig::Thread worker([&] {
      sprig::sleep_for(std::chrono::milliseconds(1));
      ++finished;
      group.done();
    });
    worker.detach();
  }
  check("waitgroup_detach", group.wait(std::chrono::seconds(5)) == 0 && finished == 50);
}

struct Point {
  int x;
  int y;
};

void check_channel() {
  sprig::Channel<Point> points(4);
  sprig::Thread producer([&] {
    for (int i = 1; i <= 1000; ++i) {
      points.send(Point{i, -i});
    }
    points.close();
  });
  long sum = 0;
  int received = 0;
  Point point{};
  while (points.recv(point) == 0) {
    sum += point.x + point.y + 1;
    ++received;
  }
  check("channel", received == 1000 && sum == 1000 && points.send(Point{}) == -EPIPE);
}

void check_thread_move_and_join_timeout() {
  sprig::Thread sleeper([] { sprig::sleep_for(std::chrono::milliseconds(20)); });
  sprig::Thread moved(std::move(sleeper));
  bool timed_out = moved.join(std::chrono::milliseconds(1)) == -ETIMEDOUT && moved.joinable();
  check("thread_move_join_timeout",
        !sleeper.joinable() && timed_out && moved.join() == 0 && !moved.joinable());
}

void check_destructor_joins() {
  bool ran = false;
  {
    sprig::Thread thread([&] {
      sprig::sleep_for(std::chrono::milliseconds(2));
      ran = true;
    });
  }
  check("destructor_joins", ran);
}

void check_sleep_for_chrono() {
  auto start = std::chrono::steady_clock::now();
  int rc = sprig::sleep_for(std::chrono::milliseconds(10));
  auto elapsed = std::chrono::steady_clock::now() - start;
  check("sleep_for_chrono", rc == 0 && elapsed >= std::chrono::milliseconds(10));
}

} // namespace

int main() {
  alarm(60);
  check_spawn_outside_run_throws();
  int rc = sprig::run([] {
    check("self_nonzero", sprig::self() != 0);
    check_mutex_with_lock_guard();
    check_condvar_predicate();
    check_semaphore();
    check_waitgroup_and_detach();
    check_channel();
    check_thread_move_and_join_timeout();
    check_destructor_joins();
    check_sleep_for_chrono();
  });
  check("run_returns_0", rc == 0);
  std::printf("cpp_api_smoke: %s\n", g_failures == 0 ? "all ok" : "FAILED");
  return g_failures == 0 ? 0 : 1;
}
