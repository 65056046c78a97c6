# test_examples.py - runs each example program in tests/examples and checks what it prints and its exit status.
import os
import select
import subprocess
import time

import pytest

ECHO_CONNECTIONS = 1000
ECHO_BYTES = 16384
# libuv's thread pool (4 threads) starts only on offload or DNS, so the echo
# server should stay one OS thread; allow for the pool all the same.
ECHO_SERVER_MAX_OS_THREADS = 5


def read_line_with_timeout(stream, timeout_s):
    ready, _, _ = select.select([stream], [], [], timeout_s)
    assert ready, f"no output within {timeout_s} s"
    return stream.readline()


def os_thread_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return 0


def test_echo_server_serves_1000_connections_on_few_os_threads(build_dir, fields):
    server = subprocess.Popen([str(build_dir / "examples/echo_server"), "0", str(ECHO_CONNECTIONS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = read_line_with_timeout(server.stdout, 10)
        assert first_line.startswith("listening on "), first_line
        port = int(first_line.split()[-1])
        assert 0 < port < 65536

        client = subprocess.Popen([str(build_dir / "examples/echo_client"), str(port), str(ECHO_CONNECTIONS),
                                   str(ECHO_BYTES)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        most_threads = 0
        deadline = time.monotonic() + 60
        while client.poll() is None and time.monotonic() < deadline:
            most_threads = max(most_threads, os_thread_count(server.pid))
            time.sleep(0.005)
        client_out, client_err = client.communicate(timeout=10)
        server_out, server_err = server.communicate(timeout=30)
    finally:
        for process in (server,):
            if process.poll() is None:
                process.kill()

    assert client.returncode == 0, client_err
    client_result = fields(client_out, "connections")
    assert client_result == {"connections": str(ECHO_CONNECTIONS), "bytes": str(ECHO_CONNECTIONS * ECHO_BYTES),
                             "checksum_ok": "1"}
    assert server.returncode == 0, server_err
    server_result = fields(server_out, "served")
    assert server_result["served"] == str(ECHO_CONNECTIONS)
    assert server_result["bytes"] == str(ECHO_CONNECTIONS * ECHO_BYTES)
    assert server_result["failed"] == "0"
    assert 1 <= most_threads <= ECHO_SERVER_MAX_OS_THREADS, f"echo server used {most_threads} OS threads"


def test_corun_tasks_10000_sleeps_overlap(run, fields):
    done = run("examples/corun_tasks", 10000)
    assert done.returncode == 0, done.stderr
    result = fields(done.stdout, "tasks")
    assert result["tasks"] == "10000"
    assert result["finished"] == "10000"
    assert result["checksum_ok"] == "1"
    elapsed_ms, sum_sleep_ms = int(result["elapsed_ms"]), int(result["sum_sleep_ms"])
    assert elapsed_ms >= 100, "the longest sleep is 100 ms"
    # Overlap: 10,000 sleeps of 10-100 ms add up to ~550 s; together they take well under 5 s.
    assert elapsed_ms < 5000 and elapsed_ms * 100 < sum_sleep_ms, result


def test_corun_io_pairs_and_offloaded_file_writes(run, fields):
    done = run("examples/corun_io", 500, 100)
    assert done.returncode == 0, done.stderr
    result = fields(done.stdout, "pairs")
    assert result == {"pairs": "500", "messages": "100", "exchanged": str(500 * 100), "ok": "1",
                      "offload_writes": "4", "file_ok": "1"}


def test_corun_http_1000_clients_fetch_their_page(run, fields):
    done = run("examples/corun_http", 1000)
    assert done.returncode == 0, done.stderr
    result = fields(done.stdout, "fetched")
    assert result["fetched"] == "1000"
    assert result["ok"] == "1000"
    assert result["served"] == "1000"
    assert "fetched=1000 ok=1000" in done.stdout


@pytest.mark.parametrize("program", ["echo_server", "echo_client"])
def test_echo_programs_reject_bad_usage(run, program):
    done = run(f"examples/{program}")
    assert done.returncode == 2
    assert "usage:" in done.stderr
