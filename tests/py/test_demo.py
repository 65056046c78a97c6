# test_demo.py - the demo's HTTP server under sprig: a short wrk run at 200 connections, no errors, 200 threads on one OS thread.
import os
import re
import socket
import subprocess
import threading
import time

CONNECTIONS = 200
WRK_SECONDS = 2
# As in tests/conformance/conftest.py: the worker, plus room for one helper
# thread of sprig's own. Natively this server has CONNECTIONS + 2 OS threads.
MAX_SPRIG_OS_THREADS = 2


def os_threads(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads: line")


def test_http_server_under_sprig_with_wrk(repo_root, build_dir):
    server_path = build_dir / "demo" / "http_server"
    assert server_path.exists(), "run `make demo-build`"
    environment = {name: value for name, value in os.environ.items()
                   if name != "LD_PRELOAD" and not name.startswith("SPRIG_")}
    # The server stops itself after 30 s whatever happens here.
    server = subprocess.Popen([str(repo_root / "scripts" / "sprig"), str(server_path), "0", "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        port = int(server.stdout.readline().split()[-1])
        most_threads = 0
        sampling = True

        def sample():
            nonlocal most_threads
            while sampling:
                most_threads = max(most_threads, os_threads(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        wrk = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{WRK_SECONDS}s", "--timeout", "2s",
                              f"http://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=30)
        sampling = False
        sampler.join()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as quit_connection:
            quit_connection.sendall(b"GET /quit HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert quit_connection.recv(1024).startswith(b"HTTP/1.1 200 OK\r\n")
        output, errors = server.communicate(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert wrk.returncode == 0, wrk.stderr
    assert "Socket errors" not in wrk.stdout and "Non-2xx" not in wrk.stdout, wrk.stdout
    completed = int(re.search(r"(\d+) requests in", wrk.stdout).group(1))
    assert completed >= 1000, wrk.stdout
    assert (server.returncode, errors) == (0, "")
    summary = dict(field.split("=") for field in output.split())
    assert int(summary["connections"]) >= CONNECTIONS
    assert int(summary["requests"]) >= completed
    assert summary["create_failures"] == "0"
    assert int(summary["peak_threads"]) >= CONNECTIONS  # the server had them all alive at once...
    assert 1 <= most_threads <= MAX_SPRIG_OS_THREADS  # ...on this many OS threads
