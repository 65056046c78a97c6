# test_divergences.py - each divergence from native behaviour that sprig(7) lists, shown as it is: the program's
# native output and its output under sprig, both asserted line by line.
import os
import re
import shutil
import subprocess

import pytest

# sprig(7) states the divergences for one worker; with several, what is said of
# "the worker" holds for the worker a thread runs on.
pytestmark = pytest.mark.usefixtures("one_worker")


def run_both(binary_of, run, preload, name, args=()):
    """Runs programs/<name> natively and under sprig: (native, sprig, report for assertion messages)."""
    binary = binary_of(name)
    native = run(binary, args)
    sprig = run(binary, args, preload=preload)
    return native, sprig, f"native: {native.describe()}\nsprig: {sprig.describe()}"


SHARED = {"SPRIG_TLS": "shared"}


def run_three(binary_of, run, preload, name, args=()):
    """Runs programs/<name> natively, under sprig (a thread identity per green thread) and under sprig with
    SPRIG_TLS=shared: (native, sprig, shared, report). For the divergences only the shared mode keeps."""
    binary = binary_of(name)
    native = run(binary, args)
    sprig = run(binary, args, preload=preload)
    shared = run(binary, args, preload=preload, env=SHARED)
    return native, sprig, shared, (f"native: {native.describe()}\nsprig: {sprig.describe()}\n"
                                   f"sprig, SPRIG_TLS=shared: {shared.describe()}")


def shown(results, name, entry):
    """Records that programs/<name> shows the sprig(7) entry; `as_documented` once both outputs matched."""
    results[name] = {"equal": None, "divergence": entry, "as_documented": False}
    return results[name]


