# test_conformance.py - each program in programs/ behaves the same natively and under libsprig.so, on green threads.
# (The programs, the runner and the limits come from conftest.py as fixtures:
# `program` is parametrized there, one case per file of programs/.)

LIBUV_POOL_THREADS = 4  # libuv's default pool size (UV_THREADPOOL_SIZE)
TASKS_LINE = "threads in /proc/self/task"


def compared(run_result, program, workers):
    """The stdout lines compared; with several workers, a "counts-tasks" program's count of its
    OS threads is left out: every worker is one (sprig(7), "Several workers")."""
    lines = run_result.compared_stdout()
    if workers > 1 and "counts-tasks" in program.traits:
        lines = [line for line in lines if TASKS_LINE not in line]
    return lines


def test_program(program, binary_of, preload, results, run, max_sprig_os_threads, sprig_workers):
    binary = binary_of(program.name)
    native = run(binary)
    sprig = run(binary, preload=preload)
    compare_stderr = "compare-stderr" in program.traits
    if sprig_workers > 1 and "counts-tasks" in program.traits:
        assert any(TASKS_LINE in line for line in native.compared_stdout()), native.describe()
    equal = (not native.timed_out and not sprig.timed_out and native.status == sprig.status
             and compared(native, program, sprig_workers) == compared(sprig, program, sprig_workers)
             and (not compare_stderr or native.stderr == sprig.stderr))
    results[program.name] = {
        "equal": equal,
        "native_status": native.status,
        "sprig_status": sprig.status,
        "native_max_os_threads": native.max_os_threads,
        "sprig_max_os_threads": sprig.max_os_threads,
    }
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert not native.timed_out, f"{program.name} timed out natively\n{report}"
    assert not sprig.timed_out, f"{program.name} timed out under sprig\n{report}"
    assert (compared(sprig, program, sprig_workers)
            == compared(native, program, sprig_workers)), f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    if compare_stderr:
        assert sprig.stderr == native.stderr, f"stderr differs\n{report}"
    if "green" in program.traits:
        # Natively the threads are OS threads: the check below can fail.
        assert native.max_os_threads > 1, f"native run never showed a second OS thread\n{report}"
        # "pool": the program makes calls sprig runs on libuv's thread pool
        # (system(), waits for any child, DNS), whose 4 OS threads count too.
        allowed = max_sprig_os_threads + (LIBUV_POOL_THREADS if "pool" in program.traits else 0)
        assert sprig.max_os_threads <= allowed, f"threads were not green\n{report}"


SCALE_THREADS = 100_000
SCALE_LIMIT_S = 60


def fields_of(output, first_key):
    """The key=value pairs of the line starting with first_key=."""
    for line in output.splitlines():
        if line.startswith(first_key + "="):
            return dict(token.split("=", 1) for token in line.split() if "=" in token)
    return {}


def test_scale_100k(binary_of, preload, results, run, max_sprig_os_threads):
    """100,000 threads that each sleep 1 s: all created and joined under sprig, on green threads.

    Not compared with native: natively this machine stops near 32k threads
    (pthread_create gives EAGAIN once the stacks' guard and stack mappings
    reach vm.max_map_count). The native run is only reported."""
    binary = binary_of("scale_100k.c")
    sprig = run(binary, [SCALE_THREADS], preload=preload, timeout=SCALE_LIMIT_S + 30)
    native = run(binary, [SCALE_THREADS], timeout=SCALE_LIMIT_S + 30)
    created = fields_of(native.stdout, "created")
    native_summary = (f"native: created {created.get('created', '?')} of {SCALE_THREADS}, "
                      f"error {created.get('error', '?')}, status {native.status}, "
                      f"max {native.max_os_threads} OS threads, {native.seconds:.1f} s")
    print(native_summary)
    sprig_summary = (f"sprig: {' '.join(sprig.stdout.split())}, status {sprig.status}, "
                     f"max {sprig.max_os_threads} OS threads, {sprig.seconds:.1f} s")
    results["scale_100k.c"] = {"equal": None, "summary": f"{sprig_summary}; {native_summary}"}
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert not sprig.timed_out and sprig.status == 0, f"sprig run failed\n{report}"
    assert fields_of(sprig.stdout, "created") == {
        "created": str(SCALE_THREADS), "wanted": str(SCALE_THREADS), "error": "none"}, report
    assert fields_of(sprig.stdout, "joined").get("joined") == str(SCALE_THREADS), report
    assert sprig.seconds < SCALE_LIMIT_S, report
    assert sprig.max_os_threads <= max_sprig_os_threads, f"threads were not green\n{report}"
    # Natively: either the machine allowed them all, or creation failed with EAGAIN.
    assert not native.timed_out, report
    if created.get("error") == "none":
        assert native.status == 0 and fields_of(native.stdout, "joined").get("joined") == str(SCALE_THREADS), report
    else:
        assert created.get("error") == "EAGAIN" and native.status == 1, report
        assert int(created["created"]) == int(fields_of(native.stdout, "joined").get("joined", -1)), report
