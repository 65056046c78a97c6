"""bench_micro.py - the micro benchmarks: green yield and spawn+join against their pthread twins, in
both of sprig's identity modes.

Each program in build/bench prints one line per figure:
    figure=NAME [PARAM=VALUE...] ns=VALUE [INFO=VALUE...]
The tokens before ns= name the figure (for example "green_yield
threads=10000"); the ones after it are informative (counts) and may differ
between runs.

The green programs (sprig's API, libsprig-rt) run twice in each repetition:
with SPRIG_TLS=thread, the default, where each green thread has its own glibc
identity (figure ids as they always were: "green_yield threads=10000"), and
with SPRIG_TLS=shared, one identity per OS thread (the same ids with the
parameter tls=shared: "green_yield threads=10000 tls=shared"). The two runs
of a repetition take turns going first. switch_green also times one write of
the thread pointer (wrfsbase), the instruction the identity mode adds to a
switch: "thread_pointer_write", taken from its SPRIG_TLS=thread run, and
missing where the CPU or kernel does not allow FSGSBASE.

The mutex/condition-variable ping-pong (issue 16): tests/bench/plain/
mutex_pingpong.c, an ordinary pthread program in which two threads main
creates take turns through one pthread mutex and one condition variable,
prints the wall ns per round trip. It runs natively (two OS threads, each
hand-over a futex wake), under LD_PRELOAD=libsprig.so with one worker
(runtime=sprig: both green threads on one OS thread, no wake across threads)
and with SPRIG_WORKERS=2 SPRIG_MOVE=0 (runtime=sprig-workers workers=2: main
is on worker 0 and the thread it creates goes to the least-loaded worker, 1,
so each hand-over wakes the other worker; SPRIG_MOVE=0 keeps them there, as
by default a thread woken by the other worker's thread while its own is busy
moves to the waker's, and the two would end up sharing one worker). The program says whether its two threads
ever shared an OS thread (gettid(), which sprig does not interpose); the
table shows it, and the target (two workers at most native's time per round
trip) is judged only when they did not.
"""

from bench_common import TLS_ENV, WORKERS_RUNTIME, BenchError, fields_of, figure_id, run, workers_env

PROGRAM_TIMEOUT_S = 120

# program -> (arguments for a measurement, arguments for --smoke, runs in both identity modes)
PROGRAMS = {
    "switch_green": (["1000000", "2", "1000", "10000", "100000"], ["20000", "2", "1000", "10000", "100000"], True),
    "switch_pthread": (["50000"], ["1000"], False),
    "spawn_green": (["200000"], ["2000"], True),
    "spawn_pthread": (["10000"], ["200"], False),
}
MODES = ("thread", "shared")
SHARED = {"tls": "shared"}  # the parameter of the shared mode's figures

YIELD_FIGURES = [f"green_yield threads={n}" for n in (2, 1000, 10000, 100000)]
CONDVAR_SWITCH = "pthread_condvar_switch threads=2"
FUTEX_SWITCH = "pthread_futex_switch threads=2"
GREEN_SPAWN = "green_spawn_join"
PTHREAD_SPAWN = "pthread_create_join"
THREAD_POINTER_WRITE = "thread_pointer_write"
GREEN_FIGURES = YIELD_FIGURES + [GREEN_SPAWN]  # ids of the default (identity) mode


def shared_id(green_id):
    """The shared-mode twin of a green figure id."""
    return figure_id(green_id, SHARED)


EXPECTED_FIGURES = (GREEN_FIGURES + [shared_id(green) for green in GREEN_FIGURES]
                    + [CONDVAR_SWITCH, FUTEX_SWITCH, PTHREAD_SPAWN])

# Each green figure, of either mode, next to its native twin.
NATIVE_TWINS = {green: [CONDVAR_SWITCH, FUTEX_SWITCH] for green in YIELD_FIGURES}
NATIVE_TWINS[GREEN_SPAWN] = [PTHREAD_SPAWN]

PINGPONG = "mutex_pingpong"
PINGPONG_ROUNDS = 20000  # ~0.2 s natively (~10 us per round trip across the two cores)
SMOKE_PINGPONG_ROUNDS = 500
PINGPONG_WORKERS = 2
PINGPONG_RUNTIMES = ("native", "sprig", WORKERS_RUNTIME)


def pingpong_params(runtime):
    """The params of a mutex_pingpong figure: runtime, and workers= for the several-worker run."""
    params = {"runtime": runtime}
    if runtime == WORKERS_RUNTIME:
        params["workers"] = PINGPONG_WORKERS
    return params


def pingpong_rounds(smoke):
    return SMOKE_PINGPONG_ROUNDS if smoke else PINGPONG_ROUNDS


def parse_figures(output, program):
    """Returns {figure id: ns} from a program's output."""
    figures = {}
    for line in output.splitlines():
        tokens = line.split()
        if not tokens or not tokens[0].startswith("figure="):
            continue
        names = []
        ns = None
        for token in tokens:
            key, _, value = token.partition("=")
            if key == "ns":
                ns = float(value)
                break
            names.append(value if key == "figure" else token)
        if ns is None:
            raise BenchError(f"{program}: no ns= in line: {line!r}")
        figures[" ".join(names)] = ns
    return figures


