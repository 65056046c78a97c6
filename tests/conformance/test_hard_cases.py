# test_hard_cases.py - hard cases whose native behaviour is not a comparable output: a deadlock, a CPU-bound thread.
import os
import signal
import subprocess
import time

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
    """Runs binary; returns (still running after HANG_OBSERVED_S, its CPU seconds by then, stdout)."""
    process = subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               env=sprig_env(preload))
    try:
        time.sleep(HANG_OBSERVED_S)
        running = process.poll() is None
        cpu = cpu_seconds(process.pid) if running else 0.0
    finally:
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate(timeout=10)
    return running, cpu, output.decode()


def test_a_deadlock_hangs_as_natively_without_burning_cpu(binary_of, preload):
    """sprig(7): every green thread blocked for good hangs the process, as natively; the worker sleeps."""
    binary = binary_of("deadlock_lock_order.c")
    native_running, _, native_output = hang_report(binary, None)
    sprig_running, sprig_cpu, sprig_output = hang_report(binary, preload)
    assert native_running and sprig_running, "both must still be hanging"
    assert native_output == sprig_output == "both threads started\n"
    assert sprig_cpu < 0.5, f"a deadlocked worker must sleep, not spin: {sprig_cpu} s of CPU"


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
