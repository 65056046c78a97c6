# test_signals_real.py - real programs stopped and interrupted by signals under sprig as natively (tinyproxy, redis-server, apache2, perl, python3).
#
# Each scenario runs natively, then under sprig; the test measures how long the program takes to
# act on the signal and compares what it printed and its exit status. Servers listen on 127.0.0.1
# only; every wait is bounded (a program that ignores the signal is killed after STOP_WAIT_S or
# INTERRUPT_WAIT_S, and the test fails saying so).
import http.client
import http.server
import os
import pathlib
import pwd
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from harness import (PYTHON, RESULTS, SCRIPTS, Program, count_tasks, free_port, maps_sprig, record, require,
                     wait_for_output, wait_for_port)

STOP_WAIT_S = 15  # how long a server may take to end after SIGTERM before the test gives up on it
INTERRUPT_WAIT_S = 20  # the same for a program interrupted by a signal the test sends
RESEND_EVERY_S = 0.5
RESEND_FOR_S = 10
FIRST_SIGNAL_AFTER_S = 0.3  # after the program said "ready", just before its blocking call
READY = re.compile(r"^ready$", re.M)


def seconds_text(seconds):
    return "did not end" if seconds is None else f"{seconds:.3f} s"


def signal_and_time(program, sig, bound=STOP_WAIT_S):
    """Sends `sig` once to the program; -> seconds until it ended, or None if it still runs after `bound`."""
    start = time.monotonic()
    os.kill(program.pid, sig)
    try:
        program.process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic() - start


def wait_until(condition, bound):
    """Polls `condition` every 5 ms; -> the seconds it took to hold, or None if it did not within `bound`."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > bound:
            return None
        time.sleep(0.005)


def add_summary(name, text):
    RESULTS[name]["summary"] += f"; {text}"


# ---- tinyproxy ---------------------------------------------------------------------------------

ORIGIN_BODY = b"hello through tinyproxy\n"
# tinyproxy's log line prefix: "LEVEL     Mon DD HH:MM:SS.mmm [PID]: ".
LOG_PREFIX = re.compile(r"^[A-Z]+ +\w{3} \d\d \d\d:\d\d:\d\d\.\d{3} \[\d+\]: ", re.M)


class Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", str(len(ORIGIN_BODY)))
        self.end_headers()
        self.wfile.write(ORIGIN_BODY)

    def log_message(self, *args):
        pass


def proxied_get(proxy_port, origin_port):
    """GET http://127.0.0.1:ORIGIN/hello through the proxy, over a plain socket (no proxy settings of
    the environment involved); -> "STATUS-LINE | BODY" or the error."""
    try:
        with socket.create_connection(("127.0.0.1", proxy_port), timeout=10) as conn:
            conn.sendall(f"GET http://127.0.0.1:{origin_port}/hello HTTP/1.0\r\n"
                         f"Host: 127.0.0.1:{origin_port}\r\n\r\n".encode())
            reply = b""
            while len(reply) < 1 << 20:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError as error:
        return f"error {error!r}"
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode(errors="replace")
    return f"{status_line} | {body!r}"


def shutdown_log(text):
    """tinyproxy's lines from "Shutting down." on, without prefix and descriptor numbers, sorted (the
    threads it interrupts log in any order)."""
    lines = LOG_PREFIX.sub("", text).splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Shutting down"):
            return sorted(re.sub(r"descriptor:? \d+", "descriptor N", rest) for rest in lines[index:])
    return []


def threads_brought_down(log):
    """N of tinyproxy's "trying to bring down N threads..." line, or None."""
    for line in log:
        found = re.match(r"trying to bring down (\d+) threads", line)
        if found:
            return int(found.group(1))
    return None


def without_thread_count(log):
    return [re.sub(r"bring down \d+ threads", "bring down N threads", line) for line in log]


