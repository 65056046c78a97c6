# test_python.py - Debian's python3 under sprig: threading, socketserver, http.server and concurrent.futures, each compared with its native run.
import hashlib
import random
import re

from harness import (PYTHON, SCRIPTS, Program, assert_green, record, require, run_compared,
                      run_program, wait_for_output)


def compare_script(name, preload, native_at_least, timeout=60):
    """Runs scripts/<name> natively and under sprig: same stdout, same status, green threads."""
    python = require(PYTHON, "python3")
    argv = [python, SCRIPTS / name]
    native, sprig, report = run_compared(f"python3 {name}", argv, preload, timeout=timeout)
    assert native.status == 0, f"the script fails natively\n{report}"
    assert sprig.stdout == native.stdout, f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    assert_green(native, sprig, report, native_at_least)
    return native, sprig


def test_threading_1000_threads(preload):
    """1,000 threading.Thread objects on a Lock, RLock, Condition, Semaphore, Event, Barrier and queue.Queue."""
    compare_script("threading_sync.py", preload, native_at_least=500)


def test_socketserver_1000_clients(preload):
    """socketserver.ThreadingTCPServer with 1,000 concurrent client threads in the same process."""
    compare_script("socketserver_clients.py", preload, native_at_least=500)


def test_thread_pool_executor(preload):
    """concurrent.futures.ThreadPoolExecutor with 64 workers and 2,000 tasks."""
    compare_script("thread_pool.py", preload, native_at_least=20)


SERVING = re.compile(r"Serving HTTP on 127\.0\.0\.1 port (\d+)")
REQUESTS = re.compile(r"(\d+) requests in [\d.]+\w+, [\d.]+\w+ read")


def make_site(root):
    """A directory for http.server: a few files of fixed content, one of 1 MiB."""
    generator = random.Random(1234)
    (root / "sub").mkdir()
    files = {
        "index.txt": b"hello from http.server\n",
        "sub/data.bin": generator.randbytes(70_000),
        "big.bin": generator.randbytes(1 << 20),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


def drive_http_server(python, curl, wrk, site, downloads, under_sprig, preload):
    """Starts `python3 -m http.server` (ThreadingHTTPServer: a thread per connection) on a free port,
    fetches with curl, loads it with wrk; -> (what the clients saw, the server's Outcome, wrk's output)."""
    seen = []
    server = Program([python, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", site, "0"],
                     under_sprig, preload)
    with server:
        port = wait_for_output(server, SERVING).group(1)
        base = f"http://127.0.0.1:{port}"
        for index, path in enumerate(("index.txt", "sub/data.bin", "big.bin", "sub/", "missing")):
            body = downloads / f"{index}.out"
            fetched = run_program([curl, "-sS", "-o", body, "-w", "%{http_code}", f"{base}/{path}"], False,
                                  preload, timeout=20)
            digest = hashlib.sha256(body.read_bytes()).hexdigest()[:12]
            seen.append(f"curl /{path}: HTTP {fetched.stdout}, status {fetched.status}, sha256 {digest}")
        # Eight transfers of big.bin at once, through curl's own --parallel loop.
        targets = []
        for index in range(8):
            targets += ["-o", downloads / f"big{index}.out", f"{base}/big.bin"]
        parallel = run_program([curl, "-sS", "--parallel", "--parallel-max", "8", "-w",
                                "%{http_code} %{size_download}\\n", *targets], False, preload, timeout=30)
        digests = {hashlib.sha256((downloads / f"big{index}.out").read_bytes()).hexdigest()[:12]
                   for index in range(8)}
        seen.append(f"curl --parallel x8: {sorted(parallel.stdout.split())}, status {parallel.status}, "
                    f"sha256 {sorted(digests)}")
        load = run_program([wrk, "-t2", "-c32", "-d1s", f"{base}/index.txt"], False, preload, timeout=30)
        requests = REQUESTS.search(load.stdout)
        seen.append(f"wrk: status {load.status}, enough requests: {bool(requests) and int(requests.group(1)) >= 50}, "
                    f"non-2xx: {'Non-2xx' in load.stdout}, socket errors: {'Socket errors' in load.stdout}")
        outcome = server.stop()
    return seen, outcome, load.stdout


def test_http_server_curl_and_wrk(preload, tmp_path):
    """python3 -m http.server under sprig, fetched by curl (one by one and --parallel) and loaded by wrk."""
    python = require(PYTHON, "python3")
    curl = require("curl", "curl")
    wrk = require("wrk", "wrk")
    site = tmp_path / "site"
    site.mkdir()
    files = make_site(site)
    results = {}
    for under_sprig in (False, True):
        downloads = tmp_path / ("sprig" if under_sprig else "native")
        downloads.mkdir()
        results[under_sprig] = drive_http_server(python, curl, wrk, site, downloads, under_sprig, preload)
    native_seen, native, native_wrk = results[False]
    sprig_seen, sprig, sprig_wrk = results[True]
    record("python3 -m http.server + curl + wrk", native, sprig)
    report = ("native clients saw:\n  " + "\n  ".join(native_seen) + f"\n{native_wrk}\n"
              "sprig clients saw:\n  " + "\n  ".join(sprig_seen) + f"\n{sprig_wrk}\n"
              f"{native.describe()}\n{sprig.describe()}")
    for line, name in zip(native_seen, ("index.txt", "sub/data.bin", "big.bin")):
        expected = hashlib.sha256(files[name]).hexdigest()[:12]
        assert line == f"curl /{name}: HTTP 200, status 0, sha256 {expected}", report
    assert sprig_seen == native_seen, f"the clients saw different things\n{report}"
    assert "enough requests: True, non-2xx: False, socket errors: False" in sprig_seen[-1], report
    assert native.status is None and sprig.status is None, f"a server ended before it was stopped\n{report}"
    assert_green(native, sprig, report, native_at_least=3)
