"""bench_cpu.py - CPU-bound programs natively and under sprig (issue 16, item 6, first row): two
threads that each keep a core busy. Under sprig with one worker (SPRIG_WORKERS=1) they share one OS
thread, so one core, and take about twice the native wall time: that is the baseline. With
SPRIG_WORKERS=N, N the CPUs this process may run on (cores(): 2 on the bench machine), green
threads run on N OS threads and the target is at most 1.1x the native wall time.

The workloads, each natively, under LD_PRELOAD=libsprig.so with one worker
(runtime=sprig) and under LD_PRELOAD=libsprig.so with SPRIG_WORKERS=cores()
(runtime=sprig-workers, parameter workers=N):

  xz       xz -T2 -1 -c INPUT      (-1: ~5 s natively on two free cores; -3 takes ~15 s)
  zstd     zstd -T2 -9 -q -c INPUT   (-9: ~1.7 s natively; -3 took 0.4 s, too short for the 0.05 s poll)
  pigz     pigz -p 2 -c INPUT
  compute2 compute_threads 2 N     (tests/bench/plain/compute_threads.c: two pure-CPU hash
                                    chains of N steps, ~2 s natively)
  compute1 compute_threads 1 N     (the one-thread reference: the time one chain takes on one core)

INPUT is made once per bench run in a temporary directory: 200 MB (4 MB in a
smoke run) that compresses like real data: runs of consecutive lines, at
deterministic pseudo-random places (random.Random(SEED)), of the running
Python's standard library sources and of /usr/share/common-licenses and
/usr/share/doc/*/copyright, each run after a header line with a sequence
number and a random 64-bit id and a line of 48 random bytes in base64. The
same machine makes the same bytes; the table's title gives their sha256.

Each run is the whole program through bench_common.run (child_usage): wall
seconds and CPU seconds (user + system). A compressor runs as
sh -c 'exec "$@" > OUT': in the first repetition OUT is a file in the
temporary directory, whose sha256 must be the same natively and under sprig,
with either number of workers (else BenchError); in the others OUT is
/dev/null. compute_threads prints a checksum, which must be the native run's.
In each repetition every workload runs natively, then under sprig with one
worker, then with N, one after the other. Wall seconds come in steps of
bench_common's 0.05 s poll for the program's end.
"""

import base64
import hashlib
import os
import pathlib
import random
import tempfile

from bench_common import WORKERS_RUNTIME, BenchError, fields_of, run, workers_env, workers_label

TIMEOUT_S = 300
SEED = 16
INPUT_MB = 200
SMOKE_INPUT_MB = 4
COMPUTE_ITERATIONS = 850_000_000
SMOKE_COMPUTE_ITERATIONS = 20_000_000
RUNTIMES = ("native", "sprig", WORKERS_RUNTIME)  # WORKERS_RUNTIME: SPRIG_WORKERS=cores()
# workload -> (command before the input file, or None for compute_threads; threads; what it is)
COMPRESSORS = {
    "xz": ["xz", "-T2", "-1", "-c"],
    "zstd": ["zstd", "-T2", "-9", "-q", "-c"],
    "pigz": ["pigz", "-p", "2", "-c"],
}
COMPUTE_THREADS = {"compute2": 2, "compute1": 1}
WORKLOADS = tuple(COMPRESSORS) + tuple(COMPUTE_THREADS)
TWO_THREAD_WORKLOADS = ("xz", "zstd", "pigz", "compute2")
MIB = 1024 * 1024


def input_bytes(smoke):
    return (SMOKE_INPUT_MB if smoke else INPUT_MB) * 1000 * 1000


def iterations_of(smoke):
    return SMOKE_COMPUTE_ITERATIONS if smoke else COMPUTE_ITERATIONS


def cores():
    """The CPUs this process (and so each measured program) may run on."""
    return len(os.sched_getaffinity(0))


def corpus_files():
    stdlib = pathlib.Path(os.__file__).parent
    sources = sorted(path for path in stdlib.rglob("*.py")
                     if not {"test", "tests", "idle_test", "site-packages", "dist-packages"}
                     & set(path.relative_to(stdlib).parts))
    licenses = sorted(pathlib.Path("/usr/share/common-licenses").glob("*"))
    copyrights = sorted(pathlib.Path("/usr/share/doc").glob("*/copyright"))
    return sources + licenses + copyrights


