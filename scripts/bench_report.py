"""bench_report.py - the tables `make bench` prints, the sprig/native comparisons and the targets.

Every cell is "median (min-max)" over the repetitions. Each ratio column says
which way it divides: native/sprig for times and memory (how many times less
sprig needs), sprig/native for rates and thread counts (how many times more
sprig does); above 1 is in sprig's favour either way. The one exception is
the corun-py table, which divides wall seconds sprig/native and sprig/gevent,
as issue 16 states its target ("sprig's threads beat native threads and
gevent"): there below 1 is in sprig's favour, and the table's title says so.

sprig's two identity modes stand side by side: SPRIG_TLS=thread (the default,
a glibc identity per green thread; figures without tls=, runtime=sprig) and
SPRIG_TLS=shared (tls=shared, runtime=sprig-shared), with the difference
thread - shared of their medians; these pairs go to the results' "tls_comparisons".

sprig with several workers (SPRIG_WORKERS=N, figures runtime=sprig-workers
workers=N) has rows of its own, named "sprig, N workers", next to sprig's one
worker ("sprig", "sprig, 1 worker") and the native twin: the mutex ping-pong,
cpu, echo and http tables. Its ratios go to "comparisons" like the others,
and so do those against sprig's one worker (ratio_of "workers/one worker",
where above 1 is in the several workers' favour).
"""

import bench_micro
from bench_common import WORKERS_RUNTIME, figure_id, workers_label

UNITS = {
    "ns": "nanoseconds per operation",
    "KiB": "kibibytes (1,024 bytes); per thread where the figure says per_thread",
    "MiB": "mebibytes (1,048,576 bytes)",
    "threads": "threads alive at the same time",
    "round trips/s": "completed echo round trips per second, all connections together",
    "us": "microseconds of round-trip (echo) or request (HTTP) latency",
    "requests/s": "HTTP requests answered per second, as wrk counts them",
    "errors": "wrk's socket errors plus non-2xx answers",
    "s": "seconds (wall or CPU, as the figure says)",
    "tasks/s": "finished tasks per wall second of the whole program",
    "messages/s": "messages exchanged per wall second of the whole program",
    "fetches/s": "HTTP fetches per wall second of the whole program",
}


def number(value, digits):
    return f"{value:,.{digits}f}" if digits else f"{value:,.0f}"


def cell(summary, digits=1):
    return (f"{number(summary['median'], digits)} "
            f"({number(summary['min'], digits)}-{number(summary['max'], digits)})")


