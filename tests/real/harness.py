# harness.py - real programs from Debian, run natively and under sprig: the command line, OS-thread sampling, loopback ports, cleanup.
#
# (A module of its own, not conftest.py: tests/conformance has a conftest.py too, and
# `from conftest import` would find whichever pytest imported last.)
#
# Each test runs one scenario twice, natively and under sprig, and compares what the program
# printed. While a program runs, /proc/PID/task is sampled every few milliseconds; the most OS
# threads seen at once tells whether its threads were green (under sprig every green thread runs
# on the process's worker threads, one per CPU by default).
import collections
import functools
import dataclasses
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"
PYTHON = "/usr/bin/python3"  # Debian's, never a pyenv shim

# As in tests/conformance: one OS thread per worker (SPRIG_WORKERS, else one per CPU of the
# affinity mask, sprig's default), plus room for one helper thread of sprig's own.
MAX_SPRIG_OS_THREADS = 1 + (int(os.environ.get("SPRIG_WORKERS") or 0)
                            or min(len(os.sched_getaffinity(0)), 64))
SAMPLE_INTERVAL_S = 0.002
RUN_TIMEOUT_S = 30
STOP_GRACE_S = 3

# program name -> {"native": {...}, "sprig": {...}}, printed at the end of the session.
RESULTS = collections.defaultdict(dict)


def build_dir_path():
    return pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build").resolve()


LAUNCHER = REPO_ROOT / "scripts" / "sprig"


