# test_hard_cases.py - hard cases the generic comparison cannot run alone: a deadlock, a CPU-bound thread,
# programs that dlopen a library built here, and what system() does to the other threads.
import os
import pathlib
import signal
import subprocess
import time

import pytest

LIBRARIES_DIR = pathlib.Path(__file__).resolve().parent / "programs" / "libs"

HANG_OBSERVED_S = 1.5


def sprig_env(preload):
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    return env


def cpu_seconds(pid):
    """utime + stime of a live process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hang_report(binary, preload):
    """Runs binary; returns (still running after HANG_OBSERVED_S, its CPU seconds by then, stdout, stderr)."""
    process = subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=sprig_env(preload))
    try:
        time.sleep(HANG_OBSERVED_S)
        running = process.poll() is None
        cpu = cpu_seconds(process.pid) if running else 0.0
    finally:
        process.send_signal(signal.SIGKILL)
        output, errors = process.communicate(timeout=10)
    return running, cpu, output.decode(), errors.decode()


def test_a_deadlock_hangs_as_natively_without_burning_cpu(binary_of, preload):
    """sprig(7): every green thread blocked for good hangs the process, as natively; the worker sleeps.
    sprig says so on stderr (SPRIG_ON_DEADLOCK; tests/py/test_observe_reports.py checks the report)."""
    binary = binary_of("deadlock_lock_order.c")
    native_running, _, native_output, native_errors = hang_report(binary, None)
    sprig_running, sprig_cpu, sprig_output, sprig_errors = hang_report(binary, preload)
    assert native_running and sprig_running, "both must still be hanging"
    assert native_output == sprig_output == "both threads started\n"
    assert sprig_cpu < 0.5, f"a deadlocked worker must sleep, not spin: {sprig_cpu} s of CPU"
    assert native_errors == ""
    assert sprig_errors.startswith("sprig: all green threads are blocked (deadlock)\n"), sprig_errors


@pytest.mark.usefixtures("one_worker")
def test_a_cpu_bound_thread_holds_its_worker(binary_of, preload, results, run):
    """sprig(7), "No preemption": while one green thread computes without a call, the others wait."""
    record = results["cpu_bound.c"] = {"equal": None, "divergence": "No preemption", "as_documented": False}
    binary = binary_of("cpu_bound.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    assert native.status == 0 and sprig.status == 0, f"{native.describe()}\n{sprig.describe()}"
    native_fields = dict(token.split("=") for token in native.stdout.split())
    sprig_fields = dict(token.split("=") for token in sprig.stdout.split())
    # Natively the ticker runs beside the spinner (2 cores); under sprig it cannot.
    assert int(native_fields["ticks_during_spin"]) >= 10, native.stdout
    assert int(sprig_fields["ticks_during_spin"]) == 0, sprig.stdout
    # Both tickers finish all their ticks in the end.
    assert native_fields["ticks"] == sprig_fields["ticks"] == "200"
    record["as_documented"] = True


def build_library(source_name, out_dir):
    """Compiles programs/libs/<source_name> into out_dir as a shared library; returns its path."""
    library = out_dir / f"lib{pathlib.Path(source_name).stem}.so"
    command = ["gcc", "-shared", "-fPIC", "-O1", "-pthread", "-Wall", "-Wextra", "-o", str(library),
               str(LIBRARIES_DIR / source_name)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}{result.stderr}"
    return library


def test_dlopen_library_threads_are_green(binary_of, preload, run, tmp_path, max_sprig_os_threads):
    """A dlopen()ed library's constructor thread and the threads its functions create (mutex, sleeps)
    behave as natively, and under sprig they are green threads."""
    library = build_library("dlopen_workers.c", tmp_path)
    binary = binary_of("hard_dlopen_threads.c")
    native = run(binary, [library])
    sprig = run(binary, [library], preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    assert sprig.compared_stdout() == native.compared_stdout(), report
    assert native.compared_stdout().count("counter after both callers: 240 (expected 240)") == 2, report
    # Natively the library's threads are OS threads (up to 8 per caller, two callers at once).
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, f"the library's threads were not green\n{report}"


def test_library_threads_from_dlsym_next_are_green(binary_of, preload, run, tmp_path, max_sprig_os_threads):
    """A library that takes pthread_create from dlsym(RTLD_NEXT, ...), as jemalloc does for its background
    threads (redis-server): its threads are green too, and share a mutex with the program's own threads."""
    library = build_library("next_pthread_create.c", tmp_path)
    binary = binary_of("hard_dlsym_next_threads.c")
    native = run(binary, [library])
    sprig = run(binary, [library], preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout == "the library's threads ran: 0\ncounter: 200160 (expected 200160)\n", report
    assert sprig.stdout == native.stdout, report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, f"the library's threads were not green\n{report}"


def test_dlopen_does_not_wait_for_another_threads_dlopen(binary_of, preload, results, run, tmp_path):
    """sprig(7), "dlopen() does not wait for another thread's dlopen()": natively the loader lock makes
    a second dlopen wait until the first one's constructor has returned; under sprig the first thread
    parks inside the constructor and the second dlopen returns the library uninitialised."""
    record = results["hard_dlopen_constructor_wait.c"] = {
        "equal": None, "divergence": "dlopen() does not wait for another thread's dlopen()",
        "as_documented": False}
    library = build_library("slow_constructor.c", tmp_path)
    binary = binary_of("hard_dlopen_constructor_wait.c")
    native = run(binary, [library])
    sprig = run(binary, [library], preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    first = "the second dlopen returned a library whose constructor had finished: "
    assert native.stdout.splitlines()[0] == first + "yes", report
    assert sprig.stdout.splitlines()[0] == first + "no", report
    # Past that, both end the same: one handle, and the library initialised.
    assert native.stdout.splitlines()[1:] == sprig.stdout.splitlines()[1:], report
    record["as_documented"] = True


def nocompare_number(output, label):
    """The number after `#nocompare <label>: `."""
    for line in output.splitlines():
        if line.startswith(f"#nocompare {label}: "):
            return int(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no '#nocompare {label}' line in:\n{output}")


@pytest.mark.usefixtures("one_worker")
def test_popen_reads_block_the_worker(binary_of, preload, results, run):
    """sprig(7), "Calls made inside libc are not interposed": reading a popen() stream is libc's own
    read, so under sprig no other green thread runs until the command answers; natively a witness
    thread ticks every 5 ms meanwhile. system() and a waitpid() of the program's own park only their
    thread (system() runs on libuv's pool): the witness ticks through both."""
    record = results["proc_system_popen_threads.c (popen)"] = {
        "equal": None, "divergence": "Calls made inside libc are not interposed", "as_documented": False}
    binary = binary_of("proc_system_popen_threads.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    assert nocompare_number(native.stdout, "ticks during popen") >= 10, report
    assert nocompare_number(sprig.stdout, "ticks during popen") == 0, report
    for run_result in (native, sprig):
        assert nocompare_number(run_result.stdout, "ticks during system") >= 10, report
        assert nocompare_number(run_result.stdout, "ticks during waitpid") >= 10, report
    record["as_documented"] = True


def test_another_preloaded_wrapper_of_an_interposed_call(binary_of, preload, results, run, tmp_path):
    """sprig(7), "Other preloaded libraries that wrap the same calls": a wrapper of usleep preloaded after
    libsprig.so (as `sprig` orders an existing LD_PRELOAD) sees the call made before main, and its
    dlsym(RTLD_NEXT) reaches libc as natively, with no loop through sprig; main's call, on a green thread,
    is sprig's and does not reach the wrapper. Natively the wrapper sees both."""
    record = results["hard_preload_wrapper.c"] = {
        "equal": None, "divergence": "Other preloaded libraries that wrap the same calls", "as_documented": False}
    wrapper = build_library("wrap_usleep.c", tmp_path)
    binary = binary_of("hard_preload_wrapper.c")
    native = run(binary, preload=str(wrapper))
    sprig = run(binary, preload=f"{preload}:{wrapper}")
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    before = "calls the wrapper saw before main: 1"
    assert native.stdout.splitlines() == [before, "calls the wrapper saw after main's usleep: 2"], report
    assert sprig.stdout.splitlines() == [before, "calls the wrapper saw after main's usleep: 1"], report
    record["as_documented"] = True
