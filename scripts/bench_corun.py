"""bench_corun.py - the corun workloads of tests/examples, as they are: programs written against
sprig's direct API, so they have no native twin. Reports wall and CPU seconds, peak RSS and the
work done per wall second (tasks, messages or HTTP fetches).
"""

from bench_common import BenchError, fields_of, run

TIMEOUT_S = 120

# program -> (arguments, smoke arguments, first word of its result line, the field that counts
# the work, unit of the rate)
WORKLOADS = {
    "corun_tasks": (["10000"], ["200"], "tasks", "finished", "tasks/s"),
    "corun_io": (["500", "100"], ["20", "20"], "pairs", "exchanged", "messages/s"),
    "corun_http": (["1000"], ["50"], "fetched", "ok", "fetches/s"),
}


def measure(figures, build, reps, smoke, log):
    for rep in range(reps):
        for program, (args, smoke_args, first_key, count_key, rate_unit) in WORKLOADS.items():
            log(f"corun {program} run {rep + 1}/{reps}")
            argv = [build / "examples" / program] + (smoke_args if smoke else args)
            done = run(build, argv, TIMEOUT_S)
            if done.failed():
                raise BenchError(done.describe(argv))
            result = fields_of(done.stdout, first_key)
            params = {"program": program, "args": "_".join(smoke_args if smoke else args)}
            figures.add("corun_rate", params, rate_unit, float(result[count_key]) / done.seconds,
                        info=done.stdout.strip().splitlines()[-1])
            figures.add("corun_wall", params, "s", done.seconds)
            figures.add("corun_cpu", params, "s", done.cpu_s)
            figures.add("corun_peak_rss", params, "MiB", done.peak_rss_kib / 1024)


def params_of(smoke):
    return [{"program": program, "args": "_".join(smoke_args if smoke else args)}
            for program, (args, smoke_args, *_rest) in WORKLOADS.items()]
