"""bench_targets.py - sprig's performance targets (issue 5), each judged met or missed on the medians.

A target whose figure a smoke run does not measure at its size (10,000 idle
threads, 1,000,000 live threads, 10,000 echo connections) is "not measured"
there; a full run measures every one. A missed target never fails the run.
"""

GIB_MIB = 1024


def target(label, value, shown, limit, met):
    return {"target": label, "value": value, "shown": shown, "limit": limit, "met": met}


def not_measured(label, limit):
    return target(label, None, "not measured at smoke size", limit, None)


def micro_targets(figures):
    yield_ns = figures.median("green_yield", {"threads": 10000})
    spawn_ns = figures.median("green_spawn_join")
    spawn_ratio = figures.median("pthread_create_join") / spawn_ns
    return [
        target("yield at 10,000 green threads <= 10 ns", yield_ns, f"{yield_ns:.1f} ns", 10.0, yield_ns <= 10.0),
        target("spawn+join <= 100 ns", spawn_ns, f"{spawn_ns:.1f} ns", 100.0, spawn_ns <= 100.0),
        target("spawn+join >= 100x faster than pthread_create+join", spawn_ratio, f"{spawn_ratio:.1f}x", 100.0,
               spawn_ratio >= 100.0),
    ]


def memory_target(figures):
    label = "RSS per idle green thread (preload, 10,000 threads, one stack page touched) <= 6 KiB"
    params = {"runtime": "sprig", "threads": 10000}
    if not figures.has("idle_rss_per_thread", params):
        return not_measured(label, 6.0)
    kib = figures.median("idle_rss_per_thread", params)
    return target(label, kib, f"{kib:.2f} KiB", 6.0, kib <= 6.0)


def max_live_target(figures, smoke):
    label = "1,000,000 live threads from an unmodified C program in < 6 GiB peak RSS"
    if smoke:
        return not_measured(label, 6.0 * GIB_MIB)
    threads = figures.median("max_live_threads", {"runtime": "sprig"})
    peak_mib = figures.median("max_live_threads_peak_rss", {"runtime": "sprig"})
    met = threads >= 1_000_000 and peak_mib < 6 * GIB_MIB
    return target(label, peak_mib, f"{threads:,.0f} threads, {peak_mib / GIB_MIB:.2f} GiB peak RSS",
                  6.0 * GIB_MIB, met)


def echo_targets(figures):
    sprig = {"server": "echo_threads", "runtime": "sprig", "connections": 10000}
    results = []
    for program, limit, name in (("echo_epoll", 0.9, "the native epoll server"),
                                 ("echo_threads", 2.3, "the same binary on native threads")):
        label = f"thread-per-connection echo at 10,000 connections >= {limit}x {name}"
        native = {"server": program, "runtime": "native", "connections": 10000}
        if not figures.has("echo_rate", sprig) or not figures.has("echo_rate", native):
            results.append(not_measured(label, limit))
            continue
        ratio = figures.median("echo_rate", sprig) / figures.median("echo_rate", native)
        results.append(target(label, ratio, f"{ratio:.2f}x", limit, ratio >= limit))
    return results


def all_targets(figures, suites, smoke):
    results = []
    if "micro" in suites:
        results += micro_targets(figures)
    if "memory" in suites:
        results.append(memory_target(figures))
    if "maxlive" in suites:
        results.append(max_live_target(figures, smoke))
    if "echo" in suites:
        results += echo_targets(figures)
    return results


def print_targets(results):
    print("targets (on the medians):")
    for item in results:
        status = "n/a   " if item["met"] is None else "MET   " if item["met"] else "MISSED"
        print(f"  {status} {item['target']}: {item['shown']}")

