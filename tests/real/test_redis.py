# test_redis.py - redis-server under sprig, driven by redis-cli and by `redis-benchmark -q -n 20000`.
import re

from harness import Program, assert_green, assert_ran, free_port, record, require, run_program, wait_for_port

BENCHMARK_LINE = re.compile(r"^(.+): ([\d.]+) requests per second", re.M)
CLI_SCRIPT = [
    ["SET", "greeting", "hello"], ["GET", "greeting"], ["INCRBY", "counter", "41"], ["INCR", "counter"],
    ["RPUSH", "list", "a", "b", "c"], ["LRANGE", "list", "0", "-1"], ["HSET", "hash", "field", "value"],
    ["HGETALL", "hash"], ["DEL", "greeting"], ["EXISTS", "greeting"], ["DBSIZE"],
]
# jemalloc (redis's allocator) starts its background threads through dlsym(RTLD_NEXT,
# "pthread_create"), which from libjemalloc.so finds libc's pthread_create, not sprig's: they
# are OS threads under sprig too (see sprig(7)). The green check counts the others.
JEMALLOC_THREADS = ("jemalloc_bg_thd",)


def serve_and_drive(server_binary, cli, benchmark, under_sprig, preload):
    port = free_port()
    server = Program([server_binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                      "--daemonize", "no"], under_sprig, preload, names=True, ignored_names=JEMALLOC_THREADS)
    with server:
        wait_for_port(port, server)
        answers = []
        for command in CLI_SCRIPT:
            reply = run_program([cli, "-p", port, *command], False, preload, timeout=10)
            answers.append(f"{' '.join(command)} -> {reply.stdout.strip()!r} (status {reply.status})")
        load = run_program([benchmark, "-q", "-n", "20000", "-h", "127.0.0.1", "-p", port], False, preload,
                           timeout=60)
        outcome = server.stop()
    tests = BENCHMARK_LINE.findall(load.stdout.replace("\r", "\n"))
    return answers, load, tests, outcome


def test_redis_benchmark(preload):
    server_binary = require("redis-server", "redis-server")
    cli = require("redis-cli", "redis-tools")
    benchmark = require("redis-benchmark", "redis-tools")
    native_answers, native_load, native_tests, native = serve_and_drive(server_binary, cli, benchmark, False, preload)
    sprig_answers, sprig_load, sprig_tests, sprig = serve_and_drive(server_binary, cli, benchmark, True, preload)
    record("redis-server + redis-benchmark", native, sprig,
           jemalloc_threads_under_sprig=sprig.names_at_max.get("jemalloc_bg_thd", 0))
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
    # Natively: main and the three bio threads (close_file, aof_fsync, lazy_free), besides jemalloc's.
    assert_green(native, sprig, report, native_at_least=4, counted=True)
