"""bench_http.py - the demo's thread-per-connection HTTP server (tests/demo/http_server.c) under wrk
at 1,000 connections, natively and under sprig, in the same run: requests/s, p50 and p99 latency
(wrk --latency), errors, the server's peak RSS and its most OS threads. The runs are those of
`make demo` (scripts/demo_http.py), repeated.
"""

import shutil

import demo_http
from bench_common import BenchError

CONNECTIONS = 1000
SMOKE_CONNECTIONS = 50
SECONDS = 5
SMOKE_SECONDS = 1


def measure(figures, build, reps, smoke, log):
    del build  # demo_http finds the server and the launcher through SPRIG_BUILD, as make demo does
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (make deps installs it)")
    connections = SMOKE_CONNECTIONS if smoke else CONNECTIONS
    seconds = SMOKE_SECONDS if smoke else SECONDS
    for rep in range(reps):
        for under_sprig in (False, True):
            runtime = "sprig" if under_sprig else "native"
            log(f"http {runtime} {connections} connections run {rep + 1}/{reps}")
            row = demo_http.run(under_sprig, connections, seconds)
            if row["status"] != 0:
                raise BenchError(f"http_server ({runtime}) ended with status {row['status']}: {row['stderr']}")
            params = {"runtime": runtime, "connections": connections}
            figures.add("http_rate", params, "requests/s", row["rate"], info=row["summary"])
            if row["p50_us"] is not None:
                figures.add("http_p50", params, "us", row["p50_us"])
            if row["p99_us"] is not None:
                figures.add("http_p99", params, "us", row["p99_us"])
            figures.add("http_errors", params, "errors", row["errors"], info=row["error_parts"])
            figures.add("http_server_peak_rss", params, "MiB", row["rss_mib"])
            figures.add("http_server_os_threads", params, "threads", row["os_threads"])


def connections_of(smoke):
    return SMOKE_CONNECTIONS if smoke else CONNECTIONS


def seconds_of(smoke):
    return SMOKE_SECONDS if smoke else SECONDS
