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
"""

from bench_common import TLS_ENV, BenchError, figure_id, run

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


def measure(figures, build, reps, smoke, log):
    """Adds the micro figures (unit ns) to figures: every program, reps times; the green ones in
    both identity modes."""
    for rep in range(reps):
        modes = MODES if rep % 2 == 0 else tuple(reversed(MODES))
        for program, (normal_args, smoke_args, both_modes) in PROGRAMS.items():
            args = smoke_args if smoke else normal_args
            for mode in (modes if both_modes else (None,)):
                where = f" SPRIG_TLS={mode}" if mode else ""
                run_program(figures, build, program, args, mode, log,
                            f"micro {program}{where} run {rep + 1}/{reps}")
    missing = [figure for figure in EXPECTED_FIGURES if figure not in figures.entries]
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
