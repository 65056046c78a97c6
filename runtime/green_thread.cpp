// green_thread.cpp - the state table, the checked transition and the name tables.
#include "green_thread.hpp"

#include "fatal.hpp"

namespace sprig {

namespace {

constexpr int kStateCount = 5;

// kAllowed[from][to]
constexpr bool kAllowed[kStateCount][kStateCount] = {
    //            Free   Runnable Running Parked Exited
    /* Free     */ {false, true, false, false, false},
    /* Runnable */ {false, false, true, false, false},
    /* Running  */ {false, true, false, true, true},
    /* Parked   */ {false, true, false, false, false},
    /* Exited   */ {true, false, false, false, false},
};

} // namespace

const char *thread_state_name(ThreadState state) {
  switch (state) {
  case ThreadState::kFree:
    return "free";
  case ThreadState::kRunnable:
    return "runnable";
  case ThreadState::kRunning:
    return "running";
  case ThreadState::kParked:
    return "parked";
  case ThreadState::kExited:
    return "exited";
  }
  return "?";
}

const char *wait_reason_name(WaitReason reason) {
  switch (reason) {
  case WaitReason::kNone:
    return "none";
  case WaitReason::kSleep:
    return "sleep";
  case WaitReason::kJoin:
    return "join";
  case WaitReason::kMutex:
    return "mutex";
  case WaitReason::kCond:
    return "cond";
  case WaitReason::kRwlockRead:
    return "rwlock read";
  case WaitReason::kRwlockWrite:
    return "rwlock write";
  case WaitReason::kSemaphore:
    return "semaphore";
  case WaitReason::kBarrier:
    return "barrier";
  case WaitReason::kOnce:
    return "once";
  case WaitReason::kChannelSend:
    return "channel send";
  case WaitReason::kChannelRecv:
    return "channel recv";
  case WaitReason::kWaitGroup:
    return "wait group";
  case WaitReason::kFdRead:
    return "read fd";
  case WaitReason::kFdWrite:
    return "write fd";
  case WaitReason::kFdReadWrite:
    return "read/write fd";
  case WaitReason::kOffload:
    return "offload";
  case WaitReason::kDns:
    return "dns";
  case WaitReason::kRemote:
    return "remote";
  }
  return "?";
}

void transition(GreenThread &thread, ThreadState to) {
  auto from = thread.state;
  if (!kAllowed[static_cast<int>(from)][static_cast<int>(to)]) {
    fatal("green thread %llu: bad state change %s -> %s",
          static_cast<unsigned long long>(thread.id), thread_state_name(from),
          thread_state_name(to));
  }
  thread.state = to;
}

} // namespace sprig
