// introspect_stats.cpp - SPRIG_STATS=1: what the scheduler, the reactor, the stacks and the
// interposed calls did, printed to stderr at exit.
#include "introspect.hpp"
#include "reactor.hpp"
#include "text_buffer.hpp"
#include "worker.hpp"
#include "worker_group.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

static_assert(static_cast<int>(WaitReason::kSignal) < 32,
              "WorkerStats::parks_by_reason is 32 long");

struct CallTable {
  const char *const *names = nullptr;
  const CallCount *counts = nullptr;
  size_t count = 0;
};

CallTable g_calls;

double mebibytes(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Resident bytes of the stacks of threads alive now (mincore, one call per
// stack): what the lazily committed stacks really cost.
size_t resident_stack_bytes(Worker &worker) {
  size_t page = StackPool::page_size();
  size_t resident = 0;
  unsigned char pages[256];
  worker.for_each_thread([&](const GreenThread *thread) {
    if (thread->stack.low == nullptr) {
      return;
    }
    auto *low = static_cast<unsigned char *>(thread->stack.low);
    size_t total = thread->stack.size / page;
    for (size_t first = 0; first < total; first += sizeof pages) {
      size_t count = total - first < sizeof pages ? total - first : sizeof pages;
      if (mincore(low + first * page, count * page, pages) != 0) {
        return;
      }
      for (size_t index = 0; index < count; ++index) {
        resident += (pages[index] & 1U) != 0 ? page : 0;
      }
    }
  });
  return resident;
}

const char *reason_label(int reason) { return wait_reason_name(static_cast<WaitReason>(reason)); }

} // namespace

void register_call_table(const char *const *names, const CallCount *counts, size_t count) {
  g_calls.names = names;
  g_calls.counts = counts;
  g_calls.count = count;
}

namespace {

// Sums of the counters of every worker of a group (read while the others
// may still run: each counter is a word, read once).
void add_counters(const Worker &worker, WorkerStats *stats, ReactorStats *reactor) {
  const WorkerStats &one = worker.stats();
  stats->threads_created += one.threads_created;
  stats->switches += one.switches;
  stats->parks += one.parks;
  stats->reactor_polls += one.reactor_polls;
  stats->peak_alive += one.peak_alive;
  stats->threads_moved_in += one.threads_moved_in;
  for (int reason = 0; reason < 32; ++reason) {
    stats->parks_by_reason[reason] += one.parks_by_reason[reason];
  }
  const ReactorStats &polls = const_cast<Worker &>(worker).reactor().stats();
  reactor->blocking_polls += polls.blocking_polls;
  reactor->fd_wakeups += polls.fd_wakeups;
  reactor->timer_wakeups += polls.timer_wakeups;
  reactor->remote_wakeups += polls.remote_wakeups;
}

} // namespace

void stats_print(Worker &worker) {
  WorkerStats stats;
  ReactorStats reactor;
  const StackPool &stacks = worker.stacks();
  TextBuffer out;
  out.append("sprig: statistics of process %d (SPRIG_STATS=1)\n", static_cast<int>(getpid()));
  if (WorkerGroup *group = worker.group(); group != nullptr) {
    out.append("  workers: %d (green threads, switches, parks each; peak alive is their sum; "
               "stacks are the first worker's)\n",
               group->size());
    for (int place = 0; place < group->size(); ++place) {
      const Worker *each = group->workers[place].load(std::memory_order_acquire);
      add_counters(*each, &stats, &reactor);
      out.append("    worker %d: %llu green threads, %llu switches, %llu parks, %llu moved in\n",
                 place, static_cast<unsigned long long>(each->stats().threads_created),
                 static_cast<unsigned long long>(each->stats().switches),
                 static_cast<unsigned long long>(each->stats().parks),
                 static_cast<unsigned long long>(each->stats().threads_moved_in));
    }
  } else {
    add_counters(worker, &stats, &reactor);
  }
  out.append("  green threads: %llu created, %llu peak alive\n",
             static_cast<unsigned long long>(stats.threads_created),
             static_cast<unsigned long long>(stats.peak_alive));
  out.append("  switches: %llu\n", static_cast<unsigned long long>(stats.switches));
  if (worker.group() != nullptr) {
    out.append("  moves: %llu threads moved to the worker that woke them\n",
               static_cast<unsigned long long>(stats.threads_moved_in));
  }
  out.append("  parks: %llu\n", static_cast<unsigned long long>(stats.parks));
  for (int reason = 0; reason < 32; ++reason) {
    if (stats.parks_by_reason[reason] != 0) {
      out.append("    %-20s %llu\n", reason_label(reason),
                 static_cast<unsigned long long>(stats.parks_by_reason[reason]));
    }
  }
  out.append("  reactor: %llu polls, %llu that could sleep; wake-ups: %llu fd, %llu timer, "
             "%llu from other OS threads\n",
             static_cast<unsigned long long>(stats.reactor_polls),
             static_cast<unsigned long long>(reactor.blocking_polls),
             static_cast<unsigned long long>(reactor.fd_wakeups),
             static_cast<unsigned long long>(reactor.timer_wakeups),
             static_cast<unsigned long long>(reactor.remote_wakeups));
  out.append("  stacks: peak %zu mapped, %.1f MiB of address space; %zu KiB resident in the "
             "stacks of the %zu threads alive at exit\n",
             stacks.peak_mapped(), mebibytes(stacks.peak_mapped_bytes()),
             resident_stack_bytes(worker) / 1024, worker.alive());
  if (g_calls.counts != nullptr) {
    out.append("  interposed calls by green threads (blocked: returned without parking after "
               "holding the worker >= 1 ms):\n");
    out.append("    %-28s %12s %12s %12s\n", "call", "calls", "parked", "blocked");
    for (size_t index = 0; index < g_calls.count; ++index) {
      const CallCount &count = g_calls.counts[index];
      if (count.calls != 0) {
        out.append("    %-28s %12llu %12llu %12llu\n", g_calls.names[index],
                   static_cast<unsigned long long>(count.calls),
                   static_cast<unsigned long long>(count.parked),
                   static_cast<unsigned long long>(count.blocked));
      }
    }
  }
  out.write_to(STDERR_FILENO);
}

} // namespace sprig::observe
