"""trace_plot.py - draws a SPRIG_TRACE file (Chrome trace-event JSON) as a timeline PNG: one row per
green thread, a bar for each span it was running or parked (coloured by what it waited for).

usage: python3 scripts/trace_plot.py TRACE.json OUT.png

The same file opens in Perfetto (ui.perfetto.dev) or chrome://tracing; this draws it where no
browser is at hand. Needs matplotlib (Debian's python3-matplotlib; `make deps` installs it).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLOURS = {"running": "tab:green", "parked: sleep": "lightgrey", "parked: mutex": "tab:red",
           "parked: join": "tab:blue", "parked: cond": "tab:orange"}
OTHER_PARKED = "tab:purple"


def read_trace(path):
    """(spans by thread id, thread names) from a trace-event file: its 'X' and 'M' events."""
    with open(path) as trace:
        document = json.load(trace)
    events = document["traceEvents"] if isinstance(document, dict) else document
    names = {event["tid"]: event["args"]["name"] for event in events
             if event.get("ph") == "M" and event.get("name") == "thread_name"}
    spans = {}
    for event in events:
        if event.get("ph") == "X":
            spans.setdefault(event["tid"], []).append((event["ts"], event["dur"], event["name"]))
    return spans, names


def draw(spans, names, out_path):
    threads = sorted(spans)
    start = min(ts for tid in threads for ts, _, _ in spans[tid])
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(threads) + 1.5))
    used = set()
    for row, tid in enumerate(threads):
        for ts, duration, name in spans[tid]:
            colour = COLOURS.get(name, OTHER_PARKED)
            label = name if name in COLOURS else "parked: other"
            axes.broken_barh([((ts - start) / 1000, duration / 1000)], (row - 0.4, 0.8), color=colour,
                             label=None if label in used else label)
            used.add(label)
    axes.set_yticks(range(len(threads)))
    axes.set_yticklabels([names.get(tid, f"thread {tid}") for tid in threads])
    axes.invert_yaxis()
    axes.set_xlabel("milliseconds since the first span")
    axes.set_title("SPRIG_TRACE: green threads on one worker, running (green) and parked by reason")
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    spans, names = read_trace(argv[1])
    if not spans:
        print(f"trace_plot.py: no spans in {argv[1]}", file=sys.stderr)
        return 1
    draw(spans, names, argv[2])
    print(f"wrote {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