def make_input(path, size):
    """Writes size bytes of text-like data to path (see the module's docstring); returns its
    sha256 and the number of files and bytes of text it was cut from."""
    lines = []
    files = 0
    for file in corpus_files():
        try:
            lines += file.read_bytes().splitlines(keepends=True)
            files += 1
        except OSError:
            continue
    corpus_bytes = sum(map(len, lines))
    if corpus_bytes < MIB:
        raise BenchError(f"cpu: only {corpus_bytes} bytes of text found for the input (Python's stdlib, "
                         f"/usr/share/common-licenses, /usr/share/doc/*/copyright)")
    rng = random.Random(SEED)
    digest = hashlib.sha256()
    written = 0
    sequence = 0
    with open(path, "wb") as out:
        while written < size:
            start = rng.randrange(len(lines))
            count = rng.randrange(200, 2000)
            header = f"--- {sequence:08d} {rng.getrandbits(64):016x} {start} {count}\n".encode()
            chunk = header + base64.b64encode(rng.randbytes(48)) + b"\n" + b"".join(lines[start:start + count])
            chunk = chunk[:size - written]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            sequence += 1
    return digest.hexdigest(), files, corpus_bytes


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def params_of(workload, runtime, smoke):
    if workload in COMPRESSORS:
        params = {"workload": workload, "input_mb": input_bytes(smoke) // 1000 // 1000, "runtime": runtime}
    else:
        params = {"workload": workload, "iterations": iterations_of(smoke), "runtime": runtime}
    if runtime == WORKERS_RUNTIME:
        params["workers"] = cores()
    return params


def runtime_label(runtime):
    """'native', 'sprig, 1 worker', 'sprig, 2 workers'."""
    if runtime == "native":
        return runtime
    return workers_label(cores() if runtime == WORKERS_RUNTIME else 1)


def env_of(runtime):
    return workers_env(cores()) if runtime == WORKERS_RUNTIME else None


def describe(workload, smoke):
    """The command of a workload's row: 'xz -T2 -1 (200 MB)', 'compute_threads 2 850,000,000'."""
    if workload in COMPRESSORS:
        return f"{' '.join(COMPRESSORS[workload][:-1])} ({input_bytes(smoke) // 1000 // 1000} MB)"
    return f"compute_threads {COMPUTE_THREADS[workload]} {iterations_of(smoke):,}"


def argv_of(build, workload, smoke, input_path, out_path):
    if workload in COMPRESSORS:
        return ["/bin/sh", "-c", 'exec "$@" > "$0"', out_path] + COMPRESSORS[workload] + [input_path]
    return [build / "bench/plain/compute_threads", COMPUTE_THREADS[workload], iterations_of(smoke)]


def check_tools():
    for workload, command in COMPRESSORS.items():
        if not any((pathlib.Path(directory) / command[0]).is_file()
                   for directory in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)):
            raise BenchError(f"cpu: {command[0]} not found: install Debian's {'xz-utils' if workload == 'xz' else command[0]} "
                             f"(make deps)")


def measure_once(figures, build, workload, runtime, smoke, rep, scratch, expected):
    """One run of a workload; expected: workload -> the checksum of its first native run."""
    checked = rep == 0
    out_path = scratch / f"{workload}-{runtime}.out" if checked and workload in COMPRESSORS else pathlib.Path(os.devnull)
    argv = argv_of(build, workload, smoke, scratch / "input", out_path)
    done = run(build, argv, TIMEOUT_S, preload=None if runtime == "native" else build / "libsprig.so",
               env=env_of(runtime))
    if done.failed():
        raise BenchError(f"cpu {workload} {runtime_label(runtime)}: {done.describe(argv)}")
    params = params_of(workload, runtime, smoke)
    info = None
    if workload in COMPRESSORS:
        if checked:
            size = out_path.stat().st_size
            checksum = sha256_of(out_path)
            out_path.unlink()
            info = f"output {size} bytes sha256={checksum}"
            figures.add("cpu_bound_output", params, "MiB", size / MIB)
    else:
        result = fields_of(done.stdout, "compute_threads")
        if "checksum" not in result or "elapsed_ms" not in result:
            raise BenchError(f"cpu {workload} {runtime_label(runtime)}: unexpected result line: {done.stdout[-500:]}")
        checksum = result["checksum"]
        info = done.stdout.strip().splitlines()[-1]
        figures.add("cpu_bound_work", params, "s", float(result["elapsed_ms"]) / 1000)
    if info is not None:
        if expected.setdefault(workload, checksum) != checksum:
            raise BenchError(f"cpu {workload} {runtime_label(runtime)}: output differs from the native run's: "
                             f"checksum {checksum}, native {expected[workload]}")
    figures.add("cpu_bound_wall", params, "s", done.seconds, info=info)
    figures.add("cpu_bound_cpu", params, "s", done.cpu_s)


def measure(figures, build, reps, smoke, log):
    check_tools()
    with tempfile.TemporaryDirectory(prefix="sprig-bench-cpu-") as directory:
        scratch = pathlib.Path(directory)
        size = input_bytes(smoke)
        log(f"cpu: making {size // 1000 // 1000} MB of input")
        checksum, files, corpus_bytes = make_input(scratch / "input", size)
        figures.add("cpu_bound_input", {"input_mb": size // 1000 // 1000}, "MiB", size / MIB,
                    info=f"sha256 {checksum[:16]}..., cut from {corpus_bytes:,} bytes of {files:,} text files")
        expected = {}
        for rep in range(reps):
            for workload in WORKLOADS:
                for runtime in RUNTIMES:
                    log(f"cpu {workload} {runtime_label(runtime)} run {rep + 1}/{reps}")
                    measure_once(figures, build, workload, runtime, smoke, rep, scratch, expected)


def table_rows(smoke):
    """[(workload, its command, {runtime: params}, whether it is one of the 2-thread workloads)]
    in the order of the table."""
    return [(workload, describe(workload, smoke), {runtime: params_of(workload, runtime, smoke)
                                                   for runtime in RUNTIMES}, workload in TWO_THREAD_WORKLOADS)
            for workload in WORKLOADS]


def input_of(smoke):
    """The figure params of the input's size (its info: the sha256 and what it was cut from)."""
    return {"input_mb": input_bytes(smoke) // 1000 // 1000}