def print_table(title, header, rows):
    print(title)
    table = [header] + rows
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        print("  ".join(item.ljust(width) for item, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print()


def comparison(figures, sprig_id, native_id, ratio_of):
    sprig = figures.by_id(sprig_id)
    native = figures.by_id(native_id)
    ratio = (native["median"] / sprig["median"] if ratio_of == "native/sprig"
             else sprig["median"] / native["median"])
    return {"sprig": sprig_id, "native": native_id, "unit": sprig["unit"], "ratio_of": ratio_of, "ratio": ratio}


def tls_comparison(figures, thread_id, shared_id):
    """SPRIG_TLS=thread against SPRIG_TLS=shared: the difference and the ratio of the medians."""
    thread = figures.by_id(thread_id)
    shared = figures.by_id(shared_id)
    return {"thread": thread_id, "shared": shared_id, "unit": thread["unit"],
            "difference": thread["median"] - shared["median"], "difference_of": "thread - shared",
            "ratio": thread["median"] / shared["median"], "ratio_of": "thread/shared"}


def signed(value, digits):
    return f"{'+' if value >= 0 else '-'}{number(abs(value), digits)}"


def micro_table(figures, pairs, mode_pairs, write_id, comparisons, tls_comparisons):
    rows = []
    for sprig_id, native_id in pairs:
        item = comparison(figures, sprig_id, native_id, "native/sprig")
        comparisons.append(item)
        rows.append([sprig_id, cell(figures.by_id(sprig_id)), native_id,
                     cell(figures.by_id(native_id)), f"{item['ratio']:.1f}x"])
    print_table("micro benchmarks: ns per operation, lower is better; sprig's figures without tls= are\n"
                "SPRIG_TLS=thread (the default: a glibc identity per green thread), tls=shared is SPRIG_TLS=shared",
                ["sprig figure", "sprig ns (min-max)", "native twin", "native ns (min-max)", "native/sprig"], rows)
    rows = []
    for thread_id, shared_id in mode_pairs:
        item = tls_comparison(figures, thread_id, shared_id)
        tls_comparisons.append(item)
        rows.append([thread_id, cell(figures.by_id(thread_id)), cell(figures.by_id(shared_id)),
                     signed(item["difference"], 1), f"{item['ratio']:.2f}x"])
    if figures.has(write_id):
        write = f"{cell(figures.by_id(write_id), 2)} ns"
    else:
        write = "not measured (no FSGSBASE on this CPU or kernel)"
    print_table("identity modes side by side, ns per operation: SPRIG_TLS=thread (the default) against\n"
                "SPRIG_TLS=shared; thread - shared is what a glibc identity per green thread costs; one write\n"
                f"of the thread pointer (wrfsbase, {write_id}, same run): {write}",
                ["green figure", "thread ns (min-max)", "shared ns (min-max)", "thread - shared ns",
                 "thread/shared"], rows)


def pingpong_table(figures, ids, workers, comparisons):
    """ids: bench_micro.pingpong_ids(), runtime -> figure id (native, sprig, sprig-workers); ns per
    round trip with native/sprig, and whether the two threads ran on two OS threads."""
    labels = {"native": "native (pthread mutex + cond: futex)", "sprig": "sprig, 1 worker",
              WORKERS_RUNTIME: workers_label(workers)}
    rows = []
    for runtime, figure in ids.items():
        summary = figures.by_id(figure)
        apart, runs = bench_micro.runs_apart(summary)
        separate = "yes" if apart == runs else "no" if apart == 0 else f"in {apart} of {runs} runs"
        ratio = ""
        if runtime != "native":
            item = comparison(figures, figure, ids["native"], "native/sprig")
            comparisons.append(item)
            ratio = f"{item['ratio']:.2f}x"
        rows.append([labels[runtime], cell(summary), ratio, separate, bench_micro.os_threads_seen(summary)])
    print_table("mutex ping-pong (tests/bench/plain/mutex_pingpong.c): two threads take turns through one\n"
                "pthread mutex + condition variable; ns per round trip (two hand-overs), lower is better; sprig\n"
                f"runs it under LD_PRELOAD=libsprig.so with one worker and with SPRIG_WORKERS={workers}; native/sprig\n"
                "above 1 is in sprig's favour; two OS threads: whether the two threads ran on different ones (gettid)",
                ["runtime", "ns per round trip (min-max)", "native/sprig", "two OS threads", "OS threads seen"],
                rows)


def memory_table(figures, rows_wanted, comparisons, tls_comparisons):
    """rows_wanted: [(figure name, threads)]; each row shows runtime=sprig (SPRIG_TLS=thread),
    runtime=sprig-shared and runtime=native, with the ratios to native where it has the figure."""
    rows = []
    for name, threads in rows_wanted:
        ids = {runtime: figure_id(name, {"runtime": runtime, "threads": threads})
               for runtime in ("sprig", "sprig-shared", "native")}
        item = tls_comparison(figures, ids["sprig"], ids["sprig-shared"])
        tls_comparisons.append(item)
        row = [figure_id(name, {"threads": threads}), cell(figures.by_id(ids["sprig"]), 2),
               cell(figures.by_id(ids["sprig-shared"]), 2), signed(item["difference"], 2)]
        if figures.has(name, {"runtime": "native", "threads": threads}):
            ratios = []
            for runtime in ("sprig", "sprig-shared"):
                native_item = comparison(figures, ids[runtime], ids["native"], "native/sprig")
                comparisons.append(native_item)
                ratios.append(f"{native_item['ratio']:.1f}x")
            row += [cell(figures.by_id(ids["native"]), 2)] + ratios
        else:
            row += ["none: native stops near 32,000", "", ""]
        rows.append(row)
    print_table("memory per idle thread: an unmodified C program whose threads each wrote one stack page and\n"
                "wait; natively and under LD_PRELOAD=libsprig.so with SPRIG_TLS=thread (sprig, the default) and\n"
                "SPRIG_TLS=shared (sprig-shared); KiB per thread = (VmRSS or VmPTE while they wait - before the\n"
                "first) / threads; lower is better",
                ["figure", "sprig KiB (min-max)", "sprig-shared KiB (min-max)", "sprig - shared KiB",
                 "native KiB (min-max)", "native/sprig", "native/shared"], rows)


def max_live_table(figures, wanted, caps_mib, comparisons, tls_comparisons):
    """Most live threads for runtime=sprig (SPRIG_TLS=thread), sprig-shared and native; caps_mib:
    runtime -> the RSS cap of its run."""
    runtimes = ("sprig", "sprig-shared", "native")
    rows = []
    for name, digits, ratio_of in (("max_live_threads", 0, "sprig/native"),
                                   ("max_live_threads_peak_rss", 0, "native/sprig"),
                                   ("max_live_threads_pte", 0, "native/sprig"),
                                   ("max_live_threads_create_s", 2, "native/sprig")):
        ids = {runtime: figure_id(name, {"runtime": runtime}) for runtime in runtimes}
        mode_item = tls_comparison(figures, ids["sprig"], ids["sprig-shared"])
        tls_comparisons.append(mode_item)
        ratios = []
        for runtime in ("sprig", "sprig-shared"):
            item = comparison(figures, ids[runtime], ids["native"], ratio_of)
            comparisons.append(item)
            ratios.append(f"{item['ratio']:.1f}x")
        unit = figures.by_id(ids["sprig"])["unit"]
        rows.append([f"{name} ({unit})"] + [cell(figures.by_id(ids[runtime]), digits) for runtime in runtimes]
                    + [signed(mode_item["difference"], digits), f"{' / '.join(ratios)} {ratio_of}"])
    stops = {runtime: ", ".join(sorted(set(figures.by_id(
        figure_id("max_live_threads", {"runtime": runtime}))["info"]))) for runtime in runtimes}
    caps = ", ".join(f"{runtime} {caps_mib[runtime] / 1024:g} GiB" for runtime in runtimes)
    print_table(f"most threads alive at once: the same program creating threads until pthread_create fails, its\n"
                f"VmRSS passes its cap ({caps}) or {wanted:,} exist, every\n"
                f"one still waiting when it measures; sprig is SPRIG_TLS=thread (the default), sprig-shared\n"
                f"SPRIG_TLS=shared; peak RSS is ru_maxrss, pte is VmPTE (page tables) with all threads alive",
                ["figure", "sprig (min-max)", "sprig-shared (min-max)", "native (min-max)", "sprig - shared",
                 "ratio: sprig / sprig-shared"], rows)
    print("  how the runs stopped: " + "; ".join(f"{runtime}: {stops[runtime]}" for runtime in runtimes))
    print()


def echo_table(figures, servers, counts, setup, params_of, comparisons):
    """servers: [(program, runtime, label)] in the table's order; params_of(program, runtime,
    connections): a figure's params (bench_echo.server_params). The ratios divide the round trips/s
    of echo_threads under sprig, with one worker and with several, by the native servers', and
    the several workers' by the one worker's."""
    rows = []
    ratio_rows = []
    several = next((label for _program, runtime, label in servers if runtime == WORKERS_RUNTIME), None)
    short = several.removeprefix("sprig, ") if several else None  # "2 workers"
    for connections in counts:
        for program, runtime, label in servers:
            params = params_of(program, runtime, connections)
            rows.append([f"{connections:,}", f"{program} ({label})",
                         cell(figures.get("echo_rate", params), 0), cell(figures.get("echo_p50", params), 0),
                         cell(figures.get("echo_p99", params), 0), cell(figures.get("echo_server_cpu", params), 2),
                         cell(figures.get("echo_client_cpu", params), 2),
                         cell(figures.get("echo_server_peak_rss", params), 1)])
        ratios = []
        sprig_runtimes = ["sprig"] + ([WORKERS_RUNTIME] if several else [])
        for runtime in sprig_runtimes:
            sprig_id = figure_id("echo_rate", params_of("echo_threads", runtime, connections))
            for program in ("echo_threads", "echo_epoll"):
                native_id = figure_id("echo_rate", params_of(program, "native", connections))
                item = comparison(figures, sprig_id, native_id, "sprig/native")
                comparisons.append(item)
                ratios.append(f"{item['ratio']:.2f}x")
        if several:
            item = comparison(figures, figure_id("echo_rate", params_of("echo_threads", WORKERS_RUNTIME, connections)),
                              figure_id("echo_rate", params_of("echo_threads", "sprig", connections)), "sprig/native")
            item["ratio_of"] = "workers/one worker"
            comparisons.append(item)
            ratios.append(f"{item['ratio']:.2f}x")
        ratio_rows.append([f"{connections:,}"] + ratios)
    print_table(f"echo round trips: {setup['message_bytes']}-byte messages, one in flight per connection, "
                f"{setup['window_s']:g} s window;\n{setup['cpus']}; CPU s of the server and of the load "
                f"generator count the window only;\nhigher rate and lower latency are better",
                ["connections", "server", "round trips/s (min-max)", "p50 us (min-max)", "p99 us (min-max)",
                 "server CPU s", "load gen CPU s", "server peak RSS MiB"], rows)
    header = ["connections", "sprig / native threads", "sprig / native epoll"]
    title = "echo ratios: round trips/s of echo_threads under sprig divided by the native server's"
    if several:
        header += [f"{short} / native threads", f"{short} / native epoll", f"{short} / 1 worker"]
        title = ("echo ratios: round trips/s of echo_threads under sprig (sprig: one worker; "
                 f"{short}: SPRIG_WORKERS={short.split()[0]})\ndivided by the native server's, and "
                 f"{short}' divided by one worker's")
    print_table(title, header, ratio_rows)


def http_table(figures, runtimes, connections, seconds, comparisons):
    """runtimes: [(runtime, label, params)] in the table's order (bench_http.table_runtimes): native,
    sprig (one worker) and sprig-workers; ratios of requests/s to native's, and the several
    workers' to the one worker's."""
    rows = []
    ids = {}
    labels = {}
    for runtime, label, params in runtimes:
        ids[runtime] = figure_id("http_rate", params)
        labels[runtime] = label
        rows.append([f"{connections:,}", f"http_server ({label})", cell(figures.get("http_rate", params), 0),
                     cell(figures.get("http_p50", params), 0), cell(figures.get("http_p99", params), 0),
                     cell(figures.get("http_errors", params), 0), cell(figures.get("http_server_peak_rss", params), 1),
                     cell(figures.get("http_server_os_threads", params), 0)])
    ratios = []
    for runtime in ids:
        if runtime == "native":
            continue
        item = comparison(figures, ids[runtime], ids["native"], "sprig/native")
        comparisons.append(item)
        ratios.append(f"{labels[runtime]}/native {item['ratio']:.2f}x")
    if WORKERS_RUNTIME in ids and "sprig" in ids:
        item = comparison(figures, ids[WORKERS_RUNTIME], ids["sprig"], "sprig/native")
        item["ratio_of"] = "workers/one worker"
        comparisons.append(item)
        ratios.append(f"{labels[WORKERS_RUNTIME]}/{labels['sprig']} {item['ratio']:.2f}x")
    print_table(f"HTTP: tests/demo/http_server.c (one pthread per connection) under wrk -t2 --latency, "
                f"{seconds} s;\nrequests/s: {'; '.join(ratios)}",
                ["connections", "server", "requests/s (min-max)", "p50 us (min-max)", "p99 us (min-max)",
                 "errors", "server peak RSS MiB", "OS threads"], rows)


def corun_table(figures, params_list):
    rows = []
    for params in params_list:
        rate = figures.get("corun_rate", params)
        rows.append([f"{params['program']} {params['args'].replace('_', ' ')}", f"{cell(rate, 0)} {rate['unit']}",
                     cell(figures.get("corun_wall", params), 2), cell(figures.get("corun_cpu", params), 2),
                     cell(figures.get("corun_peak_rss", params), 1)])
    print_table("corun workloads (tests/examples, sprig's direct API: no native twin), whole program",
                ["program and arguments", "work per wall second (min-max)", "wall s", "CPU s", "peak RSS MiB"],
                rows)


def corun_py_table(figures, rows_wanted, comparisons):
    """rows_wanted: [(workload, what it does, {runtime: params})] for the runtimes native, sprig, gevent
    and asyncio. The first table has the whole program's wall seconds with sprig/native and
    sprig/gevent; the second each runtime's time around the workload alone, CPU and peak RSS. The
    sprig/gevent comparisons go to the results' "comparisons" with gevent's figure as the twin
    (under the key "native") and ratio_of "sprig/gevent"."""
    runtimes = ("native", "sprig", "gevent", "asyncio")
    rows = []
    detail_rows = []
    for workload, what, params in rows_wanted:
        ids = {runtime: figure_id("corun_py_wall", params[runtime]) for runtime in runtimes}
        ratios = []
        for twin in ("native", "gevent"):
            item = comparison(figures, ids["sprig"], ids[twin], "sprig/native")
            item["ratio_of"] = f"sprig/{twin}"
            comparisons.append(item)
            ratios.append(f"{item['ratio']:.2f}x")
        rows.append([f"{workload}: {what}"] + [cell(figures.by_id(ids[runtime]), 2) for runtime in runtimes] + ratios)
        for runtime in runtimes:
            detail_rows.append([workload, runtime, cell(figures.get("corun_py_work", params[runtime]), 2),
                                cell(figures.get("corun_py_cpu", params[runtime]), 2),
                                cell(figures.get("corun_py_peak_rss", params[runtime]), 1)])
    print_table("corun in Python (tests/bench/python, issue 16's benchmark): wall s of the whole program, lower is\n"
                "better; native and sprig run the same threading.Thread code (sprig: LD_PRELOAD=libsprig.so),\n"
                "gevent that code after monkey.patch_all(), asyncio its asyncio version; sprig/native and\n"
                "sprig/gevent divide the medians: below 1 is in sprig's favour; wall s comes in steps of\n"
                "bench_common's 0.05 s poll for the program's end",
                ["workload", "native s (min-max)", "sprig s (min-max)", "gevent s (min-max)", "asyncio s (min-max)",
                 "sprig/native", "sprig/gevent"], rows)
    print_table("corun in Python, each runtime: work s is the program's own time around the workload (no\n"
                "interpreter start-up or imports), CPU s and peak RSS the whole program's",
                ["workload", "runtime", "work s (min-max)", "CPU s (min-max)", "peak RSS MiB (min-max)"],
                detail_rows)


def cpu_table(figures, rows_wanted, input_params, cores, limit, judged, comparisons):
    """rows_wanted: bench_cpu.table_rows(); each row the medians of the whole program's wall seconds
    natively, under sprig with one worker and under sprig with SPRIG_WORKERS=cores, the ratios of
    both sprig runs to native (to the results' "comparisons", ratio_of "sprig/native": below 1 is in
    sprig's favour), and whether the several workers met the target (<= limit x native; judged in
    full runs, for the two-thread workloads); a second table has their CPU seconds and output."""
    runtimes = ("native", "sprig", WORKERS_RUNTIME)
    several = workers_label(cores)
    rows = []
    cpu_rows = []
    for _workload, command, params, two_threads in rows_wanted:
        ids = {runtime: figure_id("cpu_bound_wall", params[runtime]) for runtime in runtimes}
        ratios = {}
        for runtime in ("sprig", WORKERS_RUNTIME):
            item = comparison(figures, ids[runtime], ids["native"], "sprig/native")
            comparisons.append(item)
            ratios[runtime] = item["ratio"]
        if not two_threads:
            verdict = "- (one thread)"
        elif not judged:
            verdict = "not judged (smoke)"
        else:
            verdict = "MET" if ratios[WORKERS_RUNTIME] <= limit else "MISSED"
        rows.append([command] + [cell(figures.by_id(ids[runtime]), 2) for runtime in runtimes]
                    + [f"{ratios['sprig']:.2f}x", f"{ratios[WORKERS_RUNTIME]:.2f}x", verdict])
        if figures.has("cpu_bound_output", params["native"]):
            output = f"{figures.median('cpu_bound_output', params['native']):,.1f} MiB, same sha256"
        else:
            output = "same checksum"
        cpu_rows.append([command] + [cell(figures.get("cpu_bound_cpu", params[runtime]), 2) for runtime in runtimes]
                        + [output])
    data = figures.get("cpu_bound_input", input_params)
    print_table(f"CPU-bound programs (issue 16's first row): wall s of the whole program, lower is better;\n"
                f"{cores} cores usable (sched_getaffinity); sprig runs them under LD_PRELOAD=libsprig.so with one\n"
                f"worker (SPRIG_WORKERS=1) and with SPRIG_WORKERS={cores} ({several}); the ratios divide the wall\n"
                f"medians by native's: about 2 for two busy threads on one OS thread, about 1 when sprig's green\n"
                f"threads use every core; target: {several} <= {limit}x native, for the two-thread workloads;\n"
                f"input {data['median']:,.1f} MiB, {data['info'][0]};\n"
                f"wall s comes in steps of bench_common's 0.05 s poll for the program's end",
                ["workload", "native wall s (min-max)", "sprig 1 worker wall s", f"{several} wall s",
                 "1 worker/native", f"{several.removeprefix('sprig, ')}/native", f"target <= {limit}x"], rows)
    print_table("CPU-bound programs: CPU s (user + system) of the whole program; the first run of each compressor\n"
                "writes its output to a file, checked the same natively and under sprig with either number of\n"
                "workers, the others to /dev/null",
                ["workload", "native CPU s (min-max)", "sprig 1 worker CPU s", f"{several} CPU s",
                 "output, native and sprig"], cpu_rows)
