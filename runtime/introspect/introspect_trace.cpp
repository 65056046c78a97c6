// introspect_trace.cpp - SPRIG_TRACE=FILE: the scheduling timeline as Chrome trace-event JSON
// (chrome://tracing, Perfetto), from a ring buffer of switches.
//
// Each switch records one event: the thread that stopped (and why: parked
// with its wait reason, runnable again, or done) and the thread that
// started. The ring keeps the latest SPRIG_TRACE_EVENTS of them (262,144 by
// default, 40 bytes each); older ones are overwritten, so the file's size is
// bounded whatever the run's length. At exit the events become spans, one
// row per green thread: "running", "runnable", and "parked: <reason>".
#include "introspect.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "vector.hpp"
#include "worker.hpp"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

enum class Stop : uint8_t { kNone, kParked, kRunnable, kDone };

struct Event {
  int64_t ns;
  uint64_t from; // thread id, 0 for the scheduler
  uint64_t to;
  uint64_t object; // the parked thread's wait object (an fd, an address)
  Stop stop;
  WaitReason reason;
  int16_t worker; // the index of the worker that switched
};

struct ThreadName {
  uint64_t id;
  char name[16];
};

struct Trace {
  char *path = nullptr;
  Event *events = nullptr;
  size_t capacity = 0;
  size_t next = 0;          // where the next event goes
  uint64_t total = 0;       // events ever recorded
  Vector<ThreadName> names; // of threads that finished; the live ones are read at the end
  int64_t start_ns = 0;
};

Trace g_trace;
// With several workers, each switch event is written under this lock.
std::atomic_flag g_trace_lock = ATOMIC_FLAG_INIT;

// One row's open span while the events are turned into spans.
struct Row {
  uint64_t id;
  int64_t since;
  Stop state; // kNone: running
  WaitReason reason;
  uint64_t object;
  bool known;
  int worker; // where it runs (a running span)
};

void append_span(TextBuffer &out, const Row &row, int64_t end, bool *first) {
  if (!row.known || end < row.since) {
    return;
  }
  out.append("%s\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%llu,\"ts\":%.3f,\"dur\":%.3f,",
             *first ? "" : ",", static_cast<int>(getpid()), static_cast<unsigned long long>(row.id),
             static_cast<double>(row.since - g_trace.start_ns) / 1000.0,
             static_cast<double>(end - row.since) / 1000.0);
  *first = false;
  switch (row.state) {
  case Stop::kNone:
    out.append("\"name\":\"running\",\"cat\":\"running\",\"args\":{\"worker\":%d}}", row.worker);
    break;
  case Stop::kRunnable:
    out.append("\"name\":\"runnable\",\"cat\":\"runnable\"}");
    break;
  case Stop::kParked: {
    const char *reason =
        row.reason == WaitReason::kNone ? "scheduler call" : wait_reason_name(row.reason);
    bool fd = row.reason == WaitReason::kFdRead || row.reason == WaitReason::kFdWrite ||
              row.reason == WaitReason::kFdReadWrite;
    if (fd) {
      out.append("\"name\":\"parked: %s %lld\",\"cat\":\"parked\",\"args\":{\"reason\":\"%s\","
                 "\"fd\":%lld}}",
                 reason, static_cast<long long>(row.object), reason,
                 static_cast<long long>(row.object));
    } else {
      out.append("\"name\":\"parked: %s\",\"cat\":\"parked\",\"args\":{\"reason\":\"%s\","
                 "\"object\":\"0x%llx\"}}",
                 reason, reason, static_cast<unsigned long long>(row.object));
    }
    break;
  }
  case Stop::kDone:
    break;
  }
}

// Rows indexed by id - first_id (thread ids are handed out in sequence).
Row *row_of(Vector<Row> &rows, uint64_t first_id, uint64_t id) {
  Row &row = rows[id - first_id];
  row.id = id;
  return &row;
}

void append_name(TextBuffer &out, uint64_t id, const char *name, bool *first) {
  out.append("%s\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%llu,\"name\":\"thread_name\",\"args\":{"
             "\"name\":\"",
             *first ? "" : ",", static_cast<int>(getpid()), static_cast<unsigned long long>(id));
  *first = false;
  out.append_json_string(name[0] != '\0' ? name : "green thread");
  out.append(" (%llu)\"}}", static_cast<unsigned long long>(id));
}

} // namespace

void trace_start(const char *path, size_t events) {
  g_trace.path = strdup(path);
  g_trace.events = static_cast<Event *>(calloc(events, sizeof(Event)));
  if (g_trace.path == nullptr || g_trace.events == nullptr) {
    return;
  }
  g_trace.capacity = events;
  g_trace.start_ns = monotonic_now_ns();
  g_trace_switches = true;
}

namespace {
void record_switch(const GreenThread *from, const GreenThread *to, bool from_is_done);
} // namespace

