// introspect_dump.cpp - the thread dump: one line per green thread saying what it waits for, and
// the backtrace of each.
#include "backtrace.hpp"
#include "introspect.hpp"
#include "reactor.hpp"
#include "sync.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "vector.hpp"
#include "worker.hpp"
#include "worker_group.hpp"

#include <atomic>
#include <cstdlib>
#include <new>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

struct FdWait {
  const GreenThread *thread;
  int fd;
};

int compare_fd_waits(const void *left, const void *right) {
  auto a = reinterpret_cast<uintptr_t>(static_cast<const FdWait *>(left)->thread);
  auto b = reinterpret_cast<uintptr_t>(static_cast<const FdWait *>(right)->thread);
  if (a != b) {
    return a < b ? -1 : 1;
  }
  return static_cast<const FdWait *>(left)->fd - static_cast<const FdWait *>(right)->fd;
}

int compare_pointers(const void *left, const void *right) {
  auto a = reinterpret_cast<uintptr_t>(*static_cast<const void *const *>(left));
  auto b = reinterpret_cast<uintptr_t>(*static_cast<const void *const *>(right));
  return a < b ? -1 : (a > b ? 1 : 0);
}

// What the dump knows besides the thread records: which fds each thread
// waits on, and which pointers are thread records.
struct DumpIndex {
  Vector<FdWait> fd_waits;          // sorted by thread
  Vector<const GreenThread *> live; // sorted

  void build(Worker &worker) {
    worker.reactor().for_each_fd_waiter([&](const GreenThread *thread, int fd) {
      fd_waits.push_back({thread, fd});
    });
    if (!fd_waits.empty()) {
      qsort(fd_waits.begin(), fd_waits.size(), sizeof(FdWait), compare_fd_waits);
    }
    // Every worker's records: a thread may wait for one of another worker
    // (a join, a mutex it holds). Records are never freed, so reading the
    // id of one that ends meanwhile is safe.
    auto note = [&](const GreenThread *thread) { live.push_back(thread); };
    if (WorkerGroup *group = worker.group(); group != nullptr) {
      for (int place = 0; place < group->size(); ++place) {
        group->workers[place].load(std::memory_order_acquire)->for_each_thread(note);
      }
    } else {
      worker.for_each_thread(note);
    }
    if (!live.empty()) {
      // NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers
      qsort(live.begin(), live.size(), sizeof(const GreenThread *), compare_pointers);
    }
  }

