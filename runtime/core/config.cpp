// config.cpp - parsing and validating the SPRIG_* environment variables.
#include "config.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <strings.h>

namespace sprig {

namespace {

int reject(const char *name, const char *value, const char *want) {
  fprintf(stderr, "sprig: %s: bad value '%s' (want %s)\n", name, value, want);
  return -EINVAL;
}

} // namespace

bool parse_size(const char *text, size_t *bytes) {
  if (text == nullptr || *text < '0' || *text > '9') {
    return false;
  }
  errno = 0;
  char *end = nullptr;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0) {
    return false;
  }
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'k':
  case 'K':
    shift = 10;
    ++end;
    break;
  case 'm':
  case 'M':
    shift = 20;
    ++end;
    break;
  case 'g':
  case 'G':
    shift = 30;
    ++end;
    break;
  default:
    return false;
  }
  if (*end != '\0' || value > (~0ULL >> shift)) {
    return false;
  }
  *bytes = static_cast<size_t>(value << shift);
  return true;
}

namespace {

bool parse_count(const char *text, unsigned long long limit, unsigned long long *count) {
  if (text == nullptr || *text < '0' || *text > '9') {
    return false;
  }
  char *end = nullptr;
  errno = 0;
  *count = strtoull(text, &end, 10);
  return *end == '\0' && errno == 0 && *count <= limit;
}

struct SignalName {
  const char *name;
  int number;
};

constexpr SignalName kSignalNames[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

// Signals a dump cannot be tied to: they cannot be caught, or they report
// faults the program itself causes.
bool catchable_for_dump(int number) {
  return number > 0 && number < NSIG && number != SIGKILL && number != SIGSTOP &&
         number != SIGSEGV && number != SIGBUS && number != SIGILL && number != SIGFPE &&
         number != SIGTRAP && number != SIGABRT;
}

} // namespace

int parse_signal(const char *text) {
  if (text == nullptr) {
    return 0;
  }
  unsigned long long number = 0;
  if (parse_count(text, NSIG - 1, &number)) {
    return catchable_for_dump(static_cast<int>(number)) ? static_cast<int>(number) : 0;
  }
  const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
  for (const SignalName &entry : kSignalNames) {
    if (strcasecmp(name, entry.name) == 0) {
      return entry.number;
    }
  }
  if (strncasecmp(name, "RTMIN", 5) == 0) {
    unsigned long long offset = 0;
    if (name[5] == '\0' || (name[5] == '+' && parse_count(name + 6, 64, &offset))) {
      int result = SIGRTMIN + static_cast<int>(offset);
      return result <= SIGRTMAX ? result : 0;
    }
  }
  return 0;
}

int usable_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return 1;
  }
  int count = CPU_COUNT(&allowed);
  return count < 1 ? 1 : (count > kMaxWorkers ? kMaxWorkers : count);
}

