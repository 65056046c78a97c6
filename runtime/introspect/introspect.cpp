// introspect.cpp - starting and stopping the observer with a worker, the exit report, the
// deadlock check before each blocking poll.
#include "introspect.hpp"
#include "signals.hpp"

#include "reactor.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "worker.hpp"
#include "worker_group.hpp"

#include <atomic>
#include <cstdlib>
#include <unistd.h>

namespace sprig::observe {

bool g_trace_switches = false;
bool g_count_calls = false;

namespace {

// The first worker of the process owns the observer: the control socket,
// signals and reports are per process (several workers run one after the
// other in tests; side by side, only the first is seen).
std::atomic<Worker *> g_owner{nullptr};
Config g_config;
bool g_control_pending = false; // the control socket is wanted and not opened yet
bool g_exit_report_done = false;
bool g_at_exit_registered = false;
uint64_t g_deadlock_reported_at = UINT64_MAX; // the switch count when last reported

// exit() in the preload runs on the scheduler context and never returns to
// Worker::run: the reports are made here, before libc's own exit work ends.
void report_at_exit() {
  Worker *worker = g_owner.load(std::memory_order_acquire);
  if (worker == nullptr) {
    return;
  }
  if (!g_exit_report_done) {
    g_exit_report_done = true;
    if (g_config.stats) {
      stats_print(*worker);
    }
    if (g_config.trace_path != nullptr) {
      trace_finish();
    }
  }
  control_close(worker->reactor(), false);
}

} // namespace

void worker_started(Worker &worker, const Config &config) {
  Worker *expected = nullptr;
  if (!g_owner.compare_exchange_strong(expected, &worker, std::memory_order_acq_rel)) {
    return;
  }
  g_config = config;
  g_exit_report_done = false;
  g_deadlock_reported_at = UINT64_MAX;
  g_control_pending = config.control_socket;
  g_count_calls = config.stats;
  if (config.trace_path != nullptr) {
    trace_start(config.trace_path, config.trace_events);
  }
  signals_start(worker, config);
  if (config.watchdog_ms > 0) {
    watchdog_start(worker, config.watchdog_ms);
  }
  if (!g_at_exit_registered) {
    g_at_exit_registered = true;
    atexit(report_at_exit);
  }
}

void worker_stopping(Worker &worker) {
  if (g_owner.load(std::memory_order_acquire) != &worker) {
    return;
  }
  report_at_exit();
  watchdog_stop();
  signals_stop(worker);
  g_count_calls = false;
  g_control_pending = false;
  g_owner.store(nullptr, std::memory_order_release);
}

namespace {

// With several workers, a worker whose threads all wait may be waiting for
// another worker's. The group is deadlocked when every worker is about to
// sleep so (stuck), and nothing is on its way to any of them: each worker
// clears its mark as its poll returns, before it drains its inbox, so a
// wake-up posted to a stuck worker is seen either in its inbox or as its
// mark gone (the inbox is read first). Looked at by each worker that
// becomes stuck; the last one reports.
std::atomic<uint64_t> g_group_deadlock_reported_at{UINT64_MAX};

void look_for_group_deadlock(Worker &worker, Reactor &reactor) {
  if (g_config.on_deadlock == DeadlockAction::kOff || worker.earliest_deadline() != kNoDeadline ||
      !reactor.only_own_work_left() || signals::may_wake_a_thread(worker)) {
    return;
  }
  worker.set_stuck(true);
  WorkerGroup *group = worker.group();
  if (group->alive.load(std::memory_order_seq_cst) <= 0) {
    return;
  }
  uint64_t switches = 0;
  for (int place = 0; place < group->size(); ++place) {
    Worker *each = group->workers[place].load(std::memory_order_acquire);
    if (!each->reactor().inbox_empty() || !each->stuck()) {
      return;
    }
    switches += each->stats().switches;
  }
  if (g_group_deadlock_reported_at.exchange(switches) != switches) {
    report_deadlock(worker, g_config.on_deadlock);
  }
}

} // namespace

void before_poll(Reactor &reactor, bool may_block) {
  Worker *worker = reactor.worker();
  if (worker->group() != nullptr && may_block) [[unlikely]] {
    look_for_group_deadlock(*worker, reactor);
  }
  if (g_owner.load(std::memory_order_relaxed) != worker) [[unlikely]] {
    return;
  }
  if (g_control_pending) [[unlikely]] {
    g_control_pending = false;
    control_open(reactor);
  }
  // Nothing runnable, no deadline, nothing the loop could report: no green
  // thread of this worker will ever run again. (With several workers see
  // look_for_group_deadlock.)
  if (may_block && worker->group() == nullptr && worker->alive() > 0 &&
      worker->earliest_deadline() == kNoDeadline && g_config.on_deadlock != DeadlockAction::kOff &&
      reactor.only_own_work_left() && !signals::may_wake_a_thread(*worker)) [[unlikely]] {
    uint64_t switches = worker->stats().switches;
    if (switches != g_deadlock_reported_at) {
      g_deadlock_reported_at = switches;
      report_deadlock(*worker, g_config.on_deadlock);
    }
  }
}

namespace {

// Scheduler context, in the child of fork, before its first poll.
void reset_in_child(void *worker_pointer) {
  auto *worker = static_cast<Worker *>(worker_pointer);
  // The socket and its path are the parent's: the child makes its own on
  // its first poll.
  control_close(worker->reactor(), true);
  g_control_pending = g_config.control_socket;
  signals_after_fork_in_child(worker->reactor());
  if (g_config.watchdog_ms > 0) {
    watchdog_start(*worker, g_config.watchdog_ms); // the thread did not survive fork
  }
}

} // namespace

void after_fork_in_child(Reactor &reactor) {
  if (g_owner.load(std::memory_order_relaxed) != reactor.worker()) {
    return;
  }
  // The trace and statistics stay the parent's alone.
  g_trace_switches = false;
  g_exit_report_done = true;
  // libuv is entered from the scheduler context only; fork() runs on a
  // green thread.
  reactor.defer(reset_in_child, reactor.worker());
}

void report_deadlock(Worker &worker, DeadlockAction action) {
  TextBuffer out;
  out.append("sprig: all green threads are blocked (deadlock)\n");
  out.append("sprig: no green thread is runnable, none has a timeout, and no fd, timer, pool\n"
             "sprig: call or other OS thread can wake one (SPRIG_ON_DEADLOCK=%s)\n",
             action == DeadlockAction::kAbort ? "abort: aborting" : "hang: hanging as natively");
  dump_threads(worker, true, out);
  out.write_to(STDERR_FILENO);
  if (action == DeadlockAction::kAbort) {
    control_forget_path();
    abort();
  }
}

} // namespace sprig::observe
