"""soak.py - `make soak`: the echo soak of issue 16 (item 7). The unmodified thread-per-connection
echo server (build/bench/plain/echo_threads) runs under LD_PRELOAD=libsprig.so (or, with --native,
on native threads) while build/bench/plain/echo_soak_client keeps every one of its connections
busy for SECONDS, checking every echoed byte against what it sent.

usage: python3 scripts/soak.py [--connections N] [--seconds S] [--seed N] [--build DIR]
                               [--workers N | --native]

Defaults: 10,000 connections for 60 s, seed 1. The client (one thread,
epoll; see echo_soak_client.c) sends messages of 1 byte to 64 KiB, several
in flight per connection, and compares each byte that comes back with the
byte sent at that offset of the connection's stream. At the end it drains
what is in flight, closes every connection, and prints one line with the
messages, bytes sent and received, mismatches, errors and lost bytes.
The server, started through build/bench/tools/child_usage (for its own
peak RSS) as bench_echo.py starts it, accepts exactly N connections and
exits by itself once they have all closed, printing what it served; it is
killed (SIGKILL) if it has not exited SERVER_EXIT_TIMEOUT_S after the client
(at once if the client failed). While the client runs, the server's OS
threads (/proc/PID/task) and VmRSS are sampled every SAMPLE_S seconds.

The server's environment is this script's, without LD_PRELOAD, plus every
SPRIG_* variable of this script's environment (SPRIG_TLS included), so
`SPRIG_TLS=shared python3 scripts/soak.py` soaks that mode. --workers N sets
SPRIG_WORKERS=N for the server; without it (or SPRIG_WORKERS here) the server
runs one worker, as the bench's runtime=sprig figures do.

Prints the client's progress with the latest server sample, then a summary
and one line "soak result=ok|FAIL key=value ...". Exit status 0 if the client
passed (every connection made, nothing lost, mismatched or failed) and the
server served every connection and echoed as many bytes as the client got
back; 1 if not; 2 if the programs are missing or the server did not start.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

from bench_common import BenchError, Usage, child_pid, fields_of, kill, program_env, proc_status_kib, wait_for
import bench_echo

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 10
CLIENT_MARGIN_S = 45  # the client ends by SECONDS + 30 s on its own (echo_soak_client.c)
SERVER_EXIT_TIMEOUT_S = 30
SERVER_KILL_AFTER_FAILURE_S = 2
SAMPLE_S = 1.0


def log(message):
    print(f"soak: {message}", flush=True)


def parse_options():
    parser = argparse.ArgumentParser(description="echo soak: every byte of many busy connections checked")
    parser.add_argument("--connections", type=int, default=10000, help="connections (default 10000; at most 19000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of traffic (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the message sizes and contents (default 1)")
    parser.add_argument("--build", type=pathlib.Path, default=None, help="build directory (default $SPRIG_BUILD, else build)")
    parser.add_argument("--workers", type=int, default=None,
                        help="set SPRIG_WORKERS=N for the server (default 1)")
    parser.add_argument("--native", action="store_true", help="run the server on native threads, without sprig")
    options = parser.parse_args()
    if not 1 <= options.connections <= 19000:
        parser.error("--connections must be from 1 to 19000")
    if not 0 < options.seconds <= 3600:
        parser.error("--seconds must be more than 0 and at most 3600")
    if options.seed < 0:
        parser.error("--seed must not be negative")
    if options.workers is not None and options.workers < 1:
        parser.error("--workers must be at least 1")
    if options.workers is not None and options.native:
        parser.error("--workers is sprig's (SPRIG_WORKERS): not with --native")
    options.build = (options.build or pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build")).resolve()
    return options


def sprig_variables(options):
    """The SPRIG_* variables the server gets: this script's own, and SPRIG_WORKERS of --workers."""
    variables = {key: value for key, value in os.environ.items() if key.startswith("SPRIG_") and key != "SPRIG_BUILD"}
    if options.workers is not None:
        variables["SPRIG_WORKERS"] = str(options.workers)
    return variables


class Sampler:
    """The server's OS thread count and VmRSS, sampled; the latest sample and the extremes."""

    def __init__(self, pid):
        self.pid = pid
        self.threads = []
        self.rss_kib = []

    def sample(self):
        try:
            threads = len(os.listdir(f"/proc/{self.pid}/task"))
        except OSError:
            return
        rss = proc_status_kib(self.pid, "VmRSS")
        if rss is None:
            return
        self.threads.append(threads)
        self.rss_kib.append(rss)

    def latest(self):
        if not self.threads:
            return "server: no sample"
        return f"server os_threads={self.threads[-1]} rss={self.rss_kib[-1] / 1024:.1f}MiB"


def start_server(options, env):
    runtime = "native" if options.native else "sprig"
    server, port, errors = bench_echo.start_server(options.build, "echo_threads", runtime, options.connections,
                                                   False, env)
    return server, child_pid(server), port, errors


def run_client(options, port, sampler):
    """Runs the client to its end, sampling the server meanwhile; returns (exit status, stdout, stderr)."""
    argv = [str(options.build / "bench/plain/echo_soak_client"), HOST, str(port), str(options.connections),
            f"{options.seconds:g}", str(options.seed)]
    lines = []
    with tempfile.TemporaryFile("w+") as errors:
        client = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                  env=program_env(), text=True)

        def relay():
            for line in client.stdout:
                lines.append(line)
                if line.startswith(("progress ", "connected=")):
                    log(f"{line.strip()}  [{sampler.latest()}]")

        reader = threading.Thread(target=relay, daemon=True)
        reader.start()
        deadline = time.monotonic() + options.seconds + CLIENT_MARGIN_S
        while client.poll() is None:
            sampler.sample()
            if time.monotonic() > deadline:
                client.kill()
                log(f"echo_soak_client killed: still running {CLIENT_MARGIN_S} s after its {options.seconds:g} s")
            try:
                client.wait(timeout=SAMPLE_S)
            except subprocess.TimeoutExpired:
                pass
        reader.join(timeout=5)
        errors.seek(0)
        return client.returncode, "".join(lines), errors.read()


