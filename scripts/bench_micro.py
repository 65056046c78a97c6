"""bench_micro.py - the micro benchmarks: green yield and spawn+join against their pthread twins.

Each program in build/bench prints one line per figure:
    figure=NAME [PARAM=VALUE...] ns=VALUE [INFO=VALUE...]
The tokens before ns= name the figure (for example "green_yield
threads=10000"); the ones after it are informative (counts) and may differ
between runs.
"""

from bench_common import BenchError, run

PROGRAM_TIMEOUT_S = 120

# program -> (arguments for a measurement, arguments for --smoke)
PROGRAMS = {
    "switch_green": (["1000000", "2", "1000", "10000", "100000"], ["20000", "2", "1000", "10000", "100000"]),
    "switch_pthread": (["50000"], ["1000"]),
    "spawn_green": (["200000"], ["2000"]),
    "spawn_pthread": (["10000"], ["200"]),
}

YIELD_FIGURES = [f"green_yield threads={n}" for n in (2, 1000, 10000, 100000)]
CONDVAR_SWITCH = "pthread_condvar_switch threads=2"
FUTEX_SWITCH = "pthread_futex_switch threads=2"
GREEN_SPAWN = "green_spawn_join"
PTHREAD_SPAWN = "pthread_create_join"
EXPECTED_FIGURES = YIELD_FIGURES + [CONDVAR_SWITCH, FUTEX_SWITCH, GREEN_SPAWN, PTHREAD_SPAWN]

# Each sprig figure next to its native twin.
COMPARISONS = [(y, native) for y in YIELD_FIGURES for native in (CONDVAR_SWITCH, FUTEX_SWITCH)]
COMPARISONS.append((GREEN_SPAWN, PTHREAD_SPAWN))


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


def measure(figures, build, reps, smoke, log):
    """Adds the micro figures (unit ns) to figures: every program, reps times."""
    for rep in range(reps):
        for program, (normal_args, smoke_args) in PROGRAMS.items():
            log(f"micro {program} run {rep + 1}/{reps}")
            argv = [build / "bench" / program] + (smoke_args if smoke else normal_args)
            done = run(build, argv, PROGRAM_TIMEOUT_S)
            if done.failed():
                raise BenchError(done.describe(argv))
            for figure, ns in parse_figures(done.stdout, program).items():
                name, *params = figure.split()
                figures.add(name, dict(param.split("=", 1) for param in params), "ns", ns)
    missing = [figure for figure in EXPECTED_FIGURES if figure not in figures.entries]
    if missing:
        raise BenchError(f"figures missing from the output: {', '.join(missing)}")


def comparisons():
    """(sprig figure id, native figure id) pairs; lower is better for both."""
    return list(COMPARISONS)
