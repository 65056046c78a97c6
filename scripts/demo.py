"""demo.py - `make demo`: an unmodified HTTP server natively and under sprig, then the direct-API examples.

First the HTTP table of demo_http.py: tests/demo/http_server.c, a plain
thread-per-connection server, natively and under `sprig`, at 1,000 and
10,000 wrk connections.

Then the direct-API examples at full scale, on 127.0.0.1 only:
  - echo_server + echo_client: 10,000 concurrent connections, each echoing
    and checksumming its bytes (server and client are separate processes);
  - corun_tasks: 10,000 concurrent green threads;
  - corun_io: socket pairs and offloaded file I/O;
  - corun_http: 1,000 HTTP fetches against an in-process server.
For each it prints the wall time, peak RSS, the most OS threads seen in
/proc/PID/task, and the program's own summary line. Exits non-zero if any
program fails.
"""

import os
import subprocess
import sys
import threading
import time

import demo_http

BUILD = os.environ.get("SPRIG_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
EXAMPLES = os.path.join(BUILD, "examples")
TIMEOUT_S = 120


class Watched:
    """A child process whose OS-thread count is sampled while it runs."""

    def __init__(self, argv):
        self.argv = argv
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        self.max_threads = 0
        self.done = False
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        # Not Popen.poll(): that would reap the child before wait4 reads its usage.
        task_dir = f"/proc/{self.process.pid}/task"
        while not self.done:
            try:
                self.max_threads = max(self.max_threads, len(os.listdir(task_dir)))
            except OSError:
                break
            time.sleep(0.01)

    def readline(self):
        return self.process.stdout.readline()

    def finish(self):
        """Waits for the child; returns (status, output, seconds, peak RSS in KiB)."""
        killer = threading.Timer(TIMEOUT_S, self.process.kill)
        killer.start()
        output = [line.strip() for line in self.process.stdout]
        _, status, usage = os.wait4(self.process.pid, 0)
        killer.cancel()
        self.done = True
        seconds = time.monotonic() - self.started
        self._sampler.join(timeout=1)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return self.process.returncode, output, seconds, usage.ru_maxrss


def run_echo(connections, bytes_each):
    server = Watched([os.path.join(EXAMPLES, "echo_server"), "0", str(connections)])
    first = server.readline().strip()
    port = first.rsplit(" ", 1)[-1]
    client = Watched(
        [os.path.join(EXAMPLES, "echo_client"), port, str(connections), str(bytes_each)]
    )
    client_result = client.finish()
    server_result = server.finish()
    return [
        (f"echo_server ({connections} conns)", server_result, server.max_threads),
        (f"echo_client ({connections} conns)", client_result, client.max_threads),
    ]


def run_one(label, argv):
    program = Watched(argv)
    return [(label, program.finish(), program.max_threads)]


def main():
    http_failed = demo_http.main()
    print()
    rows = []
    rows += run_echo(10000, 4096)
    rows += run_one("corun_tasks (10000)", [os.path.join(EXAMPLES, "corun_tasks"), "10000"])
    rows += run_one("corun_io", [os.path.join(EXAMPLES, "corun_io")])
    rows += run_one("corun_http (1000)", [os.path.join(EXAMPLES, "corun_http"), "1000"])

    print(f"{'program':34} {'status':>6} {'seconds':>8} {'peak RSS':>10} {'OS threads':>10}  result")
    failed = 0
    for label, (status, output, seconds, rss_kib), threads in rows:
        summary = output[-1] if output else ""
        print(f"{label:34} {status:>6} {seconds:>8.2f} {rss_kib / 1024:>7.1f} MiB {threads:>10}  {summary}")
        failed += status != 0
    return 1 if failed or http_failed else 0


if __name__ == "__main__":
    sys.exit(main())
