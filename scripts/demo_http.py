"""demo_http.py - the first table of `make demo`: one thread-per-connection HTTP server, natively and under sprig, driven by wrk.

The server (tests/demo/http_server.c) is an ordinary pthread program: accept
in a loop, one pthread_create per connection, keep-alive, a small fixed
response. It runs four times on 127.0.0.1: natively and under `scripts/sprig`,
with wrk holding 1,000 and then 10,000 connections. For each run the table
gives wrk's requests per second and errors (socket errors plus non-2xx
answers), the server's peak RSS (wait4), the most OS threads seen in
/proc/PID/status while wrk ran, and the server's own count of connections,
failed pthread_creates and connection threads alive at once.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("SPRIG_BUILD", os.path.join(REPO, "build"))
SERVER = os.path.join(BUILD, "demo", "http_server")
LAUNCHER = os.path.join(REPO, "scripts", "sprig")
SERVER_LIFETIME_S = 90  # the server's own watchdog: it never outlives the demo
WRK_THREADS = 2
WRK_TIMEOUT = "5s"  # a request slower than this counts as a wrk timeout error


class Server:
    """http_server started natively or under sprig; its OS threads sampled while it runs."""

    def __init__(self, under_sprig):
        argv = [SERVER, "0", str(SERVER_LIFETIME_S)]
        if under_sprig:
            argv = [LAUNCHER, *argv]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline().split()
        if first[:2] != ["listening", "on"]:
            self.process.kill()
            raise RuntimeError(f"http_server did not start: {first} {self.process.stderr.read()}")
        self.port = int(first[2])
        self.max_threads = 0
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        # /proc/PID/status, not the task directory: one small read even at 10,000 threads.
        path = f"/proc/{self.process.pid}/status"
        while self._sampling:
            try:
                with open(path) as status:
                    for line in status:
                        if line.startswith("Threads:"):
                            self.max_threads = max(self.max_threads, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                break
            time.sleep(0.05)

    def stop(self):
        """Asks the server to quit; returns (exit status, its summary line, stderr, peak RSS in KiB)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as quit_connection:
                quit_connection.sendall(b"GET /quit HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                quit_connection.recv(1024)
        except OSError:
            pass  # the server may be gone already; its status says so
        killer = threading.Timer(30, self.process.kill)
        killer.start()
        output = self.process.stdout.read()
        errors = self.process.stderr.read()
        # Not Popen.wait(): wait4 gives the peak RSS too.
        _, status, usage = os.wait4(self.process.pid, 0)
        killer.cancel()
        self._sampling = False
        self._sampler.join(timeout=1)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        summary = output.strip().splitlines()[-1] if output.strip() else ""
        return self.process.returncode, summary, errors.strip(), usage.ru_maxrss


def parse_wrk(text):
    """wrk's report -> (requests/s, total errors, description of the errors)."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    parts = {}
    if socket_errors:
        parts = dict(zip(("connect", "read", "write", "timeout"), map(int, socket_errors.groups())))
    parts["non-2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    total = sum(parts.values())
    described = " ".join(f"{name}={count}" for name, count in parts.items() if count)
    return (float(rate.group(1)) if rate else 0.0), total, described


def latency_us(text, percentile):
    """A percentile of wrk --latency's distribution, in microseconds (None if absent)."""
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not match:
        return None
    return float(match.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[match.group(2)]


def run(under_sprig, connections, seconds):
    server = Server(under_sprig)
    url = f"http://127.0.0.1:{server.port}/"
    wrk = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "--latency",
         url],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    status, summary, errors, rss_kib = server.stop()
    rate, error_count, error_parts = parse_wrk(wrk.stdout)
    if wrk.returncode != 0:
        error_parts = f"wrk failed: {wrk.stderr.strip() or wrk.stdout.strip()}"
    return {
        "run": "sprig" if under_sprig else "native",
        "connections": connections,
        "rate": rate,
        "p50_us": latency_us(wrk.stdout, 50),
        "p99_us": latency_us(wrk.stdout, 99),
        "errors": error_count,
        "error_parts": error_parts,
        "rss_mib": rss_kib / 1024,
        "os_threads": server.max_threads,
        "status": status,
        "summary": summary,
        "stderr": errors.splitlines()[0] if errors else "",
    }


def print_table(rows, seconds):
    print(f"HTTP: tests/demo/http_server.c (one pthread per connection), wrk -t{WRK_THREADS} -d{seconds}s "
          f"--timeout {WRK_TIMEOUT}, 127.0.0.1")
    print(f"{'run':7} {'conns':>6} {'requests/s':>11} {'errors':>7} {'peak RSS':>11} {'OS threads':>10}  server")
    for row in rows:
        notes = row["summary"]
        if row["status"] != 0:
            notes += f" (exit status {row['status']})"
        if row["error_parts"]:
            notes += f" [{row['error_parts']}]"
        if row["stderr"]:
            notes += f" [stderr: {row['stderr']}]"
        print(f"{row['run']:7} {row['connections']:>6} {row['rate']:>11.0f} {row['errors']:>7} "
              f"{row['rss_mib']:>7.1f} MiB {row['os_threads']:>10}  {notes}")


def main(seconds=5, connection_counts=(1000, 10000)):
    """Runs the table; returns 0 if every sprig run ended cleanly with no errors."""
    if shutil.which("wrk") is None:
        print("demo: wrk is not installed (make deps installs it)")
        return 1
    rows = []
    for connections in connection_counts:
        for under_sprig in (False, True):
            rows.append(run(under_sprig, connections, seconds))
    print_table(rows, seconds)
    failed = [row for row in rows if row["run"] == "sprig" and (row["status"] != 0 or row["errors"] != 0)]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
