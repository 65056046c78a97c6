// green_thread.cpp - the name tables of states and wait reasons, and the bad-transition report.
#include "green_thread.hpp"

#include "fatal.hpp"

namespace sprig {

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
  case WaitReason::kPoll:
    return "poll";
  case WaitReason::kOffload:
    return "offload";
  case WaitReason::kDns:
    return "dns";
  case WaitReason::kFutex:
    return "futex";
  case WaitReason::kRemote:
    return "remote";
  case WaitReason::kSignal:
    return "signal";
  }
  return "?";
}

void bad_transition(const GreenThread &thread, ThreadState to) {
  fatal("green thread %llu: bad state change %s -> %s", static_cast<unsigned long long>(thread.id),
        thread_state_name(thread.state), thread_state_name(to));
}

} // namespace sprig
