"""bench_common.py - what the parts of `make bench` share: figures with their samples, and running
a program with a time limit, a memory cap, a CPU and its resource usage.

A figure is one measured quantity under one configuration, named by an id
such as "echo_rate server=echo_threads runtime=sprig connections=100": the
name, then its parameters. Each repetition adds one sample; the report gives
the median and the spread (min-max) of the samples, always with the unit.

sprig has two thread-identity modes, chosen by SPRIG_TLS in the measured
program's environment: "thread" (the default: each green thread has its own
glibc identity, thread pointer and TLS) and "shared" (one identity per OS
thread). A measured program never inherits SPRIG_TLS from bench.py's
environment: it runs in the default mode unless the suite passes env (see
TLS_ENV), so a figure without a tls= parameter is always the default mode's.

Likewise SPRIG_WORKERS, the number of OS threads ("workers") that run green
threads (sprig's default: one per CPU of the affinity mask): a measured program
never inherits it and gets SPRIG_WORKERS=1, so a figure of runtime=sprig is
always one worker's. The suites that measure several workers pass
workers_env(N) and name those figures runtime=sprig-workers with the parameter
workers=N (WORKERS_RUNTIME).
"""

import os
import signal
import statistics
import subprocess
import tempfile
import time

POLL_S = 0.05
# The environment of each identity mode; figures of the shared mode carry the parameter tls=shared.
TLS_ENV = {"thread": {"SPRIG_TLS": "thread"}, "shared": {"SPRIG_TLS": "shared"}}
# The runtime name of figures measured under sprig with SPRIG_WORKERS=N (their parameter workers=N).
WORKERS_RUNTIME = "sprig-workers"
# Variables of bench.py's own environment a measured program never sees (see the module's docstring).
SPRIG_CHOICES = ("SPRIG_TLS", "SPRIG_WORKERS")


def workers_env(workers):
    """The environment of a run of sprig with that many workers."""
    return {"SPRIG_WORKERS": str(workers)}


def workers_label(workers):
    """How tables name a run of sprig with several workers: 'sprig, 2 workers'."""
    return f"sprig, {workers} worker{'s' if workers != 1 else ''}"


class BenchError(Exception):
    """A program failed or printed something unexpected: the run has no valid figures."""


def figure_id(name, params=None):
    return " ".join([name] + [f"{key}={value}" for key, value in (params or {}).items()])


class Figures:
    """Samples of every figure of one bench run."""

    def __init__(self):
        self.entries = {}

    def add(self, name, params, unit, value, info=None):
        key = figure_id(name, params)
        entry = self.entries.setdefault(
            key, {"figure": name, "params": {k: str(v) for k, v in (params or {}).items()}, "unit": unit,
                  "samples": []})
        if entry["unit"] != unit:
            raise BenchError(f"{key}: unit {unit} after {entry['unit']}")
        entry["samples"].append(value)
        if info is not None:
            entry.setdefault("info", []).append(info)

    def has(self, name, params=None):
        return figure_id(name, params) in self.entries

    def by_id(self, key):
        """The summary of a figure: unit, median, min, max, samples (and info, if any)."""
        if key not in self.entries:
            raise BenchError(f"figure missing: {key}")
        return summarise(self.entries[key])

    def get(self, name, params=None):
        return self.by_id(figure_id(name, params))

    def median(self, name, params=None):
        return self.get(name, params)["median"]

    def summaries(self):
        return {key: summarise(entry) for key, entry in self.entries.items()}


def summarise(entry):
    values = entry["samples"]
    summary = dict(entry)
    summary.update(median=statistics.median(values), min=min(values), max=max(values))
    return summary


