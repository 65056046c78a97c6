// worker_spawn.cpp - spawning green threads: thread records and handles, ids, stacks and
// identities (the scheduler loop, parking and exiting are worker.cpp).
#include "worker.hpp"

#include "keys.hpp"
#include "worker_group.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/mman.h>

namespace sprig {

namespace {

std::atomic<uint64_t> g_next_thread_id{1};

} // namespace

// Identity blocks are carved in order from one range reserved per worker
// (MAP_NORESERVE: only touched pages cost memory). One malloc each, between
// two thread records, put every record on a page of its own (a block is 4
// KiB and more), and at 10,000 threads a yield then missed the TLB on each
// record: 65 ns instead of 41 in the shared mode. One range also lets
// Worker::current() tell this worker's identities by their address.
void *Worker::new_identity_block() {
  if (identity_range_ == nullptr) {
    void *range = mmap(nullptr, kIdentityRangeBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (range == MAP_FAILED) {
      return nullptr;
    }
    identity_range_ = static_cast<char *>(range);
    identity_range_used_ = 0;
  }
  if (identity_range_used_ + identity::block_size() > kIdentityRangeBytes) {
    return nullptr;
  }
  void *block = identity_range_ + identity_range_used_;
  identity_range_used_ += identity::block_size();
  identity::prepare_block(block);
  return block;
}

// Lists this worker's identities for Worker::current(); without a free entry
// every worker finds itself through t_worker instead, which every identity
// also holds.
void Worker::index_identities() {
  static std::atomic_flag g_indexing = ATOMIC_FLAG_INIT;
  while (g_indexing.test_and_set(std::memory_order_acquire)) {
  }
  for (int index = 0; index < kMaxIndexedWorkers; ++index) {
    WorkerIdentities &entry = g_worker_identities[index];
    if (entry.worker.load(std::memory_order_relaxed) != nullptr) {
      continue;
    }
    entry.low.store(reinterpret_cast<uintptr_t>(identity_range_), std::memory_order_relaxed);
    entry.size.store(kIdentityRangeBytes, std::memory_order_relaxed);
    entry.adopted.store(reinterpret_cast<uintptr_t>(adopted_thread_pointer_),
                        std::memory_order_relaxed);
    entry.worker.store(this, std::memory_order_release);
    if (index >= g_worker_identities_end.load(std::memory_order_relaxed)) {
      g_worker_identities_end.store(index + 1, std::memory_order_release);
    }
    identity_index_ = index;
    break;
  }
  g_find_worker_by_thread_pointer.store(identity_index_ >= 0 && identity::g_has_wrfsbase,
                                        std::memory_order_relaxed);
  g_indexing.clear(std::memory_order_release);
}

GreenThread *Worker::new_record() {
  GreenThread *thread = free_records_.pop_front();
  if (thread != nullptr) {
    return thread;
  }
  void *memory = aligned_alloc(64, (sizeof(GreenThread) + 63) & ~size_t{63});
  if (memory == nullptr) {
    return nullptr;
  }
  thread = new (memory) GreenThread();
  if (slots_.size() >= (size_t{1} << kSlotBits)) {
    free(memory);
    return nullptr;
  }
  thread->slot =
      static_cast<uint32_t>(slots_.size()) | (static_cast<uint32_t>(index_) << kSlotBits);
  thread->worker = this;
  thread->generation = 1;
  slots_.push_back(thread);
  return thread;
}

void Worker::free_record(GreenThread *thread) {
  lock_records();
  transition<ThreadState::kExited, ThreadState::kFree>(*thread);
  thread->in_use = false;
  if (identity::g_per_thread && thread->thread_pointer != nullptr) {
    identity::forget(thread->thread_pointer); // its pthread_t names nothing from here on
    thread->thread_pointer = nullptr;
  }
  if (thread->keys != nullptr) {
    keys_release(thread);
  }
  if (++thread->generation == 0) {
    thread->generation = 1;
  }
  free_records_.push_back(thread);
  unlock_records();
}

GreenThread *Worker::find_here(uint64_t handle) {
  auto slot = static_cast<uint32_t>(handle & ((uint64_t{1} << kSlotBits) - 1));
  auto generation = static_cast<uint32_t>(handle >> 32);
  lock_records();
  GreenThread *thread = slot < slots_.size() ? slots_[slot] : nullptr;
  // in_use, not the state, which the thread's own worker changes unlocked.
  if (thread != nullptr && (thread->generation != generation || !thread->in_use)) {
    thread = nullptr;
  }
  unlock_records();
  return thread;
}

// Where a new thread's first frame starts below the top of its stack: 0 to
// 15 cache lines, (id / 4) % 16. Stacks are a power of two plus a guard page
// apart, so without it every thread's top frames (the saved registers a
// switch reads) would fall in the same few cache sets; a regular step keeps
// the stride the hardware prefetchers follow (docs/design.md, "Stacks"). At
// most 960 bytes, so that a thread's first frames and a few KiB of locals
// stay in its top page.
size_t Worker::stack_color(uint64_t id, size_t stack_size) {
  constexpr size_t kLine = 64;
  constexpr size_t kColors = 16;
  if (stack_size < 16 * kColors * kLine) {
    return 0;
  }
  return (id / 4) % kColors * kLine;
}

int Worker::spawn(const SpawnOptions &options, void *(*start)(void *), void *argument,
                  GreenThread **spawned) {
  if (group_pending_) [[unlikely]] {
    start_group_at_first_spawn();
  }
  Worker *target = place_new_thread();
  return target->spawn_thread(options, start, argument, spawned, false, running_);
}

// TlsMode::kPerThread: the main green thread takes the calling OS thread's
// own identity (pthread_self() and the thread_locals that constructors set
// stay those of main); every other thread gets one made in the block its
// record keeps, and the scheduler context one of its own.
int Worker::make_identity(GreenThread *thread, bool adopt_caller, void *carrier) {
  identity::StackBounds bounds{thread->stack.low, thread->stack.size,
                               thread->stack.given ? 0 : StackPool::page_size()};
  if (adopt_caller) {
    if (scheduler_identity_block_ == nullptr) {
      scheduler_identity_block_ = new_identity_block();
      if (scheduler_identity_block_ == nullptr) {
        return -ENOMEM;
      }
      scheduler_thread_pointer_ = identity::create_scheduler(scheduler_identity_block_, this);
      if (scheduler_thread_pointer_ == nullptr) {
        scheduler_identity_block_ = nullptr;
        return -ENOMEM;
      }
    }
    adopted_thread_pointer_ = identity::adopt_current(thread, this, bounds, &adopted_fields_);
    thread->thread_pointer = adopted_thread_pointer_;
    index_identities();
    return 0;
  }
  if (thread->identity_block == nullptr) {
    thread->identity_block = new_identity_block();
    if (thread->identity_block == nullptr) {
      return -ENOMEM;
    }
  }
  thread->thread_pointer =
      identity::create(thread->identity_block, thread, this, bounds, thread->detached, carrier);
  return thread->thread_pointer == nullptr ? -ENOMEM : 0;
}

void Worker::end_identities() {
  if (identity_index_ >= 0) {
    g_worker_identities[identity_index_].worker.store(nullptr, std::memory_order_release);
    identity_index_ = -1;
  }
  if (adopted_thread_pointer_ != nullptr) {
    identity::give_back_adopted(adopted_thread_pointer_, adopted_fields_);
    adopted_thread_pointer_ = nullptr;
  }
  if (scheduler_identity_block_ != nullptr) {
    identity::release(scheduler_thread_pointer_);
    identity::discard_block(scheduler_identity_block_);
    scheduler_identity_block_ = nullptr;
    scheduler_thread_pointer_ = nullptr;
  }
}

// Runs on the creator's worker, which may be another one (spawn places the
// thread): everything of this worker it touches is under the records lock,
// and a thread made for another worker reaches its run queue through that
// worker's inbox (arrive).
int Worker::spawn_thread(const SpawnOptions &options, void *(*start)(void *), void *argument,
                         GreenThread **spawned, bool adopt_caller_identity,
                         const GreenThread *creator) {
  // A null start is the caller's to refuse (sprig_spawn does): pthread_create
  // takes it, and the new thread faults calling it, as natively.
  if (options.stack_size != 0 && options.stack_size < kMinStackSize) {
    return -EINVAL;
  }
  const bool here = current() == this || creator == nullptr;
  lock_records();
  GreenThread *thread = new_record();
  if (thread == nullptr) {
    unlock_records();
    return -EAGAIN;
  }
  int rc = 0;
  if (options.given_stack != nullptr) {
    thread->stack = Stack{};
    thread->stack.low = options.given_stack;
    thread->stack.size = options.given_stack_size;
    thread->stack.given = true;
  } else {
    rc = stacks_.acquire(options.stack_size, &thread->stack);
  }
  if (rc != 0) {
    free_records_.push_back(thread);
    unlock_records();
    return -EAGAIN;
  }
  if (next_thread_id_ == thread_id_limit_) { // a block of ids: no atomic per spawn
    next_thread_id_ = g_next_thread_id.fetch_add(kThreadIdBlock, std::memory_order_relaxed);
    thread_id_limit_ = next_thread_id_ + kThreadIdBlock;
  }
  thread->id = next_thread_id_++;
  context_make(thread->context, thread->stack.low, thread->stack.size,
               stack_color(thread->id, thread->stack.size), reinterpret_cast<uintptr_t>(thread));
  thread->start = start;
  thread->argument = argument;
  thread->result = nullptr;
  thread->detached = options.detached;
  thread->finished = false;
  thread->is_main = false;
  thread->joiner = nullptr;
  thread->wait_reason = WaitReason::kNone;
  thread->wait_object = nullptr;
  thread->queue_guard = nullptr;
  thread->saved_errno = 0;
  thread->read_locks_held = 0;
  thread->may_move = false;
  thread->locks_owned_by_tid = 0;
  thread->cleanup_buffers = nullptr;
  thread->cancel_disabled = false;
  thread->cancel_asynchronous = false;
  thread->cancel_pending = false;
  thread->in_cancellation_point = false;
  thread->exiting = false;
  thread->name[0] = '\0';
  if (identity::g_per_thread) {
    // The fields glibc copies from the creating thread (the kernel thread
    // ID among them) come from the thread that will run it: the creator on
    // this worker, this worker's scheduler for a thread made from another.
    if (make_identity(thread, adopt_caller_identity,
                      here ? identity::current() : scheduler_thread_pointer_) != 0) {
      stacks_.release(thread->stack);
      thread->stack = Stack{};
      free_records_.push_back(thread);
      unlock_records();
      return -EAGAIN;
    }
  }
  if (options.name != nullptr) [[unlikely]] {
    strncpy(thread->name, options.name, sizeof thread->name - 1);
    thread->name[sizeof thread->name - 1] = '\0';
  }
  transition(*thread, ThreadState::kRunnable);
  thread->in_use = true;
  ++stats_.threads_created;
  if (options.publish != nullptr) {
    *options.publish = options.publish_thread_pointer
                           ? reinterpret_cast<uintptr_t>(thread->thread_pointer)
                           : handle_of(thread);
  }
  unlock_records();
  placed_.fetch_add(1, std::memory_order_relaxed);
  if (group_ != nullptr) {
    group_->alive.fetch_add(1, std::memory_order_relaxed);
  }
  *spawned = thread;
  if (!here) {
    // The mask is the creator's now; the worker counts it as it arrives.
    thread->signal_mask = creator->signal_mask;
    post_arrival(thread);
    return 0;
  }
  signals::on_spawn(*this, thread, creator);
  run_queue_.push_back(thread);
  count_alive();
  return 0;
}

// One more live thread here. The timer heap keeps room for every live thread
// (each is in it once at most), so that a thread parking with a deadline
// never grows it: that would call the program's malloc while the thread
// holds the guard of the object it parks on.
void Worker::count_alive() {
  size_t alive = alive_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (alive > stats_.peak_alive) {
    stats_.peak_alive = alive;
    // The allocation outside the timers' guard (the program's malloc may wait).
    TimerHeap::Room room;
    timers_.prepare_room(alive, &room);
    lock_timers();
    timers_.take_room(room);
    unlock_timers();
  }
}

} // namespace sprig
