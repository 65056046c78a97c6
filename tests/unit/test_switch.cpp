// test_switch.cpp - the switch: no system call, backtraces, per-thread FPU control, ucontext.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cfenv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

constexpr long kStormYields = 100000; // between two threads

// The yield storm's size: kStormYields, unless a measuring parent asks for
// fewer through SPRIG_TEST_STORM_YIELDS.
long storm_yields() {
  const char *wanted = getenv("SPRIG_TEST_STORM_YIELDS");
  return wanted != nullptr ? atol(wanted) : kStormYields;
}

// The path of this test binary.
std::string self_executable() {
  char path[PATH_MAX] = {};
  ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  REQUIRE(length > 0);
  return std::string(path, static_cast<size_t>(length));
}

// Runs the "yield storm" test case (of `yields` yields) in a child under
// strace and returns how many rt_sigprocmask calls it made; switch_kind
// nullptr keeps the default switch.
long count_sigprocmask_calls(const char *switch_kind, long yields) {
  REQUIRE_MESSAGE(system("command -v strace >/dev/null 2>&1") == 0,
                  "strace is a declared dependency (make deps)");
  char output[] = "/tmp/sprig-strace-XXXXXX";
  int fd = mkstemp(output);
  REQUIRE(fd >= 0);
  close(fd);
  std::string environment = switch_kind != nullptr ? std::string("env SPRIG_SWITCH=") + switch_kind
                                                   : "env -u SPRIG_SWITCH";
  environment += " SPRIG_TEST_STORM_YIELDS=" + std::to_string(yields);
#if defined(__SANITIZE_ADDRESS__)
  environment += " ASAN_OPTIONS=detect_leaks=0"; // LeakSanitizer cannot run under ptrace
#endif
  std::string command = environment + " strace -f --seccomp-bpf -c -e trace=rt_sigprocmask -o " +
                        output + " '" + self_executable() +
                        "' --test-case='yield storm' >/dev/null 2>&1";
  int status = system(command.c_str());
  std::ifstream file(output);
  std::stringstream text;
  text << file.rdbuf();
  unlink(output);
  CAPTURE(command);
  CAPTURE(text.str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  // strace -c lines: "% time  seconds  usecs/call  calls  [errors]  syscall"
  std::string line;
  while (std::getline(text, line)) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) {
      words.push_back(word);
    }
    if (words.size() >= 5 && words.back() == "rt_sigprocmask") {
      return std::stol(words[3]);
    }
  }
  return 0; // strace leaves the syscall out when it was never called
}

int g_backtrace_sink = 0;

} // namespace

// Kept out of line and with work after the call, so that its frame is on the
// stack while it waits.
extern "C" __attribute__((noinline)) int parked_in_this_function(sprig_sem_t *sem) {
  int rc = sprig_sem_wait(sem, SPRIG_FOREVER);
  g_backtrace_sink += rc + 1;
  return rc;
}

TEST_CASE("yield storm") {
  const long per_thread = storm_yields() / 2;
  long counts[2] = {0, 0};
  long most_apart = 0;
  CHECK(run_green([&] {
          std::vector<sprig_thread_t> threads;
          for (int me = 0; me < 2; ++me) {
            threads.push_back(spawn_green([&, me] {
              for (long i = 0; i < per_thread; ++i) {
                ++counts[me];
                most_apart = std::max(most_apart, std::labs(counts[0] - counts[1]));
                sprig_yield();
              }
            }));
          }
          for (sprig_thread_t thread : threads) {
            CHECK(join(thread) == 0);
          }
        }) == 0);
  CHECK(counts[0] == per_thread);
  CHECK(counts[1] == per_thread);
  CHECK(most_apart <= 1); // the two strictly alternate
}

TEST_CASE("the default switch makes no system call during 100,000 yields") {
  CHECK(count_sigprocmask_calls(nullptr, kStormYields) < 100);
}

// The control that proves the measurement can fail: glibc swapcontext makes
// one rt_sigprocmask per switch. Every traced call costs a ptrace stop (about
// 50-100 us here), so this storm is smaller than the one measured above.
TEST_CASE("the ucontext switch makes a system call per yield, and strace counts it") {
  constexpr long kControlYields = 20000;
  CHECK(count_sigprocmask_calls("ucontext", kControlYields) >= kControlYields);
}

