// worker_group.cpp - several workers for one program (SPRIG_WORKERS): starting and stopping
// them, placing new threads, and the process's table of workers that handles name.
#include "worker_group.hpp"

#include "config.hpp"
#include "fatal.hpp"
#include "identity.hpp"
#include "introspect.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <pthread.h>
#include <sched.h>

namespace sprig {

namespace {

// Every running worker, by index: a handle names its thread's worker by
// this index (the top byte of its slot).
std::atomic<Worker *> g_workers_by_index[kMaxWorkers];
std::atomic_flag g_index_lock = ATOMIC_FLAG_INIT;

} // namespace

Worker *Worker::by_index(int index) {
  return index >= 0 && index < kMaxWorkers
             ? g_workers_by_index[index].load(std::memory_order_acquire)
             : nullptr;
}

int Worker::take_index() {
  while (g_index_lock.test_and_set(std::memory_order_acquire)) {
  }
  int taken = -1;
  for (int index = 0; index < kMaxWorkers; ++index) {
    if (g_workers_by_index[index].load(std::memory_order_relaxed) == nullptr) {
      g_workers_by_index[index].store(this, std::memory_order_release);
      taken = index;
      break;
    }
  }
  g_index_lock.clear(std::memory_order_release);
  if (taken < 0) {
    return -EAGAIN;
  }
  index_ = taken;
  return 0;
}

void Worker::give_back_index() {
  if (index_ >= 0) {
    g_workers_by_index[index_].store(nullptr, std::memory_order_release);
    index_ = -1;
  }
}

GreenThread *Worker::find(uint64_t handle) {
  auto slot = static_cast<uint32_t>(handle & 0xffffffffU);
  Worker *worker = by_index(static_cast<int>(slot >> kSlotBits));
  return worker == nullptr ? nullptr : worker->find_here(handle);
}

bool Worker::keep_running() const {
  if (group_ == nullptr) {
    return alive_.load(std::memory_order_relaxed) > 0;
  }
  return !group_->stopping.load(std::memory_order_acquire);
}

void Worker::thread_ended() {
  placed_.fetch_sub(1, std::memory_order_relaxed);
  if (group_ != nullptr && group_->alive.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    group_->waking.fetch_add(1, std::memory_order_acq_rel);
    group_->stopping.store(true, std::memory_order_release);
    for (int index = 0; index < group_->size(); ++index) {
      group_->workers[index].load(std::memory_order_acquire)->reactor().wake_from_signal_handler();
    }
    group_->waking.fetch_sub(1, std::memory_order_acq_rel);
  }
}

// Asks every other worker of the group to do `kind` for fd.
void Worker::post_fd_to_others(Reactor::RemoteKind kind, int fd) {
  if (group_ == nullptr) {
    return;
  }
  for (int index = 0; index < group_->size(); ++index) {
    Worker *worker = group_->workers[index].load(std::memory_order_acquire);
    if (worker != this) {
      worker->reactor_.post(kind, nullptr, static_cast<uint64_t>(fd), 0);
    }
  }
}

void Worker::nudge_fd_everywhere(int fd) {
  reactor_.nudge_fd(fd);
  post_fd_to_others(Reactor::RemoteKind::kNudgeFd, fd);
}

void Worker::forget_fd_everywhere(int fd) {
  reactor_.forget_fd(fd);
  post_fd_to_others(Reactor::RemoteKind::kForgetFd, fd);
}

// This worker, unless it has more than one thread more than the worker with
// the fewest (counting threads placed and not ended); then that worker. A
// thread-per-connection server's connections spread over the workers within
// one of each other, and a program that spawns one thread and joins it (or
// whose threads come and go) keeps them beside it, where a spawn and a join
// cost no hand-over (about 0.3 us against 2 us across workers).
Worker *Worker::place_new_thread() {
  if (group_ == nullptr) {
    return this;
  }
  Worker *least = this;
  int64_t own_load = placed_.load(std::memory_order_relaxed);
  int64_t least_load = own_load;
  for (int index = 0; index < group_->size(); ++index) {
    Worker *worker = group_->workers[index].load(std::memory_order_acquire);
    int64_t load = worker->placed_.load(std::memory_order_relaxed);
    if (load < least_load) {
      least = worker;
      least_load = load;
    }
  }
  return own_load > least_load + 1 ? least : this;
}

// Another worker often hands work over within microseconds (a spawn, a
// wake-up): waiting for it here is cheaper than a sleep and an eventfd on
// both sides. But an idle worker whose work comes from the network (an echo
// server's connections) would only burn a CPU the client or another worker
// wants, so after kSpinMissesBeforeRest spins in a row that found nothing it
// stops spinning until mail comes again.
void Worker::wait_for_mail_briefly() {
  if (group_ == nullptr || !group_->spin_when_idle || spins_missed_ >= kSpinMissesBeforeRest) {
    return;
  }
  if (reactor_.spin_for_mail(kSpinForMailNs)) {
    spins_missed_ = 0;
  } else {
    ++spins_missed_;
  }
}

// The body of a worker's OS thread, workers 1 and up.
void *Worker::serve(void *group_pointer) {
  auto *group = static_cast<WorkerGroup *>(group_pointer);
  int place = group->starting_index;
  const Config &config = *group->config;
  if (const char *why = nullptr; identity::start_worker(config.tls_mode, &why) != 0) {
    group->started.store(-1, std::memory_order_release);
    return nullptr;
  }
  Worker *worker = nullptr;
  if (create(config, &worker) != 0) {
    identity::stop_worker();
    group->started.store(-1, std::memory_order_release);
    return nullptr;
  }
  worker->group_ = group;
  t_worker = worker;
  Worker *first = group->workers[0].load(std::memory_order_acquire);
  signals::start_another(*worker, *first);
  void *alternate_stack = observe::worker_signals_start();
  if (identity::g_per_thread) {
    // The OS thread's own identity keeps the robust list the kernel knows;
    // the scheduler context gets one of its own, in this worker's range.
    worker->kernel_thread_pointer_ = identity::current();
    void *block = worker->new_identity_block();
    worker->scheduler_identity_block_ = block;
    worker->scheduler_thread_pointer_ =
        block == nullptr ? nullptr : identity::create_scheduler(block, worker);
    if (worker->scheduler_thread_pointer_ == nullptr) {
      fatal("worker %d: no identity for its scheduler", place);
    }
    worker->index_identities();
    identity::install(worker->scheduler_thread_pointer_);
    identity::on_first_entry(); // its ctype tables: printf("%f") and toupper read them
  }
  group->workers[place].store(worker, std::memory_order_release);
  group->started.store(1, std::memory_order_release);
  worker->scheduler_loop();
  while (!group->may_dispose.load(std::memory_order_acquire)) {
    sched_yield(); // another worker may still be waking this one (see WorkerGroup::waking)
  }
  if (identity::g_per_thread) {
    identity::install(worker->kernel_thread_pointer_);
  }
  signals::stop(*worker);
  observe::worker_signals_stop(alternate_stack);
  t_worker = nullptr;
  worker->dispose();
  identity::stop_worker();
  return nullptr;
}

int Worker::start_group(int workers) {
  void *memory = aligned_alloc(alignof(WorkerGroup), (sizeof(WorkerGroup) + 63) & ~size_t{63});
  if (memory == nullptr) {
    return -ENOMEM;
  }
  auto *group = new (memory) WorkerGroup();
  group->count.store(1, std::memory_order_release);
  group->workers[0].store(this, std::memory_order_release);
  group->alive.store(static_cast<int64_t>(alive_.load(std::memory_order_relaxed)),
                     std::memory_order_relaxed);
  group->config = &config_;
  group->spin_when_idle = workers <= usable_cpus();
  group_ = group;
  g_multi_worker = true;
  g_move_on_wake = config_.move_on_wake && identity::g_per_thread &&
                   config_.switch_kind == SwitchKind::kAssembly;
  for (int index = 1; index < workers; ++index) {
    group->starting_index = index;
    group->started.store(0, std::memory_order_relaxed);
    // The OS thread is created from the scheduler context, where the shim
    // passes pthread_create to libc. Signals are blocked in it from the
    // start; its worker then takes the mask the first worker began with.
    sigset_t all;
    sigset_t before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    pthread_t os_thread;
    int rc = pthread_create(&os_thread, nullptr, serve, group);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    if (rc != 0) {
      fprintf(stderr, "sprig: cannot start worker %d: %s\n", index, strerror(rc));
      break;
    }
    while (group->started.load(std::memory_order_acquire) == 0) {
      sched_yield();
    }
    if (group->started.load(std::memory_order_acquire) < 0) {
      pthread_join(os_thread, nullptr);
      fprintf(stderr, "sprig: cannot start worker %d\n", index);
      break;
    }
    group->os_threads[index] = os_thread;
    group->count.store(index + 1, std::memory_order_release);
  }
  signals::after_os_thread_created();
  return 0;
}

// A program that never makes a second thread keeps one OS thread, as it
// has natively (/proc/self/task shows one task; no worker sits idle): the
// other workers start as the second green thread is made. From the
// scheduler context, on the OS thread's own identity, as run() would; the
// spawning green thread waits there.
void Worker::start_group_at_first_spawn() {
  group_pending_ = false;
  run_in_scheduler(
      [](void *worker_pointer) {
        auto *worker = static_cast<Worker *>(worker_pointer);
        void *scheduler = nullptr;
        if (identity::g_per_thread) {
          scheduler = identity::current();
          identity::install(worker->kernel_thread_pointer());
        }
        worker->start_group(worker->config_.workers);
        if (scheduler != nullptr) {
          identity::install(scheduler);
        }
      },
      this);
}

void Worker::stop_group() {
  WorkerGroup *group = group_;
  if (group == nullptr) {
    return;
  }
  group->stopping.store(true, std::memory_order_release);
  for (int index = 1; index < group->size(); ++index) {
    group->workers[index].load(std::memory_order_acquire)->reactor().wake_from_signal_handler();
  }
  while (group->waking.load(std::memory_order_acquire) != 0) {
    sched_yield();
  }
  group->may_dispose.store(true, std::memory_order_release);
  for (int index = 1; index < group->size(); ++index) {
    pthread_join(group->os_threads[index], nullptr);
  }
  group_ = nullptr;
  g_multi_worker = false;
  g_move_on_wake = false;
  group->~WorkerGroup();
  free(group);
}

} // namespace sprig
