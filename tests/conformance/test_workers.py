# test_workers.py - several workers (SPRIG_WORKERS): green threads run on several OS threads at once.
# The compared programs run again with two workers when the suite runs with SPRIG_WORKERS=2 in
# its environment (.ci/run does); these tests ask for the worker counts they need themselves.


def fields(output):
    return dict(token.split("=") for token in output.split())


def test_two_spinning_threads_see_each_other_with_two_workers(binary_of, preload, run):
    """sprig(7), "One worker by default": with SPRIG_WORKERS=2 two threads that never block run at
    once, as natively; with one worker the first holds it and never sees the other move."""
    binary = binary_of("workers_spin_watch.c")
    native = run(binary)
    two = run(binary, preload=preload, env={"SPRIG_WORKERS": "2"})
    one = run(binary, preload=preload, env={"SPRIG_WORKERS": "1"})
    for result in (native, two, one):
        assert result.status == 0, f"{native.describe()}\n{two.describe()}\n{one.describe()}"
    native_seen, two_seen, one_seen = fields(native.stdout), fields(two.stdout), fields(one.stdout)
    # Natively, and with two workers, each saw the other's counter move many times.
    assert int(native_seen["seen0"]) > 100 and int(native_seen["seen1"]) > 100, native.stdout
    assert int(two_seen["seen0"]) > 100 and int(two_seen["seen1"]) > 100, two.stdout
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
