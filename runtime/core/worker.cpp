// worker.cpp - the scheduler loop, parking, waking, joining and exiting green threads (spawning,
// thread records and identities are worker_spawn.cpp).
#include "worker.hpp"

#include "config.hpp"
#include "fatal.hpp"
#include "introspect.hpp"
#include "keys.hpp"
#include "wait_queue.hpp"
#include "worker_group.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <new>
#include <sys/mman.h>

namespace sprig {

namespace {

struct SchedulerTrip {
  void (*call)(void *);
  void *argument;
  GreenThread *thread;
  Worker *worker;
};

void run_then_wake(void *trip_pointer) {
  auto *trip = static_cast<SchedulerTrip *>(trip_pointer);
  trip->call(trip->argument);
  trip->worker->wake(trip->thread, 0);
}

int64_t coarse_now_ns() { return clock_now_ns(CLOCK_MONOTONIC_COARSE); }

} // namespace

thread_local constinit Worker *t_worker = nullptr;

// Makes a worker for the calling OS thread (its scheduler context, reactor
// and index), or returns a negative errno.
int Worker::create(const Config &config, Worker **created) {
  void *memory = aligned_alloc(64, (sizeof(Worker) + 63) & ~size_t{63});
  if (memory == nullptr) {
    return -ENOMEM;
  }
  auto *worker = new (memory) Worker();
  worker->config_ = config;
  worker->stacks_.configure(config.stack_size, config.stack_pool_limit);
  context_select_switch(config.switch_kind);
  context_init_os_thread(worker->scheduler_context_, &worker->scheduler_uc_);
  worker->errno_ = &errno; // per OS thread, and a worker never changes OS thread
  // Looked up, not linked: a C program has no C++ runtime, and the runtime
  // itself does not use one. Once, by the first worker: the others start
  // with the program's second thread, maybe inside a dlopen() whose
  // constructor made it, and dlsym would wait for the loader's lock.
  static void **(*const get_exception_globals)() =
      reinterpret_cast<void **(*)()>(dlsym(RTLD_DEFAULT, "__cxa_get_globals"));
  if (get_exception_globals != nullptr) {
    worker->exception_state_ = get_exception_globals();
  }
  int rc = worker->take_index();
  if (rc == 0) {
    rc = worker->reactor_.init(worker);
    if (rc != 0) {
      worker->give_back_index();
    }
  }
  if (rc != 0) {
    worker->~Worker();
    free(memory);
    return rc;
  }
  *created = worker;
  return 0;
}

void Worker::dispose() {
  destroy();
  give_back_index();
  this->~Worker();
  free(this);
}

int Worker::run(void *(*main_fn)(void *), void *argument, void **result,
                const SpawnOptions &main_options) {
  if (main_fn == nullptr) {
    return -EINVAL;
  }
  if (t_worker != nullptr) {
    return -EBUSY;
  }
  Config config;
  int rc = config_load(&config);
  if (rc != 0) {
    return rc;
  }
  if (const char *why = nullptr; identity::start_worker(config.tls_mode, &why) != 0) {
    fprintf(stderr,
            "sprig: cannot give green threads their own thread identity: %s (SPRIG_TLS=shared runs "
            "without)\n",
            why);
    return -EINVAL; // reported
  }
  if (!identity::g_per_thread) {
    // No worker of this process has identities.
    g_find_worker_by_thread_pointer.store(false, std::memory_order_relaxed);
  }
  Worker *worker = nullptr;
  rc = create(config, &worker);
  if (rc != 0) {
    identity::stop_worker();
    return rc;
  }
  t_worker = worker;
  signals::start(*worker);
  observe::worker_started(*worker, config);
  GreenThread *main_thread = nullptr;
  rc = worker->spawn_thread(main_options, main_fn, argument, &main_thread, true, nullptr);
  if (rc == 0) {
    main_thread->is_main = true;
    worker->signals_.main_thread = main_thread;
    // The other workers start with the second green thread (start_group_at_first_spawn).
    worker->group_pending_ = config.workers > 1;
    if (identity::g_per_thread) {
      identity::install(worker->scheduler_thread_pointer_);
      identity::on_first_entry();
    }
    worker->scheduler_loop();
    if (identity::g_per_thread) {
      identity::install(worker->adopted_thread_pointer_);
    }
    worker->stop_group();
    if (result != nullptr) {
      *result = worker->main_result_;
    }
  }
  observe::worker_stopping(*worker);
  signals::stop(*worker);
  t_worker = nullptr;
  worker->dispose();
  identity::stop_worker();
  return rc;
}

void Worker::destroy() {
  reactor_.shutdown();
  end_identities();
  for (GreenThread *thread : slots_) {
    keys_release(thread); // the first thread's, and those of threads never joined
    if (identity::g_per_thread && thread->identity_block != nullptr) {
      identity::discard_block(thread->identity_block);
    }
    thread->~GreenThread();
    free(thread);
  }
  slots_.clear();
  if (identity_range_ != nullptr) {
    munmap(identity_range_, kIdentityRangeBytes);
    identity_range_ = nullptr;
  }
}

void Worker::scheduler_loop() {
  while (keep_running()) {
    if (movers_ != nullptr) [[unlikely]] {
      adopt_movers();
    }
    if (signals_.inbox.load(std::memory_order_relaxed) != 0) [[unlikely]] {
      signals::drain_inbox(*this);
    }
    reactor_.prepare();
    if (Deadline earliest = earliest_deadline(); earliest != kNoDeadline) {
      int64_t now = monotonic_now_ns();
      if (earliest <= now) {
        expire_timers(now);
      }
    }
    uint64_t fd_wakeups = reactor_.stats().fd_wakeups;
    uint64_t remote_wakeups = reactor_.stats().remote_wakeups;
    if (run_queue_.empty()) {
      // The mask of the idle worker before it spins, too: a signal the
      // kernel gives it meanwhile is one some thread of it takes.
      signals::before_blocking_poll(*this);
      wait_for_mail_briefly();
    }
    reactor_.poll(run_queue_.empty());
    if (reactor_.stats().remote_wakeups != remote_wakeups) {
      spins_missed_ = 0; // mail came the slow way: spinning may catch the next
    }
    ++stats_.reactor_polls;
    run_queue_.prefetch_in_batches(reactor_.stats().fd_wakeups != fd_wakeups);
    GreenThread *next = run_queue_.pop_front();
    if (next == nullptr) {
      continue;
    }
    dispatch_budget_ = kDispatchBatch;
    transition<ThreadState::kRunnable, ThreadState::kRunning>(*next);
    set_running(next);
    follow_signal_mask(next);
    ++stats_.switches;
    if (observe::g_trace_switches) [[unlikely]] {
      observe::trace_switch(nullptr, next, false);
    }
    if (identity::g_per_thread) {
      identity::install(next->thread_pointer);
    }
    context_switch(scheduler_context_, next->context);
    after_switch();
  }
}

void Worker::switch_away(GreenThread *self, bool self_is_done) {
  GreenThread *next = nullptr;
  if (dispatch_budget_ > 0) {
    --dispatch_budget_;
    next = run_queue_.pop_front();
  }
  switch_to(self, next, self_is_done);
}

void Worker::after_switch() {
  if (exited_ != nullptr) {
    GreenThread *thread = exited_;
    exited_ = nullptr;
    release_exited(thread);
  }
}

void Worker::release_exited(GreenThread *thread) {
  Worker *home = this;
  if (g_move_on_wake) {
    home = home_of(thread);
    if (home != this) { // it ended away from home: its stack and record are home's
      identity::move_to(thread->thread_pointer, home, home->scheduler_thread_pointer_);
      thread->worker.store(home, std::memory_order_seq_cst);
      home->emigrants_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  if (identity::g_per_thread && !thread->is_main) {
    identity::release(thread->thread_pointer); // the adopted identity stays the OS thread's
  }
  home->lock_records();
  home->stacks_.release(thread->stack);
  home->unlock_records();
  thread->stack = Stack{};
  context_destroy(thread->context);
  // Only now may a join (on any worker) free the record: its stack is back.
  ObjectGuard guard(thread);
  thread->finished = true;
  thread->join_waiters.wake_all(0);
  bool detached = thread->detached;
  guard.release();
  if (detached) {
    home->free_record(thread); // into its own table's free list, wherever it ended
  }
}

void Worker::thread_main(GreenThread *thread) {
  context_on_entry();
  after_switch();
  if (identity::g_per_thread) {
    identity::on_first_entry(); // errno and the exception state start from the TLS image
  } else {
    errno = 0;
    if (exception_state_ != nullptr) { // a new thread has caught nothing yet
      exception_state_[0] = nullptr;
      exception_state_[1] = nullptr;
    }
  }
  if (signals_.work()) [[unlikely]] {
    signals::deliver(*this, thread); // sent before it first ran
  }
  // Through a volatile pointer: a null start (pthread_create takes one) must
  // fault here, as a native thread calling address 0 does, and the compiler
  // may not assume the call never happens.
  void *(*volatile start)(void *) = thread->start;
  void *result = start(thread->argument);
  current()->exit_running(result); // maybe not `this`: threads move (try_move_here)
}

void Worker::exit_running(void *result) {
  GreenThread *self = running_;
  // First, as glibc's start_thread does. Not when the first thread of
  // sprig_run returns: its identity is the calling OS thread's, which goes
  // on (under the preload, main never returns: it calls exit()).
  if (identity::g_per_thread && (!self->is_main || self->exiting)) {
    identity::run_thread_local_destructors();
  }
  if (self->keys != nullptr) {
    keys_run_destructors(self);
  }
  self->result = result;
  if (self->is_main) {
    main_result_ = result;
  }
  signals::on_exit(*this, self);
  transition<ThreadState::kRunning, ThreadState::kExited>(*self);
  alive_.fetch_sub(1, std::memory_order_relaxed);
  thread_ended();
  {
    // A joiner on this worker may run next: whoever runs next on this
    // worker releases this stack before anything else (after_switch), so
    // its join finds the thread finished. One on another worker is woken
    // as the stack is released (release_exited).
    ObjectGuard guard(self);
    self->join_waiters.for_each([this, self](GreenThread *waiter) {
      if (owns(waiter)) {
        self->join_waiters.wake(waiter, 0);
      }
    });
  }
  exited_ = self;
  switch_away(self, true);
  fatal("an exited green thread was resumed");
}

int Worker::park(WaitReason reason, const void *object, Deadline deadline) {
  int result = park_quietly(reason, object, deadline); // never moved: not linked on a queue
  if (signals_.work()) [[unlikely]] {
    // Handlers run before the call returns, as on the way out of an
    // interrupted system call; the call's code then reads handler_ran().
    signals::deliver(*this, running_);
  }
  return result;
}

int Worker::park_quietly(WaitReason reason, const void *object, Deadline deadline) {
  ++running_->park_serial;
  running_->may_move = false;
  return park_linked(reason, object, deadline, nullptr);
}

int Worker::park_linked(WaitReason reason, const void *object, Deadline deadline,
                        ObjectGuard *guard) {
  GreenThread *self = running_;
  if (deadline != kNoDeadline) {
    if (deadline <= monotonic_now_ns()) {
      if (guard != nullptr) {
        if (self->waiting_on != nullptr) {
          self->waiting_on->unlink(self);
        }
        self->queue_guard = nullptr;
        guard->release();
        return -ETIMEDOUT;
      }
      if (take_back(self)) {
        return -ETIMEDOUT;
      }
      // Claimed meanwhile: it parks with no timer, for its waker's wake-up.
    } else {
      self->deadline = deadline;
      if (guard == nullptr && self->may_move) {
        // Linked and let go already (a condition wait): a waker on another
        // worker that claims it takes its timer out of this heap under the
        // queue's guard (try_move_here), so it goes in under that guard too,
        // and only while still linked.
        ObjectGuard queue_guard(self->queue_guard);
        if (__atomic_load_n(&self->waiting_on, __ATOMIC_ACQUIRE) != nullptr) {
          insert_timer(self);
        } // else claimed meanwhile: it parks with no timer, for its waker's wake-up
      } else {
        insert_timer(self);
      }
    }
  }
  self->wait_reason = reason;
  self->wait_object = object;
  self->parked_since_ns = coarse_now_ns();
  self->wake_result = 0;
  ++stats_.parks;
  ++stats_.parks_by_reason[static_cast<int>(reason)];
  transition<ThreadState::kRunning, ThreadState::kParked>(*self);
  if (guard != nullptr) {
    guard->release(); // a waker on another worker may claim it from here
  }
  switch_away(self, false);
  self->wait_reason = WaitReason::kNone;
  self->wait_object = nullptr;
  return self->wake_result;
}

int Worker::join(GreenThread *target, void **result, Deadline deadline) {
  GreenThread *self = running_;
  if (target == self) {
    return -EDEADLK;
  }
  ObjectGuard guard(target);
  if (target->detached || (target->joiner != nullptr && target->joiner != self)) {
    return -EINVAL;
  }
  while (!target->finished) {
    target->joiner = self;
    target->join_waiters.link_running(self, target);
    // The worker it is on now: a wait that a signal handler ended may have
    // moved it (try_move_here), and park_linked parks that worker's running thread.
    int rc = current()->park_linked(WaitReason::kJoin, target, deadline, &guard);
    guard.relock();
    if (!target->finished) {
      target->joiner = nullptr;
    }
    // Maybe on another worker now (try_move_here): not `this`.
    if (Worker *here = current(); here->signals_.work()) [[unlikely]] {
      guard.release();
      signals::deliver(*here, self); // after the joiner link is undone
      guard.relock();
    }
    if (!target->finished) {
      if (rc == -EINTR) {
        if (target->joiner != nullptr || target->detached) {
          return -EINVAL; // taken meanwhile by a handler's join or detach
        }
        continue; // a handler ran; join is never interrupted (pthread_join(3))
      }
      return rc != 0 ? rc : -EINTR;
    }
  }
  guard.release();
  if (result != nullptr) {
    *result = target->result;
  }
  target->worker.load(std::memory_order_seq_cst)->free_record(target);
  return 0;
}

int Worker::detach(GreenThread *target) {
  ObjectGuard guard(target);
  if (target->detached || target->joiner != nullptr) {
    return -EINVAL;
  }
  target->detached = true;
  if (identity::g_per_thread) {
    identity::set_detached(target->thread_pointer, true);
  }
  if (target->finished) {
    guard.release();
    target->worker.load(std::memory_order_seq_cst)->free_record(target);
  }
  return 0;
}

void Worker::after_fork_in_child() {
  GreenThread *self = running_;
  for (GreenThread *thread : slots_) {
    if (thread != self && thread->state != ThreadState::kFree) {
      // Not a transition: these threads did not end, they were not copied.
      // A handle to one now finds nothing (ESRCH), a wake-up is a no-op.
      thread->state = ThreadState::kFree;
      thread->in_use = false;
      thread->in_timer_heap = false;
      thread->waiting_on = nullptr;
      thread->queue_guard = nullptr;
    }
  }
  // The child keeps this worker alone; a lock another worker's OS thread
  // held as the parent forked stays held for nobody.
  group_ = nullptr;
  group_pending_ = false; // the child keeps one worker
  g_move_on_wake = false; // and no other worker's records are looked at
  placed_.store(1, std::memory_order_relaxed);
  records_lock_.clear(std::memory_order_relaxed);
  ObjectGuard::reset_all();
  run_queue_.abandon_all();
  free_records_.abandon_all(); // records of the parent's threads are not reused
  timers_.abandon_all();
  exited_ = nullptr;
  alive_.store(1, std::memory_order_relaxed);
  movers_ = nullptr;
  if (identity::g_per_thread) {
    fork_child_thread_pointer_ = self->thread_pointer;
  }
  signals::after_fork_in_child(*this, self);
  reactor_.after_fork_in_child();
}

void Worker::run_in_scheduler(void (*call)(void *), void *argument) {
  SchedulerTrip trip{call, argument, running_, this};
  reactor_.defer(run_then_wake, &trip);
  park(WaitReason::kNone, nullptr, kNoDeadline);
}

int Worker::park_after_scheduler_call(void (*call)(void *), void *argument, WaitReason reason,
                                      const void *object, Deadline deadline) {
  reactor_.defer(call, argument);
  return park(reason, object, deadline);
}

} // namespace sprig

extern "C" __attribute__((visibility("hidden"))) void sprig_green_thread_main(uint32_t lo,
                                                                              uint32_t hi) {
  auto *thread = reinterpret_cast<sprig::GreenThread *>(static_cast<uintptr_t>(lo) |
                                                        (static_cast<uintptr_t>(hi) << 32));
  sprig::Worker::current()->thread_main(thread);
}
