// worker_group.hpp - the workers of one sprig_run when SPRIG_WORKERS is more than 1.
#pragma once

#include "config.hpp"
#include "worker.hpp"

#include <atomic>
#include <pthread.h>

namespace sprig {

struct WorkerGroup {
  // Workers running (the first is index 0); grows as start_group starts
  // them, while the first ones already run.
  std::atomic<int> count{0};
  int size() const { return count.load(std::memory_order_acquire); }
  std::atomic<Worker *> workers[kMaxWorkers] = {};
  pthread_t os_threads[kMaxWorkers] = {}; // of workers 1 and up
  // Green threads of every worker not yet ended: the group stops at 0.
  std::atomic<int64_t> alive{0};
  std::atomic<bool> stopping{false};
  // Idle workers spin a little for work before they sleep (see
  // Worker::scheduler_loop): only while each worker can have a CPU of its
  // own (no more workers than CPUs in the affinity mask), else the spinner
  // takes the CPU the other worker needs.
  bool spin_when_idle = false;
  // Workers being woken to see `stopping` (thread_ended, stop_group): no
  // worker may free itself before they are done, so the others wait for
  // `may_dispose`, which the first worker sets once none is left.
  std::atomic<int> waking{0};
  std::atomic<bool> may_dispose{false};
  // A worker being started: its place, its configuration (the first
  // worker's), and how it went (1 running, -1 failed).
  int starting_index = 0;
  const Config *config = nullptr;
  std::atomic<int> started{0};
};

} // namespace sprig