def program_env(extra=None):
    """The environment of a measured program: ours, without LD_PRELOAD and SPRIG_TLS, with
    SPRIG_WORKERS=1, plus extra."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("LD_PRELOAD", "CHILD_USAGE_PRELOAD") + SPRIG_CHOICES}
    env["LC_ALL"] = "C"
    env.update(workers_env(1))
    env.update({str(key): str(value) for key, value in (extra or {}).items()})
    return env


def on_cpu(cpu):
    """A preexec_fn that pins the child to one CPU, or None for no pinning."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def launch(build, argv, preload=None, cpu=None, stdout=None, stderr=None, env=None):
    """Starts argv through build/bench/tools/child_usage (see there: the only way to get a program's
    own peak RSS), under LD_PRELOAD=preload if given, pinned to cpu if given, with the variables of
    the dict env added to its environment (for example TLS_ENV["shared"])."""
    env = program_env(env)
    if preload is not None:
        env["CHILD_USAGE_PRELOAD"] = str(preload)
    wrapped = [str(build / "bench/tools/child_usage")] + [str(arg) for arg in argv]
    try:
        return subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env,
                                preexec_fn=on_cpu(cpu), text=True)
    except OSError as error:
        raise BenchError(f"{wrapped[0]}: {error}") from error


def child_pid(process, timeout_s=5.0):
    """The pid of the program a child_usage process runs, or None if it has none (yet, or any more)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with open(f"/proc/{process.pid}/task/{process.pid}/children") as children:
                pids = children.read().split()
        except OSError:
            return None
        if pids:
            return int(pids[0])
        if time.monotonic() > deadline:
            return None
        time.sleep(0.005)


def proc_status_kib(pid, key):
    """The KiB value of "KEY: N kB" in /proc/PID/status, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid):
    """User plus system CPU seconds of all threads of a live process (/proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Usage:
    """The measured program's own usage, from child_usage's last line on stderr."""

    def __init__(self, stderr):
        lines = [line for line in stderr.splitlines() if line.startswith("child_usage pid=")]
        fields = dict(token.split("=", 1) for token in lines[-1].split()[1:]) if lines else {}
        self.found = bool(fields)
        self.status = fields.get("status", "unknown")
        self.peak_rss_kib = int(fields.get("maxrss_kib", 0))
        self.cpu_s = float(fields.get("user_s", 0)) + float(fields.get("sys_s", 0))
        self.program_stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith("child_usage pid="))


class Finished:
    """What a finished program did: exit code, output, wall and CPU seconds, peak RSS."""

    def __init__(self, returncode, stdout, stderr, seconds, killed):
        usage = Usage(stderr)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = usage.program_stderr
        self.seconds = seconds
        self.cpu_s = usage.cpu_s
        self.peak_rss_kib = usage.peak_rss_kib
        self.killed = killed or (None if usage.found else "no usage line from child_usage")

    def failed(self):
        return self.returncode != 0 or self.killed is not None

    def describe(self, argv):
        why = self.killed or f"exit status {self.returncode}"
        return f"{' '.join(map(str, argv))}: {why}\n{self.stderr.strip()[-2000:]}"


def kill(process):
    """SIGKILL without Popen.kill, whose poll() would reap the child before wait_for's waitpid."""
    try:
        os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(process, timeout_s, rss_cap_kib=None):
    """Waits for a child_usage process; kills it (and so its program) past the timeout or when the
    program's VmRSS passes rss_cap_kib. Returns (returncode, reason it was killed or None)."""
    deadline = time.monotonic() + timeout_s
    program = child_pid(process) if rss_cap_kib else None
    killed = None
    while True:
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, killed
        if killed is None:
            rss = proc_status_kib(program, "VmRSS") if program else None
            if rss is not None and rss > rss_cap_kib:
                killed = f"killed: VmRSS {rss // 1024} MiB passed the cap of {rss_cap_kib // 1024} MiB"
                kill(process)
            elif time.monotonic() > deadline:
                killed = f"killed: still running after {timeout_s} s"
                kill(process)
        time.sleep(POLL_S)


def run(build, argv, timeout_s, preload=None, cpu=None, rss_cap_kib=None, env=None):
    """Runs argv to its end (env: extra environment variables, as for launch); output goes through
    files, so a chatty program cannot block."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        process = launch(build, argv, preload, cpu, out, err, env)
        returncode, killed = wait_for(process, timeout_s, rss_cap_kib)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Finished(returncode, out.read(), err.read(), seconds, killed)


def fields_of(output, first_word):
    """The key=value pairs of the last line of output that starts with first_word."""
    lines = [line for line in output.splitlines() if line.split()[:1] == [first_word]
             or line.startswith(first_word + "=")]
    if not lines:
        raise BenchError(f"no line starting with {first_word!r} in:\n{output[-2000:]}")
    return dict(token.split("=", 1) for token in lines[-1].split() if "=" in token)