def run_program(figures, build, program, args, mode, log, label):
    """One run of a program (mode: "thread", "shared" or None for a native program); adds its
    figures, the shared mode's with tls=shared."""
    log(label)
    argv = [build / "bench" / program] + args
    done = run(build, argv, PROGRAM_TIMEOUT_S, env=TLS_ENV[mode] if mode else None)
    if done.failed():
        where = f" (SPRIG_TLS={mode})" if mode else ""
        raise BenchError(done.describe(argv) + where)
    for figure, ns in parse_figures(done.stdout, program).items():
        if figure == THREAD_POINTER_WRITE and mode != "thread":
            continue  # one sample per repetition: the instruction costs the same in either mode
        name, *params = figure.split()
        params = dict(param.split("=", 1) for param in params)
        if mode == "shared":
            params.update(SHARED)
        figures.add(name, params, "ns", ns)


def run_pingpong(figures, build, runtime, smoke, log, label):
    """One run of plain/mutex_pingpong natively, under sprig or under sprig with several workers."""
    log(label)
    argv = [build / "bench/plain" / PINGPONG, pingpong_rounds(smoke)]
    preload = None if runtime == "native" else build / "libsprig.so"
    env = dict(workers_env(PINGPONG_WORKERS), SPRIG_MOVE="0") if runtime == WORKERS_RUNTIME else None
    done = run(build, argv, PROGRAM_TIMEOUT_S, preload=preload, env=env)
    if done.failed():
        where = f", SPRIG_WORKERS={PINGPONG_WORKERS}" if env else ""
        raise BenchError(f"{done.describe(argv)} ({runtime}{where})")
    result = fields_of(done.stdout, PINGPONG)
    if "ns_per_round_trip" not in result or "same_os_thread" not in result:
        raise BenchError(f"{PINGPONG} ({runtime}): unexpected result line: {done.stdout[-500:]}")
    figures.add(PINGPONG, pingpong_params(runtime), "ns", float(result["ns_per_round_trip"]),
                info=f"same_os_thread={result['same_os_thread']} os_threads={result.get('os_threads', '?')}")


def measure(figures, build, reps, smoke, log):
    """Adds the micro figures (unit ns) to figures: every program, reps times; the green ones in
    both identity modes; then the mutex ping-pong in its three runtimes."""
    for rep in range(reps):
        modes = MODES if rep % 2 == 0 else tuple(reversed(MODES))
        for program, (normal_args, smoke_args, both_modes) in PROGRAMS.items():
            args = smoke_args if smoke else normal_args
            for mode in (modes if both_modes else (None,)):
                where = f" SPRIG_TLS={mode}" if mode else ""
                run_program(figures, build, program, args, mode, log,
                            f"micro {program}{where} run {rep + 1}/{reps}")
        for runtime in PINGPONG_RUNTIMES:
            where = f" SPRIG_WORKERS={PINGPONG_WORKERS}" if runtime == WORKERS_RUNTIME else ""
            run_pingpong(figures, build, runtime, smoke, log, f"micro {PINGPONG} {runtime}{where} run {rep + 1}/{reps}")
    missing = [figure for figure in EXPECTED_FIGURES if figure not in figures.entries]
    missing += [figure_id(PINGPONG, pingpong_params(runtime)) for runtime in PINGPONG_RUNTIMES
                if not figures.has(PINGPONG, pingpong_params(runtime))]
    if missing:
        raise BenchError(f"figures missing from the output: {', '.join(missing)}")


def comparisons():
    """(sprig figure id, native figure id) pairs, both identity modes; lower is better for both."""
    pairs = []
    for green in GREEN_FIGURES:
        for native in NATIVE_TWINS[green]:
            pairs += [(green, native), (shared_id(green), native)]
    return pairs


def mode_pairs():
    """(identity-mode id, shared-mode id) pairs of the green figures."""
    return [(green, shared_id(green)) for green in GREEN_FIGURES]


def pingpong_ids():
    """{runtime: figure id} of the mutex ping-pong, in the table's order."""
    return {runtime: figure_id(PINGPONG, pingpong_params(runtime)) for runtime in PINGPONG_RUNTIMES}


def runs_apart(summary):
    """(runs whose two threads never shared an OS thread, runs) of a mutex_pingpong figure."""
    infos = summary.get("info", [])
    apart = sum(1 for info in infos if "same_os_thread=0" in info.split())
    return apart, len(infos)


def os_threads_seen(summary):
    """The distinct OS thread counts the runs of a mutex_pingpong figure saw, as text: '2' or '1, 2'."""
    counts = sorted({token.split("=", 1)[1] for info in summary.get("info", []) for token in info.split()
                     if token.startswith("os_threads=")})
    return ", ".join(counts) or "?"
