"""bench_plot.py - `make bench-plot`: draws the latest `make bench` results as two PNGs.

usage: python3 scripts/bench_plot.py [--results build/bench/results.json] [--out docs]

  bench-echo.png    echo round trips per second against connections: the
                    thread-per-connection server under sprig (one worker, and
                    SPRIG_WORKERS=2 where the results have it) and natively,
                    and the native epoll server (medians, bars = min-max)
  bench-memory.png  process RSS (and RSS + page tables) against live idle
                    threads, an unmodified C program under sprig (SPRIG_TLS=thread,
                    the default, and SPRIG_TLS=shared) and natively; the last
                    point of each is the most threads it could create
Needs matplotlib (Debian's python3-matplotlib; `make deps` installs it).
Refuses a smoke run's results: their sizes are too small to say anything.
"""

import argparse
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
# (server, runtime, label, colour, x offset factor: keeps the series' bars apart); a series the
# results lack (sprig-workers before issue 16's workers) is left out
SERVERS = (("echo_threads", "sprig", "thread per connection, sprig", "tab:green", 0.92),
           ("echo_threads", "sprig-workers", "thread per connection, sprig, 2 workers", "tab:purple", 0.96),
           ("echo_threads", "native", "thread per connection, native threads", "tab:red", 1.0),
           ("echo_epoll", "native", "one-thread epoll, native", "tab:blue", 1.08))
RUNTIMES = (("sprig", "sprig (LD_PRELOAD=libsprig.so), SPRIG_TLS=thread", "tab:green"),
            ("sprig-shared", "sprig, SPRIG_TLS=shared", "tab:olive"),
            ("native", "native threads", "tab:red"))


def figures_named(results, name, **params):
    """[(params, summary)] of the figures called name whose parameters include params."""
    found = []
    for summary in results["figures"].values():
        if summary["figure"] == name and all(summary["params"].get(k) == str(v) for k, v in params.items()):
            found.append((summary["params"], summary))
    return found


def bars(summaries):
    medians = [s["median"] for s in summaries]
    return medians, [[m - s["min"] for m, s in zip(medians, summaries)],
                     [s["max"] - m for m, s in zip(medians, summaries)]]


def plot_echo(results, path):
    setup = results.get("echo_setup", {})
    fig, axes = plt.subplots(figsize=(8, 5))
    for server, runtime, label, color, offset in SERVERS:
        points = sorted(figures_named(results, "echo_rate", server=server, runtime=runtime),
                        key=lambda item: int(item[0]["connections"]))
        if not points:
            continue
        xs = [int(params["connections"]) * offset for params, _ in points]
        medians, errors = bars([summary for _, summary in points])
        axes.errorbar(xs, medians, yerr=errors, marker="o", capsize=4, label=label, color=color)
    axes.set_xscale("log")
    counts = sorted({int(params["connections"]) for params, _ in figures_named(results, "echo_rate")})
    axes.set_xticks(counts, [f"{count:,}" for count in counts])
    axes.set_xlabel("concurrent connections")
    axes.set_ylabel("round trips per second (median, bars: min-max)")
    axes.set_ylim(bottom=0)
    axes.set_title(f"TCP echo, {setup.get('message_bytes', '?')}-byte messages, one in flight per connection\n"
                   f"{setup.get('cpus', '')}", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def memory_points(results, runtime):
    """[(threads, RSS MiB, RSS + page tables MiB)] sorted by threads: idle runs, then the max run."""
    points = []
    for params, rss in figures_named(results, "idle_rss", runtime=runtime):
        pte = figures_named(results, "idle_pte", runtime=runtime, threads=params["threads"])[0][1]
        points.append((int(params["threads"]), rss["median"], rss["median"] + pte["median"]))
    most = figures_named(results, "max_live_threads", runtime=runtime)
    if most:
        rss = figures_named(results, "max_live_threads_rss", runtime=runtime)[0][1]
        pte = figures_named(results, "max_live_threads_pte", runtime=runtime)[0][1]
        points.append((most[0][1]["median"], rss["median"], rss["median"] + pte["median"]))
    return sorted(points)


def plot_memory(results, path):
    fig, axes = plt.subplots(figsize=(8, 5))
    rightmost = 1
    for runtime, label, color in RUNTIMES:
        points = memory_points(results, runtime)
        if not points:
            continue
        xs = [p[0] for p in points]
        axes.plot(xs, [p[1] for p in points], marker="o", color=color, label=f"{label}: RSS")
        axes.plot(xs, [p[2] for p in points], marker=".", linestyle="--", color=color,
                  label=f"{label}: RSS + page tables")
        axes.annotate(f"most: {xs[-1]:,.0f}", (xs[-1], points[-1][1]), textcoords="offset points",
                      xytext=(6, -6), ha="left", va="top", fontsize=9, color=color)
        rightmost = max(rightmost, xs[-1])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(right=rightmost * 4)  # room for the "most" labels
    axes.set_xlabel("live idle threads (each touched one stack page)")
    axes.set_ylabel("process memory, MiB (median)")
    axes.set_title("An unmodified C program's memory with N waiting threads", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description="plots of the latest make bench results")
    parser.add_argument("--results", type=pathlib.Path, default=REPO_ROOT / "build/bench/results.json")
    parser.add_argument("--out", type=pathlib.Path, default=REPO_ROOT / "docs")
    options = parser.parse_args()
    try:
        results = json.loads(options.results.read_text())
    except (OSError, ValueError) as error:
        print(f"bench_plot.py: {options.results}: {error} (run `make bench` first)", file=sys.stderr)
        return 1
    if results.get("smoke"):
        print(f"bench_plot.py: {options.results} is from a smoke run; run `make bench`", file=sys.stderr)
        return 1
    options.out.mkdir(parents=True, exist_ok=True)
    written = []
    if figures_named(results, "echo_rate"):
        plot_echo(results, options.out / "bench-echo.png")
        written.append(options.out / "bench-echo.png")
    if figures_named(results, "idle_rss"):
        plot_memory(results, options.out / "bench-memory.png")
        written.append(options.out / "bench-memory.png")
    if not written:
        print(f"bench_plot.py: no echo or memory figures in {options.results}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
