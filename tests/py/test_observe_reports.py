# test_observe_reports.py - what sprig says by itself: the deadlock report, the stack-overflow report, the
# watchdog's warning, the dump signal, and the one-line errors for bad SPRIG_* values.
import os
import re
import select
import signal
import subprocess
import time

import pytest

DEADLOCK_LINE = "sprig: all green threads are blocked (deadlock)"


def wait_for_text(process, text, timeout_s):
    """Reads the process's stderr until `text` appears; returns what was read."""
    seen = ""
    deadline = time.monotonic() + timeout_s
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} not seen within {timeout_s} s; stderr so far:\n{seen}"
        ready, _, _ = select.select([process.stderr], [], [], left)
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536).decode(errors="replace")
            assert chunk, f"stderr closed before {text!r}; so far:\n{seen}"
            seen += chunk
    time.sleep(0.2)  # the rest of the report
    ready, _, _ = select.select([process.stderr], [], [], 0)
    if ready:
        seen += os.read(process.stderr.fileno(), 1 << 20).decode(errors="replace")
    return seen


def deadlock_report(binary, env, timeout_s=10):
    """Runs a deadlocking program: (report on stderr, still running after it, cpu seconds)."""
    process = subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env)
    try:
        report = wait_for_text(process, DEADLOCK_LINE, timeout_s)
        time.sleep(0.3)
        running = process.poll() is None
    finally:
        process.kill()
        process.wait()
    return report, running


def thread_lines(report):
    return [line for line in report.splitlines() if re.match(r"^\s+\d+  ", line)]


def test_lock_order_deadlock_is_reported_and_the_process_hangs(observe_program, sprig_env):
    report, running = deadlock_report(observe_program("deadlock_lock_order.c"), sprig_env())
    assert running, "by default the process keeps hanging, as natively"
    lines = thread_lines(report)
    assert len(lines) == 3, report
    # With several workers the ids come from each worker's range (1025 on the second): read them.
    ids = [line.split()[0] for line in lines]
    joined = re.search(r"join (\d+)$", lines[0])
    assert joined and joined.group(1) in ids[1:], report
    held = [re.search(r"mutex (0x[0-9a-f]+) held by (\d+)$", line) for line in lines[1:]]
    assert all(held), report
    # Each thread waits for the mutex the other holds: the cycle is in the report.
    assert [match.group(2) for match in held] == [ids[2], ids[1]], report
    assert held[0].group(1) != held[1].group(1)
    assert "forward" in report and "backward" in report, "the backtraces show where each thread waits"


def test_join_cycle_is_reported(observe_program, sprig_env):
    report, running = deadlock_report(observe_program("deadlock_join_cycle.c"), sprig_env())
    assert running
    lines = thread_lines(report)
    assert len(lines) == 2, report
    assert lines[0].strip().startswith("1 ") and lines[0].endswith("join 2"), report
    assert lines[1].strip().startswith("2 ") and lines[1].endswith("join 1"), report
    assert "join_main" in report


def test_condition_variable_nobody_signals_is_reported(observe_program, sprig_env):
    report, running = deadlock_report(observe_program("deadlock_cond.c"), sprig_env())
    assert running
    lines = thread_lines(report)
    assert len(lines) == 2, report
    assert re.search(r"forgotten\s+parked\s+.*cond 0x[0-9a-f]+$", lines[1]), report
    assert "wait_for_ever" in report


def test_deadlock_abort_ends_with_sigabrt(observe_program, sprig_env):
    process = subprocess.run([str(observe_program("deadlock_cond.c"))], capture_output=True, text=True, timeout=20,
                             env=sprig_env(SPRIG_ON_DEADLOCK="abort"))
    assert process.returncode == -signal.SIGABRT, process.stderr
    assert DEADLOCK_LINE in process.stderr
    assert "SPRIG_ON_DEADLOCK=abort" in process.stderr


def test_no_deadlock_report_while_a_child_process_can_still_wake_a_thread(observe_program, sprig_env):
    result = subprocess.run([str(observe_program("not_deadlocked.c"))], capture_output=True, text=True, timeout=20,
                            env=sprig_env())
    assert result.returncode == 0 and result.stdout == "woken\n"
    assert DEADLOCK_LINE not in result.stderr and result.stderr == ""


def test_off_says_nothing_and_hangs(observe_program, sprig_env):
    process = subprocess.Popen([str(observe_program("deadlock_cond.c"))], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=sprig_env(SPRIG_ON_DEADLOCK="off"))
    try:
        time.sleep(1.0)
        assert process.poll() is None
    finally:
        process.kill()
        _, errors = process.communicate(timeout=10)
    assert errors == b""