def test_thread_local_variables_are_per_os_thread(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Thread-local storage is per OS thread (SPRIG_TLS=shared)": in the shared mode __thread /
    thread_local variables belong to the OS thread, and all green threads of a worker share them. In the
    default mode each green thread has its own, as natively."""
    record = shown(results, "thread_local.c", "Thread-local storage is per OS thread (SPRIG_TLS=shared)")
    native, sprig, shared, report = run_three(binary_of, run, preload, "thread_local.c")
    assert native.status == 0 and sprig.status == 0 and shared.status == 0, report

    # Natively each thread has its own instances: its own 10 increments, the initial value 5.
    native_lines = native.stdout.splitlines()
    assert native_lines[:4] == [f"thread {i}: counter 10, initial value 5" for i in range(4)]
    assert native_lines[4] == "main: counter 0, initialised 9"
    assert sprig.stdout == native.stdout, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report

    # In the shared mode the four threads and main share one instance of each:
    # the threads start from main's 9, and the counter holds all 40 increments.
    shared_lines = shared.stdout.splitlines()
    assert all(line.endswith("initial value 9") for line in shared_lines[:4]), report
    assert shared_lines[4] == "main: counter 40, initialised 9", report
    assert shared.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


@pytest.fixture(scope="session")
def late_cxx_library(library_of):
    """tests/conformance/libs/div_cxx_late_runtime_lib.cpp built as a shared library, for dlopen()."""
    return library_of("div_cxx_late_runtime_lib.cpp", "libdiv_cxx_late_runtime.so")


def test_exception_state_of_a_late_cxx_runtime(binary_of, preload, results, run, late_cxx_library,
                                               max_sprig_os_threads):
    """sprig(7), "C++ exception state of a late C++ runtime (SPRIG_TLS=shared)": a C program dlopen()s a C++
    library; two threads each sleep inside a catch block, overlapping, then rethrow with `throw;`. Natively,
    and under sprig in the default mode (the exception state is thread-local), each rethrows its own exception.
    In the shared mode the C++ runtime came after the worker started, so its per-OS-thread caught-exception
    stack is not switched: each rethrows the other's."""
    record = shown(results, "div_cxx_late_runtime.c", "C++ exception state of a late C++ runtime (SPRIG_TLS=shared)")
    native, sprig, shared, report = run_three(binary_of, run, preload, "div_cxx_late_runtime.c",
                                              [late_cxx_library])
    assert native.status == 0 and sprig.status == 0 and shared.status == 0, report
    assert native.stdout.splitlines() == [
        "the C++ runtime loaded at start: no",
        "thread 1 threw 1 and rethrew 1",
        "thread 2 threw 2 and rethrew 2",
    ], report
    assert sprig.stdout == native.stdout, report
    assert shared.stdout.splitlines() == [
        "the C++ runtime loaded at start: no",
        "thread 1 threw 1 and rethrew 2",
        "thread 2 threw 2 and rethrew 1",
    ], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    assert shared.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def witnessed(lines, native):
    """Each line with the witness verdict sprig(7) predicts: natively it ticked, under sprig it did not."""
    verdict = "yes" if native else "no"
    return [f"{line}; the witness ticked meanwhile: {verdict}" for line in lines]


def test_calls_made_inside_libc_are_not_interposed(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Calls made inside libc are not interposed": stdio's own read and write, system(), popen()
    streams, pclose() and a raw syscall() each wait 250 ms for a child process. Natively a witness thread
    ticks meanwhile; under sprig these calls block the worker, so it does not, except system(), which sprig
    interposes and runs on libuv's pool (its 4 OS threads show). The results are the same."""
    record = shown(results, "div_libc_internal_calls.c", "Calls made inside libc are not interposed")
    native, sprig, report = run_both(binary_of, run, preload, "div_libc_internal_calls.c")
    calls = [
        'fgets on a pipe: got "a line"',
        "fflush into a full pipe: fwrite 4096, fflush 0",
        'system("sleep 0.25; exit 3"): exit status 3',
        'fgets on a popen() stream: got "from popen"',
        "pclose() of a running command: exit status 4",
        "syscall(SYS_read) on a pipe: 1 byte 'z'",
    ]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == witnessed(calls, native=True), report
    sprig_expected = witnessed(calls, native=False)
    sprig_expected[2] = witnessed(calls[2:3], native=True)[0]  # system() parks only its thread
    assert sprig.stdout.splitlines() == sprig_expected, report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads + 4, report  # + libuv's pool, for system()
    record["as_documented"] = True


def test_calls_sprig_does_not_see_on_its_sockets_get_eagain(binary_of, preload, results, run,
                                                            max_sprig_os_threads):
    """sprig(7), "Calls sprig does not see on its own sockets get EAGAIN": a raw syscall(SYS_read), splice()
    into a full socket and out of an empty one, fgets() on a socket made stdin with dup2(), a read() by an OS
    thread started before main and a read() in an exit handler. Natively each waits for the peer thread
    (100 ms); under sprig the socket is non-blocking in the kernel and each fails at once with EAGAIN."""
    record = shown(results, "div_own_socket_eagain.c", "Calls sprig does not see on its own sockets get EAGAIN")
    native, sprig, report = run_both(binary_of, run, preload, "div_own_socket_eagain.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "syscall(SYS_read) before the peer sends: 1",
        "splice() of 10 bytes into a full socket: 10; the peer drained the 10 too: yes",
        "splice() out of an empty socket: 3",
        "read() by an OS thread started before main: 1",
        'fgets(stdin) with stdin a socket: "a line"',
        "read() in an exit handler: 1",
    ], report
    assert sprig.stdout.splitlines() == [
        "syscall(SYS_read) before the peer sends: -1 EAGAIN",
        "splice() of 10 bytes into a full socket: -1 EAGAIN; the peer drained the 10 too: no",
        "splice() out of an empty socket: -1 EAGAIN",
        "read() by an OS thread started before main: -1 EAGAIN",
        "fgets(stdin) with stdin a socket: NULL, EAGAIN, ferror 1",
        "read() in an exit handler: -1 EAGAIN",
    ], report
    record["as_documented"] = True


def test_other_processes_see_sprigs_sockets_as_non_blocking(binary_of, preload, results, run):
    """sprig(7), "Other processes see sprig's sockets as non-blocking": a blocking socketpair end passed to a
    child across fork() and execve(). Natively the child sees it blocking and its read waits for the parent's
    byte; under sprig the child sees O_NONBLOCK and gets EAGAIN, under sprig (LD_PRELOAD inherited) or not."""
    record = shown(results, "div_socket_flags_in_child.c", "Other processes see sprig's sockets as non-blocking")
    native, sprig, report = run_both(binary_of, run, preload, "div_socket_flags_in_child.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "child with the environment as it is: O_NONBLOCK off, read 1 byte 'p'",
        "child without LD_PRELOAD: O_NONBLOCK off, read 1 byte 'p'",
    ], report
    assert sprig.stdout.splitlines() == [
        "child with the environment as it is: O_NONBLOCK on, read -1 EAGAIN",
        "child without LD_PRELOAD: O_NONBLOCK on, read -1 EAGAIN",
    ], report
    record["as_documented"] = True


def test_blocking_calls_on_descriptors_sprig_did_not_create(binary_of, preload, results, run,
                                                            max_sprig_os_threads):
    """sprig(7), "Blocking calls on descriptors sprig did not create": a blocking connect() on a socket made
    before main to a full AF_UNIX backlog, two threads accepting on one blocking listener made before main (the
    second wakes for nothing), and reads of a timerfd and an eventfd. Each waits about 400 ms for a child
    process (or the timer). Natively a witness ticking every 5 ms never pauses 250 ms; under sprig each call
    blocks the worker and the witness pauses. Two threads reading one pipe, and the reads of the timerfd and
    the eventfd, are as natively: sprig waits for readiness, then reads (a reader that finds the pipe emptied
    by the other waits again). (The pipe that another process fills between
    sprig's readiness check and its write is a race no bounded test can make happen.)"""
    record = shown(results, "div_foreign_fd_blocking.c", "Blocking calls on descriptors sprig did not create")
    native, sprig, report = run_both(binary_of, run, preload, "div_foreign_fd_blocking.c")
    cases = [
        "blocking connect() to a full backlog: 0",
        "two threads read() one pipe: both got one: yes",
        "two threads accept() on one blocking listener: both got one: yes",
        "read() of a timerfd armed for 400 ms: 8, 1 expiration",
        "read() of an eventfd another process writes: 8, value 1",
    ]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [f"{case}; the witness paused for over 250 ms: no" for case in cases], report
    green = ("pipe", "timerfd", "eventfd")  # waited on for readiness, then read
    assert sprig.stdout.splitlines() == [
        f"{case}; the witness paused for over 250 ms: {'no' if any(kind in case for kind in green) else 'yes'}"
        for case in cases], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_regular_file_io_blocks_the_worker(binary_of, preload, results, run):
    """sprig(7), "Regular file I/O blocks the worker". A slow disk cannot be had in a test; calls that take long
    because they copy much stand in for it: write() and read() calls of 16 MiB each on a regular file, for
    100 ms each. Natively a witness thread sleeping 1 ms at a time ticks during them; under sprig it does not,
    and the sprig run never has a second OS thread, so no thread pool made the calls: they ran on the worker,
    which a call waiting for a disk would stall just the same."""
    record = shown(results, "div_regular_file_io.c", "Regular file I/O blocks the worker")
    native, sprig, report = run_both(binary_of, run, preload, "div_regular_file_io.c")
    calls = [f"{call} of 16 MiB for at least 100 ms, each whole: yes" for call in ("write()", "read()")]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == witnessed(calls, native=True), report
    assert sprig.stdout.splitlines() == witnessed(calls, native=False), report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads == 1, report
    record["as_documented"] = True


def test_blocking_calls_sprig_does_not_interpose_locks(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Blocking calls sprig does not interpose", part 1: open() of a FIFO until another process
    opens the other end, and flock(), fcntl(F_SETLKW) and lockf() on a file another process holds locked for
    200 ms. Natively a witness thread ticks meanwhile; under sprig each call blocks the worker. And a FIFO whose
    two ends two threads of one process open: natively both open; under sprig the first open() blocks the
    worker, so the other thread never runs and the process hangs (until its alarm)."""
    record = shown(results, "div_unhooked_locks.c", "Blocking calls sprig does not interpose")
    native, sprig, report = run_both(binary_of, run, preload, "div_unhooked_locks.c")
    calls = [
        "open() of a FIFO another process opens 200 ms later: 0",
        "flock(LOCK_EX) on a file another process holds 200 ms: 0",
        "fcntl(F_SETLKW) on a file another process holds 200 ms: 0",
        "lockf(F_LOCK) on a file another process holds 200 ms: 0",
    ]
    fifo = "two threads of one process open the two ends of a FIFO: "
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [*witnessed(calls, native=True), fifo + "both opened"], report
    assert sprig.stdout.splitlines() == [*witnessed(calls, native=False), fifo + "hung until its alarm"], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_blocking_calls_sprig_does_not_interpose_waits(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Blocking calls sprig does not interpose", part 2: msgrcv() and mq_receive() for a message
    another process sends 200 ms later, and epoll_pwait2() for its write to a pipe. Natively a witness thread
    ticks meanwhile; under sprig each call blocks the worker. sigwait(), sigwaitinfo(), sigsuspend() and pause()
    for a signal it sends are green waits: the witness ticks as natively. (fsync() is not shown: no disk here is slow. A futex wait through syscall() parks only
    its thread: futex_syscall.c.)"""
    record = shown(results, "div_unhooked_waits.c", "Blocking calls sprig does not interpose")
    native, sprig, report = run_both(binary_of, run, preload, "div_unhooked_waits.c")
    calls = [
        "sigwait() for SIGUSR1: 0",
        "sigwaitinfo() for SIGUSR1: 0",
        "sigsuspend() until SIGUSR2 is handled: -1",
        "pause() until SIGUSR2 is handled: -1",
        "msgrcv() of a message sent 200 ms later: 8",
        "mq_receive() of a message sent 200 ms later: 5",
        "epoll_pwait2() for a pipe written 200 ms later: 1",
    ]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == witnessed(calls, native=True), report
    green = 4  # the waits for a signal
    assert sprig.stdout.splitlines() == [*witnessed(calls[:green], native=True),
                                         *witnessed(calls[green:], native=False)], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_descriptors_closed_behind_sprigs_back(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Descriptors closed behind sprig's back": a descriptor closed by close_range(), closefrom(),
    fclose() or an OS thread started before main keeps its fd-table entry; a non-blocking eventfd that gets its
    number is treated as the old descriptor. Natively the eventfd shows O_NONBLOCK and its read gives EAGAIN;
    under sprig, after one of sprig's sockets, F_GETFL hides O_NONBLOCK, and every read waits for the write a
    thread makes 100 ms later."""
    record = shown(results, "div_fd_closed_behind.c", "Descriptors closed behind sprig's back")
    native, sprig, report = run_both(binary_of, run, preload, "div_fd_closed_behind.c")
    cases = [
        ("a socket closed by close_range()", "off"),
        ("a socket closed by closefrom()", "off"),
        ("/dev/null opened by fopen(), closed by fclose()", "on"),
        ("a socket closed by an OS thread started before main", "off"),
    ]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [f"{case}: O_NONBLOCK on, read -1 EAGAIN" for case, _ in cases], report
    assert sprig.stdout.splitlines() == [
        f"{case}: O_NONBLOCK {flag}, read 8 (the write 100 ms later)" for case, flag in cases], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_waits_for_children(binary_of, preload, results, run):
    """sprig(7), "Waiting for children": natively a single-threaded program stays one OS thread through a
    wait() for any child, and a ptrace(2) tracer sees its tracee's ptrace stop with wait() and with
    waitpid(pid). Under sprig the wait() for any child runs on libuv's thread pool, whose threads stay; the
    tracer's wait() still sees the stop (the kernel reports a tracee's stops to any thread of the tracer's
    process), and so does its waitpid(pid): sprig sees from /proc that it traces the child and waits on
    the pool, not on the tracee's pidfd (readable only at exit)."""
    record = shown(results, "div_wait_tracee.c", "Waiting for children")
    native, sprig, report = run_both(binary_of, run, preload, "div_wait_tracee.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "OS threads at start: 1",
        "wait() for any child: its pid; more than one OS thread since: no",
        "a tracer that waits with wait(): saw the stop and the exit",
        "a tracer that waits with waitpid(tracee): saw the stop and the exit",
    ], report
    assert sprig.stdout.splitlines() == [
        "OS threads at start: 1",
        "wait() for any child: its pid; more than one OS thread since: yes",
        "a tracer that waits with wait(): saw the stop and the exit",
        "a tracer that waits with waitpid(tracee): saw the stop and the exit",
    ], report
    record["as_documented"] = True


def test_after_fork(binary_of, preload, results, run):
    """sprig(7), "After fork()": fork() while another thread runs a pthread_once() initializer: glibc's child
    runs it again, sprig's waits for ever (until its alarm)."""
    record = shown(results, "div_after_fork.c", "After fork()")
    native, sprig, report = run_both(binary_of, run, preload, "div_after_fork.c")
    once = "the child's pthread_once() on a control whose initializer ran at fork: "
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [once + "ran the initializer again"], report
    assert sprig.stdout.splitlines() == [once + "waited until its alarm"], report
    record["as_documented"] = True


def test_thread_identity_and_the_kernel(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Thread identity and the kernel": natively a thread has its own kernel thread ID, CPU clock,
    RUSAGE_THREAD, affinity, nice value and comm; under sprig every green thread is the worker to the kernel."""
    record = shown(results, "div_thread_identity.c", "Thread identity and the kernel")
    native, sprig, report = run_both(binary_of, run, preload, "div_thread_identity.c")
    comm = "its name in /proc/self/task/TID/comm after pthread_setname_np(\"div-named\"): "
    affinity = "main's CPU affinity after the thread's sched_setaffinity(0): "
    nice = "main's nice value after the thread's setpriority(its ID, 5 more): "
    assert native.status == 0 and sprig.status == 0, report
    native_lines = native.stdout.splitlines()
    one_cpu = native_lines[4:5] == [affinity + "(one CPU only: not shown)"]
    assert native_lines == [
        "the thread's gettid(): its own",
        "its CPU-time clock after another thread computed 150 ms: under 100 ms",
        "its getrusage(RUSAGE_THREAD): under 100 ms",
        comm + "div-named",
        affinity + ("(one CPU only: not shown)" if one_cpu else "unchanged"),
        nice + "unchanged",
    ], report
    assert sprig.stdout.splitlines() == [
        "the thread's gettid(): main's",
        "its CPU-time clock after another thread computed 150 ms: over 100 ms",
        "its getrusage(RUSAGE_THREAD): over 100 ms",
        comm + "the process's name",
        affinity + ("(one CPU only: not shown)" if one_cpu else "one CPU"),
        nice + "5 more",
    ], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_pthread_t_values_are_green_handles(binary_of, preload, results, run):
    """sprig(7), "pthread_t values are green handles (SPRIG_TLS=shared)": libc functions that read a pthread_t
    as glibc's thread pointer, given pthread_self() or a created thread's ID in a child process. Natively, and
    under sprig in the default mode, each returns 0; in the shared mode each crashes with SIGSEGV.
    pthread_equal() works in all three, and so does pthread_kill(), which sprig interposes."""
    record = shown(results, "div_pthread_t_handles.c", "pthread_t values are green handles (SPRIG_TLS=shared)")
    native, sprig, shared, report = run_three(binary_of, run, preload, "div_pthread_t_handles.c")
    calls = [f"{function}({whose}{extra})"
             for whose in ("pthread_self()", "a created thread")
             for function, extra in (("pthread_getattr_np", ""), ("pthread_kill", ", 0"),
                                     ("pthread_getschedparam", ""), ("pthread_getcpuclockid", ""),
                                     ("pthread_getaffinity_np", ""))]
    equal = "pthread_equal(self, self) 1, pthread_equal(self, created) 0"
    assert native.status == 0 and sprig.status == 0 and shared.status == 0, report
    assert native.stdout.splitlines() == [f"{call}: returned 0" for call in calls] + [equal], report
    assert sprig.stdout == native.stdout, report
    # pthread_kill is interposed (signal 0 checks the green thread), the others read the handle as a pointer.
    assert shared.stdout.splitlines() == [
        f"{call}: {'returned 0' if call.startswith('pthread_kill') else 'killed by SIGSEGV'}"
        for call in calls] + [equal], report
    record["as_documented"] = True


def test_self_and_thread_specific_data_before_main(binary_of, preload, results, run):
    """sprig(7), "pthread_self() before main (SPRIG_TLS=shared)" and "Thread-specific data set before main": a
    constructor keeps pthread_self() and sets two keys' values. Natively main is the same thread: equal IDs, and
    pthread_exit() from main runs both destructors. Under sprig main's green thread has the OS thread's identity
    (equal IDs) in the default mode, and its own in the shared mode (the IDs differ); in both it takes over the
    constructor's values only at its first pthread_getspecific() or pthread_setspecific(): without one, no
    destructor runs."""
    record = shown(results, "div_before_main.c",
                   "pthread_self() before main (SPRIG_TLS=shared); Thread-specific data set before main")
    native, sprig, shared, report = run_three(binary_of, run, preload, "div_before_main.c")
    touches_none = "main touches no key, then calls pthread_exit():"
    reads_one = ["main reads one key, then calls pthread_exit():", "  main reads: key 1's value"]
    destructors = ["  destructor ran for key 1's value", "  destructor ran for key 2's value"]
    assert native.status == 0 and sprig.status == 0 and shared.status == 0, report
    assert native.stdout.splitlines() == [
        "pthread_self() in main equals the constructor's: yes", touches_none, *destructors, *reads_one,
        *destructors], report
    assert sprig.stdout.splitlines() == [
        "pthread_self() in main equals the constructor's: yes", touches_none, *reads_one, *destructors], report
    assert shared.stdout.splitlines() == [
        "pthread_self() in main equals the constructor's: no", touches_none, *reads_one, *destructors], report
    record["as_documented"] = True


def test_stack_sizes(binary_of, preload, results, run):
    """sprig(7), "Stack sizes": natively main's stack grows to RLIMIT_STACK (64 MiB here) and a thread without
    an attribute gets RLIMIT_STACK or what pthread_setattr_default_np() set; under sprig main has 8 MiB and such
    a thread 256 KiB, so each child using more dies of SIGSEGV. The attribute's signal mask and CPU affinity
    are ignored under sprig; a stack given with pthread_attr_setstack() is used, as natively."""
    record = shown(results, "div_stack_sizes.c", "Stack sizes")
    native, sprig, report = run_both(binary_of, run, preload, "div_stack_sizes.c")
    children = [
        "16 MiB of locals in main, RLIMIT_STACK 64 MiB: ",
        "1 MiB of locals in a thread made without an attribute: ",
        "12 MiB of locals in a thread, pthread_setattr_default_np() 32 MiB: ",
    ]
    attributes = [
        "a local of the thread lies in the stack given with pthread_attr_setstack(): ",
        "SIGUSR1 blocked in the thread, as pthread_attr_setsigmask_np() said: ",
        "the thread runs on the one CPU pthread_attr_setaffinity_np() said: ",
    ]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [child + "fine" for child in children] + [
        attribute + "yes" for attribute in attributes], report
    # The given stack is honoured (green threads run on it); the mask and affinity are not.
    assert sprig.stdout.splitlines() == [child + "Segmentation fault" for child in children] + [
        attributes[0] + "yes"] + [attribute + "no" for attribute in attributes[1:]], report
    record["as_documented"] = True


def test_synchronisation_objects_shared_outside_the_worker(binary_of, preload, results, run):
    """sprig(7), "Synchronisation objects shared outside the worker": natively an OS thread started before main
    gets a mutex when main unlocks it, a robust mutex whose owner (a thread) exited says EOWNERDEAD, and a
    constructor's locked error-checking mutex is main's to unlock. Under sprig the OS thread's glibc wait never
    sees the green unlock (ETIMEDOUT), trylock says EBUSY (for a process-shared robust mutex too: the kernel
    marks it only when the process ends), and main's unlock EPERM. Process-shared objects are
    glibc's and equal native: another program waiting for a process-shared mutex gets it, and process-shared
    semaphores, rwlocks and barriers are made."""
    record = shown(results, "div_sync_outside.c", "Synchronisation objects shared outside the worker")
    native, sprig, report = run_both(binary_of, run, preload, "div_sync_outside.c")
    os_thread = "an OS thread started before main waits for a mutex main unlocks 100 ms later: "
    program = "another program waits for a process-shared mutex unlocked 100 ms later: 0 before its 500 ms deadline"
    robust = "trylock of a robust mutex whose owner exited: "
    shared_robust = "trylock of a process-shared robust mutex whose owner thread exited: "
    early = "main unlocks an error-checking mutex a constructor locked: "
    shared = ["sem_init(pshared 1): 0", "pthread_rwlock_init(process-shared): 0",
              "pthread_barrier_init(process-shared): 0"]
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        os_thread + "0 before its 500 ms deadline", program, robust + "EOWNERDEAD", shared_robust + "EOWNERDEAD",
        early + "0", *shared], report
    assert sprig.stdout.splitlines() == [
        os_thread + "ETIMEDOUT", program, robust + "EBUSY", shared_robust + "EBUSY", early + "EPERM",
        *shared], report
    record["as_documented"] = True


def test_error_checks_glibc_does_not_make(binary_of, preload, results, run):
    """sprig(7), "Error checks glibc does not make": misuses POSIX leaves undefined. Natively glibc goes ahead:
    a timed condition wait without the mutex times out holding it, the unlocks return 0, pthread_cond_destroy()
    returns 0 once the waiter's wait ended, sem_destroy() returns 0, and pthread_barrier_destroy() waits for a
    round that never completes. Under sprig each fails at once with EPERM or EBUSY."""
    record = shown(results, "div_error_checks.c", "Error checks glibc does not make")
    native, sprig, report = run_both(binary_of, run, preload, "div_error_checks.c")
    timedwait = "pthread_cond_timedwait(50 ms) without holding the mutex: "
    mutex = "pthread_mutex_unlock of an unlocked normal mutex: "
    rwlock = "pthread_rwlock_unlock without holding it: "
    cond = "pthread_cond_destroy while a thread waits 200 ms: "
    sem = "sem_destroy while a thread waits 100 ms: "
    barrier = "pthread_barrier_destroy while a thread waits: "
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        timedwait + "ETIMEDOUT, the mutex held afterwards: yes", mutex + "0", rwlock + "0",
        cond + "0, when the waiter's wait ended; the waiter: ETIMEDOUT", sem + "0; the waiter: ETIMEDOUT",
        barrier + "not returned after 300 ms"], report
    assert sprig.stdout.splitlines() == [
        timedwait + "EPERM, the mutex held afterwards: no", mutex + "EPERM", rwlock + "EPERM",
        cond + "EBUSY, at once; the waiter: ETIMEDOUT", sem + "EBUSY; the waiter: ETIMEDOUT", barrier + "EBUSY"], report
    record["as_documented"] = True


TIMERFD_ARMED = re.compile(r"timerfd_settime\(\d+, TFD_TIMER_ABSTIME, \{it_interval=\{[^}]*\}, "
                           r"it_value=\{tv_sec=(\d+), tv_nsec=(\d+)\}\}")


def traced(binary, preload, tmp_path):
    """Runs binary under strace(1) (not preloaded itself), tracing the calls a deadline reaches the kernel by:
    (program stdout, trace lines)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace(1) is needed (make deps installs it)")
    log = tmp_path / ("sprig.trace" if preload else "native.trace")
    command = [strace, "-f", "-qq", "-o", str(log), "-e", "trace=futex,clock_nanosleep,timerfd_settime"]
    if preload is not None:
        command += ["-E", f"LD_PRELOAD={preload}"]
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    env["LC_ALL"] = "C"
    result = subprocess.run([*command, str(binary)], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, f"{command}: status {result.returncode}\n{result.stdout}{result.stderr}"
    return result.stdout, log.read_text().splitlines()


def waits_of(stdout):
    """(call, result, realtime deadline in ns, monotonic start in ns) per line the program printed."""
    waits = []
    for line in stdout.splitlines():
        call, rest = line.split(": ", 1)
        fields = dict(token.split("=") for token in rest.split()[1:])
        seconds = {key: int(value.replace(".", "")) for key, value in fields.items()}
        waits.append((call, rest.split()[0], seconds["realtime_deadline"], seconds["monotonic_start"]))
    return waits


def test_realtime_deadlines_do_not_follow_clock_changes(binary_of, preload, results, tmp_path):
    """sprig(7), "Realtime deadlines do not follow clock changes". Setting the system clock in a test would
    disturb everything else on the machine; what reaches the kernel shows the difference instead, under
    strace(1). Natively each absolute CLOCK_REALTIME deadline is handed to the kernel as such (a futex wait
    with FUTEX_CLOCK_REALTIME, clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME)), and the kernel moves such a
    wait when the clock is set. Under sprig no call carries a realtime deadline: sprig arms its
    CLOCK_MONOTONIC timerfd at the monotonic time the deadline stood for when the wait started (200 ms after
    it), which setting the clock does not move."""
    record = shown(results, "div_realtime_deadline.c", "Realtime deadlines do not follow clock changes")
    binary = binary_of("div_realtime_deadline.c")
    native_stdout, native_trace = traced(binary, None, tmp_path)
    sprig_stdout, sprig_trace = traced(binary, preload, tmp_path)
    calls = ["pthread_cond_timedwait", "pthread_mutex_timedlock", "sem_timedwait", "pthread_timedjoin_np",
             "clock_nanosleep"]
    native_waits = waits_of(native_stdout)
    sprig_waits = waits_of(sprig_stdout)
    expected = [(call, "0" if call == "clock_nanosleep" else "ETIMEDOUT") for call in calls]
    assert [wait[:2] for wait in native_waits] == expected, native_stdout
    assert [wait[:2] for wait in sprig_waits] == expected, sprig_stdout

    def deadline_text(ns):
        return f"tv_sec={ns // 10**9}, tv_nsec={ns % 10**9}"

    realtime_calls = [line for line in native_trace
                      if "FUTEX_CLOCK_REALTIME" in line or "clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME" in line]
    for call, _, deadline, _ in native_waits:
        assert any(deadline_text(deadline) in line for line in realtime_calls), \
            f"natively the {call} deadline {deadline_text(deadline)} reaches the kernel:\n" + "\n".join(native_trace)

    trace = "\n".join(sprig_trace)
    assert "clock_nanosleep(" not in trace, trace
    for _, _, deadline, _ in sprig_waits:
        assert deadline_text(deadline) not in trace, trace
    assert not any("FUTEX_CLOCK_REALTIME" in line and "tv_sec=" in line for line in sprig_trace), trace
    armed = [int(seconds) * 10**9 + int(nanoseconds)
             for line in sprig_trace for seconds, nanoseconds in TIMERFD_ARMED.findall(line)]
    for call, _, _, start in sprig_waits:
        assert any(abs(value - (start + 200 * 10**6)) < 20 * 10**6 for value in armed), \
            f"no monotonic timer armed near {call}'s start + 200 ms:\n{trace}"
    record["as_documented"] = True


def test_sleeps_on_other_clocks_block_the_worker(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Sleeps on other clocks block the worker": clock_nanosleep() for 200 ms on CLOCK_BOOTTIME
    (relative and absolute) and CLOCK_TAI. Natively a witness thread ticks meanwhile; under sprig these sleeps
    go to libc and block the worker. A CLOCK_MONOTONIC sleep parks under sprig: the witness ticks in both."""
    record = shown(results, "div_other_clock_sleep.c", "Sleeps on other clocks block the worker")
    native, sprig, report = run_both(binary_of, run, preload, "div_other_clock_sleep.c")
    clocks = [f"clock_nanosleep({clock}) for 200 ms: 0"
              for clock in ("CLOCK_BOOTTIME", "CLOCK_BOOTTIME, TIMER_ABSTIME", "CLOCK_TAI")]
    monotonic = "clock_nanosleep(CLOCK_MONOTONIC) for 200 ms: 0; the witness ticked meanwhile: yes"
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [*witnessed(clocks, native=True), monotonic], report
    assert sprig.stdout.splitlines() == [*witnessed(clocks, native=False), monotonic], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_signalfd_does_not_see_signals_sent_to_a_green_thread(binary_of, preload, results, run,
                                                              max_sprig_os_threads):
    """sprig(7), "Signals sent to a green thread are not seen by a signalfd": pthread_kill(SIGUSR1) to a
    thread that blocks it. Natively the thread's signalfd read takes it; under sprig the read gives EAGAIN
    and the signal stays pending for the thread (sigwait takes it). kill() to the process is read both
    ways."""
    record = shown(results, "div_signalfd_thread_signal.c", "Signals sent to a green thread are not seen by a signalfd")
    native, sprig, report = run_both(binary_of, run, preload, "div_signalfd_thread_signal.c")
    process = "kill(getpid(), SIGUSR1), the signalfd read: one signalfd_siginfo, SIGUSR1, SI_USER"
    thread = "pthread_kill(SIGUSR1) to this thread, its signalfd read: "
    pending = "SIGUSR1 still pending for the thread after the read: "
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [thread + "one signalfd_siginfo, SIGUSR1, SI_TKILL", pending + "no",
                                          process], report
    assert sprig.stdout.splitlines() == [thread + "-1 EAGAIN", pending + "yes", process], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_handlers_of_threads_in_pool_waits_run_late(binary_of, preload, results, run):
    """sprig(7), "Handlers of threads in the thread pool's waits run late": a SIGUSR1 with a handler sent with
    pthread_kill to a thread 100 ms into system("sleep 0.5"). Natively the handler runs at once and system()
    goes on waiting; under sprig system() runs on the pool and the handler runs when it has returned. Both
    return the command's status."""
    record = shown(results, "div_signal_pool_wait.c", "Handlers of threads in the thread pool's waits run late")
    native, sprig, report = run_both(binary_of, run, preload, "div_signal_pool_wait.c")
    returned = "system() returned: exit status 0, the handler ran: yes"
    early = "the handler ran while system() still waited: "
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [early + "yes", returned], report
    assert sprig.stdout.splitlines() == [early + "no", returned], report
    record["as_documented"] = True


def test_sprigs_own_descriptors(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "sprig's own descriptors": started with descriptors 0 to 2 only (the harness closes the rest),
    natively the first socket is 3, dup2() onto 5 works, and 61 sockets fit under RLIMIT_NOFILE 64. Under sprig
    the worker's eight descriptors come first: the first socket is 11, dup2() onto 5 (one of sprig's) fails
    with EBUSY, and 53 sockets fit. close() of 6 fails with EBADF in both."""
    record = shown(results, "div_own_descriptors.c", "sprig's own descriptors")
    native, sprig, report = run_both(binary_of, run, preload, "div_own_descriptors.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "the first socket's number: 3", "dup2(that socket, 5): 5", "close(6): -1 EBADF",
        "sockets opened under RLIMIT_NOFILE 64: 61, then EMFILE"], report
    assert sprig.stdout.splitlines() == [
        "the first socket's number: 11", "dup2(that socket, 5): -1 EBUSY", "close(6): -1 EBADF",
        "sockets opened under RLIMIT_NOFILE 64: 53, then EMFILE"], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_async_cancel_acts_late_and_kill_runs_on_the_sender(binary_of, preload, results, run,
                                                            max_sprig_os_threads):
    """An asynchronous cancel cannot stop a green thread that computes: it acts at the thread's next
    cancellation point. pthread_kill to another green thread runs the handler on the target, as
    natively."""
    record = shown(results, "div_cancel_async_and_kill.c", "Asynchronous cancellation")
    native, sprig, report = run_both(binary_of, run, preload, "div_cancel_async_and_kill.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "async cancel: canceled yes, loop finished no",
        "pthread_kill: handler ran on the target: 1",
    ], report
    assert sprig.stdout.splitlines() == [
        "async cancel: canceled yes, loop finished yes",
        "pthread_kill: handler ran on the target: 1",
    ], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_libc_cancellation_points_are_not_seen(binary_of, preload, results, run):
    """A cancel pending while a green thread is in one of libc's own cancellation points (open here)
    acts only at the next interposed one; natively open() itself ends the thread."""
    record = shown(results, "div_cancel_libc_points.c", "Cancellation points inside libc")
    native, sprig, report = run_both(binary_of, run, preload, "div_cancel_libc_points.c")
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "canceled: yes",
        "open() returned before the cancel acted: no",
        "the code after usleep() ran: no",
    ], report
    assert sprig.stdout.splitlines() == [
        "canceled: yes",
        "open() returned before the cancel acted: yes",
        "the code after usleep() ran: no",
    ], report
    record["as_documented"] = True


def test_sched_yield_keeps_the_cpu_while_green_threads_can_run(binary_of, preload, results, run):
    """sprig(7), "sched_yield() keeps the CPU while other green threads can run": two threads of a
    SCHED_FIFO process and a spinning child of the same priority, all on CPU 0, yield in turn. Natively the
    child counts between each thread's yields; under sprig a yield runs the other green thread without
    a system call, so the child runs only once one thread is left (sched_yield_fifo.c shows the lone
    yield giving the CPU away, equal to native)."""
    record = shown(results, "div_sched_yield_others.c",
                   "sched_yield() keeps the CPU while other green threads can run")
    native, sprig, report = run_both(binary_of, run, preload, "div_sched_yield_others.c")
    assert native.status == 0 and sprig.status == 0, report
    if native.stdout.startswith("SCHED_FIFO on CPU 0:"):
        pytest.skip(f"no SCHED_FIFO here: {native.stdout.strip()}")
    counted = "yields after which the child had counted: "
    assert native.stdout.splitlines() == [
        "child ready: yes", f"thread 0: {counted}all, or all but the last",
        f"thread 1: {counted}all, or all but the last"], report
    assert sprig.stdout.splitlines() == [
        "child ready: yes", f"thread 0: {counted}none, or only the last",
        f"thread 1: {counted}none, or only the last"], report
    record["as_documented"] = True
