# test_wrk.py - wrk itself under sprig: four threads, each with its own epoll loop, loading a local http.server.
import re

from harness import PYTHON, Program, assert_green, assert_ran, record, require, run_program, wait_for_output

SERVING = re.compile(r"Serving HTTP on 127\.0\.0\.1 port (\d+)")
REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.M)


def shape(output):
    """wrk's report without its numbers: which lines it printed."""
    return [" ".join(re.sub(r"[\d.]+(us|ms|s|k|KB|MB|B|%)?", "#", line).split()) for line in output.splitlines()]


def test_wrk_under_sprig(preload, tmp_path):
    python = require(PYTHON, "python3")
    wrk = require("wrk", "wrk")
    (tmp_path / "index.txt").write_text("hello from http.server\n")
    server = Program([python, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", tmp_path, "0"],
                     False, preload)
    with server:
        port = wait_for_output(server, SERVING).group(1)
        argv = [wrk, "-t4", "-c40", "-d1s", f"http://127.0.0.1:{port}/index.txt"]
        native = run_program(argv, False, preload, timeout=30)
        sprig = run_program(argv, True, preload, timeout=30)
        server.stop()
    record("wrk -t4 -c40", native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}"
    assert_ran(native, report)
    assert_ran(sprig, report)
    assert native.status == 0 and sprig.status == 0, report
    assert shape(sprig.stdout) == shape(native.stdout), f"wrk printed a different report\n{report}"
    assert "Socket errors" not in sprig.stdout and "Non-2xx" not in sprig.stdout, report
    assert int(REQUESTS.search(sprig.stdout).group(1)) >= 100, f"too few requests under sprig\n{report}"
    # Natively: main and the four load threads.
    assert_green(native, sprig, report, native_at_least=5)
