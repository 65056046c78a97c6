"""bench_http.py - the demo's thread-per-connection HTTP server (tests/demo/http_server.c) under wrk
at 1,000 connections, natively, under sprig with one worker and under sprig with SPRIG_WORKERS=2
(runtime=sprig-workers workers=2, issue 16), in the same run: requests/s, p50 and p99 latency (wrk
--latency), errors, the server's peak RSS and its most OS threads. The runs are those of `make demo`
(scripts/demo_http.py), repeated.

demo_http starts the server (through scripts/sprig under sprig) with this
process's environment; around each run that environment loses SPRIG_TLS and
SPRIG_WORKERS (a measured program never inherits them, see bench_common.py),
and the several-worker run gets SPRIG_WORKERS=2.

The server and libsprig.so are those of the build directory bench.py was
given (--build), as in the other suites: demo_http's own defaults are the
server of $SPRIG_BUILD (else build/) and the launcher scripts/sprig, which
preloads the libsprig.so of the source tree's build/, whatever --build says.
So for the runs demo_http's server is BUILD/demo/http_server, and its
launcher a copy of scripts/sprig in a temporary directory laid out as an
installation (bin/sprig, lib/libsprig.so a symbolic link to
BUILD/libsprig.so): the same launcher, preloading BUILD's library.
"""

import contextlib
import os
import pathlib
import shutil
import tempfile

import demo_http
from bench_common import SPRIG_CHOICES, WORKERS_RUNTIME, BenchError, workers_env, workers_label

CONNECTIONS = 1000
SMOKE_CONNECTIONS = 50
SECONDS = 5
SMOKE_SECONDS = 1
WORKERS = 2  # SPRIG_WORKERS of the runtime=sprig-workers runs
RUNTIMES = ("native", "sprig", WORKERS_RUNTIME)


def params_of(runtime, connections):
    params = {"runtime": runtime}
    if runtime == WORKERS_RUNTIME:
        params["workers"] = WORKERS
    params["connections"] = connections
    return params


@contextlib.contextmanager
def environment(extra):
    """os.environ without bench_common.SPRIG_CHOICES, plus extra, for the duration (demo_http's
    server inherits os.environ)."""
    saved = {key: os.environ[key] for key in SPRIG_CHOICES if key in os.environ}
    for key in SPRIG_CHOICES:
        os.environ.pop(key, None)
    os.environ.update(extra)
    try:
        yield
    finally:
        for key in set(SPRIG_CHOICES) | set(extra):
            os.environ.pop(key, None)
        os.environ.update(saved)


@contextlib.contextmanager
def launcher_of(build):
    """demo_http's server and launcher set to BUILD's (see the module's docstring) for the duration."""
    saved = demo_http.SERVER, demo_http.LAUNCHER
    library = build / "libsprig.so"
    server = build / "demo" / "http_server"
    for path in (library, server):
        if not path.is_file():
            raise BenchError(f"{path} is missing (make all demo-build BUILD={build})")
    with tempfile.TemporaryDirectory(prefix="sprig-bench-http-") as directory:
        root = pathlib.Path(directory)
        (root / "bin").mkdir()
        (root / "lib").mkdir()
        shutil.copy2(demo_http.LAUNCHER, root / "bin" / "sprig")
        (root / "lib" / "libsprig.so").symlink_to(library)
        demo_http.SERVER, demo_http.LAUNCHER = str(server), str(root / "bin" / "sprig")
        try:
            yield
        finally:
            demo_http.SERVER, demo_http.LAUNCHER = saved


def measure(figures, build, reps, smoke, log):
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (make deps installs it)")
    with launcher_of(build):
        measure_runs(figures, reps, smoke, log)


def measure_runs(figures, reps, smoke, log):
    connections = SMOKE_CONNECTIONS if smoke else CONNECTIONS
    seconds = SMOKE_SECONDS if smoke else SECONDS
    for rep in range(reps):
        for runtime in RUNTIMES:
            label = label_of(runtime)
            log(f"http {label} {connections} connections run {rep + 1}/{reps}")
            with environment(workers_env(WORKERS if runtime == WORKERS_RUNTIME else 1)):
                row = demo_http.run(runtime != "native", connections, seconds)
            if row["status"] != 0:
                raise BenchError(f"http_server ({label}) ended with status {row['status']}: {row['stderr']}")
            params = params_of(runtime, connections)
            figures.add("http_rate", params, "requests/s", row["rate"], info=row["summary"])
            if row["p50_us"] is not None:
                figures.add("http_p50", params, "us", row["p50_us"])
            if row["p99_us"] is not None:
                figures.add("http_p99", params, "us", row["p99_us"])
            figures.add("http_errors", params, "errors", row["errors"], info=row["error_parts"])
            figures.add("http_server_peak_rss", params, "MiB", row["rss_mib"])
            figures.add("http_server_os_threads", params, "threads", row["os_threads"])


def label_of(runtime):
    return workers_label(WORKERS) if runtime == WORKERS_RUNTIME else runtime


def table_runtimes(smoke):
    """[(runtime, label, params)] in the order of the table."""
    return [(runtime, label_of(runtime), params_of(runtime, connections_of(smoke))) for runtime in RUNTIMES]


def connections_of(smoke):
    return SMOKE_CONNECTIONS if smoke else CONNECTIONS


def seconds_of(smoke):
    return SMOKE_SECONDS if smoke else SECONDS
