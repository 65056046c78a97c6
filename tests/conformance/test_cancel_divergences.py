# test_cancel_divergences.py - the cancellation and pthread_kill divergences sprig(7) lists, shown as they are.


def test_async_cancel_acts_at_the_next_cancellation_point_and_kill_runs_on_the_sender(
        binary_of, preload, run, results, max_sprig_os_threads):
    """An asynchronous cancel cannot stop a green thread that computes: it acts at the
    thread's next cancellation point. pthread_kill to another green thread runs the
    handler on the worker's OS thread, in the sender's context."""
    binary = binary_of("div_cancel_async_and_kill.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    results["div_cancel_async_and_kill.c"] = {
        "equal": None,
        "summary": "native: async cancel stops the loop, the handler runs on the target; "
                   "sprig: the cancel acts after the loop, the handler runs on the sender (sprig(7))"}
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "async cancel: canceled yes, loop finished no",
        "pthread_kill: handler ran on the target: 1",
    ], report
    assert sprig.stdout.splitlines() == [
        "async cancel: canceled yes, loop finished yes",
        "pthread_kill: handler ran on the target: 0",
    ], report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