def run_tinyproxy(tinyproxy, directory, origin_port, under_sprig, preload):
    port = free_port()
    conf = directory / f"tinyproxy-{'sprig' if under_sprig else 'native'}.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\nLogLevel Info\n")
    server = Program([tinyproxy, "-d", "-c", conf], under_sprig, preload)
    with server:
        wait_for_port(port, server)
        answer = proxied_get(port, origin_port)
        # Three clients that connect and send nothing: a thread each, blocked reading the request
        # line. On SIGTERM tinyproxy's main thread pthread_kill()s each with SIGCHLD (a handler
        # without SA_RESTART) so that the read fails with EINTR, and waits for them up to ~70 ms.
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        try:
            time.sleep(0.3)
            seconds = signal_and_time(server, signal.SIGTERM)
        finally:
            for conn in idle:
                conn.close()
        outcome = server.stop()
    return answer, seconds, outcome


def test_tinyproxy_sigterm(preload, tmp_path):
    """tinyproxy -d (a thread per connection): a proxied GET, three idle clients, then SIGTERM: it
    interrupts its threads and exits, natively in about 0.01-0.1 s. Under sprig: the same exit status and
    shutdown log (no "threads still alive"), within max(2 s, 5 x native)."""
    tinyproxy = require("tinyproxy", "tinyproxy")
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    serving = threading.Thread(target=origin.serve_forever, daemon=True)
    serving.start()
    try:
        native_answer, native_s, native = run_tinyproxy(tinyproxy, tmp_path, origin.server_port, False, preload)
        sprig_answer, sprig_s, sprig = run_tinyproxy(tinyproxy, tmp_path, origin.server_port, True, preload)
    finally:
        origin.shutdown()
        origin.server_close()
    name = "tinyproxy SIGTERM"
    record(name, native, sprig)
    add_summary(name, f"SIGTERM to exit: native {seconds_text(native_s)}, sprig {seconds_text(sprig_s)}")
    native_log = shutdown_log(native.stdout + native.stderr)
    sprig_log = shutdown_log(sprig.stdout + sprig.stderr)
    report = (f"proxied GET: native {native_answer}; sprig {sprig_answer}\n"
              f"SIGTERM to exit: native {seconds_text(native_s)}, sprig {seconds_text(sprig_s)}\n"
              f"shutdown log native: {native_log}\nshutdown log sprig: {sprig_log}\n"
              f"{native.describe()}\n{sprig.describe()}")
    assert native_answer == f"HTTP/1.0 200 OK | {ORIGIN_BODY!r}", f"the proxied GET fails natively\n{report}"
    assert native_s is not None, f"tinyproxy did not end on SIGTERM natively\n{report}"
    # 3 idle clients, and the proxied GET's thread when tinyproxy has not reaped it yet (timing).
    assert threads_brought_down(native_log) in (3, 4), report
    assert sprig_answer == native_answer, f"the proxied GET differs under sprig\n{report}"
    bound = max(2.0, 5 * native_s)
    assert sprig_s is not None, f"tinyproxy did not end within {STOP_WAIT_S} s of SIGTERM under sprig\n{report}"
    assert sprig_s <= bound, f"tinyproxy took {sprig_s:.3f} s to end on SIGTERM (bound {bound:.3f} s)\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    assert threads_brought_down(sprig_log) in (3, 4), report
    assert without_thread_count(sprig_log) == without_thread_count(native_log), \
        f"tinyproxy's shutdown went differently (its threads not interrupted?)\n{report}"


# ---- redis-server ------------------------------------------------------------------------------

def run_redis(server_binary, under_sprig, preload):
    port = free_port()
    server = Program([server_binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                      "--daemonize", "no"], under_sprig, preload)
    with server:
        wait_for_port(port, server)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        try:
            # One PING answered, and one client blocked in BLPOP (redis parks it, no thread).
            clients[0].sendall(b"PING\r\n")
            pong = clients[0].recv(64)
            clients[1].sendall(b"*3\r\n$5\r\nBLPOP\r\n$7\r\nnothing\r\n$1\r\n0\r\n")
            time.sleep(0.3)
            seconds = signal_and_time(server, signal.SIGTERM)
        finally:
            for conn in clients:
                conn.close()
        outcome = server.stop()
    return pong, seconds, outcome


