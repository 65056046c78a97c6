# test_rust.py - Rust programs (rustc -O, sources in rust/) under sprig: std::thread with thread_local!, names, sleep and join, and a std::net thread-per-connection echo server serving 2,000 connections.
import pathlib
import re
import subprocess

import pytest

from harness import Program, assert_green, assert_ran, record, run_compared, run_program, wait_for_output

RUSTC = pathlib.Path("/root/.cargo/bin/rustc")
SOURCES = pathlib.Path(__file__).resolve().parent / "rust"
THREADS = 200  # as in rust/threads.rs
CONNECTIONS = 2000

THREADS_OUTPUT = """\
threads joined: 200
sum of results: 659700
wrong counts: 0
wrong labels: 0
wrong names: 0
main thread name: Some("main")
drops: 200
dropped total: 219900
scoped sum: 499500
"""


@pytest.fixture(scope="session")
def rust_programs(tmp_path_factory):
    """rust/NAME.rs built with rustc -O, all at once; -> {NAME: path}."""
    if not RUSTC.exists():
        pytest.skip(f"{RUSTC} not found: the Rust toolchain (rustup) is not installed")
    out_dir = tmp_path_factory.mktemp("rust")
    builds = {source.stem: subprocess.Popen([RUSTC, "--edition", "2021", "-O", "-o", out_dir / source.stem, source],
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
              for source in sorted(SOURCES.glob("*.rs"))}
    outputs = {name: build.communicate(timeout=300)[0] for name, build in builds.items()}
    for name, build in builds.items():
        if build.returncode != 0:
            pytest.fail(f"rustc failed on rust/{name}.rs\n{outputs[name]}")
    return {name: out_dir / name for name in builds}


# "spin": the 200 threads meet by an atomic counter and thread::yield_now. "barrier": at a
# std::sync::Barrier, whose waits are std's own futex system calls.
@pytest.mark.parametrize("meeting", ["spin", "barrier"])
def test_rust_threads(rust_programs, preload, meeting):
    argv = [rust_programs["threads"], meeting]
    native, sprig, report = run_compared(f"rust threads {meeting}", argv, preload, timeout=20)
    assert native.status == 0 and native.stdout == THREADS_OUTPUT, f"unexpected native output\n{report}"
    assert sprig.status == native.status, f"the sprig run ended with status {sprig.status}\n{report}"
    assert sprig.stdout == native.stdout, f"output differs\n{report}"
    # Natively main and the 200 workers exist at once (they meet before they end).
    assert_green(native, sprig, report, native_at_least=THREADS)


def serve(rust_programs, under_sprig, preload):
    """Runs echo_server until it has served CONNECTIONS connections of echo_client (run natively)."""
    server = Program([rust_programs["echo_server"], CONNECTIONS], under_sprig, preload)
    with server:
        port = wait_for_output(server, re.compile(r"^port (\d+)$", re.M)).group(1)
        client = run_program([rust_programs["echo_client"], port, CONNECTIONS], False, preload, timeout=40)
        outcome = server.wait(timeout=20)
    return client, outcome


def test_rust_echo_server_2000_connections(rust_programs, preload):
    native_client, native = serve(rust_programs, False, preload)
    sprig_client, sprig = serve(rust_programs, True, preload)
    record("rust std::net echo server", native, sprig)
    report = (f"native client: {native_client.describe()}\nsprig client: {sprig_client.describe()}\n"
              f"server {native.describe()}\nserver {sprig.describe()}")
    for outcome in (native_client, sprig_client, native, sprig):
        assert_ran(outcome, report)
    expected = "connections 2000, rounds 3, echoed 1042770 bytes of 1042770\nwrong echoes 0, errors 0\n"
    assert native_client.status == 0 and native_client.stdout == expected, f"unexpected native answers\n{report}"
    assert sprig_client.stdout == native_client.stdout, f"the client saw different answers\n{report}"
    summary = "served 2000 connections, echoed 1042770 bytes\n"
    assert native.status == 0 and native.stdout.endswith(summary), f"unexpected native summary\n{report}"
    assert sprig.status == 0 and sprig.stdout.endswith(summary), f"the sprig server's summary differs\n{report}"
    # Natively main and one thread per connection: the client holds all 2,000 open at once.
    assert_green(native, sprig, report, native_at_least=CONNECTIONS)
