# test_scale_and_io.py - the own-test programs of the I/O group: 10,000 concurrent TCP connections between
# two processes under sprig, three divergences sprig(7) lists (dup2 onto an fd a thread waits on, the
# per-descriptor O_NONBLOCK view, signals that do not interrupt green waits), and the fortified build of
# io_fortify.c.
import os
import selectors
import subprocess
import time

SCALE_CONNECTIONS = 10_000
SCALE_TIMEOUT_S = 120


def fields_of(output, first_key):
    """The key=value pairs of the line starting with first_key=."""
    for line in output.splitlines():
        if line.startswith(first_key + "="):
            return dict(token.split("=", 1) for token in line.split() if "=" in token)
    return {}


def os_thread_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:  # gone, or a zombie being reaped
        return 0


def sprig_env(preload):
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    env["LC_ALL"] = "C"
    env["LD_PRELOAD"] = str(preload)
    return env


def read_first_line(process, timeout):
    """The first line the process prints, or '' if none comes within timeout seconds."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    line = b""
    deadline = time.monotonic() + timeout
    try:
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            byte = os.read(process.stdout.fileno(), 1)
            if not byte:
                break
            line += byte
    finally:
        selector.close()
    return line.decode(errors="replace")


def test_scale_10k_connections(binary_of, preload, results, max_sprig_os_threads):
    """net_scale_server.c and net_scale_client.c, both under sprig: 10,000 connections open at once
    (the client connects all of them before any sends), each echoing 1 KiB, on at most 2 OS threads
    per process. Not compared with native: the point is the scale on green threads."""
    server_binary = binary_of("net_scale_server.c")
    client_binary = binary_of("net_scale_client.c")
    env = sprig_env(preload)
    start = time.monotonic()
    server = subprocess.Popen([str(server_binary), str(SCALE_CONNECTIONS)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    client = None
    server_rest = client_out = client_err = server_err = ""
    max_threads = {"server": 0, "client": 0}
    timed_out = False
    try:
        first = read_first_line(server, 10)
        port = fields_of(first, "port").get("port")
        assert port is not None, f"the server printed no port: {first!r}"
        client = subprocess.Popen([str(client_binary), port, str(SCALE_CONNECTIONS)], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        # Sample both processes' OS threads about every millisecond until both have ended.
        while server.poll() is None or client.poll() is None:
            max_threads["server"] = max(max_threads["server"], os_thread_count(server.pid))
            max_threads["client"] = max(max_threads["client"], os_thread_count(client.pid))
            if time.monotonic() - start > SCALE_TIMEOUT_S:
                timed_out = True
                break
            time.sleep(0.001)
    finally:
        for process in (server, client):
            if process is not None and process.poll() is None:
                process.kill()
        server_rest, server_err = (part.decode(errors="replace") for part in server.communicate())
        if client is not None:
            client_out, client_err = (part.decode(errors="replace") for part in client.communicate())
    seconds = time.monotonic() - start
    client_fields = fields_of(client_out, "connections")
    server_fields = fields_of(server_rest, "connections")
    summary = (f"client: {' '.join(client_out.split())}, status {client.returncode}, max {max_threads['client']} OS threads; "
               f"server: {' '.join(server_rest.split())}, status {server.returncode}, "
               f"max {max_threads['server']} OS threads; {seconds:.1f} s")
    print(summary)
    results["net_scale (10k connections)"] = {"equal": None, "summary": summary}
    report = (f"{summary}\n--- client stderr\n{client_err}--- server stderr\n{server_err}---")
    assert not timed_out, f"timed out after {SCALE_TIMEOUT_S} s\n{report}"
    assert client.returncode == 0 and server.returncode == 0, report
    assert client_fields == {"connections": str(SCALE_CONNECTIONS), "ok": str(SCALE_CONNECTIONS), "connect_failures": "0",
                             "max_open": str(SCALE_CONNECTIONS), "first_error": "none"}, report
    assert server_fields == {"connections": str(SCALE_CONNECTIONS), "echoed": str(SCALE_CONNECTIONS * 1024),
                             "failures": "0"}, report
    assert max_threads["client"] <= max_sprig_os_threads, f"the client's threads were not green\n{report}"
    assert max_threads["server"] <= max_sprig_os_threads, f"the server's threads were not green\n{report}"


def test_dup2_onto_waited_fd_wakes_with_ebadf(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "Closing a descriptor wakes its waiters": dup2() onto a socket fd another thread is
    blocked reading. Natively (Linux) the read keeps waiting on the socket, which it holds open, and
    returns the byte the peer sends later. Under sprig the read wakes at once with EBADF, the socket is
    closed, and the peer's send fails with EPIPE."""
    binary = binary_of("net_dup2_waiter.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    record = results["net_dup2_waiter.c"] = {"equal": None, "divergence": "Closing a descriptor wakes its waiters",
                                             "as_documented": False}
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "dup2 onto the waited-on fd: ok",
        "the waiter returned before any data: no",
        "send from the peer: 1",
        "waiter: 1 byte 'd'",
        "read on the fd after dup2: 0 (now /dev/null)",
    ], report
    assert sprig.stdout.splitlines() == [
        "dup2 onto the waited-on fd: ok",
        "the waiter returned before any data: yes",
        "send from the peer: -1 EPIPE",
        "waiter: -1 EBADF",
        "read on the fd after dup2: 0 (now /dev/null)",
    ], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_nonblocking_view_is_per_descriptor(binary_of, preload, results, run, max_sprig_os_threads):
    """sprig(7), "The O_NONBLOCK view is per descriptor number": O_NONBLOCK set through one fd of a
    socket shows natively through its dup(), dup2() and F_DUPFD copies (one open file description), and a
    read through a copy gives EAGAIN. Under sprig each copy keeps the view it was made with: the read
    waits (until the program's watchdog sends a byte after 1 s), and FIONBIO through a copy leaves the
    original non-blocking."""
    binary = binary_of("net_nonblocking_dup.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    record = results["net_nonblocking_dup.c"] = {"equal": None, "as_documented": False,
                                                 "divergence": "The O_NONBLOCK view is per descriptor number"}
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "the fd set non-blocking: O_NONBLOCK on",
        "its dup(): O_NONBLOCK on",
        "its dup2(): O_NONBLOCK on",
        "its F_DUPFD_CLOEXEC: O_NONBLOCK on",
        "read through the dup(): read -1 EAGAIN",
        "the copy after FIONBIO 0: O_NONBLOCK off",
        "the original: O_NONBLOCK off",
    ], report
    assert sprig.stdout.splitlines() == [
        "the fd set non-blocking: O_NONBLOCK on",
        "its dup(): O_NONBLOCK off",
        "its dup2(): O_NONBLOCK off",
        "its F_DUPFD_CLOEXEC: O_NONBLOCK off",
        "read through the dup(): read 1, the watchdog's byte after 1 s",
        "the copy after FIONBIO 0: O_NONBLOCK off",
        "the original: O_NONBLOCK on",
    ], report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report
    record["as_documented"] = True


def test_fortify_program_calls_the_chk_variants(binary_of):
    """io_fortify.c (compared with native by test_program) really calls the fortified functions."""
    binary = binary_of("io_fortify.c")
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(binary)], capture_output=True, text=True,
                               check=True).stdout
    names = {line.split()[-1].split("@")[0] for line in undefined.splitlines() if line.strip()}
    for name in ("__read_chk", "__recv_chk", "__recvfrom_chk", "__poll_chk"):
        assert name in names, f"{binary} does not call {name}:\n{undefined}"
    assert "read" not in names and "recv" not in names and "poll" not in names, undefined