def test_redis_sigterm(preload):
    """redis-server (no persistence) with idle and blocked clients, then SIGTERM: "scheduling shutdown",
    "ready to exit, bye bye", exit 0 natively in about 0.1 s. Under sprig: the same log lines and status,
    within max(2 s, 5 x native)."""
    server_binary = require("redis-server", "redis-server")
    native_pong, native_s, native = run_redis(server_binary, False, preload)
    sprig_pong, sprig_s, sprig = run_redis(server_binary, True, preload)
    name = "redis-server SIGTERM"
    record(name, native, sprig)
    add_summary(name, f"SIGTERM to exit: native {seconds_text(native_s)}, sprig {seconds_text(sprig_s)}")
    report = (f"PING: native {native_pong!r}, sprig {sprig_pong!r}\n"
              f"SIGTERM to exit: native {seconds_text(native_s)}, sprig {seconds_text(sprig_s)}\n"
              f"{native.describe()}\n{sprig.describe()}")
    assert native_pong == b"+PONG\r\n" and native_s is not None and native.status == 0, report
    for line in ("Received SIGTERM scheduling shutdown", "ready to exit, bye bye"):
        assert line in native.stdout, report
        assert line in sprig.stdout, f"{line!r} missing from the sprig run's log\n{report}"
    assert sprig_pong == native_pong, report
    bound = max(2.0, 5 * native_s)
    assert sprig_s is not None, f"redis-server did not end within {STOP_WAIT_S} s of SIGTERM under sprig\n{report}"
    assert sprig_s <= bound, f"redis-server took {sprig_s:.3f} s to end on SIGTERM (bound {bound:.3f} s)\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"


# ---- apache2, worker MPM -----------------------------------------------------------------------

APACHE_BODY = b"hello from apache2 worker\n"
RESUMING = "resuming normal operations"
# What apache's parent logs when children do not end on the SIGTERM it sends them.
RECLAIM_TROUBLE = re.compile(r"still did not exit|sending a SIGKILL|could not make child process")
APACHE_CHILDREN = 2
THREADS_PER_CHILD = 25


def apache_config(root, port):
    """A self-contained httpd.conf: the worker MPM, one static file, everything in `root`."""
    lines = [
        f'ServerRoot "{root}"', "ServerName 127.0.0.1", f"Listen 127.0.0.1:{port}",
        f'PidFile "{root}/httpd.pid"', f'DefaultRuntimeDir "{root}"', f'ErrorLog "{root}/error.log"',
        "LogLevel info",
        "LoadModule mpm_worker_module /usr/lib/apache2/modules/mod_mpm_worker.so",
        "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so",
        f"StartServers {APACHE_CHILDREN}", f"ThreadsPerChild {THREADS_PER_CHILD}",
        f"MinSpareThreads {THREADS_PER_CHILD}", f"MaxSpareThreads {THREADS_PER_CHILD * 4}", "ServerLimit 4",
        f"MaxRequestWorkers {THREADS_PER_CHILD * 4}", "KeepAlive Off",
        f'DocumentRoot "{root}/htdocs"', f'<Directory "{root}/htdocs">', "    Require all granted", "</Directory>",
    ]
    if os.geteuid() == 0:  # apache will not serve as root: its children switch to an unprivileged user
        for user, group in (("www-data", "www-data"), ("nobody", "nogroup")):
            try:
                pwd.getpwnam(user)
            except KeyError:
                continue
            lines += [f"User {user}", f"Group {group}"]
            break
    return "\n".join(lines) + "\n"


