# test_redis.py - redis-server under sprig, driven by redis-cli and by `redis-benchmark -q -n 20000`.
import re

from harness import Program, assert_green, assert_ran, free_port, record, require, run_program, wait_for_port

BENCHMARK_LINE = re.compile(r"^(.+): ([\d.]+) requests per second", re.M)
CLI_SCRIPT = [
    ["SET", "greeting", "hello"], ["GET", "greeting"], ["INCRBY", "counter", "41"], ["INCR", "counter"],
    ["RPUSH", "list", "a", "b", "c"], ["LRANGE", "list", "0", "-1"], ["HSET", "hash", "field", "value"],
    ["HGETALL", "hash"], ["DEL", "greeting"], ["EXISTS", "greeting"], ["DBSIZE"],
]
# Natively redis-server runs main, three bio threads and jemalloc's background thread. jemalloc
# finds pthread_create with dlsym(RTLD_NEXT, ...); sprig answers such a lookup with its own
# export (shim/dlsym.cpp), so that thread is green too and shares jemalloc's mutexes safely.


def serve_and_drive(server_binary, cli, benchmark, under_sprig, preload):
    port = free_port()
    server = Program([server_binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                      "--daemonize", "no"], under_sprig, preload, names=True)
    with server:
        wait_for_port(port, server)
        answers = []
        for command in CLI_SCRIPT:
            reply = run_program([cli, "-p", port, *command], False, preload, timeout=5)
            answers.append(f"{' '.join(command)} -> {reply.stdout.strip()!r} (status {reply.status})")
            if reply.timed_out:  # a server that does not answer: no point in going on
                break
        load = run_program([benchmark, "-q", "-n", "20000", "-h", "127.0.0.1", "-p", port], False, preload,
                           timeout=60 if len(answers) == len(CLI_SCRIPT) else 1)
        outcome = server.stop()
    tests = BENCHMARK_LINE.findall(load.stdout.replace("\r", "\n"))
    return answers, load, tests, outcome


def test_redis_benchmark(preload):
    server_binary = require("redis-server", "redis-server")
    cli = require("redis-cli", "redis-tools")
    benchmark = require("redis-benchmark", "redis-tools")
    native_answers, native_load, native_tests, native = serve_and_drive(server_binary, cli, benchmark, False, preload)
    sprig_answers, sprig_load, sprig_tests, sprig = serve_and_drive(server_binary, cli, benchmark, True, preload)
    record("redis-server + redis-benchmark", native, sprig)
    report = ("native redis-cli:\n  " + "\n  ".join(native_answers) + "\nsprig redis-cli:\n  "
              + "\n  ".join(sprig_answers) + f"\nnative benchmark: {native_load.describe()}\n"
              f"sprig benchmark: {sprig_load.describe()}\nserver {native.describe()}\nserver {sprig.describe()}")
    assert_ran(native_load, report)
    assert_ran(sprig_load, report)
    assert native_answers[1] == "GET greeting -> 'hello' (status 0)", report
    assert sprig_answers == native_answers, f"redis-cli saw different answers\n{report}"
    native_names = [name for name, _ in native_tests]
    assert len(native_names) >= 15 and native_load.status == 0, f"the native benchmark did not run\n{report}"
    assert [name for name, _ in sprig_tests] == native_names, f"the benchmark ran different tests\n{report}"
    assert sprig_load.status == 0 and all(float(rate) > 0 for _, rate in sprig_tests), report
    assert native.status is None and sprig.status is None, f"a server ended before it was stopped\n{report}"
    # Natively: main, the three bio threads (close_file, aof_fsync, lazy_free) and jemalloc's.
    assert_green(native, sprig, report, native_at_least=4)


def test_redis_benchmark_threads_under_sprig(preload):
    """redis-benchmark itself under sprig with --threads 4: four event loops on green threads, each
    spinning on writable sockets until the replies counted by all of them stop it."""
    server_binary = require("redis-server", "redis-server")
    benchmark = require("redis-benchmark", "redis-tools")
    port = free_port()
    server = Program([server_binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                      "--daemonize", "no"], False, preload)
    with server:
        wait_for_port(port, server)
        argv = [benchmark, "-q", "-n", "20000", "--threads", "4", "-t", "set,get,incr,lpush", "-h", "127.0.0.1",
                "-p", port]
        native = run_program(argv, False, preload, timeout=60)
        sprig = run_program(argv, True, preload, timeout=60)
        server.stop()
    record("redis-benchmark --threads 4", native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}"
    assert_ran(native, report)
    assert_ran(sprig, report)
    native_tests = BENCHMARK_LINE.findall(native.stdout.replace("\r", "\n"))
    sprig_tests = BENCHMARK_LINE.findall(sprig.stdout.replace("\r", "\n"))
    assert native.status == 0 and [name for name, _ in native_tests] == ["SET", "GET", "INCR", "LPUSH"], report
    assert sprig.status == 0 and [name for name, _ in sprig_tests] == ["SET", "GET", "INCR", "LPUSH"], report
    assert all(float(rate) > 0 for _, rate in sprig_tests), report
    # Natively: main and the four benchmark threads.
    assert_green(native, sprig, report, native_at_least=5)
