# test_divergences.py - each divergence from native behaviour that sprig(7) lists, shown as it is.


def test_thread_local_variables_are_per_os_thread(binary_of, preload, run, max_sprig_os_threads):
    """__thread / thread_local variables belong to the OS thread; all green threads of a worker share them."""
    binary = binary_of("thread_local.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    assert native.status == 0 and sprig.status == 0, f"native: {native.describe()}\nsprig: {sprig.describe()}"

    # Natively each thread has its own instances: its own 10 increments, the initial value 5.
    native_lines = native.stdout.splitlines()
    assert native_lines[:4] == [f"thread {i}: counter 10, initial value 5" for i in range(4)]
    assert native_lines[4] == "main: counter 0, initialised 9"

    # Under sprig the four threads and main share one instance of each: the
    # threads start from main's 9, and the counter holds all 40 increments.
    sprig_lines = sprig.stdout.splitlines()
    assert all(line.endswith("initial value 9") for line in sprig_lines[:4]), sprig.stdout
    assert sprig_lines[4] == "main: counter 40, initialised 9", sprig.stdout
    assert sprig.max_os_threads <= max_sprig_os_threads
