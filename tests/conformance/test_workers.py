# test_workers.py - several workers (SPRIG_WORKERS): green threads run on several OS threads at once.
# The compared programs run with sprig's default (one worker per CPU) in `make test-py` and again
# with SPRIG_WORKERS=1 in `make test-workers`; these tests ask for the worker counts they need
# themselves.
import os
import subprocess


def fields(output):
    return dict(token.split("=") for token in output.split())


def test_two_spinning_threads_see_each_other_with_two_workers(binary_of, preload, run):
    """sprig(7), "The worker": with SPRIG_WORKERS=2 two threads that never block run at
    once, as natively; with one worker the first holds it and never sees the other move."""
    binary = binary_of("workers_spin_watch.c")
    native = run(binary)
    two = run(binary, preload=preload, env={"SPRIG_WORKERS": "2"})
    one = run(binary, preload=preload, env={"SPRIG_WORKERS": "1"})
    for result in (native, two, one):
        assert result.status == 0, f"{native.describe()}\n{two.describe()}\n{one.describe()}"
    native_seen, two_seen, one_seen = fields(native.stdout), fields(two.stdout), fields(one.stdout)
    # Natively, and with two workers, each saw the other's counter move (thousands of times on a
    # quiet machine, about a hundred on a loaded one; with one worker it sees 0).
    assert int(native_seen["seen0"]) > 10 and int(native_seen["seen1"]) > 10, native.stdout
    assert int(two_seen["seen0"]) > 10 and int(two_seen["seen1"]) > 10, two.stdout
    # The two spun on two OS threads (the workers) while the process had no others.
    assert int(two_seen["tasks"]) == 2, two.stdout
    # One worker: the first runs alone to its end (it saw 0 changes), then the second sees one.
    assert min(int(one_seen["seen0"]), int(one_seen["seen1"])) == 0, one.stdout
    assert int(one_seen["tasks"]) in (0, 1), one.stdout


def test_a_bad_worker_count_is_refused(binary_of, preload, run):
    """SPRIG_WORKERS outside 1..64 stops the program before main with one line, status 127."""
    binary = binary_of("workers_spin_watch.c")
    for value in ("0", "65", "two"):
        result = run(binary, preload=preload, env={"SPRIG_WORKERS": value})
        assert result.status == 127, result.describe()
        assert result.stderr.startswith("sprig: SPRIG_WORKERS: "), result.stderr
        assert result.stdout == ""


def test_by_default_one_worker_per_cpu_of_the_affinity_mask(binary_of, preload):
    """sprig(7), "The worker": without SPRIG_WORKERS a process gets one worker per CPU it may run on
    (two spinning threads run at once on a machine of two CPUs or more), and `taskset -c N` gives
    it one (the first spinner holds it)."""
    binary = binary_of("workers_spin_watch.c")
    env = {key: value for key, value in os.environ.items() if key not in ("LD_PRELOAD", "SPRIG_WORKERS")}
    env["LD_PRELOAD"] = str(preload)
    cpus = sorted(os.sched_getaffinity(0))

    def spin_watch(cpu_set):
        done = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, env=env,
                              stdin=subprocess.DEVNULL, preexec_fn=lambda: os.sched_setaffinity(0, cpu_set))
        assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
        return fields(done.stdout)

    pinned = spin_watch({cpus[0]})
    assert min(int(pinned["seen0"]), int(pinned["seen1"])) == 0, pinned
    assert int(pinned["tasks"]) in (0, 1), pinned
    if len(cpus) >= 2:
        every = spin_watch(set(cpus))
        assert int(every["seen0"]) > 10 and int(every["seen1"]) > 10, every
        assert int(every["tasks"]) == min(len(cpus), 64), every


def test_a_thread_woken_from_an_idle_worker_moves_there(binary_of, preload, run):
    """sprig(7), "Several workers": main waits on a condition variable beside a thread that
    computes for 600 ms; a thread of the other worker signals it after 50 ms. Natively main runs at
    once. Under sprig with two workers it moves to the signaller's worker, which is idle, and also
    runs before the computation ends, with its errno and thread-locals intact; SPRIG_STATS counts
    the move. It stays, and waits for the computation to end, with SPRIG_MOVE=0, with
    SPRIG_TLS=shared (its TLS cannot go with it), and with one worker."""
    binary = binary_of("workers_wake_moves.c")
    native = run(binary)
    assert native.status == 0, native.describe()
    assert native.stdout == "woke_while_computing=yes own_state_kept=yes\n", native.describe()
    moved = run(binary, preload=preload, env={"SPRIG_WORKERS": "2", "SPRIG_STATS": "1"})
    assert moved.status == 0, moved.describe()
    assert moved.stdout == native.stdout, moved.describe()
    moves = [line for line in moved.stderr.splitlines() if line.startswith("  moves: ")]
    assert len(moves) == 1 and int(moves[0].split()[1]) >= 1, moved.stderr
    for env in ({"SPRIG_WORKERS": "2", "SPRIG_MOVE": "0"}, {"SPRIG_WORKERS": "2", "SPRIG_TLS": "shared"},
                {"SPRIG_WORKERS": "1"}):
        stayed = run(binary, preload=preload, env=env)
        assert stayed.status == 0, f"{env}: {stayed.describe()}"
        assert stayed.stdout == "woke_while_computing=no own_state_kept=yes\n", f"{env}: {stayed.describe()}"