def stop_server(server, errors, client_ok):
    """Waits for the server to end (it does once every connection closed), killing it when it does not."""
    returncode, killed = wait_for(server, SERVER_EXIT_TIMEOUT_S if client_ok else SERVER_KILL_AFTER_FAILURE_S)
    tail = server.stdout.read()
    errors.seek(0)
    usage = Usage(errors.read())
    errors.close()
    return returncode, killed, tail, usage


def describe_runtime(options, variables):
    if options.native:
        return "native threads"
    extra = " ".join(f"{key}={value}" for key, value in sorted(variables.items()))
    note = " (takes effect once issue 16's workers exist)" if "SPRIG_WORKERS" in variables else ""
    return f"sprig, LD_PRELOAD={options.build / 'libsprig.so'}{' ' + extra if extra else ''}{note}"


def main():
    options = parse_options()
    needed = [options.build / "bench/plain/echo_threads", options.build / "bench/plain/echo_soak_client",
              options.build / "bench/tools/child_usage"] + ([] if options.native else [options.build / "libsprig.so"])
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        print(f"soak: missing {', '.join(missing)}: run `make BUILD={options.build} all bench-build`", file=sys.stderr)
        return 2
    variables = {} if options.native else sprig_variables(options)
    runtime = "native" if options.native else "sprig"
    log(f"echo_threads on {describe_runtime(options, variables)}; {options.connections} connections, "
        f"{options.seconds:g} s, seed {options.seed}")
    try:
        server, pid, port, errors = start_server(options, variables)
    except BenchError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    sampler = Sampler(pid)
    sampler.sample()
    started = time.monotonic()
    try:
        client_status, client_out, client_err = run_client(options, port, sampler)
    except BaseException:
        kill(server)
        wait_for(server, SERVER_EXIT_TIMEOUT_S)
        raise
    returncode, killed, tail, usage = stop_server(server, errors, client_status == 0)
    wall_s = time.monotonic() - started

    problems = []
    if client_err.strip():
        print(client_err.rstrip(), file=sys.stderr)
    try:
        client = fields_of(client_out, "echo_soak_client")
    except BenchError:
        client = {}
        problems.append(f"no result line from echo_soak_client (exit status {client_status})")
    if client_status != 0:
        problems.append(f"echo_soak_client: exit status {client_status}")
    if killed:
        problems.append(f"echo_threads {killed}")
    elif returncode != 0:
        problems.append(f"echo_threads: exit status {returncode}")
    try:
        served = fields_of(tail, "served")
    except BenchError:
        served = {}
        if not killed:
            problems.append(f"echo_threads printed no served= line: {tail[-500:]!r}")
    if served:
        if int(served["served"]) != options.connections or int(served["failed"]) != 0:
            problems.append(f"echo_threads served={served['served']} failed={served['failed']} "
                            f"of {options.connections} connections")
        if client and served["bytes"] != client.get("bytes_received"):
            problems.append(f"echo_threads echoed {served['bytes']} bytes, the client got back "
                            f"{client.get('bytes_received')}")
    if usage.program_stderr.strip():
        print(usage.program_stderr.rstrip()[-2000:], file=sys.stderr)

    ok = not problems
    threads = sampler.threads or [0]
    rss_mib = [kib / 1024 for kib in sampler.rss_kib] or [0.0]
    peak_mib = usage.peak_rss_kib / 1024 if usage.found else float("nan")
    print()
    print(f"echo soak: echo_threads on {describe_runtime(options, variables)}")
    print(f"  connections      {int(client.get('connected', 0)):,} made of {options.connections:,}")
    print(f"  traffic          {float(client.get('seconds', 0)):.1f} s, {int(client.get('messages', 0)):,} messages "
          f"(1 B to 64 KiB; at least {int(client.get('min_messages', 0)):,} on each connection), wall {wall_s:.1f} s")
    print(f"  bytes            {int(client.get('bytes_sent', 0)):,} sent, {int(client.get('bytes_received', 0)):,} "
          f"received and checked, {int(served.get('bytes', 0)):,} echoed by the server")
    print(f"  problems         {client.get('mismatches', '?')} mismatched bytes, {client.get('errors', '?')} "
          f"connection errors, {client.get('lost', '?')} bytes lost")
    print(f"  server threads   {min(threads)} to {max(threads)} OS threads ({len(sampler.threads)} samples of /proc/PID/task)")
    print(f"  server RSS       {max(rss_mib):.1f} MiB at most sampled (VmRSS), peak {peak_mib:.1f} MiB (ru_maxrss)")
    for problem in problems:
        print(f"  FAILED: {problem}")
    print(f"soak result={'ok' if ok else 'FAIL'} runtime={runtime} connections={options.connections} "
          f"connected={client.get('connected', 0)} seconds={client.get('seconds', 0)} "
          f"messages={client.get('messages', 0)} min_messages={client.get('min_messages', 0)} bytes_sent={client.get('bytes_sent', 0)} "
          f"bytes_received={client.get('bytes_received', 0)} mismatches={client.get('mismatches', '?')} "
          f"errors={client.get('errors', '?')} lost={client.get('lost', '?')} server_bytes={served.get('bytes', '?')} "
          f"os_threads_max={max(threads)} rss_max_mib={max(rss_mib):.1f} peak_rss_mib={peak_mib:.1f}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
