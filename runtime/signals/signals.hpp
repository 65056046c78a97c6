// signals.hpp - signals for green threads: a mask per thread, delivery to the right thread, and
// waits that a handler interrupts.
//
// Concepts
//   The kernel delivers signals to OS threads; a green thread is not one. So
//   sprig keeps, per green thread, what the kernel keeps per thread: a signal
//   mask, the signals pending for it, and whether a handler ran during its
//   last wait. The program's dispositions (sigaction) are kept in a table;
//   for each signal the program handles, the kernel has sprig's handler
//   (the *trampoline*), which decides who gets the signal:
//     - the running green thread, at once, in the kernel's own signal frame,
//       when it runs program code and may take it (the kernel's choice of the
//       current thread). The handler then runs exactly as natively: on the
//       thread's stack, with the kernel's siginfo and ucontext;
//     - otherwise the signal goes into the worker's inbox (a ring the
//       trampoline writes, async-signal-safe), and the scheduler, or the
//       running thread on its way out of sprig, routes it: a
//       thread-directed signal to its thread, a process-directed one to the
//       main thread if it does not block it (the kernel tries the group
//       leader first; CPython relies on that), else to another thread that
//       does not block it, else it stays pending for the process.
//   A signal queued for a parked thread that does not block it wakes the
//   thread with -EINTR; the handler runs on that thread when it resumes,
//   before the call returns. Then the call fails with EINTR or restarts
//   (SA_RESTART, signal(7)'s rules), as the interrupted system call would
//   (sleeps, fd waits, poll, semaphores, futex, signal waits), or waits on
//   (locks, barriers, once, join; a condition wait returns as a spurious
//   wake-up). Offload and DNS waits, finished by another OS thread, are
//   not woken: their handlers run when they end. pthread_kill between green threads never
//   reaches the kernel: it queues.
//
// Invariants
//   - While a green thread runs, the worker OS thread's kernel mask is that
//     thread's mask. Switching compares masks only when some thread's mask
//     differs from the worker's base mask (own_mask_threads != 0): a program
//     that never changes masks pays one predicted branch per switch and no
//     system call.
//   - While the scheduler waits in the reactor, the kernel mask is the set of
//     signals every green thread blocks, so a process-directed signal that
//     some thread would take reaches the trampoline, and one that every
//     thread blocks stays pending in the kernel (sigpending, sigwait and
//     signalfd see it there, and a default action that kills acts only when
//     some thread takes the signal, as natively).
//   - A program handler never runs while sprig's own state is mid-change:
//     not in the scheduler context, not while the running thread is inside
//     an interposed call (in_runtime) or in sprig's or libuv's code. sprig's
//     signal code itself (the trampoline, deliver) sets in_runtime before it
//     calls into libc (errno, getcontext), where the interrupted address
//     alone would pass for the program's.
//   - A signal that interrupts libc's sigreturn stub (__restore_rt) of
//     another handler sees that handler's mask in the kernel: the thread's
//     mask is then sprig's record, not the interrupted frame's.
//   - A signal the kernel raises for a fault (SIGSEGV, SIGBUS, SIGFPE,
//     SIGILL, SIGTRAP, SIGSYS with si_code > 0) runs its handler at once, on
//     the thread that faulted (in sprig's code too: a fault is a fault). The
//     trampoline is installed on the worker's alternate stack for these, so
//     a stack overflow can be reported; the handler then moves to the
//     thread's own alternate stack if it asked for SA_ONSTACK.
//
// Rejected alternatives
//   - Keeping masks only in sprig (the kernel mask of the worker empty):
//     glibc's sigsetjmp, siglongjmp, raise and abort read and set the kernel
//     mask with their own system calls, which sprig cannot see.
//   - A rt_sigprocmask per switch (swapcontext's way): a system call on the
//     fastest path, for programs that mostly never change masks.
//   - Running a handler from the trampoline whatever was interrupted: a
//     handler may call sem_post, which re-enters the scheduler's structures.
#pragma once

#include "green_thread.hpp"
#include "vector.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>

namespace sprig {
class Worker;
}

