# python_signal_wait.py MODE - 1,000 threads wait on a threading.Event while the main thread blocks
# in one call until a signal interrupts it. MODE sleep: time.sleep(30); acquire: Lock.acquire() of a
# lock it holds (timeout 30 s); recv: a blocking socket.recv on a socketpair (a timer thread sends a
# byte after 30 s); select: select.select on an empty pipe for 30 s, interrupted by signal.alarm(1)
# whose handler raises; subprocess: three subprocess.run(["true"]) (CPython starts them with vfork, and
# its child resets the handlers and the mask before exec), then time.sleep(30). For all but select the
# test sends SIGINT (KeyboardInterrupt) after "ready", perhaps more than once: the output does not
# depend on how many arrive.
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

THREADS = 1000
BLOCK_S = 30  # how long the blocking call lasts when no signal interrupts it
START_BOUND_S = 60


class Alarm(Exception):
    pass


def on_alarm(signum, frame):
    raise Alarm()


def block(mode):
    """The blocking call of MODE, started just after "ready"; -> what ended it, when no signal did."""
    if mode == "sleep":
        print("ready", flush=True)
        time.sleep(BLOCK_S)
        return "sleep ended without a signal"
    if mode == "acquire":
        held = threading.Lock()
        held.acquire()
        print("ready", flush=True)
        got = held.acquire(timeout=BLOCK_S)
        return f"acquire returned {got} without a signal"
    if mode == "recv":
        here, there = socket.socketpair()
        late = threading.Timer(BLOCK_S, there.send, args=(b"x",))
        late.daemon = True
        late.start()
        print("ready", flush=True)
        data = here.recv(1)
        return f"recv returned {data!r} without a signal"
    if mode == "subprocess":
        for _ in range(3):
            subprocess.run(["true"], check=True)
        print("ready", flush=True)
        time.sleep(BLOCK_S)
        return "sleep after subprocess.run ended without a signal"
    if mode == "select":
        signal.signal(signal.SIGALRM, on_alarm)
        readable, _ = os.pipe()
        print("ready", flush=True)
        signal.alarm(1)
        ready = select.select([readable], [], [], BLOCK_S)
        return f"select returned {ready} without the alarm"
    raise SystemExit(f"unknown mode {mode}")


def main():
    mode = sys.argv[1]
    # KeyboardInterrupt on SIGINT even when started with SIGINT ignored (as a shell's background job is).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    release = threading.Event()
    waiting = threading.Semaphore(0)

    def wait():
        waiting.release()
        release.wait(START_BOUND_S + BLOCK_S)

    threads = [threading.Thread(target=wait) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + START_BOUND_S
    started = sum(waiting.acquire(timeout=max(0.0, deadline - time.monotonic())) for _ in range(THREADS))
    print(f"{started} threads wait on an Event")
    try:
        print(block(mode))
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a SIGINT sent again changes nothing from here on
        print(f"interrupted {mode} by KeyboardInterrupt")
    except Alarm:
        print(f"interrupted {mode} by the alarm handler's exception")
    release.set()
    for thread in threads:
        thread.join()
    print(f"joined {len(threads)} threads")


if __name__ == "__main__":
    main()
