"""bench_echo.py - TCP echo round trips at 100, 1,000 and 10,000 connections: the thread-per-
connection server (build/bench/plain/echo_threads) natively and under LD_PRELOAD=libsprig.so, with
one worker (runtime=sprig) and with SPRIG_WORKERS=2 (runtime=sprig-workers workers=2, issue 16),
and the one-thread epoll server (echo_epoll) natively, the reference.

The load generator (echo_load, one thread, epoll) runs on the same machine:
it opens N connections, does one untimed round trip on each, then for
WINDOW_S seconds each connection sends MESSAGE_BYTES and waits for the echo
before sending again. It reports round trips per second and the p50 and p99
latency. The server's CPU seconds are read from /proc/PID/stat when the
window opens and closes, and so are the load generator's: one near the
window's length says the load generator, not the server, set the pace. The
server's peak RSS is its ru_maxrss (see tools/child_usage.c).

The machine has two cores. By default the scheduler places the server and
the load generator. With --pin the server runs on CPU 0 and the load
generator on CPU 1, so neither takes the other's core and the native
thread-per-connection server gets one core like sprig's one worker. Pinning
is not the default because it was measured less steady on the shared
machine: in two pairs of 3-repetition runs the median relative spread
(max-min)/median of the echo rates was 0.96 and 0.96 pinned against 0.29
and 0.58 unpinned (a pinned server cannot leave a core another process is
using).
"""

import os
import selectors
import subprocess
import tempfile
import threading
import time

from bench_common import (WORKERS_RUNTIME, BenchError, Usage, child_pid, cpu_seconds, fields_of, kill, launch,
                          on_cpu, wait_for, workers_env, workers_label)

CONNECTIONS = (100, 1000, 10000)
SMOKE_CONNECTIONS = (20,)
MESSAGE_BYTES = 64
WINDOW_S = 3.0
SMOKE_WINDOW_S = 0.3
SERVER_CPU = 0
CLIENT_CPU = 1
START_TIMEOUT_S = 10
CLIENT_TIMEOUT_S = 120
SERVER_EXIT_TIMEOUT_S = 30

WORKERS = 2  # SPRIG_WORKERS of the runtime=sprig-workers runs

# (server program, runtime), in the order of the table
SERVERS = (("echo_threads", "sprig"), ("echo_threads", WORKERS_RUNTIME), ("echo_threads", "native"),
           ("echo_epoll", "native"))


def server_params(program, runtime, connections):
    params = {"server": program, "runtime": runtime}
    if runtime == WORKERS_RUNTIME:
        params["workers"] = WORKERS
    params["connections"] = connections
    return params


def runtime_label(runtime):
    return workers_label(WORKERS) if runtime == WORKERS_RUNTIME else runtime


def table_servers():
    """[(program, runtime, label)] in the order of the table."""
    return [(program, runtime, runtime_label(runtime)) for program, runtime in SERVERS]


