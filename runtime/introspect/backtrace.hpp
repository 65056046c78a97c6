// backtrace.hpp - walking and naming the frames of a stack, through libunwind loaded on demand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ucontext.h>

namespace sprig {

inline constexpr int kMaxBacktraceFrames = 64;

// dlopen's libunwind the first time it is called (not async-signal-safe).
// True when it is usable.
bool unwinder_load();
bool unwinder_loaded();

// The instruction pointers of the stack `context` describes, innermost
// first: a parked green thread's context, or (signal_frame) the context a
// signal handler was given. Async-signal-safe once unwinder_load() has
// succeeded. Returns how many, or -ENOSYS without libunwind.
int backtrace_ips(const ucontext_t &context, bool signal_frame, uintptr_t *ips, int max);

// As backtrace_ips for a stack that may be very deep (an overflow): the
// innermost `inner_max` ips into inner, the outermost `outer_max` (those not
// already in inner) into outer, in order, and the total number of frames.
// Returns the number of outer ips, or -ENOSYS.
int backtrace_ends(const ucontext_t &context, bool signal_frame, uintptr_t *inner, int inner_max,
                   int *inner_count, uintptr_t *outer, int outer_max, long *total);

// "name+0xoffset" of the function holding `ip` into out, or "??". Frame 0 of
// a signal context is the faulting instruction (exact); every other frame is
// a return address, looked up one byte back so a call at a function's end is
// named after that function.
void symbolize(uintptr_t ip, bool exact, char *out, size_t length);

// True when ip lies in sprig's own shared library (libsprig.so or
// libsprig-rt.so); false for every ip when the runtime is linked statically.
bool ip_in_sprig(uintptr_t ip);

// The frames to show a user, [*first, *end): from the outermost of the
// leading frames inside sprig (the interposed call or sprig_ API function
// the thread waits in; the switch, park and queue frames below it are left
// out) to the last frame outside sprig (the entry frames above the thread's
// start function are left out).
void frames_to_show(const uintptr_t *ips, int count, int *first, int *end);

} // namespace sprig