def instance_processes(conf):
    """The live (not zombie) processes whose command line names `conf`: this instance's parent and children."""
    marker = os.fsencode(conf)
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if marker not in cmdline.read():
                    continue
            with open(f"/proc/{entry}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.add(int(entry))
    return found


def apache_get(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/index.html")
            reply = conn.getresponse()
            return f"{reply.status} {reply.read()!r}"
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as error:
        return f"error {error!r}"


def run_apache(apache2, under_sprig, preload):
    """Starts the instance, GETs, graceful restart (SIGUSR1 to the parent, as `apache2 -k graceful`),
    GETs, stop (SIGTERM to the parent, as `apache2 -k stop`); -> a dict of what happened."""
    seen = {}
    with tempfile.TemporaryDirectory(prefix="sprig-apache2-") as name:
        root = pathlib.Path(name)
        root.chmod(0o755)  # the children's user reads htdocs
        (root / "htdocs").mkdir(mode=0o755)
        (root / "htdocs" / "index.html").write_bytes(APACHE_BODY)
        (root / "htdocs" / "index.html").chmod(0o644)
        port = free_port()
        conf = root / "httpd.conf"
        conf.write_text(apache_config(root, port))
        server = Program([apache2, "-f", conf, "-DFOREGROUND"], under_sprig, preload, cwd=root)
        try:
            with server:
                wait_for_port(port, server)
                seen["first GET"] = apache_get(port)
                wait_until(lambda: len(instance_processes(conf)) >= 1 + APACHE_CHILDREN, 10)
                old = instance_processes(conf) - {server.pid}
                seen["children"] = len(old)
                seen["child threads"] = sorted(count_tasks(pid) for pid in old)
                seen["children preloaded"] = sorted({maps_sprig(pid) for pid in old}, key=str)

                def log():
                    try:
                        return (root / "error.log").read_text(errors="replace")
                    except OSError:
                        return ""

                # Graceful: done when the parent has re-read its configuration and every child of the
                # old generation has ended (the new one is forked at once or, for some, at the parent's
                # next once-a-second maintenance: the GET that follows is not timed).
                os.kill(server.pid, signal.SIGUSR1)
                seen["graceful_s"] = wait_until(
                    lambda: log().count(RESUMING) >= 2 and not instance_processes(conf) & old, STOP_WAIT_S)
                seen["second GET"] = apache_get(port) if seen["graceful_s"] is not None else "not tried"
                seen["new children"] = len(instance_processes(conf) - {server.pid})

                start = time.monotonic()
                os.kill(server.pid, signal.SIGTERM)
                stopped = wait_until(lambda: server.process.poll() is not None and not instance_processes(conf),
                                     STOP_WAIT_S)
                seen["stop_s"] = None if stopped is None else time.monotonic() - start
                seen["left after stop"] = sorted(instance_processes(conf))
                seen["outcome"] = server.stop()
        finally:
            for pid in instance_processes(conf):  # children left behind by a parent that is gone
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            seen["error.log"] = (root / "error.log").read_text(errors="replace") if (root / "error.log").exists() \
                else ""
    return seen


def describe_apache(label, seen):
    shown = {key: value for key, value in seen.items() if key not in ("outcome", "error.log")}
    return (f"{label}: {shown}\n{label} error.log:\n{seen['error.log'][-4000:]}\n"
            f"{seen['outcome'].describe() if 'outcome' in seen else ''}")


def test_apache2_worker_graceful_and_stop(preload):
    """apache2 -DFOREGROUND with the worker MPM (2 children of 25 threads; each child's main thread
    sigwait()s, the listener is woken by pthread_kill): a GET, a graceful restart (SIGUSR1), a GET, a stop
    (SIGTERM). Under sprig (children forked from the parent, so under sprig too): the same answers, each
    step within 1.5 x native + 1 s, no process of the instance left, no children apache had to SIGKILL."""
    apache2 = require("apache2", "apache2")
    native = run_apache(apache2, False, preload)
    sprig = run_apache(apache2, True, preload)
    name = "apache2 worker graceful + stop"
    record(name, native["outcome"], sprig["outcome"])
    add_summary(name, f"graceful native {seconds_text(native['graceful_s'])}, sprig {seconds_text(sprig['graceful_s'])}"
                      f"; stop native {seconds_text(native['stop_s'])}, sprig {seconds_text(sprig['stop_s'])}")
    report = f"{describe_apache('native', native)}\n{describe_apache('sprig', sprig)}"
    ok = f"200 {APACHE_BODY!r}"
    assert native["first GET"] == ok and native["second GET"] == ok, f"apache2 does not serve natively\n{report}"
    assert native["graceful_s"] is not None and native["stop_s"] is not None, report
    assert native["left after stop"] == [] and native["children"] == APACHE_CHILDREN, report
    assert native["outcome"].status == 0, report
    assert sprig["children preloaded"] == [True], f"the children did not have libsprig.so\n{report}"
    assert sprig["first GET"] == ok, f"the first GET fails under sprig\n{report}"
    assert sprig["graceful_s"] is not None, (
        f"graceful restart not done in {STOP_WAIT_S} s under sprig (old children still there?)\n{report}")
    graceful_bound = 1.5 * native["graceful_s"] + 1
    assert sprig["graceful_s"] <= graceful_bound, (
        f"graceful restart took {sprig['graceful_s']:.3f} s (bound {graceful_bound:.3f} s)\n{report}")
    assert sprig["second GET"] == ok, f"the GET after the graceful restart fails under sprig\n{report}"
    assert sprig["stop_s"] is not None, f"apache2 did not stop within {STOP_WAIT_S} s under sprig\n{report}"
    stop_bound = 1.5 * native["stop_s"] + 1
    assert sprig["stop_s"] <= stop_bound, f"stop took {sprig['stop_s']:.3f} s (bound {stop_bound:.3f} s)\n{report}"
    assert sprig["left after stop"] == [], f"processes of the instance left after stop\n{report}"
    assert sprig["outcome"].status == native["outcome"].status, f"exit status differs\n{report}"
    assert not RECLAIM_TROUBLE.search(native["error.log"]), report
    assert not RECLAIM_TROUBLE.search(sprig["error.log"]), f"children did not end on apache's SIGTERM\n{report}"
    assert "caught SIGTERM, shutting down" in sprig["error.log"], report


# ---- perl and python3: a blocked program interrupted by a signal -------------------------------

def interrupt(argv, sig, under_sprig, preload, done=None):
    """Runs argv until it prints "ready"; FIRST_SIGNAL_AFTER_S later sends `sig` (None: sends nothing, the
    program signals itself), again every RESEND_EVERY_S (up to RESEND_FOR_S) while it runs and its
    output does not match `done`. -> (outcome, seconds from the first signal (or "ready") to its end or
    None, signals sent)."""
    program = Program(argv, under_sprig, preload)
    with program:
        wait_for_output(program, READY, timeout=60)
        if sig is not None:
            time.sleep(FIRST_SIGNAL_AFTER_S)
        start = time.monotonic()
        sent = 0
        while sig is not None and program.process.poll() is None and time.monotonic() - start < RESEND_FOR_S:
            if done is not None and done.search(program.output_so_far()):
                break
            os.kill(program.pid, sig)
            sent += 1
            try:
                program.process.wait(timeout=RESEND_EVERY_S)
            except subprocess.TimeoutExpired:
                pass
        try:
            program.process.wait(timeout=max(0.0, start + INTERRUPT_WAIT_S - time.monotonic()))
            seconds = time.monotonic() - start
        except subprocess.TimeoutExpired:
            seconds = None
        outcome = program.wait(timeout=0)
    return outcome, seconds, sent


def compare_interrupted(name, argv, sig, preload, done=None, bound_s=5.0):
    """interrupt() natively and under sprig; both must end within bound_s of the (first) signal, printing
    the same and with the same status. -> (native, sprig, report)."""
    native, native_s, native_sent = interrupt(argv, sig, False, preload, done)
    sprig, sprig_s, sprig_sent = interrupt(argv, sig, True, preload, done)
    record(name, native, sprig)
    timing = (f"signal to exit: native {seconds_text(native_s)} ({native_sent} sent), "
              f"sprig {seconds_text(sprig_s)} ({sprig_sent} sent)")
    add_summary(name, timing)
    report = f"{timing}\n{native.describe()}\n{sprig.describe()}"
    assert native_s is not None and native_s <= bound_s, f"natively it did not end within {bound_s} s\n{report}"
    assert sprig_s is not None, f"under sprig it still ran {INTERRUPT_WAIT_S} s after the signal\n{report}"
    assert sprig_s <= bound_s, f"under sprig it took {sprig_s:.3f} s to end (bound {bound_s} s)\n{report}"
    assert sprig.stdout == native.stdout, f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    return native, sprig, report


def require_ithreads():
    perl = require("perl", "perl")
    loaded = subprocess.run([perl, "-Mthreads", "-Mthreads::shared", "-e", "1"], capture_output=True, text=True,
                            timeout=20)
    if loaded.returncode != 0:
        pytest.skip(f"perl cannot load threads and threads::shared (the Debian package perl is not installed): "
                    f"{loaded.stderr.strip()}")
    return perl


def test_perl_ithreads_sigterm_default(preload):
    """20 ithreads block SIGTERM and cond_timedwait, main joins them: SIGTERM to the process (default
    action) ends it by SIGTERM (status -15) within a few seconds, natively and under sprig."""
    perl = require_ithreads()
    native, sprig, report = compare_interrupted("perl ithreads SIGTERM (default action)",
                                                [perl, SCRIPTS / "perl_signal_threads.pl", "default"],
                                                signal.SIGTERM, preload)
    assert native.status == -signal.SIGTERM, report
    assert native.stdout == "20 threads block SIGTERM and wait\nready\n", report


def test_perl_ithreads_sigterm_handler(preload):
    """The same 20 ithreads; main has $SIG{TERM} and sleeps 15 s: SIGTERM cuts the sleep short, the
    handler runs in main, main releases and joins the threads, exits 0."""
    perl = require_ithreads()
    native, sprig, report = compare_interrupted("perl ithreads SIGTERM ($SIG{TERM})",
                                                [perl, SCRIPTS / "perl_signal_threads.pl", "handler"],
                                                signal.SIGTERM, preload,
                                                done=re.compile(r"^main caught SIGTERM$", re.M))
    assert native.status == 0, report
    assert "main caught SIGTERM\njoined: 20 released\n" in native.stdout, report


@pytest.mark.parametrize("mode", ["sleep", "acquire", "recv", "subprocess"])
def test_python_sigint_interrupts(preload, mode):
    """1,000 threads wait on an Event while main blocks 30 s in time.sleep / Lock.acquire / socket.recv, or
    in time.sleep after three subprocess.run (vfork children that reset the handlers and the mask in the
    parent's memory): SIGINT raises KeyboardInterrupt in main, caught, the threads are released and joined,
    exit 0."""
    python = require(PYTHON, "python3")
    native, sprig, report = compare_interrupted(f"python3 SIGINT interrupts {mode}",
                                                [python, SCRIPTS / "python_signal_wait.py", mode],
                                                signal.SIGINT, preload, done=re.compile("^interrupted", re.M))
    assert native.status == 0, report
    assert native.stdout == (f"1000 threads wait on an Event\nready\ninterrupted {mode} by KeyboardInterrupt\n"
                             f"joined 1000 threads\n"), report


def test_python_alarm_interrupts_select(preload):
    """1,000 threads wait on an Event while main is in select.select on an empty pipe for 30 s;
    signal.alarm(1)'s handler raises, which ends the select about 1 s after "ready"."""
    python = require(PYTHON, "python3")
    native, sprig, report = compare_interrupted("python3 SIGALRM interrupts select",
                                                [python, SCRIPTS / "python_signal_wait.py", "select"],
                                                None, preload)
    assert native.status == 0, report
    assert "interrupted select by the alarm handler's exception\n" in native.stdout, report
