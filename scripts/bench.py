"""bench.py - `make bench`: sprig against native threads, each figure next to its native twin from
the same run, with the ratio, the median of several runs and the spread.

usage: python3 scripts/bench.py [--reps N] [--smoke] [--only SUITE,...] [--pin]
                                [--json PATH] [--build DIR]

Suites, in the order they run:
  micro    green yield and spawn+join against pthread twins, in both identity
           modes, and one write of the thread pointer; a pthread mutex/condvar
           ping-pong natively, under sprig and under sprig with SPRIG_WORKERS=2
           (bench_micro.py)
  memory   memory per idle thread, an unmodified C program natively and under
           LD_PRELOAD=libsprig.so in both identity modes (bench_memory.py)
  maxlive  the most threads that program has alive at once, up to 1,000,000,
           in the same three runtimes, one run after another (bench_memory.py;
           at most MAX_LIVE_REPS runs of each: ~50 s for the three)
  echo     thread-per-connection echo server natively and under sprig (one worker
           and SPRIG_WORKERS=2), and a native epoll server, at 100, 1,000 and
           10,000 connections (bench_echo.py)
  http     the demo's thread-per-connection HTTP server under wrk at 1,000
           connections, natively and under sprig (one worker and SPRIG_WORKERS=2)
           (bench_http.py)
  corun    the direct-API corun workloads of tests/examples (bench_corun.py)
  corun-py the same three workloads written in Python (tests/bench/python): threading
           natively and under sprig, gevent and asyncio (bench_corun_py.py)
  cpu      CPU-bound programs with two busy threads natively and under sprig, with one
           worker and with SPRIG_WORKERS=<usable CPUs>: xz -T2, zstd -T2, pigz -p 2 on
           200 MB and a C program's two compute threads (bench_cpu.py)
sprig's identity modes: SPRIG_TLS=thread, the default (a glibc identity per
green thread), and SPRIG_TLS=shared (one per OS thread) are both measured in
the same run, micro and memory; the tables show them side by side with their
difference, and each mode has its targets (bench_targets.py). A measured
program never inherits SPRIG_TLS from this script's environment: the other
suites run sprig's default mode. Nor SPRIG_WORKERS: "sprig" is always one
worker, and the runs with several workers (runtime=sprig-workers, shown as
"sprig, N workers") set it themselves.
Prints the tables and the targets (met or missed), and writes every figure
with its unit, median, spread and raw samples to BUILD/bench/results.json,
with the sprig/native comparisons and the thread/shared ones.
Progress goes to stderr. --smoke runs every suite once at tiny sizes (well
under a minute) to check the plumbing; its numbers mean nothing. The exit
status is non-zero only when a program fails or a figure is missing, never
for a missed target.
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import time

import bench_corun
import bench_corun_py
import bench_cpu
import bench_echo
import bench_http
import bench_memory
import bench_micro
import bench_report
import bench_targets
from bench_common import BenchError, Figures

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITES = ("micro", "memory", "maxlive", "echo", "http", "corun", "corun-py", "cpu")
MAX_LIVE_REPS = 3


def default_build_dir():
    return pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build")


def parse_options():
    parser = argparse.ArgumentParser(description="sprig benchmarks against native threads")
    parser.add_argument("--reps", type=int, default=5, help="runs of each program (default 5; maxlive at most 3)")
    parser.add_argument("--smoke", action="store_true", help="one run of everything at tiny sizes")
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated suites (default: {','.join(SUITES)})")
    parser.add_argument("--pin", action="store_true",
                        help="pin the echo server to CPU 0 and the load generator to CPU 1 (see bench_echo.py)")
    parser.add_argument("--build", type=pathlib.Path, default=None, help="build directory (default $SPRIG_BUILD)")
    parser.add_argument("--json", type=pathlib.Path, default=None, help="results file (default BUILD/bench/results.json)")
    options = parser.parse_args()
    options.suites = [suite for suite in options.only.split(",") if suite]
    unknown = set(options.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    if options.smoke:
        options.reps = 1
    if options.reps < 1:
        parser.error("--reps must be at least 1")
    if options.pin and (os.cpu_count() or 1) < 2:
        options.pin = False
    options.build = (options.build or default_build_dir()).resolve()
    options.json = options.json or options.build / "bench" / "results.json"
    return options


def cpu_pressure():
    """PSI 'some avg60' of /proc/pressure/cpu: the share of the last minute in which some runnable
    task waited for a CPU. Read before the run, it says how busy other processes kept the machine."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            fields = dict(token.split("=", 1) for token in pressure.readline().split()[1:])
        return float(fields["avg60"])
    except (OSError, KeyError, ValueError):
        return None


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(figures, options):
    build, reps, smoke = options.build, options.reps, options.smoke
    if "micro" in options.suites:
        bench_micro.measure(figures, build, reps, smoke, log)
    if "memory" in options.suites:
        bench_memory.measure_idle(figures, build, reps, smoke, log)
    if "maxlive" in options.suites:
        bench_memory.measure_max_live(figures, build, min(reps, MAX_LIVE_REPS), smoke, log)
    if "echo" in options.suites:
        bench_echo.measure(figures, build, reps, smoke, options.pin, log)
    if "http" in options.suites:
        bench_http.measure(figures, build, reps, smoke, log)
    if "corun" in options.suites:
        bench_corun.measure(figures, build, reps, smoke, log)
    if "corun-py" in options.suites:
        bench_corun_py.measure(figures, build, reps, smoke, log)
    if "cpu" in options.suites:
        bench_cpu.measure(figures, build, reps, smoke, log)