@functools.cache
def launcher_library():
    """The libsprig.so that scripts/sprig would preload (build/ of this tree), or None."""
    try:
        printed = subprocess.run([LAUNCHER, "--print-library"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return pathlib.Path(printed.stdout.strip()).resolve() if printed.returncode == 0 else None


def sprig_command(argv, env, preload):
    """How a program is run under sprig, in one place: `scripts/sprig -- PROG ARGS`, the launcher a
    user runs. When the tests use another build than the launcher's (SPRIG_BUILD elsewhere than
    build/), that build's libsprig.so goes into LD_PRELOAD instead. -> (argv, env)."""
    if launcher_library() == pathlib.Path(preload).resolve():
        return [LAUNCHER, "--", *argv], dict(env)
    env = dict(env)
    env["LD_PRELOAD"] = str(preload)
    return list(argv), env


def require(program, package):
    """The absolute path of `program`; skips the test, saying why, when its Debian package is missing."""
    path = shutil.which(program, path="/usr/bin:/usr/sbin:/bin:/sbin")
    if path is None:
        pytest.skip(f"{program} not found: the Debian package {package} is not installed "
                    f"(`make deps` installs it; skipped only because it could not be installed here)")
    return path


def free_port():
    """A loopback TCP port that was free a moment ago (for programs that cannot bind port 0 and say which)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def count_tasks(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def task_names(pid):
    names = collections.Counter()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return names
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                names[comm.read().strip()] += 1
        except OSError:
            pass
    return names


def maps_sprig(pid):
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return "libsprig.so" in maps.read()
    except OSError:
        return None


@dataclasses.dataclass
class Outcome:
    """How one run went: output, status, and the OS threads seen."""

    label: str  # "native" or "sprig"
    stdout: str = ""
    stderr: str = ""
    status: int = None  # exit status, -signal, or None while running / when stopped by the test
    max_threads: int = 0
    # With names=True: the threads' names (comm) when the most were seen.
    names_at_max: dict = dataclasses.field(default_factory=dict)
    preloaded: bool = None  # libsprig.so seen in /proc/PID/maps
    seconds: float = 0.0
    timed_out: bool = False

    def summary(self):
        end = "timed out" if self.timed_out else f"status {self.status}"
        names = f" {self.names_at_max}" if self.names_at_max else ""
        return f"{end}, {self.seconds:.2f} s, max {self.max_threads} OS threads{names}"

    def describe(self):
        return f"{self.label}: {self.summary()}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr[-4000:]}---"


class Program:
    """A started process, sampled while it runs; stop() (or leaving the with block) kills it."""

    def __init__(self, argv, under_sprig, preload, *, env=None, cwd=None, stdin=subprocess.DEVNULL,
                 names=False):
        base_env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
        base_env["LC_ALL"] = "C"
        base_env.update(env or {})
        if under_sprig:
            argv, base_env = sprig_command(argv, base_env, preload)
        self.outcome = Outcome("sprig" if under_sprig else "native")
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self._names = names
        self._stopping = threading.Event()
        self._start = time.monotonic()
        self.process = subprocess.Popen([str(arg) for arg in argv], stdin=stdin, stdout=self._out,
                                        stderr=self._err, env=base_env, cwd=cwd, start_new_session=True)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @property
    def pid(self):
        return self.process.pid

    def _sample(self):
        outcome = self.outcome
        next_maps_look = 0.0
        while not self._stopping.is_set() and self.process.poll() is None:
            # The loader maps libsprig.so only after exec: look again (every 20 ms) until it is seen.
            if not outcome.preloaded and time.monotonic() >= next_maps_look:
                seen = maps_sprig(self.pid)
                if seen is not None:
                    outcome.preloaded = seen
                next_maps_look = time.monotonic() + 0.02
            count = count_tasks(self.pid)
            if count >= outcome.max_threads:
                outcome.max_threads = count
                if self._names:
                    outcome.names_at_max = dict(task_names(self.pid))
            time.sleep(SAMPLE_INTERVAL_S)

    @staticmethod
    def _contents(file):
        # pread, not seek and read: the file's offset is shared with the program writing to it (and with
        # any descendant still alive), and a seek(0) between two of its writes made the next one
        # overwrite the start of the output.
        descriptor = file.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")

    def output_so_far(self):
        return self._contents(self._out)

    def wait(self, timeout=RUN_TIMEOUT_S):
        """Waits for the program to end by itself; kills it after `timeout`."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.outcome.timed_out = True
        return self.stop()

    def stop(self):
        """Ends the process group (SIGTERM, then SIGKILL) if still running; collects the outcome."""
        if self.process.poll() is None and not self.outcome.timed_out:
            stopped_by_test = True
        else:
            stopped_by_test = False
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self._stopping.set()
        self._sampler.join(timeout=5)
        outcome = self.outcome
        outcome.seconds = time.monotonic() - self._start
        outcome.status = None if stopped_by_test else self.process.returncode
        outcome.stdout = self._contents(self._out)
        outcome.stderr = self._contents(self._err)
        self._out.close()
        self._err.close()
        return outcome

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._out.closed:
            self.stop()


def run_program(argv, under_sprig, preload, timeout=RUN_TIMEOUT_S, **options):
    """Runs a program to its end; -> Outcome."""
    return Program(argv, under_sprig, preload, **options).wait(timeout)


def run_compared(name, argv, preload, timeout=RUN_TIMEOUT_S, **options):
    """Runs argv to its end natively, then under sprig, records both under `name` and fails if either timed
    out; -> (native, sprig, report for assertion messages)."""
    native = run_program(argv, False, preload, timeout, **options)
    sprig = run_program(argv, True, preload, timeout, **options)
    record(name, native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}"
    assert_ran(native, report)
    assert_ran(sprig, report)
    return native, sprig, report


def wait_for_port(port, program, timeout=10):
    """Waits until something accepts on 127.0.0.1:port; fails if `program` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if program.process.poll() is not None:
            outcome = program.stop()
            pytest.fail(f"the server ended before listening on {port}\n{outcome.describe()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    outcome = program.stop()
    pytest.fail(f"nothing listens on {port} after {timeout} s\n{outcome.describe()}")


def wait_for_output(program, pattern, timeout=10):
    """Waits until the program's stdout matches `pattern` (a compiled regex); -> the match."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(program.output_so_far())
        if match:
            return match
        if program.process.poll() is not None:
            break
        time.sleep(0.02)
    outcome = program.stop()
    pytest.fail(f"no {pattern.pattern!r} in the program's output\n{outcome.describe()}")


def record(name, native, sprig, **extra):
    RESULTS[name] = {"native": dataclasses.asdict(native), "sprig": dataclasses.asdict(sprig), **extra}
    for outcome in (native, sprig):
        RESULTS[name][outcome.label].pop("stdout")
        RESULTS[name][outcome.label].pop("stderr")
    RESULTS[name]["summary"] = f"native {native.summary()}; sprig {sprig.summary()}"


def assert_ran(outcome, report):
    assert not outcome.timed_out, f"{outcome.label} run timed out\n{report}"


def assert_green(native, sprig, report, native_at_least):
    """The sprig run had libsprig.so and at most MAX_SPRIG_OS_THREADS OS threads; the native run had
    at least `native_at_least`, so that the check can fail."""
    assert native.preloaded is not True, f"the native run had libsprig.so loaded\n{report}"
    assert sprig.preloaded, f"libsprig.so was not seen in the sprig run's /proc/PID/maps\n{report}"
    assert native.max_threads >= native_at_least, (
        f"natively only {native.max_threads} OS threads were seen (want >= {native_at_least}), "
        f"so the green check would prove nothing\n{report}")
    assert sprig.max_threads <= MAX_SPRIG_OS_THREADS, (
        f"threads were not green: {sprig.max_threads} OS threads\n{report}")
