"""bench_memory.py - memory of idle threads and the most threads alive at once, for an ordinary
pthread program (build/bench/plain/idle_threads) run natively and under LD_PRELOAD=libsprig.so in
both of sprig's identity modes.

Three runtimes, the parameter runtime= of every figure here:
  sprig         LD_PRELOAD=libsprig.so, SPRIG_TLS=thread (the default): each
                green thread has its own glibc identity (struct pthread,
                static TLS, DTV), some KiB more per thread
  sprig-shared  LD_PRELOAD=libsprig.so, SPRIG_TLS=shared: one identity per
                OS thread, the old model
  native        no preload

Idle-thread memory: the program creates N threads that each write one page
of their stack and wait; with all of them waiting it reads VmRSS and VmPTE
(/proc/self/status) and Rss (/proc/self/smaps_rollup). The figures per
thread are (value while they wait - value before the first one) / N.

Most live threads: the same program creating threads until pthread_create
fails or MAX_LIVE_THREADS exist (sprig's target is 1,000,000), each waiting
up to HOLD_S seconds; all must still be waiting when it measures, so they
were all alive at once. The program stops creating when its VmRSS passes
its runtime's RSS_CAP_MIB (11.5 GiB for sprig's identity mode, whose target
is 1,000,000 threads in < 12 GiB; 7 GiB for the others), and bench.py kills
it if VmRSS passes the cap by 1 GiB more: a runaway run cannot take the
machine's memory (24 GiB, shared). The runs go one after another, never two
at once. Natively the machine's limits stop it near 32,000: pid_max is
32,768 and each thread stack is two of the 65,530 mappings a process may
have.
"""

from bench_common import TLS_ENV, BenchError, fields_of, run

RUNTIMES = ("sprig", "sprig-shared", "native")
SPRIG_RUNTIMES = ("sprig", "sprig-shared")
TLS_MODE = {"sprig": "thread", "sprig-shared": "shared"}  # runtime -> SPRIG_TLS
IDLE_COUNTS = {"sprig": (1000, 10000, 100000), "sprig-shared": (1000, 10000, 100000), "native": (1000, 10000)}
SMOKE_IDLE_COUNTS = {"sprig": (200,), "sprig-shared": (200,), "native": (200,)}
TARGET_THREADS = 10000  # the idle-thread figure the targets are read at
MAX_LIVE_THREADS = 1_000_000
SMOKE_MAX_LIVE_THREADS = 2000  # a smoke run never goes near the machine's limits
# Long enough for the slowest creation: 1,000,000 threads in SPRIG_TLS=thread took 37 s on a busy
# 2-CPU machine (3.5 s with SPRIG_TLS=shared); a thread created earlier must still wait at the end.
HOLD_S = 120
RSS_CAP_MIB = {"sprig": 11 * 1024 + 512, "sprig-shared": 7 * 1024, "native": 7 * 1024}
WATCHDOG_EXTRA_KIB = 1024 * 1024
TIMEOUT_S = HOLD_S + 60


def run_idle_threads(build, runtime, wanted):
    """One run of idle_threads; returns its fields and the Finished record."""
    preload = build / "libsprig.so" if runtime in SPRIG_RUNTIMES else None
    env = TLS_ENV[TLS_MODE[runtime]] if runtime in SPRIG_RUNTIMES else None
    cap_mib = RSS_CAP_MIB[runtime]
    argv = [build / "bench/plain/idle_threads", wanted, HOLD_S, cap_mib]
    done = run(build, argv, TIMEOUT_S, preload=preload, rss_cap_kib=cap_mib * 1024 + WATCHDOG_EXTRA_KIB, env=env)
    if done.killed or done.returncode not in (0, 1):
        raise BenchError(f"{runtime}: {done.describe(argv)}")
    fields = fields_of(done.stdout, "idle_threads")
    return {key: value if key == "stop" else float(value) for key, value in fields.items()}, done


def add_idle_figures(figures, runtime, threads, fields):
    params = {"runtime": runtime, "threads": threads}
    created = fields["threads"]
    figures.add("idle_rss_per_thread", params, "KiB", (fields["rss_kib"] - fields["rss_before_kib"]) / created)
    figures.add("idle_pte_per_thread", params, "KiB", (fields["pte_kib"] - fields["pte_before_kib"]) / created)
    figures.add("idle_smaps_rss_per_thread", params, "KiB",
                (fields["smaps_rss_kib"] - fields["smaps_rss_before_kib"]) / created)
    figures.add("idle_rss", params, "MiB", fields["rss_kib"] / 1024)
    figures.add("idle_pte", params, "MiB", fields["pte_kib"] / 1024)


def measure_idle(figures, build, reps, smoke, log):
    counts = SMOKE_IDLE_COUNTS if smoke else IDLE_COUNTS
    for rep in range(reps):
        for runtime in RUNTIMES:
            for threads in counts[runtime]:
                log(f"idle threads {runtime} {threads} run {rep + 1}/{reps}")
                fields, done = run_idle_threads(build, runtime, threads)
                if fields["threads"] != threads or fields["alive"] != threads or done.returncode != 0:
                    raise BenchError(f"idle_threads {runtime} {threads}: {fields} (wanted all alive)\n"
                                     f"{done.stderr.strip()[-2000:]}")
                add_idle_figures(figures, runtime, threads, fields)


def measure_max_live(figures, build, reps, smoke, log):
    wanted = SMOKE_MAX_LIVE_THREADS if smoke else MAX_LIVE_THREADS
    for rep in range(reps):
        for runtime in RUNTIMES:
            log(f"most live threads {runtime} (up to {wanted}) run {rep + 1}/{reps}")
            fields, done = run_idle_threads(build, runtime, wanted)
            params = {"runtime": runtime}
            figures.add("max_live_threads", params, "threads", int(fields["alive"]),
                        info=f"created={int(fields['threads'])} stop={fields['stop']}")
            figures.add("max_live_threads_peak_rss", params, "MiB", done.peak_rss_kib / 1024)
            figures.add("max_live_threads_rss", params, "MiB", fields["rss_kib"] / 1024)
            figures.add("max_live_threads_pte", params, "MiB", fields["pte_kib"] / 1024)
            figures.add("max_live_threads_create_s", params, "s", fields["create_ms"] / 1000)


PER_THREAD = ("idle_rss_per_thread", "idle_pte_per_thread")


def idle_counts(smoke):
    return SMOKE_IDLE_COUNTS if smoke else IDLE_COUNTS


def comparisons(smoke):
    """(sprig id, native id) pairs of per-thread memory, for both sprig runtimes; lower is better."""
    pairs = []
    for threads in idle_counts(smoke)["native"]:
        for name in PER_THREAD:
            for runtime in SPRIG_RUNTIMES:
                pairs.append((f"{name} runtime={runtime} threads={threads}",
                              f"{name} runtime=native threads={threads}"))
    return pairs


def table_rows(smoke):
    """[(name, threads)] of the per-thread rows of the memory table, those with a native twin first."""
    counts = idle_counts(smoke)
    with_native = [(name, threads) for threads in counts["native"] for name in PER_THREAD]
    sprig_only = [(name, threads) for threads in counts["sprig"] if threads not in counts["native"]
                  for name in PER_THREAD]
    return with_native + sprig_only
