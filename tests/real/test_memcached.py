# test_memcached.py - memcached -t 4 under sprig (its four worker threads and its maintenance threads green), storing and reading back 10,000 keys.
from harness import (PYTHON, SCRIPTS, Program, assert_green, assert_ran, free_port, record, require, run_program,
                      wait_for_port)


def serve_and_query(memcached, python, under_sprig, preload):
    port = free_port()
    server = Program([memcached, "-t", "4", "-l", "127.0.0.1", "-p", port, "-U", "0", "-u", "root", "-m", "64"],
                     under_sprig, preload)
    with server:
        wait_for_port(port, server)
        client = run_program([python, SCRIPTS / "memcached_client.py", port], False, preload, timeout=60)
        outcome = server.stop()
    return client, outcome


def test_memcached_10000_keys(preload):
    memcached = require("memcached", "memcached")
    python = require(PYTHON, "python3")
    native_client, native = serve_and_query(memcached, python, False, preload)
    sprig_client, sprig = serve_and_query(memcached, python, True, preload)
    record("memcached -t 4", native, sprig)
    report = (f"native client: {native_client.describe()}\nsprig client: {sprig_client.describe()}\n"
              f"server {native.describe()}\nserver {sprig.describe()}")
    assert_ran(native_client, report)
    assert_ran(sprig_client, report)
    assert native_client.stdout.startswith("stored 10000 of 10000, read back 10000 of 10000\n"), report
    assert sprig_client.stdout == native_client.stdout, f"the client saw different answers\n{report}"
    assert native.status is None and sprig.status is None, f"a server ended before it was stopped\n{report}"
    # Natively: main, 4 workers, and the log, LRU, crawler, slab and hash maintenance threads.
    assert_green(native, sprig, report, native_at_least=6)