void trace_switch(const GreenThread *from, const GreenThread *to, bool from_is_done) {
  if (g_multi_worker) {
    while (g_trace_lock.test_and_set(std::memory_order_acquire)) {
      __builtin_ia32_pause();
    }
  }
  record_switch(from, to, from_is_done);
  if (g_multi_worker) {
    g_trace_lock.clear(std::memory_order_release);
  }
}

namespace {

void record_switch(const GreenThread *from, const GreenThread *to, bool from_is_done) {
  Event &event = g_trace.events[g_trace.next];
  const Worker *worker = Worker::current();
  event.worker = static_cast<int16_t>(worker != nullptr ? worker->index() : -1);
  g_trace.next = g_trace.next + 1 == g_trace.capacity ? 0 : g_trace.next + 1;
  ++g_trace.total;
  event.ns = monotonic_now_ns();
  event.from = from != nullptr ? from->id : 0;
  event.to = to != nullptr ? to->id : 0;
  event.stop = Stop::kNone;
  event.reason = WaitReason::kNone;
  event.object = 0;
  if (from != nullptr) {
    if (from_is_done) {
      event.stop = Stop::kDone;
      ThreadName name{from->id, {}};
      memcpy(name.name, from->name, sizeof name.name);
      name.name[sizeof name.name - 1] = '\0';
      if (g_trace.names.size() < g_trace.capacity) { // bounded like the events
        g_trace.names.push_back(name);
      }
    } else if (from->state == ThreadState::kParked) {
      event.stop = Stop::kParked;
      event.reason = from->wait_reason;
      event.object = reinterpret_cast<uintptr_t>(from->wait_object);
    } else {
      event.stop = Stop::kRunnable;
    }
  }
}

} // namespace

void trace_finish() {
  if (!g_trace_switches || g_trace.events == nullptr) {
    return;
  }
  g_trace_switches = false;
  int64_t end = monotonic_now_ns();
  size_t kept = g_trace.total < g_trace.capacity ? g_trace.total : g_trace.capacity;
  size_t oldest = g_trace.total < g_trace.capacity ? 0 : g_trace.next;
  int64_t window_start = kept > 0 ? g_trace.events[oldest].ns : end;
  TextBuffer out;
  out.append("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"sprig_events\":%llu,"
             "\"sprig_events_dropped\":%llu},\"traceEvents\":[",
             static_cast<unsigned long long>(g_trace.total),
             static_cast<unsigned long long>(g_trace.total - kept));
  bool first = true;
  uint64_t first_id = UINT64_MAX;
  uint64_t last_id = 0;
  for (size_t done = 0; done < kept; ++done) {
    const Event &event = g_trace.events[(oldest + done) % g_trace.capacity];
    for (uint64_t id : {event.from, event.to}) {
      if (id != 0) {
        first_id = id < first_id ? id : first_id;
        last_id = id > last_id ? id : last_id;
      }
    }
  }
  Vector<Row> rows;
  if (last_id != 0) {
    rows.resize(last_id - first_id + 1); // zeroed: every row unknown
  }
  for (size_t done = 0; done < kept; ++done) {
    const Event &event = g_trace.events[(oldest + done) % g_trace.capacity];
    if (event.from != 0) {
      Row *row = row_of(rows, first_id, event.from);
      if (!row->known) { // its span began before the oldest event kept: running since then
        row->known = true;
        row->since = window_start;
        row->state = Stop::kNone;
        row->worker = event.worker;
      }
      append_span(out, *row, event.ns, &first);
      row->since = event.ns;
      row->state = event.stop;
      row->reason = event.reason;
      row->object = event.object;
      row->known = event.stop != Stop::kDone;
    }
    if (event.to != 0) {
      Row *row = row_of(rows, first_id, event.to);
      if (row->known) {
        append_span(out, *row, event.ns, &first);
      }
      row->known = true;
      row->since = event.ns;
      row->state = Stop::kNone;
      row->worker = event.worker;
    }
  }
  for (const Row &row : rows) {
    append_span(out, row, end, &first);
  }
  // Row names: the finished threads', then the live ones'.
  for (const ThreadName &name : g_trace.names) {
    append_name(out, name.id, name.name, &first);
  }
  if (Worker *worker = Worker::current(); worker != nullptr) {
    worker->for_each_thread([&](const GreenThread *thread) {
      if (thread->state != ThreadState::kExited) {
        append_name(out, thread->id, thread->name, &first);
      }
    });
  }
  out.append("\n]}\n");
  long fd =
      sys::call(SYS_openat, AT_FDCWD, g_trace.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    char line[512];
    int length = snprintf(line, sizeof line, "sprig: SPRIG_TRACE: cannot write %s (errno %ld)\n",
                          g_trace.path, -fd);
    sys::write(STDERR_FILENO, line, static_cast<size_t>(length));
  } else {
    out.write_to(static_cast<int>(fd));
    sys::close(static_cast<int>(fd));
  }
  free(g_trace.events);
  g_trace.events = nullptr;
  free(g_trace.path);
  g_trace.path = nullptr;
}

} // namespace sprig::observe
