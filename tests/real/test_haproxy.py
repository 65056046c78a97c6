# test_haproxy.py - haproxy with `nbthread 4` under sprig (its four threads green), proxying 3 s of wrk load (100 connections) to a local backend.
import re

from harness import (PYTHON, SCRIPTS, Program, assert_green, assert_ran, free_port, record, require, run_program,
                     wait_for_output, wait_for_port)

LISTENING = re.compile(r"listening on 127\.0\.0\.1 port (\d+)")
COUNTS = re.compile(r"^responses: (\d+), not 200: (\d+), socket errors: (\d+)$", re.M)


def proxy_and_load(haproxy, wrk, backend_port, under_sprig, preload):
    port = free_port()
    proxy = Program([haproxy, "-db", "-f", SCRIPTS / "haproxy_nbthread4.cfg"], under_sprig, preload,
                    env={"HAPROXY_FRONT_PORT": str(port), "HAPROXY_BACKEND_PORT": backend_port}, names=True)
    with proxy:
        wait_for_port(port, proxy)
        load = run_program([wrk, "-t2", "-c100", "-d3s", "-s", SCRIPTS / "haproxy_count_200.lua",
                            f"http://127.0.0.1:{port}/"], False, preload, timeout=30)
        outcome = proxy.stop()
    return load, outcome


def test_haproxy_nbthread4(preload):
    haproxy = require("haproxy", "haproxy")
    wrk = require("wrk", "wrk")
    python = require(PYTHON, "python3")
    backend = Program([python, "-u", SCRIPTS / "haproxy_backend.py"], False, preload)
    with backend:
        backend_port = wait_for_output(backend, LISTENING).group(1)
        native_load, native = proxy_and_load(haproxy, wrk, backend_port, False, preload)
        sprig_load, sprig = proxy_and_load(haproxy, wrk, backend_port, True, preload)
        backend.stop()
    record("haproxy nbthread 4 + wrk -c100", native, sprig)
    report = (f"native wrk: {native_load.describe()}\nsprig wrk: {sprig_load.describe()}\n"
              f"haproxy {native.describe()}\nhaproxy {sprig.describe()}")
    assert_ran(native_load, report)
    assert_ran(sprig_load, report)
    assert native_load.status == 0 and sprig_load.status == 0, report
    native_counts, sprig_counts = COUNTS.search(native_load.stdout), COUNTS.search(sprig_load.stdout)
    assert native_counts and sprig_counts, f"wrk's script printed no counts\n{report}"
    assert int(native_counts.group(1)) >= 100 and native_counts.group(2, 3) == ("0", "0"), report
    assert int(sprig_counts.group(1)) >= 100, f"too few requests under sprig\n{report}"
    assert sprig_counts.group(2, 3) == ("0", "0"), f"responses other than 200, or socket errors\n{report}"
    assert "[ALERT]" not in sprig.stderr, report
    assert native.status is None and sprig.status is None, f"haproxy ended before it was stopped\n{report}"
    # Natively: the four threads of nbthread 4 (the main thread is the first).
    assert_green(native, sprig, report, native_at_least=4)