TEST_CASE("sprig_backtrace shows the function a parked thread waits in") {
  run_green([] {
    sprig_sem_t *sem = nullptr;
    REQUIRE(sprig_sem_create(&sem, 0) == 0);
    sprig_thread_t parked = spawn_green([sem] { parked_in_this_function(sem); });
    sprig_yield(); // `parked` parks in parked_in_this_function
    std::vector<char> text(16384, '\0');
    int frames = sprig_backtrace(parked, text.data(), text.size());
    CAPTURE(text.data());
    CHECK(frames > 0);
    CHECK(strstr(text.data(), "parked_in_this_function") != nullptr);
    CHECK(sprig_backtrace(sprig_self(), text.data(), text.size()) == -EBUSY);
    sprig_thread_t fresh = spawn_green([] {});
    CHECK(sprig_backtrace(fresh, text.data(), text.size()) >= 0); // runnable, never run
    CHECK(join(fresh) == 0);
    CHECK(sprig_sem_post(sem) == 0);
    CHECK(join(parked) == 0);
    CHECK(sprig_backtrace(parked, text.data(), text.size()) == -ESRCH);
    CHECK(sprig_sem_destroy(sem) == 0);
  });
}

namespace {

constexpr uint32_t kMxcsrRoundingBits = 0x6000;
constexpr uint16_t kX87RoundingBits = 0x0c00;

uint32_t mxcsr_rounding() {
  uint32_t mxcsr = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  return mxcsr & kMxcsrRoundingBits;
}

uint16_t x87_rounding() {
  uint16_t control = 0;
  asm volatile("fnstcw %0" : "=m"(control));
  return control & kX87RoundingBits;
}

// SSE: up = 0x4000, down = 0x2000; x87: up = 0x0800, down = 0x0400; nearest = 0.
struct Rounding {
  uint32_t mxcsr;
  uint16_t x87;
  bool operator==(const Rounding &) const = default;
};
constexpr Rounding kNearest{0, 0};
constexpr Rounding kUpward{0x4000, 0x0800};
constexpr Rounding kDownward{0x2000, 0x0400};

Rounding rounding_now() { return Rounding{mxcsr_rounding(), x87_rounding()}; }

void check_rounding_is_per_thread() {
  std::vector<Rounding> seen;
  CHECK(run_green([&] {
          sprig_thread_t up = spawn_green([&] {
            fesetround(FE_UPWARD);
            sprig_yield();
            seen.push_back(rounding_now()); // [1] after the other thread chose downward
          });
          sprig_thread_t down = spawn_green([&] {
            seen.push_back(rounding_now()); // [0] a fresh thread, after `up` chose upward
            fesetround(FE_DOWNWARD);
            sprig_yield();
            seen.push_back(rounding_now()); // [2]
          });
          CHECK(join(up) == 0);
          CHECK(join(down) == 0);
          seen.push_back(rounding_now()); // [3] the first green thread never changed it
        }) == 0);
  REQUIRE(seen.size() == 4);
  CHECK(seen[0] == kNearest);
  CHECK(seen[1] == kUpward);
  CHECK(seen[2] == kDownward);
  CHECK(seen[3] == kNearest);
  CHECK(rounding_now() == kNearest); // the OS thread's own state is back
  CHECK(fegetround() == FE_TONEAREST);
}

} // namespace

TEST_CASE("MXCSR and the x87 control word belong to each green thread") {
  REQUIRE(rounding_now() == kNearest);
  SUBCASE("default switch") {
    ScopedEnv env("SPRIG_SWITCH", nullptr);
    check_rounding_is_per_thread();
  }
  SUBCASE("ucontext switch") {
    ScopedEnv env("SPRIG_SWITCH", "ucontext");
    check_rounding_is_per_thread();
  }
}

TEST_CASE("SPRIG_SWITCH=ucontext runs green threads too; a bad value is -EINVAL") {
  {
    ScopedEnv env("SPRIG_SWITCH", "ucontext");
    std::string order;
    int joined = 0;
    CHECK(run_green([&] {
            std::vector<sprig_thread_t> threads;
            for (char letter : {'a', 'b'}) {
              threads.push_back(spawn_green([&order, letter] {
                order += letter;
                sprig_yield();
                order += letter;
                sprig_sleep(kMillis);
              }));
            }
            for (sprig_thread_t thread : threads) {
              joined += join(thread) == 0;
            }
          }) == 0);
    CHECK(order == "abab");
    CHECK(joined == 2);
  }
  {
    ScopedEnv env("SPRIG_SWITCH", "asm");
    CHECK(run_green([] { CHECK(sprig_yield() == 0); }) == 0);
  }
  ScopedEnv env("SPRIG_SWITCH", "fast-please");
  int rc = 0;
  std::string message = capture_stderr([&] { rc = run_green([] {}); });
  CHECK(rc == -EINVAL);
  CHECK(message.find("SPRIG_SWITCH") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
}
