# lmdb_writers.py - two processes write one LMDB environment, 4 threads each, 300 write transactions per
# thread: each transaction adds a key of its own and increments a shared counter (read-modify-write), so a
# lost update would show a writer mutex (process-shared, robust, in the lock file) that did not exclude.
# A reader thread per process checks every snapshot it sees (counter == keys). Then a child dies with a
# write transaction open in one of its threads, and the parent must still write (EOWNERDEAD, recovered).
# Prints only deterministic facts; exits 1 when one of them is wrong.
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

import lmdb

PROCESSES = 2
THREADS = 4
TXNS = 300
PAUSE_S = 0.0001  # between transactions, outside them: the other threads take the mutex in turn
TIMEOUT_S = 60  # SIGALRM's default action ends a process that hangs, natively as well as under sprig


def open_env(path):
    return lmdb.open(path, map_size=64 << 20, max_readers=64)


def key_count(env, txn):
    return txn.stat(env.open_db())["entries"] - (txn.get(b"counter") is not None)


def writer(env, proc, thread):
    for number in range(TXNS):
        with env.begin(write=True) as txn:
            counter = int(txn.get(b"counter", b"0"))
            if number % 8 == 0:
                time.sleep(0)  # drops the GIL while the mutex is held: another thread may reach mdb_txn_begin
            txn.put(b"k%d-%d-%04d" % (proc, thread, number), b"%d" % (proc * 10_000 + thread * 1000 + number))
            txn.put(b"counter", b"%d" % (counter + 1))
        time.sleep(PAUSE_S)


def reader(env, done, bad):
    while not done.is_set():
        with env.begin() as txn:
            if int(txn.get(b"counter", b"0")) != key_count(env, txn):
                bad.append(1)
        time.sleep(0.001)


def work(path, proc):
    """One process's share: THREADS writers and a reader on an environment of its own opening."""
    env = open_env(path)
    done, bad = threading.Event(), []
    check = threading.Thread(target=reader, args=(env, done, bad))
    check.start()
    threads = [threading.Thread(target=writer, args=(env, proc, index)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    check.join()
    env.close()
    return len(bad)


def dying_writer(path):
    """Child: a thread opens a write transaction and puts a key; the process ends without committing."""
    env = open_env(path)
    holding = threading.Event()

    def hold():
        txn = env.begin(write=True)
        txn.put(b"never-committed", b"1")
        holding.set()
        time.sleep(TIMEOUT_S)

    threading.Thread(target=hold, daemon=True).start()
    holding.wait()
    os._exit(0)


def main():
    path = sys.argv[1]
    signal.alarm(TIMEOUT_S)
    # LMDB forbids an environment open across fork(): each process opens its own after it.
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = os.fork()
    if child == 0:
        signal.alarm(TIMEOUT_S)
        os.write(ready_w, b"r")
        os.read(go_r, 1)
        os._exit(1 if work(path, 1) else 0)
    os.read(ready_r, 1)
    os.write(go_w, b"g")
    bad = work(path, 0)
    _, child_status = os.waitpid(child, 0)
    print(f"writer processes: {PROCESSES} x {THREADS} threads x {TXNS} transactions")
    print(f"child exit status: {os.waitstatus_to_exitcode(child_status)}")
    print(f"parent reader inconsistent snapshots: {bad}")

    env = open_env(path)
    with env.begin() as txn:
        counter = int(txn.get(b"counter"))
        keys = key_count(env, txn)
        digest = hashlib.sha256()
        for key, value in txn.cursor():
            digest.update(b"%s=%s;" % (key, value))
    total = PROCESSES * THREADS * TXNS
    print(f"keys: {keys}, counter: {counter}, expected: {total}")
    print(f"contents sha256: {digest.hexdigest()[:16]}")

    dying = os.fork()
    if dying == 0:
        signal.alarm(TIMEOUT_S)
        dying_writer(path)
    _, dying_status = os.waitpid(dying, 0)
    print(f"dying writer exit status: {os.waitstatus_to_exitcode(dying_status)}")
    with env.begin(write=True) as txn:  # blocks for ever if the dead owner's mutex was not marked
        txn.put(b"after-dead-writer", b"1")
        txn.put(b"counter", b"%d" % (int(txn.get(b"counter")) + 1))
    with env.begin() as txn:
        after = int(txn.get(b"counter"))
        uncommitted = txn.get(b"never-committed")
        print(f"after the dead writer: counter {after}, keys {key_count(env, txn)}, "
              f"uncommitted key present: {uncommitted is not None}")
    info = env.info()
    print(f"last txnid: {info['last_txnid']}")
    env.close()

    stat = subprocess.run(["mdb_stat", "-e", path], capture_output=True, text=True, timeout=TIMEOUT_S)
    for line in stat.stdout.splitlines():
        if line.strip().startswith(("Page size", "Max readers", "Entries", "Tree depth")):
            print(f"mdb_stat: {line.strip()}")
    print(f"mdb_stat exit status: {stat.returncode}")
    right = (bad == 0 and child_status == 0 and dying_status == 0 and counter == keys == total and after == total + 1
             and uncommitted is None and stat.returncode == 0)
    print("ok" if right else "WRONG")
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())