  bool is_thread(const void *pointer) const {
    size_t low = 0;
    size_t high = live.size();
    while (low < high) {
      size_t middle = (low + high) / 2;
      if (live[middle] == pointer) {
        return true;
      }
      if (reinterpret_cast<uintptr_t>(live[middle]) < reinterpret_cast<uintptr_t>(pointer)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return false;
  }

  // [first, end) of thread's fd waits.
  void fds_of(const GreenThread *thread, size_t *first, size_t *end) const {
    size_t low = 0;
    size_t high = fd_waits.size();
    auto key = reinterpret_cast<uintptr_t>(thread);
    while (low < high) {
      size_t middle = (low + high) / 2;
      if (reinterpret_cast<uintptr_t>(fd_waits[middle].thread) < key) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    *first = low;
    while (low < fd_waits.size() && fd_waits[low].thread == thread) {
      ++low;
    }
    *end = low;
  }
};

// "850 ms", "12.4 s", "3 min 20 s".
void append_duration(TextBuffer &out, int64_t ns) {
  if (ns < 0) {
    ns = 0;
  }
  int64_t ms = ns / 1'000'000;
  if (ms < 10'000) {
    out.append("%lld ms", static_cast<long long>(ms));
  } else if (ms < 600'000) {
    out.append("%.1f s", static_cast<double>(ms) / 1000.0);
  } else {
    out.append("%lld min %lld s", static_cast<long long>(ms / 60'000),
               static_cast<long long>(ms / 1000 % 60));
  }
}

bool socket_option_set(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  return sys::getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 && value != 0;
}

// What a wait on one fd is, in the program's terms: the fd's state tells
// accept from read, and a connect in progress from write.
const char *fd_wait_verb(WaitReason reason, int fd) {
  if (reason == WaitReason::kFdRead) {
    return socket_option_set(fd, SO_ACCEPTCONN) ? "accept" : "read";
  }
  if (reason == WaitReason::kFdWrite) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    long rc = sys::call(SYS_getpeername, fd, &peer, &length);
    return rc == -ENOTCONN ? "connect" : "write";
  }
  return "read/write";
}

void append_object_wait(TextBuffer &out, const char *what, const void *object) {
  out.append("%s %p", what, object);
}

void append_wait(TextBuffer &out, const GreenThread &thread, const DumpIndex &index,
                 int64_t now_ns) {
  const void *object = thread.wait_object;
  switch (thread.wait_reason) {
  case WaitReason::kSleep:
    out.append("sleep");
    break;
  case WaitReason::kJoin:
    if (index.is_thread(object)) {
      out.append("join %llu",
                 static_cast<unsigned long long>(static_cast<const GreenThread *>(object)->id));
    } else {
      out.append("join");
    }
    break;
  case WaitReason::kMutex:
    append_object_wait(out, "mutex", object);
    // A spinlock's nap parks as a mutex wait too (with a deadline), on an
    // int: only a wait without deadline is surely on a sprig::Mutex.
    if (!thread.in_timer_heap && object != nullptr) {
      const GreenThread *owner = static_cast<const Mutex *>(object)->owner();
      if (index.is_thread(owner)) {
        out.append(" held by %llu", static_cast<unsigned long long>(owner->id));
      }
    }
    break;
  case WaitReason::kCond:
    append_object_wait(out, "cond", object);
    break;
  case WaitReason::kRwlockRead:
    append_object_wait(out, "rwlock (read)", object);
    break;
  case WaitReason::kRwlockWrite:
    append_object_wait(out, "rwlock (write)", object);
    break;
  case WaitReason::kSemaphore:
    append_object_wait(out, "semaphore", object);
    break;
  case WaitReason::kBarrier:
    append_object_wait(out, "barrier", object);
    break;
  case WaitReason::kOnce:
    append_object_wait(out, "once", object);
    break;
  case WaitReason::kChannelSend:
    append_object_wait(out, "channel send", object);
    break;
  case WaitReason::kChannelRecv:
    append_object_wait(out, "channel recv", object);
    break;
  case WaitReason::kWaitGroup:
    append_object_wait(out, "wait group", object);
    break;
  case WaitReason::kFdRead:
  case WaitReason::kFdWrite:
  case WaitReason::kFdReadWrite: {
    auto fd = static_cast<int>(reinterpret_cast<intptr_t>(object));
    out.append("%s fd %d", fd_wait_verb(thread.wait_reason, fd), fd);
    break;
  }
  case WaitReason::kPoll: {
    size_t first = 0;
    size_t end = 0;
    index.fds_of(&thread, &first, &end);
    out.append("poll");
    constexpr size_t kShown = 8;
    for (size_t at = first; at < end && at < first + kShown; ++at) {
      out.append("%s%d", at == first ? " fd " : ",", index.fd_waits[at].fd);
    }
    if (end - first > kShown) {
      out.append(" and %zu more", end - first - kShown);
    }
    break;
  }
  case WaitReason::kOffload:
    out.append("offload (a blocking call on the thread pool)");
    break;
  case WaitReason::kDns:
    out.append("dns");
    break;
  case WaitReason::kFutex:
    append_object_wait(out, "futex", object);
    break;
  case WaitReason::kRemote:
    out.append("a wake-up from another OS thread");
    break;
  case WaitReason::kSignal:
    out.append("a signal");
    break;
  case WaitReason::kNone:
    out.append("a call on the scheduler");
    break;
  }
  if (thread.in_timer_heap) {
    out.append(thread.wait_reason == WaitReason::kSleep ? " " : " (timeout in ");
    append_duration(out, thread.deadline - now_ns);
    out.append(thread.wait_reason == WaitReason::kSleep ? " left" : ")");
  }
}

void append_stack(TextBuffer &out, const GreenThread &thread) {
  if (context_switch_kind() == SwitchKind::kAssembly &&
      __atomic_load_n(&thread.context.sp, __ATOMIC_ACQUIRE) == nullptr) {
    out.append("          (on its way from another worker)\n"); // Worker::adopt_movers
    return;
  }
  uintptr_t ips[kMaxBacktraceFrames];
  ucontext_t snapshot;
  context_snapshot(thread.context, &snapshot);
  int count = backtrace_ips(snapshot, false, ips, kMaxBacktraceFrames);
  if (count <= 0) {
    out.append("          (no backtrace: libunwind.so.8 is not available)\n");
    return;
  }
  int first = 0;
  int end = 0;
  frames_to_show(ips, count, &first, &end);
  for (int frame = first; frame < end; ++frame) {
    char name[256];
    symbolize(ips[frame], false, name, sizeof name);
    out.append("          #%d 0x%016lx %s\n", frame - first, static_cast<unsigned long>(ips[frame]),
               name);
  }
}

} // namespace

namespace {

void dump_table(Worker &worker, bool stacks, TextBuffer &out) {
  DumpIndex index;
  index.build(worker);
  int64_t now = monotonic_now_ns();
  int64_t coarse_now = clock_now_ns(CLOCK_MONOTONIC_COARSE); // parked_since_ns's clock
  if (stacks) {
    unwinder_load();
  }
  out.append("%7s  %-15s  %-8s  %9s  %s\n", "ID", "NAME", "STATE", "WAITED", "WAITING FOR");
  worker.for_each_thread([&](const GreenThread *thread) {
    out.append("%7llu  %-15s  %-8s  ", static_cast<unsigned long long>(thread->id),
               thread->name[0] != '\0' ? thread->name : "-", thread_state_name(thread->state));
    if (thread->state == ThreadState::kParked) {
      TextBuffer waited;
      append_duration(waited, coarse_now - thread->parked_since_ns);
      out.append("%9s  ", waited.data());
      append_wait(out, *thread, index, now);
    } else {
      out.append("%9s  %s", "-", thread->state == ThreadState::kExited ? "(not joined yet)" : "-");
    }
    out.append("\n");
    bool has_stack =
        thread->state == ThreadState::kParked || thread->state == ThreadState::kRunnable;
    if (stacks && has_stack) {
      append_stack(out, *thread);
    }
  });
}

// A part of a group's dump, made by the worker it is about, on its own
// scheduler context: only there are its records and stacks still. Freed by
// whichever of the two sides lets go of it last (the asking side stops
// waiting after a while, when a green thread holds that worker).
struct WorkerDump {
  TextBuffer out;
  bool stacks = false;
  std::atomic<bool> done{false};
  std::atomic<int> holders{2};
};

void let_go(WorkerDump *part) {
  if (part->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    part->~WorkerDump();
    free(part);
  }
}

void dump_on_its_worker(GreenThread * /*unused*/, void *part_pointer) {
  auto *part = static_cast<WorkerDump *>(part_pointer);
  dump_table(*Worker::current(), part->stacks, part->out);
  part->done.store(true, std::memory_order_release);
  let_go(part);
}

constexpr int64_t kWorkerDumpWaitNs = 1'000'000'000;

} // namespace

void dump_threads(Worker &worker, bool stacks, TextBuffer &out) {
  WorkerGroup *group = worker.group();
  if (group == nullptr) {
    size_t records = 0;
    worker.for_each_thread([&records](const GreenThread *) { ++records; });
    out.append("sprig: process %d: %zu green threads alive, %zu records\n",
               static_cast<int>(getpid()), worker.alive(), records);
    dump_table(worker, stacks, out);
    return;
  }
  WorkerDump *parts[kMaxWorkers] = {};
  for (int place = 0; place < group->size(); ++place) {
    Worker *other = group->workers[place].load(std::memory_order_acquire);
    if (other == &worker) {
      continue;
    }
    void *memory = malloc(sizeof(WorkerDump));
    if (memory != nullptr) {
      parts[place] = new (memory) WorkerDump();
      parts[place]->stacks = stacks;
      other->post_scheduler_call(dump_on_its_worker, parts[place]);
    }
  }
  out.append("sprig: process %d: %lld green threads alive, on %d workers\n",
             static_cast<int>(getpid()),
             static_cast<long long>(group->alive.load(std::memory_order_relaxed)), group->size());
  int64_t give_up = monotonic_now_ns() + kWorkerDumpWaitNs;
  for (int place = 0; place < group->size(); ++place) {
    Worker *other = group->workers[place].load(std::memory_order_acquire);
    out.append("-- worker %d\n", place);
    if (other == &worker) {
      dump_table(worker, stacks, out);
      continue;
    }
    WorkerDump *part = parts[place];
    if (part == nullptr) {
      out.append("   (no memory for its part)\n");
      continue;
    }
    while (!part->done.load(std::memory_order_acquire) && monotonic_now_ns() < give_up) {
      sched_yield();
    }
    if (part->done.load(std::memory_order_acquire)) {
      out.append_bytes(part->out.data(), part->out.size());
    } else {
      out.append("   (busy for 1 s: a green thread there has not given it up; not shown)\n");
    }
    let_go(part);
  }
}

} // namespace sprig::observe