def test_stack_overflow_is_reported_and_the_process_dies_of_sigsegv(observe_program, sprig_env):
    binary = observe_program("hard_stack_overflow.c")
    for stack_size, kib in ((None, 256), ("64K", 64)):
        env = sprig_env() if stack_size is None else sprig_env(SPRIG_STACK_SIZE=stack_size)
        result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, env=env)
        assert result.returncode == -signal.SIGSEGV, result.stderr
        assert "the thread starts its unbounded recursion" in result.stdout
        match = re.search(r"^sprig: green thread (\d+) \((\S+)\) overflowed its (\d+) KiB stack$", result.stderr,
                          re.MULTILINE)
        assert match, result.stderr
        # Not main (1): the thread that recursed, whichever worker numbered it.
        assert match.group(1) != "1" and match.group(2) == "hard_stack_over" and int(match.group(3)) == kib
        assert "SPRIG_STACK_SIZE" in result.stderr
        frames = [line for line in result.stderr.splitlines() if line.startswith("  #")]
        assert "recurse+" in frames[0], result.stderr
        assert any("frames)" in line and "recurse+" in line for line in frames), "the recursion is said once"
        assert any(" overflow+" in line for line in frames), "and the function that started it"


def test_a_program_with_its_own_sigsegv_handler_keeps_it(observe_program, sprig_env):
    result = subprocess.run([str(observe_program("hard_stack_overflow_handler.c"))], capture_output=True, text=True,
                            timeout=30, env=sprig_env())
    assert result.returncode == 3, result.stderr
    assert "handler: the fault is just below the deepest frame" in result.stdout
    assert "overflowed" not in result.stderr


def test_watchdog_catches_a_200_ms_busy_loop(observe_program, sprig_env):
    binary = observe_program("watchdog_spin.c")
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30,
                            env=sprig_env(SPRIG_WATCHDOG_MS=100))
    assert result.returncode == 0 and result.stdout == "done\n"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("sprig: watchdog:")]
    assert len(warnings) == 1, result.stderr
    match = re.match(r"sprig: watchdog: green thread 2 \(spinner\) has kept its worker from switching for (\d+) ms",
                     warnings[0])
    assert match and 100 <= int(match.group(1)) < 200, warnings[0]
    assert "busy_loop+" in result.stderr and "spinner+" in result.stderr
    # Off by default, and quiet under a threshold the loop does not reach.
    for env in (sprig_env(), sprig_env(SPRIG_WATCHDOG_MS=2000)):
        quiet = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, env=env)
        assert quiet.returncode == 0 and quiet.stderr == ""


def test_dump_signal_writes_the_dump_to_stderr(observe_program, sprig_env):
    binary = observe_program("deadlock_cond.c")
    process = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=sprig_env(SPRIG_DUMP_SIGNAL="USR2", SPRIG_ON_DEADLOCK="off"))
    try:
        cond = process.stdout.readline().decode().split()[1]
        os.kill(process.pid, signal.SIGUSR2)
        report = wait_for_text(process, "wait_for_ever", 10)
        assert process.poll() is None, "the signal does not end the process"
    finally:
        process.kill()
        process.wait()
    assert "sprig: thread dump (signal 12, SPRIG_DUMP_SIGNAL)" in report
    lines = thread_lines(report)
    assert len(lines) == 2 and lines[1].endswith(f"cond {cond}"), report


def test_without_dump_signal_the_signal_acts_as_natively(observe_program, sprig_env):
    process = subprocess.Popen([str(observe_program("deadlock_cond.c"))], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=sprig_env(SPRIG_ON_DEADLOCK="off"))
    process.stdout.readline()
    os.kill(process.pid, signal.SIGUSR2)
    assert process.wait(timeout=10) == -signal.SIGUSR2


@pytest.mark.parametrize("variable,value", [("SPRIG_DUMP_SIGNAL", "KILL"), ("SPRIG_DUMP_SIGNAL", "NOPE"),
                                            ("SPRIG_ON_DEADLOCK", "explode"), ("SPRIG_WATCHDOG_MS", "-5"),
                                            ("SPRIG_STATS", "yes"), ("SPRIG_TRACE_EVENTS", "10")])
def test_bad_values_are_refused_with_one_line(observe_program, sprig_env, variable, value):
    result = subprocess.run([str(observe_program("deadlock_cond.c"))], capture_output=True, text=True, timeout=10,
                            env=sprig_env(**{variable: value}))
    assert result.returncode == 127
    assert result.stderr.startswith(f"sprig: {variable}: bad value '{value}'") and result.stderr.count("\n") == 1


def test_sigsegv_action_and_alternate_stack_are_the_programs(observe_program, sprig_env):
    """sprig's stack-overflow report has a SIGSEGV handler and an alternate stack on the worker's OS
    thread, but the program sees what it had: SIG_DFL and no alternate stack, as natively."""
    binary = observe_program("segv_action.c")
    native = subprocess.run([str(binary)], capture_output=True, text=True, timeout=10)
    sprig = subprocess.run([str(binary)], capture_output=True, text=True, timeout=10, env=sprig_env())
    assert native.stdout == "segv_default=1 altstack=0\n"
    assert sprig.stdout == native.stdout
