// introspect.hpp - seeing inside a running process: thread dumps, the control socket behind
// `sprig ps`, the dump signal, deadlock and stack-overflow reports, the watchdog, statistics
// and the scheduling trace.
//
// Concepts
//   A *dump* lists the green threads of a worker, one line each (id, name,
//   state, what it waits for, for how long), optionally with the backtrace
//   of each parked thread. It is always built on the scheduler context,
//   where no green thread runs and every parked context is still: the
//   control socket, the dump signal and the deadlock report all defer to it.
//   Only the stack-overflow report (a fault) and the watchdog (another OS
//   thread) cannot, and they say less.
//
// Costs
//   With every feature off, the scheduler's hot paths carry one predictable
//   branch on g_trace_switches per switch, and each interposed call one on
//   g_count_calls; park() bumps one counter per reason. The control socket is
//   made on the first reactor poll, on an fd number far above the program's;
//   the overflow handler is one sigaction and one sigaltstack at start.
//
// Rejected alternatives
//   - Dumping from a signal handler: the thread records and wait queues may
//     be mid-change in the interrupted code. The dump signal only writes to
//     an eventfd the reactor watches.
//   - A signal to trigger `sprig ps`: it would take a signal the program may
//     use itself. A unix socket in a 0700 directory needs no signal.
//   - Interposing sigaction to keep sprig's SIGSEGV handler first: a program
//     that installs its own handler gets exactly what it asked for instead.
#pragma once

#include "config.hpp"
#include "green_thread.hpp"

#include <cstddef>
#include <cstdint>

namespace sprig {

class Worker;
class Reactor;
class TextBuffer;

namespace observe {

// SPRIG_TRACE is set: the scheduler calls trace_switch on every switch.
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers): constant-initialized to false
extern bool g_trace_switches;
// SPRIG_STATS is set: the shim's exports count their calls.
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers): constant-initialized to false
extern bool g_count_calls;

// Worker::run, right after the worker exists and before it ends.
void worker_started(Worker &worker, const Config &config);
void worker_stopping(Worker &worker);

// Scheduler: `from` stops running (parked, runnable again, or done) and `to`
// starts; either may be null (the scheduler context).
void trace_switch(const GreenThread *from, const GreenThread *to, bool from_is_done);

// Reactor, scheduler context, before each poll of the loop: opens the
// control socket the first time, and looks for a deadlock when the poll may
// block.
void before_poll(Reactor &reactor, bool may_block);
// Reactor, in the child of fork(): the parent's socket and signal fd are
// not the child's.
void after_fork_in_child(Reactor &reactor);

// Appends the dump of `worker`'s green threads (with backtraces when
// `stacks`) to `out`.
void dump_threads(Worker &worker, bool stacks, TextBuffer &out);

// Interposed-call counts (SPRIG_STATS), kept by the shim.
struct CallCount {
  uint64_t calls;
  uint64_t parked;  // the call parked its thread at least once
  uint64_t blocked; // it did not park, and held the worker >= kBlockedCallNs
};
inline constexpr int64_t kBlockedCallNs = 1'000'000;
void register_call_table(const char *const *names, const CallCount *counts, size_t count);

// Internal: the pieces of the observer, each in its own file.
void stats_print(Worker &worker);                    // introspect_stats.cpp
void trace_start(const char *path, size_t events);   // introspect_trace.cpp
void trace_finish();                                 //
void control_open(Reactor &reactor);                 // introspect_control.cpp
void control_close(Reactor &reactor, bool in_child); //
void control_forget_path(); // async-signal-safe: before the process dies of a signal
void signals_start(Worker &worker, const Config &config); // introspect_signals.cpp
void signals_stop(Worker &worker);                        //
// Workers 1 and up: an alternate stack of their OS thread's own, for the
// overflow report and the trampoline of fault signals; returned to stop.
void *worker_signals_start();                                // introspect_signals.cpp
void worker_signals_stop(void *alternate_stack);             //
void signals_after_fork_in_child(Reactor &reactor);          //
void watchdog_start(Worker &worker, int64_t threshold_ms);   // introspect_watchdog.cpp
void watchdog_stop();                                        //
void report_deadlock(Worker &worker, DeadlockAction action); // introspect_deadlock.cpp

} // namespace observe
} // namespace sprig
