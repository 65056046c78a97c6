// entry.cpp - the LD_PRELOAD entry: __libc_start_main runs main as green thread 1 under a worker.
//
// libc's own __libc_start_main still does all of its work (constructors,
// atexit registration of the fini functions); it is only handed a different
// main: process_main, which starts a worker on the original stack and runs
// the program's main as the first green thread. When that main returns, the
// green thread calls exit() with its value, as libc would: atexit handlers and
// stdio flushing run once, on the green stack. If main ends with
// pthread_exit() instead, the worker runs until every green thread has
// finished and then the process exits with status 0, as natively.
//
// The SPRIG_* variables are read here first (the worker reads them again):
// a malformed one ends the process before main, and SPRIG_INHERIT=0 takes
// libsprig.so out of the environment main and its children see.
#include "call_counts.hpp"
#include "config.hpp"
#include "inherit.hpp"
#include "real.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sys/prctl.h>

namespace {

struct ProgramMain {
  int (*main)(int, char **, char **);
  int argc;
  char **argv;
  char **envp;
};

ProgramMain g_program;

// The main green thread of a native main's size: programs put large arrays
// on main's stack more often than on other threads'.
constexpr size_t kMainStackSize = size_t{8} << 20;

void *run_program_main(void *) {
  // Named as the process is (its comm), the name new threads inherit.
  prctl(PR_GET_NAME, sprig::Worker::current_thread()->name);
  exit(g_program.main(g_program.argc, g_program.argv, g_program.envp));
}

int process_main(int argc, char **argv, char **envp) {
  g_program.argc = argc;
  g_program.argv = argv;
  g_program.envp = envp;
  sprig::Config config;
  if (sprig::config_load(&config) != 0) {
    return 127; // a malformed SPRIG_* variable; its one-line message is out
  }
  if (!config.children_inherit_preload) {
    sprig::preload_leave_out_of_children();
  }
  sprig::SpawnOptions main_options;
  main_options.stack_size = kMainStackSize;
  sprig::signals::g_take_over = true;
  int rc = sprig::Worker::run(run_program_main, nullptr, nullptr, main_options);
  if (rc == -EINVAL) {
    return 127; // a malformed SPRIG_* variable; its one-line message is out
  }
  if (rc != 0) {
    fprintf(stderr, "sprig: cannot start the green-thread runtime (errno %d)\n", -rc);
    return 127;
  }
  return 0; // main left through pthread_exit and every thread has finished
}

} // namespace

extern "C" __attribute__((visibility("default"))) int
__libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                  void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
  sprig::real::resolve_all();
  sprig::shim::register_call_counts();
  g_program.main = main;
  return sprig::real::__libc_start_main(process_main, argc, argv, init, fini, rtld_fini, stack_end);
}