def report(figures, options, seconds, pressure):
    """Prints every table; returns the sprig/native comparisons, the SPRIG_TLS thread/shared ones and
    the targets for the results file."""
    smoke = options.smoke
    mode = "smoke run (tiny sizes, numbers mean nothing)" if smoke else f"median of {options.reps} runs"
    if "maxlive" in options.suites and not smoke and options.reps > MAX_LIVE_REPS:
        mode += f" ({MAX_LIVE_REPS} for the most live threads)"
    print(f"sprig benchmarks, {mode}, spread = min-max; {os.cpu_count()} CPUs, "
          f"Linux {platform.release()}; took {seconds:.0f} s")
    if pressure is not None:
        print(f"CPU pressure from other processes in the minute before the run (PSI some avg60): {pressure:.0f}%")
    print()
    comparisons = []
    tls_comparisons = []
    if "micro" in options.suites:
        bench_report.micro_table(figures, bench_micro.comparisons(), bench_micro.mode_pairs(),
                                 bench_micro.THREAD_POINTER_WRITE, comparisons, tls_comparisons)
        bench_report.pingpong_table(figures, bench_micro.pingpong_ids(), bench_micro.PINGPONG_WORKERS, comparisons)
    if "memory" in options.suites:
        bench_report.memory_table(figures, bench_memory.table_rows(smoke), comparisons, tls_comparisons)
    if "maxlive" in options.suites:
        wanted = bench_memory.SMOKE_MAX_LIVE_THREADS if smoke else bench_memory.MAX_LIVE_THREADS
        bench_report.max_live_table(figures, wanted, bench_memory.RSS_CAP_MIB, comparisons, tls_comparisons)
    if "echo" in options.suites:
        bench_report.echo_table(figures, bench_echo.table_servers(), bench_echo.connection_counts(smoke),
                                bench_echo.setup(smoke, options.pin), bench_echo.server_params, comparisons)
    if "http" in options.suites:
        bench_report.http_table(figures, bench_http.table_runtimes(smoke), bench_http.connections_of(smoke),
                                bench_http.seconds_of(smoke), comparisons)
    if "corun" in options.suites:
        bench_report.corun_table(figures, bench_corun.params_of(smoke))
    if "corun-py" in options.suites:
        bench_report.corun_py_table(figures, bench_corun_py.table_rows(smoke), comparisons)
    if "cpu" in options.suites:
        bench_report.cpu_table(figures, bench_cpu.table_rows(smoke), bench_cpu.input_of(smoke), bench_cpu.cores(),
                               bench_targets.CPU_LIMIT, not smoke, comparisons)
    targets = bench_targets.all_targets(figures, options.suites, smoke, bench_corun_py.table_rows(smoke),
                                        bench_cpu.table_rows(smoke))
    bench_targets.print_targets(targets)
    return comparisons, tls_comparisons, targets


def main():
    options = parse_options()
    figures = Figures()
    pressure = cpu_pressure()
    started = time.monotonic()
    try:
        measure(figures, options)
        seconds = time.monotonic() - started
        comparisons, tls_comparisons, targets = report(figures, options, seconds, pressure)
    except BenchError as error:
        print(f"bench.py: {error}", file=sys.stderr)
        return 1
    results = {
        "units": bench_report.UNITS,
        "reps": options.reps,
        "smoke": options.smoke,
        "suites": options.suites,
        "seconds": round(seconds, 1),
        "cpu_pressure_before_percent": pressure,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "echo_setup": bench_echo.setup(options.smoke, options.pin),
        "figures": figures.summaries(),
        "comparisons": comparisons,
        "tls_comparisons": tls_comparisons,
        "targets": targets,
    }
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"results: {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
