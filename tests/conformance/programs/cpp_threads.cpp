// cpp_threads.cpp - std::thread create/join, std::this_thread::sleep_for, and exceptions thrown and caught inside 100 threads.
/* sprig: green */
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

int parse_or_throw(int value) {
  if (value % 3 == 0) {
    throw std::invalid_argument("multiple of three: " + std::to_string(value));
  }
  if (value % 5 == 0) {
    throw value;
  }
  return value * 2;
}

struct Result {
  int value = 0;
  int caught_invalid = 0;
  int caught_int = 0;
  std::string last_message;
};

void work(int index, Result *result) {
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 20; i++) {
    int value = index * 20 + i;
    try {
      result->value += parse_or_throw(value);
    } catch (const std::invalid_argument &error) {
      result->caught_invalid++;
      result->last_message = error.what();
    } catch (int thrown) {
      result->caught_int += thrown == value;
    }
    if (i == 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

} // namespace

int main() {
  alarm(20);
  constexpr int kThreads = 100;
  std::vector<Result> results(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back(work, i, &results[i]);
  }
  std::vector<std::thread::id> ids;
  for (auto &thread : threads) {
    ids.push_back(thread.get_id());
  }
  for (auto &thread : threads) {
    thread.join();
  }
  long total = 0;
  int invalid = 0, ints = 0;
  for (const Result &result : results) {
    total += result.value;
    invalid += result.caught_invalid;
    ints += result.caught_int;
  }
  bool distinct = true;
  for (size_t i = 0; i < ids.size(); i++) {
    for (size_t j = 0; j < i; j++) {
      distinct = distinct && ids[i] != ids[j];
    }
  }
  std::printf("threads %d, total %ld, invalid_argument caught %d, int caught %d\n", kThreads, total,
              invalid, ints);
  std::printf("last message of thread 7: %s\n", results[7].last_message.c_str());
  std::printf("std::thread ids distinct and not main's: %s\n",
              distinct && ids[0] != std::this_thread::get_id() ? "yes" : "no");
  std::printf("hardware_concurrency > 0: %s\n", std::thread::hardware_concurrency() > 0 ? "yes" : "no");

  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto waited = std::chrono::steady_clock::now() - start;
  std::printf("sleep_for 50 ms not early: %s\n", waited >= std::chrono::milliseconds(50) ? "yes" : "no");

  std::thread detached([] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); });
  detached.detach();
  std::printf("joinable after detach: %s\n", detached.joinable() ? "yes" : "no");
  try {
    std::thread empty;
    empty.join();
  } catch (const std::system_error &error) {
    std::printf("join of an empty std::thread: %s\n", error.code() == std::errc::invalid_argument ? "invalid_argument" : "other");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return 0;
}
