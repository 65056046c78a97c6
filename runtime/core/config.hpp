// config.hpp - the SPRIG_* environment variables the runtime reads, parsed and validated.
#pragma once

#include "context.hpp"
#include "identity.hpp"

#include <cstddef>
#include <cstdint>

namespace sprig {

// What sprig does when every green thread waits for something nothing can bring.
enum class DeadlockAction : uint8_t {
  kHang,  // print the report, then hang as the program would natively (the default)
  kAbort, // print the report, then abort() (a core dump where the system keeps them)
  kOff,   // say nothing and hang
};

struct Config {
  size_t stack_size = size_t{256} * 1024;         // SPRIG_STACK_SIZE: bytes, or with K/M/G
  size_t stack_pool_limit = 1024;                 // SPRIG_STACK_POOL: pooled stacks kept for reuse
  SwitchKind switch_kind = SwitchKind::kAssembly; // SPRIG_SWITCH: asm | ucontext
  bool children_inherit_preload = true;           // SPRIG_INHERIT: 1 | 0 (the preload only)
  TlsMode tls_mode = TlsMode::kPerThread;         // SPRIG_TLS: thread | shared
  // SPRIG_WORKERS: OS threads that run green threads, 1 to kMaxWorkers; by
  // default the CPUs of the process's affinity mask (config_load).
  int workers = 1;
  // SPRIG_MOVE: 1 | 0. With several workers and SPRIG_TLS=thread, a thread
  // woken by a thread of an idle worker while its own is busy moves there
  // (Worker::try_move_here).
  bool move_on_wake = true;
  // Seeing inside (runtime/introspect/introspect.hpp); each is off unless said otherwise.
  int dump_signal = 0;                                // SPRIG_DUMP_SIGNAL: a signal name or number
  DeadlockAction on_deadlock = DeadlockAction::kHang; // SPRIG_ON_DEADLOCK: hang | abort | off
  int64_t watchdog_ms = 0;                            // SPRIG_WATCHDOG_MS: 0 is off
  bool stats = false;                                 // SPRIG_STATS: 1 prints statistics at exit
  const char *trace_path = nullptr;                   // SPRIG_TRACE: Chrome trace-event JSON file
  size_t trace_events = size_t{1} << 18;              // SPRIG_TRACE_EVENTS: the trace's ring buffer
  bool control_socket = true; // SPRIG_CONTROL_SOCKET: 0 turns `sprig ps` off
};

inline constexpr int kMaxWorkers = 64;
// The CPUs this process may run on (its affinity mask), 1 to kMaxWorkers.
int usable_cpus();
inline constexpr size_t kMinStackSize = size_t{16} * 1024;
inline constexpr size_t kMaxStackSize = size_t{1} << 30;

// Reads the environment into *config. On a malformed value prints one line,
// "sprig: SPRIG_X: ...", to stderr and returns -EINVAL.
int config_load(Config *config);

// Parses "262144", "256K", "1M", "1G" (case-insensitive). Returns false on
// anything else, or on overflow.
bool parse_size(const char *text, size_t *bytes);

// Parses a signal name ("USR1", "SIGUSR1", "RTMIN+2") or number. Returns 0
// for anything else.
int parse_signal(const char *text);

} // namespace sprig
