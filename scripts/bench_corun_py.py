"""bench_corun_py.py - the seed's own benchmark (issue 16, item 6): corun's three workloads written in
Python (tests/bench/python/corun_*.py), each in four runtimes:

  native   /usr/bin/python3 PROGRAM threading: threading.Thread on OS threads
  sprig    the same command under LD_PRELOAD=libsprig.so: the threads are green
  gevent   PROGRAM gevent: the same threading code after gevent's monkey.patch_all()
           (Debian's python3-gevent)
  asyncio  PROGRAM asyncio: the program's asyncio version of the same work

The workloads, the sizes of corun's (bench_corun.py): 10,000 tasks sleeping
10-100 ms each; 500 pairs of tasks ping-ponging 100 messages over socketpairs;
an HTTP server and 1,000 concurrent client fetches in one process. Each run is
the whole program, interpreter start-up and imports included (gevent's import
and patching among them): wall seconds, CPU seconds and peak RSS as
child_usage reports them, and the program's own elapsed_ms around the
workload ("work s", without the start-up). In each repetition every workload
runs in the four runtimes one after another, so a busy moment of the machine
falls on neighbouring runs of all four.
"""

import pathlib
import subprocess

from bench_common import BenchError, fields_of, run

PYTHON = "/usr/bin/python3"  # Debian's, which has python3-gevent; never a pyenv shim
PROGRAM_DIR = pathlib.Path(__file__).resolve().parent.parent / "tests" / "bench" / "python"
TIMEOUT_S = 120

# workload -> (program, arguments, smoke arguments, first word of its result line, what it does)
WORKLOADS = {
    "tasks": ("corun_tasks.py", ["10000"], ["200"], "tasks", "{0} tasks sleeping 10-100 ms"),
    "io": ("corun_io.py", ["500", "100"], ["20", "20"], "pairs", "{0} pairs x {1} messages"),
    "http": ("corun_http.py", ["1000"], ["50"], "fetched", "{0} HTTP fetches"),
}
# runtime -> (the program's mode argument, whether it runs under LD_PRELOAD=libsprig.so)
RUNTIMES = {
    "native": ("threading", False),
    "sprig": ("threading", True),
    "gevent": ("gevent", False),
    "asyncio": ("asyncio", False),
}


def args_of(workload, smoke):
    _, args, smoke_args, *_rest = WORKLOADS[workload]
    return smoke_args if smoke else args


def params_of(workload, runtime, smoke):
    return {"workload": workload, "args": "_".join(args_of(workload, smoke)), "runtime": runtime}


def describe(workload, smoke):
    """What the workload does at this size: '10,000 tasks sleeping 10-100 ms'."""
    return WORKLOADS[workload][4].format(*(f"{int(arg):,}" for arg in args_of(workload, smoke)))


def check_python():
    """A clear error, before any run, when Debian's python3 or its gevent is missing."""
    try:
        done = subprocess.run([PYTHON, "-c", "import gevent"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchError(f"corun-py: {PYTHON}: {error}") from error
    if done.returncode != 0:
        raise BenchError(f"corun-py: {PYTHON} cannot import gevent: install Debian's python3-gevent (make deps)\n"
                         f"{done.stderr.strip()[-500:]}")


def measure(figures, build, reps, smoke, log):
    check_python()
    for rep in range(reps):
        for workload, (program, _args, _smoke_args, first_key, _what) in WORKLOADS.items():
            for runtime, (mode, preloaded) in RUNTIMES.items():
                log(f"corun-py {workload} {runtime} run {rep + 1}/{reps}")
                argv = [PYTHON, PROGRAM_DIR / program, mode] + args_of(workload, smoke)
                done = run(build, argv, TIMEOUT_S, preload=build / "libsprig.so" if preloaded else None)
                if done.failed():
                    raise BenchError(f"corun-py {runtime}: {done.describe(argv)}")
                result = fields_of(done.stdout, first_key)
                if result.get("mode") != mode or "elapsed_ms" not in result:
                    raise BenchError(f"corun-py {runtime}: unexpected result line: {done.stdout[-500:]}")
                params = params_of(workload, runtime, smoke)
                figures.add("corun_py_wall", params, "s", done.seconds, info=done.stdout.strip().splitlines()[-1])
                figures.add("corun_py_work", params, "s", float(result["elapsed_ms"]) / 1000)
                figures.add("corun_py_cpu", params, "s", done.cpu_s)
                figures.add("corun_py_peak_rss", params, "MiB", done.peak_rss_kib / 1024)


def table_rows(smoke):
    """[(workload, what it does, {runtime: params})] in the order of the table."""
    return [(workload, describe(workload, smoke),
             {runtime: params_of(workload, runtime, smoke) for runtime in RUNTIMES})
            for workload in WORKLOADS]
