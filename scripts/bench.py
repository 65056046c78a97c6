# bench.py - runs sprig's micro benchmarks and their native twins, prints medians, spreads and ratios.
#
# usage: python3 scripts/bench.py [--reps N] [--smoke] [--json PATH] [--build DIR]
#
# Each program in build/bench prints one line per figure:
#     figure=NAME [PARAM=VALUE...] ns=VALUE [INFO=VALUE...]
# The tokens before ns= name the figure (for example "green_yield threads=10000");
# the ones after it are informative (counts) and may differ between runs.
# Every program runs --reps times; each figure is reported as the median of
# its samples with the spread (min-max). Results, with the raw samples, go to
# BUILD/bench/results.json. The exit status is non-zero only when a program
# fails or a figure is missing, never for a missed target.
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
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


class BenchError(Exception):
    pass


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


def run_program(path, args):
    try:
        done = subprocess.run([str(path)] + args, capture_output=True, text=True, timeout=PROGRAM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{path.name}: timed out after {PROGRAM_TIMEOUT_S} s")
    except OSError as error:
        raise BenchError(f"{path.name}: {error}")
    if done.returncode != 0:
        raise BenchError(f"{path.name} {' '.join(args)}: exit status {done.returncode}\n{done.stderr.strip()}")
    return parse_figures(done.stdout, path.name)


def collect_samples(bench_dir, reps, smoke):
    samples = {}
    for program, (normal_args, smoke_args) in PROGRAMS.items():
        for _ in range(reps):
            figures = run_program(bench_dir / program, smoke_args if smoke else normal_args)
            for figure, ns in figures.items():
                samples.setdefault(figure, []).append(ns)
    missing = [figure for figure in EXPECTED_FIGURES if figure not in samples]
    if missing:
        raise BenchError(f"figures missing from the output: {', '.join(missing)}")
    return samples


def summarise(samples):
    summary = {}
    for figure, values in samples.items():
        name, *params = figure.split()
        summary[figure] = {
            "figure": name,
            "params": dict(param.split("=", 1) for param in params),
            "unit": "ns",
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "samples": values,
        }
    return summary


def format_ns(entry):
    return f"{entry['median']:.1f} ({entry['min']:.1f}-{entry['max']:.1f})"


def print_table(summary, comparisons):
    header = ("sprig figure", "sprig ns (min-max)", "native twin", "native ns (min-max)", "native/sprig")
    rows = [header]
    for item in comparisons:
        rows.append((item["sprig"], format_ns(summary[item["sprig"]]), item["native"],
                     format_ns(summary[item["native"]]), f"{item['ratio']:.1f}x"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def compare(summary):
    return [
        {"sprig": sprig, "native": native, "unit": "ns",
         "ratio": summary[native]["median"] / summary[sprig]["median"]}
        for sprig, native in COMPARISONS
    ]


def check_targets(summary):
    yield_ns = summary["green_yield threads=10000"]["median"]
    spawn_ratio = summary[PTHREAD_SPAWN]["median"] / summary[GREEN_SPAWN]["median"]
    return [
        {"target": "yield at 10,000 green threads <= 10 ns", "value": yield_ns, "unit": "ns",
         "limit": 10.0, "met": yield_ns <= 10.0},
        {"target": "spawn+join >= 100x faster than pthread_create+join", "value": spawn_ratio,
         "unit": "ratio", "limit": 100.0, "met": spawn_ratio >= 100.0},
    ]


def default_build_dir():
    return pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build")


def main():
    parser = argparse.ArgumentParser(description="sprig micro benchmarks against native threads")
    parser.add_argument("--reps", type=int, default=5, help="runs of each program (default 5)")
    parser.add_argument("--smoke", action="store_true", help="one run with tiny counts, to check the plumbing")
    parser.add_argument("--build", type=pathlib.Path, default=None, help="build directory (default $SPRIG_BUILD)")
    parser.add_argument("--json", type=pathlib.Path, default=None, help="results file (default BUILD/bench/results.json)")
    options = parser.parse_args()
    build = options.build or default_build_dir()
    reps = 1 if options.smoke else options.reps
    if reps < 1:
        parser.error("--reps must be at least 1")
    json_path = options.json or build / "bench" / "results.json"

    try:
        samples = collect_samples(build / "bench", reps, options.smoke)
    except BenchError as error:
        print(f"bench.py: {error}", file=sys.stderr)
        return 1
    summary = summarise(samples)
    comparisons = compare(summary)
    targets = check_targets(summary)

    mode = "smoke (tiny counts, numbers not meaningful)" if options.smoke else f"median of {reps} runs"
    print(f"sprig micro benchmarks, {mode}; ns per operation, spread = min-max")
    print()
    print_table(summary, comparisons)
    print()
    print("targets:")
    for target in targets:
        value = f"{target['value']:.1f} {target['unit']}" if target["unit"] == "ns" else f"{target['value']:.1f}x"
        print(f"  {'MET   ' if target['met'] else 'MISSED'} {target['target']}: {value}")

    results = {
        "unit": "ns",
        "reps": reps,
        "smoke": options.smoke,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "figures": summary,
        "comparisons": comparisons,
        "targets": targets,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"results: {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
