# test_observe_ps.py - `sprig ps` (scripts/sprig-ps) on live processes: 1,000 parked threads with their
# reasons and stacks, the socket's permissions, and programs with signal handlers of their own.
import os
import re
import select
import signal
import socket
import stat
import subprocess
import time

import pytest

THREADS = 1000
# "%7llu  %-15s  %-8s  %9s  %s": id, name, state, how long it has waited, what for.
LINE = re.compile(r"^\s*(\d+)  (.{15})  (\S+)\s+(-|\d+ ms|[\d.]+ s|\d+ min \d+ s)  (.*)$")


def read_line(stream, timeout_s):
    ready, _, _ = select.select([stream], [], [], timeout_s)
    assert ready, f"no output within {timeout_s} s"
    return stream.readline()


def parse_dump(text):
    """-> {id: {"name", "state", "waited", "wait", "frames": [function names]}} from a dump."""
    threads = {}
    current = None
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            current = {"name": match.group(2).strip(), "state": match.group(3), "waited": match.group(4),
                       "wait": match.group(5), "frames": []}
            threads[int(match.group(1))] = current
        elif current is not None and line.strip().startswith("#"):
            current["frames"].append(line.split()[2])
    return threads


@pytest.fixture
def ps_server(observe_program, sprig_env):
    """The 1,000-thread server under sprig: (process, listener fd)."""
    process = subprocess.Popen([str(observe_program("ps_server.c"))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=sprig_env())
    try:
        line = read_line(process.stdout, 20)
        assert line.startswith("ready "), line
        fields = dict(token.split("=") for token in line.split()[1:])
        yield process, int(fields["listener_fd"])
    finally:
        if process.poll() is None:
            process.stdin.write("quit\n")
            process.stdin.flush()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def check_reasons(threads, listener_fd):
    by_kind = {}
    for thread in threads.values():
        by_kind.setdefault(thread["name"].split("-")[0], []).append(thread)
    assert {kind: len(group) for kind, group in by_kind.items()} == {
        "ps_server": 1, "reader": 200, "locker": 200, "waiter": 200, "sleeper": 200, "joiner": 199, "acceptor": 1}
    for thread in threads.values():
        assert thread["state"] == "parked", thread
        assert thread["waited"] != "-", thread
    main = by_kind["ps_server"][0]
    assert threads[1] is main and main["wait"] == "read fd 0", main
    fds = set()
    for reader in by_kind["reader"]:
        match = re.fullmatch(r"read fd (\d+)", reader["wait"])
        assert match, reader
        fds.add(int(match.group(1)))
    assert len(fds) == 200, "each reader waits on its own socket"
    for locker in by_kind["locker"]:
        assert re.fullmatch(r"mutex 0x[0-9a-f]+ held by 1", locker["wait"]), locker
    assert len({locker["wait"] for locker in by_kind["locker"]}) == 1, "one mutex, held by main"
    for waiter in by_kind["waiter"]:
        assert re.fullmatch(r"cond 0x[0-9a-f]+", waiter["wait"]), waiter
    for sleeper in by_kind["sleeper"]:
        match = re.fullmatch(r"sleep ([\d.]+) s left", sleeper["wait"])
        assert match and 50 < float(match.group(1)) <= 60, sleeper
    sleeper_ids = {thread_id for thread_id, thread in threads.items() if thread["name"].startswith("sleeper-")}
    joined = set()
    for joiner in by_kind["joiner"]:
        match = re.fullmatch(r"join (\d+)", joiner["wait"])
        assert match and int(match.group(1)) in sleeper_ids, joiner
        index = joiner["name"].split("-")[1]
        assert threads[int(match.group(1))]["name"] == f"sleeper-{index}", "joiner N joins sleeper N"
        joined.add(int(match.group(1)))
    assert len(joined) == 199
    assert by_kind["acceptor"][0]["wait"] == f"accept fd {listener_fd}"


def test_ps_lists_1000_parked_threads_with_their_reasons(ps_server, sprig_ps):
    process, listener_fd = ps_server
    started = time.monotonic()
    result = sprig_ps(process.pid)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    assert result.stdout.startswith(f"sprig: process {process.pid}: {THREADS + 1} green threads alive")
    threads = parse_dump(result.stdout)
    assert len(threads) == THREADS + 1, result.stdout[:2000]
    check_reasons(threads, listener_fd)
    # The process was not stopped: it still serves, and ends when asked.
    with socket.create_connection(("127.0.0.1", port_of(process)), timeout=5):
        pass
    process.stdin.write("quit\n")
    process.stdin.flush()
    assert read_line(process.stdout, 10) == "done\n"
    assert process.wait(timeout=10) == 0


def port_of(process):
    """The server's port, from /proc: the one listening TCP socket of the process."""
    inodes = set()
    for fd in os.listdir(f"/proc/{process.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{process.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    with open(f"/proc/{process.pid}/net/tcp") as table:
        for row in table.readlines()[1:]:
            columns = row.split()
            if columns[3] == "0A" and columns[9] in inodes:
                return int(columns[1].split(":")[1], 16)
    raise AssertionError("no listening socket")


def test_ps_stacks_show_the_function_each_thread_parked_in(ps_server, sprig_ps):
    process, listener_fd = ps_server
    result = sprig_ps(process.pid, "--stacks")
    assert result.returncode == 0, result.stderr
    threads = parse_dump(result.stdout)
    assert len(threads) == THREADS + 1
    check_reasons(threads, listener_fd)
    functions = {"ps_server": ("main", "read"), "reader": ("reader_main", "read"),
                 "locker": ("locker_main", "pthread_mutex_lock"), "waiter": ("waiter_main", "pthread_cond_wait"),
                 "sleeper": ("sleeper_main", "sleep"), "joiner": ("joiner_main", "pthread_join"),
                 "acceptor": ("acceptor_main", "accept")}
    for thread in threads.values():
        caller, call = functions[thread["name"].split("-")[0]]
        names = [frame.split("+")[0] for frame in thread["frames"]]
        assert caller in names, thread
        # The innermost frame shown is the interposed call (or sprig's function behind it), not the switch.
        assert call in names[0], thread
        assert not any("context_switch" in name or "switch_away" in name for name in names), thread


def control_socket_path(pid):
    """The control socket of process pid, which must exist."""
    candidates = [f"/tmp/sprig-{os.geteuid()}/{pid}.sock"]
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        candidates.insert(0, f"{runtime_dir}/sprig/{pid}.sock")
    return next(candidate for candidate in candidates if os.path.exists(candidate))


def test_ps_socket_is_private_to_the_user(ps_server, sprig_ps):
    process, _ = ps_server
    assert sprig_ps(process.pid).returncode == 0
    uid = os.geteuid()
    path = control_socket_path(process.pid)
    socket_mode = os.lstat(path).st_mode
    directory_mode = os.lstat(os.path.dirname(path)).st_mode
    assert stat.S_ISSOCK(socket_mode) and stat.S_IMODE(socket_mode) == 0o600
    assert stat.S_ISDIR(directory_mode) and stat.S_IMODE(directory_mode) == 0o700
    if uid != 0:
        return  # the other-user check below needs to become another user
    child = os.fork()
    if child == 0:  # another user (nobody) tries to connect
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(2)
                connection.connect(path)
            code = 0  # reached: wrong
        except PermissionError:
            code = 1  # refused: right
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.WEXITSTATUS(status) == 1, "another user must not reach the socket"


def test_silent_connections_do_not_lock_ps_out(ps_server, sprig_ps):
    """The control socket serves 8 connections at once. Eight that connect and never send a request do not
    lock `sprig ps` out: a new connection closes the oldest silent one, which then reads end of file."""
    process, _ = ps_server
    assert sprig_ps(process.pid).returncode == 0  # the socket exists from here on
    path = control_socket_path(process.pid)
    silent = []
    try:
        for _ in range(8):
            connection = socket.socket(socket.AF_UNIX)
            connection.settimeout(5)
            connection.connect(path)
            silent.append(connection)
        result = sprig_ps(process.pid)
        assert result.returncode == 0, result.stderr
        assert len(parse_dump(result.stdout)) == THREADS + 1  # and main
        assert silent[0].recv(1) == b"", "the oldest silent connection was closed"
    finally:
        for connection in silent:
            connection.close()


def test_socket_is_removed_at_exit_and_ps_says_why_it_cannot_answer(observe_program, sprig_env, sprig_ps):
    process = subprocess.Popen([str(observe_program("ps_server.c"))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=sprig_env())
    assert read_line(process.stdout, 20).startswith("ready ")
    path = f"/tmp/sprig-{os.geteuid()}/{process.pid}.sock"
    if os.environ.get("XDG_RUNTIME_DIR"):
        path = next((p for p in (f"{os.environ['XDG_RUNTIME_DIR']}/sprig/{process.pid}.sock", path)
                     if os.path.exists(p)), path)
    assert os.path.exists(path)
    process.stdin.write("quit\n")
    process.stdin.flush()
    process.wait(timeout=10)
    # ps_server ends with _exit(), which runs no exit handler: the next sprig process removes the stale
    # socket when it makes its own; ps itself says the process is gone.
    assert sprig_ps(process.pid).stderr.startswith(f"sprig ps: no process {process.pid}")
    native = subprocess.run(["sleep", "0"], capture_output=True)
    assert native.returncode == 0
    result = sprig_ps(os.getpid())
    assert result.returncode == 1 and "does not run under sprig" in result.stderr


def test_programs_own_signal_handlers_keep_working_and_ps_answers(observe_program, sprig_env, sprig_ps):
    process = subprocess.Popen([str(observe_program("signals_own.c"))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=sprig_env())
    try:
        assert read_line(process.stdout, 10) == "ready\n"
        result = sprig_ps(process.pid)
        assert result.returncode == 0, result.stderr
        threads = parse_dump(result.stdout)
        assert threads[1]["state"] == "parked" and threads[1]["wait"].startswith("sleep "), result.stdout
        for _ in range(3):
            os.kill(process.pid, signal.SIGUSR1)
            time.sleep(0.05)
        output, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert output.strip().splitlines()[-1] == "usr1=3 segv_handler_kept=1"