namespace sprig::signals {

// Bit (n - 1) for signal n: the kernel's sigset on x86_64 is one word.
using SignalSet = uint64_t;
constexpr SignalSet bit(int signal_number) { return SignalSet{1} << (signal_number - 1); }
constexpr int kMaxSignal = 64;
// glibc's own signals (SIGCANCEL, SIGSETXID), which no mask of the program holds.
constexpr int kSignalCancel = 32;
constexpr int kSignalSetxid = 33;
constexpr SignalSet kNeverBlocked =
    bit(SIGKILL) | bit(SIGSTOP) | bit(kSignalCancel) | bit(kSignalSetxid);
// Raised by the kernel for a fault of the running code; left to the kernel.
constexpr SignalSet kFaultSignals =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGFPE) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGSYS);

SignalSet set_of(const sigset_t *set);
void to_sigset(SignalSet signals, sigset_t *set);
// A system call past every interposer (syscall(3) is one) that leaves errno
// alone: the result or -errno. Safe in the trampoline.
long raw_syscall(long number, long first, long second, long third, long fourth);

// One signal waiting for a thread (target) or for the process (nullptr).
struct Queued {
  GreenThread *target;
  siginfo_t info;
};

// What the trampoline hands over: written in signal context.
struct InboxSlot {
  std::atomic<bool> ready{false};
  bool to_running = false; // thread-directed at whatever ran (SIGPIPE, raise)
  siginfo_t info;
};

// A worker's signal state. The first fields are read on every switch and
// every interposed call's return.
struct WorkerSignals {
  SignalSet kernel_mask = 0;      // the OS thread's mask as sprig last set it
  uint32_t own_mask_threads = 0;  // live threads whose mask is not base_mask
  std::atomic<uint32_t> inbox{0}; // slots the trampoline filled, not yet routed
  uint32_t deliverable = 0;       // threads with a queued signal they do not block
  bool in_runtime = false;        // the running thread is inside an interposed call
  SignalSet base_mask = 0;        // the mask every thread has until one changes its own
  SignalSet process_pending = 0;  // queued for the process: every thread blocks them
  GreenThread *main_thread = nullptr;
  stack_t initial_alt_stack{}; // the OS thread's before main: main's
  Vector<Queued> queued;
  static constexpr uint32_t kInboxSlots = 64;
  std::atomic<uint64_t> inbox_reserved{0};
  uint64_t inbox_taken = 0;
  InboxSlot slots[kInboxSlots];
  uint64_t dropped = 0; // inbox overflows (standard signals merge natively too)

  bool work() const { return (inbox.load(std::memory_order_relaxed) | deliverable) != 0; }
};

// ---- process-wide -------------------------------------------------------------

// The program's view of a signal's disposition, as sigaction sets and reports it.
struct ProgramAction {
  struct sigaction action;
};

// Set by the preload before its worker starts: sprig takes the program's
// signals over (without it, as for a program linked with the C API, the
// kernel keeps the program's handlers and nothing here is used).
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers): constant-initialized to false
extern bool g_take_over;
// True once sprig keeps the program's dispositions.
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers): constant-initialized to false
extern std::atomic<bool> g_active;

// libc's sigaction, past the interposer: for sprig's own handlers.
int kernel_sigaction(int signal_number, const struct sigaction *action, struct sigaction *previous);
// A signal sprig keeps for itself (SPRIG_DUMP_SIGNAL): a handler the program
// sets is recorded and reported, never installed.
void reserve(int signal_number);
// sprig's own kernel action for a fault signal (the stack-overflow report):
// sigaction reports it as the default action the program had, and it comes
// back when the program sets SIG_DFL.
void note_own_action(int signal_number, const struct sigaction &action);

// Called by the worker as it starts: takes over the handlers the program set
// before (constructors), learns the base mask, blocks every signal in the
// libuv pool's threads-to-be.
void start(Worker &worker);
// The same for a worker of a group other than the first (SPRIG_WORKERS), on
// its own OS thread: it takes the first worker's base mask (its OS thread
// was started with every signal blocked) and leaves the handlers and the
// forwarding of other threads' signals to the first.
void start_another(Worker &worker, const Worker &first);
// Called after sprig made an OS thread with pthread_create (a worker, a
// helper): glibc has installed its SIGSETXID handler by then, and sprig
// wraps it so that it runs on the OS thread's own descriptor (setuid()
// waits for every OS thread glibc knows to run it).
void after_os_thread_created();

// sigaction as the program sees it: 0 or -errno.
int set_action(int signal_number, const struct sigaction *action, struct sigaction *previous);

