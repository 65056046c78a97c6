// signals_internal.hpp - what signals.cpp (masks, queues, handler calls in normal context),
// signals_process.cpp (dispositions) and trampoline.cpp (the kernel's handler) share; not for the
// rest of the runtime.
#pragma once

#include "signals.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <sys/syscall.h>

namespace sprig::signals {

using KernelSigaction = int (*)(int, const struct sigaction *, struct sigaction *);

// The kernel mask of a worker with no green thread (one of several): it
// takes no process-directed signal, so the kernel gives it to a worker with
// threads that may take it, or leaves it pending for the process (natively,
// a signal goes to some thread that does not block it). Left open, such a
// signal would meet its default action, or wait on that worker for a
// thread that never comes.
constexpr SignalSet kBlockedWithNoThread = ~kNeverBlocked;

// All zero-initialized, none dynamically: the checks below are false alarms.
// NOLINTBEGIN(bugprone-dynamic-static-initializers)
// The program's dispositions, as sigaction set them.
extern struct sigaction g_actions[kMaxSignal + 1];
// libc's sigaction, past the interposer.
extern KernelSigaction g_kernel_sigaction;
// The worker that signals reaching another OS thread (libuv's pool) go to.
extern std::atomic<Worker *> g_forward_to;
// NOLINTEND(bugprone-dynamic-static-initializers)

// The mask a handler runs with: the thread's, its sa_mask, and the signal
// itself unless SA_NODEFER.
SignalSet mask_during(SignalSet before, const struct sigaction &action, int signal_number);
bool is_handler(const struct sigaction &action);
bool on_alternate_stack(const GreenThread *thread, uintptr_t sp);
// Natively a thread takes a signal it does not block, and a thread in
// sigwait one it waits for.
bool accepts(const GreenThread *thread, SignalSet signal);
// Records the running thread's mask; the kernel's follows.
void set_thread_mask(Worker &worker, GreenThread *self, SignalSet mask);
// SA_RESETHAND: the signal's disposition goes back to SIG_DFL as its
// handler starts (set_action, safe in the trampoline: raw system calls and
// libc's sigaction, with every signal blocked meanwhile).
void reset_to_default(int signal_number);
// Sets the OS thread's kernel mask (raw system call, no interposer): inline,
// for set_kernel_mask on the switch path.
inline long raw_set_mask(SignalSet mask) {
  return raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&mask), 0,
                     sizeof mask);
}

// trampoline.cpp: runs a handler (on the thread's alternate stack when it
// asks for SA_ONSTACK and has one; `thread` null: the kernel's stack).
void call_handler(const GreenThread *thread, const struct sigaction &action, int signal_number,
                  siginfo_t *info, void *context);
// Installs the trampoline for a signal the program handles, with its sa_mask.
void install_trampoline(int signal_number, const struct sigaction &program);
// Learns where sprig's and libuv's code lie (a handler never runs there).
void learn_own_code();

} // namespace sprig::signals