int config_load(Config *config) {
  *config = Config{};
  config->workers = usable_cpus();
  if (const char *value = getenv("SPRIG_STACK_SIZE"); value != nullptr) {
    size_t bytes = 0;
    if (!parse_size(value, &bytes) || bytes < kMinStackSize || bytes > kMaxStackSize) {
      return reject("SPRIG_STACK_SIZE", value, "a size from 16K to 1G, such as 256K");
    }
    config->stack_size = bytes;
  }
  if (const char *value = getenv("SPRIG_STACK_POOL"); value != nullptr) {
    size_t count = 0;
    char *end = nullptr;
    errno = 0;
    count = strtoull(value, &end, 10);
    if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 || count > 1000000) {
      return reject("SPRIG_STACK_POOL", value, "a count of stacks from 0 to 1000000");
    }
    config->stack_pool_limit = count;
  }
  if (const char *value = getenv("SPRIG_WORKERS"); value != nullptr && *value != '\0') {
    unsigned long long count = 0;
    if (!parse_count(value, kMaxWorkers, &count) || count == 0) {
      return reject("SPRIG_WORKERS", value, "a count of workers from 1 to 64");
    }
    config->workers = static_cast<int>(count);
  }
  if (const char *value = getenv("SPRIG_DUMP_SIGNAL"); value != nullptr && *value != '\0') {
    config->dump_signal = parse_signal(value);
    if (config->dump_signal == 0) {
      return reject("SPRIG_DUMP_SIGNAL", value, "a signal name or number, such as USR1");
    }
  }
  if (const char *value = getenv("SPRIG_ON_DEADLOCK"); value != nullptr && *value != '\0') {
    if (strcmp(value, "hang") == 0) {
      config->on_deadlock = DeadlockAction::kHang;
    } else if (strcmp(value, "abort") == 0) {
      config->on_deadlock = DeadlockAction::kAbort;
    } else if (strcmp(value, "off") == 0) {
      config->on_deadlock = DeadlockAction::kOff;
    } else {
      return reject("SPRIG_ON_DEADLOCK", value, "hang, abort or off");
    }
  }
  if (const char *value = getenv("SPRIG_WATCHDOG_MS"); value != nullptr && *value != '\0') {
    unsigned long long ms = 0;
    if (!parse_count(value, 3'600'000, &ms)) {
      return reject("SPRIG_WATCHDOG_MS", value, "milliseconds from 0 (off) to 3600000");
    }
    config->watchdog_ms = static_cast<int64_t>(ms);
  }
  if (const char *value = getenv("SPRIG_STATS"); value != nullptr && *value != '\0') {
    if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
      return reject("SPRIG_STATS", value, "0 or 1");
    }
    config->stats = value[0] == '1';
  }
  if (const char *value = getenv("SPRIG_TRACE"); value != nullptr && *value != '\0') {
    config->trace_path = value;
  }
  if (const char *value = getenv("SPRIG_TRACE_EVENTS"); value != nullptr && *value != '\0') {
    unsigned long long events = 0;
    if (!parse_count(value, 100'000'000, &events) || events < 1024) {
      return reject("SPRIG_TRACE_EVENTS", value, "a count of events from 1024 to 100000000");
    }
    config->trace_events = events;
  }
  if (const char *value = getenv("SPRIG_CONTROL_SOCKET"); value != nullptr && *value != '\0') {
    if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
      return reject("SPRIG_CONTROL_SOCKET", value, "0 or 1");
    }
    config->control_socket = value[0] == '1';
  }
  if (const char *value = getenv("SPRIG_SWITCH"); value != nullptr) {
    if (strcmp(value, "asm") == 0) {
      config->switch_kind = SwitchKind::kAssembly;
    } else if (strcmp(value, "ucontext") == 0) {
      config->switch_kind = SwitchKind::kUcontext;
    } else {
      return reject("SPRIG_SWITCH", value, "asm or ucontext");
    }
  }
  if (const char *value = getenv("SPRIG_TLS"); value != nullptr) {
    if (strcmp(value, "thread") == 0) {
      config->tls_mode = TlsMode::kPerThread;
    } else if (strcmp(value, "shared") == 0) {
      config->tls_mode = TlsMode::kShared;
    } else {
      return reject("SPRIG_TLS", value, "thread or shared");
    }
  }
  if (const char *value = getenv("SPRIG_MOVE"); value != nullptr) {
    if (strcmp(value, "1") == 0) {
      config->move_on_wake = true;
    } else if (strcmp(value, "0") == 0) {
      config->move_on_wake = false;
    } else {
      return reject("SPRIG_MOVE", value, "1 or 0");
    }
  }
  if (const char *value = getenv("SPRIG_INHERIT"); value != nullptr) {
    if (strcmp(value, "1") == 0) {
      config->children_inherit_preload = true;
    } else if (strcmp(value, "0") == 0) {
      config->children_inherit_preload = false;
    } else {
      return reject("SPRIG_INHERIT", value, "1 or 0");
    }
  }
  return 0;
}

} // namespace sprig