// Around a call that may start libuv's thread pool: its threads inherit a
// mask that blocks every signal, so the kernel never picks one of them for
// a process-directed signal (the first call only; the pool lives on).
class PoolStartGuard {
public:
  PoolStartGuard();
  ~PoolStartGuard();
  PoolStartGuard(const PoolStartGuard &) = delete;
  PoolStartGuard &operator=(const PoolStartGuard &) = delete;

private:
  bool blocked_ = false;
  SignalSet saved_ = 0;
};

// On a pool thread: runs function(argument) with the green caller's mask,
// which system() and posix_spawn pass on to the child they start; a signal
// that reaches this OS thread meanwhile is forwarded to the worker.
void run_with_mask(SignalSet mask, void (*function)(void *), void *argument);

// ---- per thread ----------------------------------------------------------------

// The running thread changes its mask to `mask` (never-blocked signals
// removed); pending signals it now takes are delivered before this returns.
void change_mask(Worker &worker, GreenThread *self, SignalSet mask);
// A new thread's mask: its creator's.
void on_spawn(Worker &worker, GreenThread *thread, const GreenThread *creator);
// A thread ends: what was queued for it is dropped.
void on_exit(Worker &worker, GreenThread *thread);
// In the child of fork: nothing is pending (fork(2)); `self` is the only thread.
void after_fork_in_child(Worker &worker, GreenThread *self);
// The worker stops: signals reaching other OS threads are no longer forwarded.
void stop(Worker &worker);

// Queues a signal for `target` (nullptr: the process, routed to one thread)
// and interrupts its wait. Normal context only.
void post(Worker &worker, GreenThread *target, const siginfo_t &info);
// Any OS thread: post() for `target` on the worker it runs on, which alone
// changes its signal state, through that worker's inbox. On arrival a
// target that has ended gets nothing; with `or_process`, a signal it no
// longer takes goes to the process there (post() with no target) instead.
// -EAGAIN when there is no memory for it.
int post_on_its_worker(GreenThread *target, const siginfo_t &info, bool or_process);

// The running thread takes what is queued for it that it does not block,
// running handlers; called after a wait and on the way out of sprig.
void deliver(Worker &worker, GreenThread *self);
// Routes what the trampoline left (scheduler context or a green thread).
void drain_inbox(Worker &worker);
// True when `thread`, parked on another worker, may move to `to` as it is
// woken (Worker::try_move_here) without changing what either worker counts
// of its signals: nothing queued for it, and the mask every thread has.
bool may_move(const Worker &to, const GreenThread *thread);

// sigaltstack for the running thread: its own alternate stack, kept here
// (the kernel's is the worker's, which sprig's stack-overflow report uses).
// Fills *current (the state before the change); 0 or -EPERM, -EINVAL, -ENOMEM.
int alternate_stack(GreenThread *self, const stack_t *wanted, stack_t *current);

// After a wait returned -EINTR: whether a handler ran during it, and
// whether the call restarts (no handler ran, or every one had SA_RESTART).
bool handler_ran(const GreenThread *self);
bool call_restarts(const GreenThread *self);

// For the deadlock check: true when a signal could still wake a parked
// thread (one waits for a signal, or waits interruptibly with a handler set
// for a signal it takes).
bool may_wake_a_thread(const Worker &worker);

// The kernel mask for the scheduler's blocking poll: what every thread blocks.
void before_blocking_poll(Worker &worker);
// Sets the kernel mask (raw system call, no interposer).
void set_kernel_mask(Worker &worker, SignalSet mask);

// Whether a wait of this kind may end with EINTR for a handled signal.
bool interruptible(WaitReason reason);
// Whether a handled signal wakes a thread in a wait of this kind to run the
// handler: the interruptible waits, and the lock, condition, barrier and
// once waits, which then wait again (or, for a condition, return as a
// spurious wake-up), as natively no EINTR comes from them.
bool handler_wakes(WaitReason reason);

// Takes a signal in `wanted` queued for self or the process: its number
// (info filled), or 0.
int take_queued(Worker &worker, GreenThread *self, SignalSet wanted, siginfo_t *info);
// The signals queued for self or for the process.
SignalSet pending_for(const Worker &worker, const GreenThread *self);

// Acts on the default action of a signal for the process (terminate, dump
// core, stop); returns if the default is to ignore it, or after a stop.
void act_on_default(int signal_number);
// The disposition the program set (its handler, SIG_DFL or SIG_IGN).
struct sigaction action_of(int signal_number);

} // namespace sprig::signals