def read_line(stream, timeout_s):
    """One line from a pipe, or '' if none comes in time."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            return ""
    return stream.readline()


def start_server(build, program, runtime, connections, pin, env=None):
    """Starts the server (env: variables added to its environment; runtime sprig-workers adds
    SPRIG_WORKERS); -> (process, port, stderr file)."""
    preload = build / "libsprig.so" if runtime in ("sprig", WORKERS_RUNTIME) else None
    if runtime == WORKERS_RUNTIME:
        env = {**(env or {}), **workers_env(WORKERS)}
    errors = tempfile.TemporaryFile("w+")
    server = launch(build, [build / "bench/plain" / program, connections], preload,
                    SERVER_CPU if pin else None, subprocess.PIPE, errors, env)
    first = read_line(server.stdout, START_TIMEOUT_S)
    if not first.startswith("port=") or child_pid(server) is None:
        kill(server)
        wait_for(server, SERVER_EXIT_TIMEOUT_S)
        errors.seek(0)
        text = errors.read()
        errors.close()
        raise BenchError(f"{program} ({runtime}) printed no port: {first!r}\n{text[-2000:]}")
    return server, int(first.split("=", 1)[1]), errors


def drive_client(build, port, connections, window_s, pin, server_pid):
    """Runs echo_load; returns its result fields and the server's and its own CPU seconds in the
    window."""
    argv = [str(build / "bench/plain/echo_load"), str(port), str(connections), str(MESSAGE_BYTES), str(window_s)]
    with tempfile.TemporaryFile("w+") as errors:
        client = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                  text=True, preexec_fn=on_cpu(CLIENT_CPU if pin else None))
        killer = threading.Timer(CLIENT_TIMEOUT_S, client.kill)
        killer.start()
        cpu_at = {}
        client_cpu_at = {}
        output = []
        for line in client.stdout:
            output.append(line)
            if line.startswith("phase="):  # the client waits for this answer before going on
                cpu_at[line.strip()] = cpu_seconds(server_pid)
                client_cpu_at[line.strip()] = cpu_seconds(client.pid)
                try:
                    client.stdin.write("go\n")
                    client.stdin.flush()
                except BrokenPipeError:
                    pass  # it died; its exit status says so below
        client.wait()
        killer.cancel()
        errors.seek(0)
        if client.returncode != 0:
            raise BenchError(f"echo_load {connections}: exit status {client.returncode}\n{errors.read()[-2000:]}")
    start, end = cpu_at.get("phase=measure"), cpu_at.get("phase=done")
    client_start, client_end = client_cpu_at.get("phase=measure"), client_cpu_at.get("phase=done")
    if None in (start, end, client_start, client_end):
        raise BenchError(f"echo_load {connections}: no measurement window in its output:\n{''.join(output)}")
    return fields_of("".join(output), "echo_load"), end - start, client_end - client_start


def run_one(figures, build, program, runtime, connections, window_s, pin):
    server, port, errors = start_server(build, program, runtime, connections, pin)
    try:
        load, server_cpu, client_cpu = drive_client(build, port, connections, window_s, pin, child_pid(server))
    except BenchError:
        kill(server)
        wait_for(server, SERVER_EXIT_TIMEOUT_S)
        raise
    returncode, killed = wait_for(server, SERVER_EXIT_TIMEOUT_S)
    tail = server.stdout.read()
    errors.seek(0)
    usage = Usage(errors.read())
    errors.close()
    if returncode != 0 or killed or not usage.found:
        raise BenchError(f"{program} ({runtime}, {connections}): {killed or f'exit status {returncode}'}\n"
                         f"{tail}{usage.program_stderr[-2000:]}")
    served = fields_of(tail, "served")
    if int(served["served"]) != connections or int(served["failed"]) != 0:
        raise BenchError(f"{program} ({runtime}, {connections}) served {served}")
    params = server_params(program, runtime, connections)
    figures.add("echo_rate", params, "round trips/s", float(load["rate"]))
    figures.add("echo_p50", params, "us", float(load["p50_us"]))
    figures.add("echo_p99", params, "us", float(load["p99_us"]))
    figures.add("echo_server_cpu", params, "s", server_cpu)
    figures.add("echo_client_cpu", params, "s", client_cpu)
    figures.add("echo_server_peak_rss", params, "MiB", usage.peak_rss_kib / 1024)


def measure(figures, build, reps, smoke, pin, log):
    counts = SMOKE_CONNECTIONS if smoke else CONNECTIONS
    window_s = SMOKE_WINDOW_S if smoke else WINDOW_S
    for rep in range(reps):
        for connections in counts:
            for program, runtime in SERVERS:
                log(f"echo {program} {runtime_label(runtime)} {connections} connections run {rep + 1}/{reps}")
                run_one(figures, build, program, runtime, connections, window_s, pin)
                time.sleep(0.2)  # let the closed connections' sockets go


def setup(smoke, pin):
    where = (f"server pinned to CPU {SERVER_CPU}, load generator to CPU {CLIENT_CPU}" if pin
             else "server and load generator not pinned")
    window_s = SMOKE_WINDOW_S if smoke else WINDOW_S
    return {"message_bytes": MESSAGE_BYTES, "window_s": window_s, "cpus": where,
            "connections": list(SMOKE_CONNECTIONS if smoke else CONNECTIONS), "cpu_count": os.cpu_count()}


def connection_counts(smoke):
    return SMOKE_CONNECTIONS if smoke else CONNECTIONS
