# test_bench_smoke.py - runs scripts/bench.py --smoke (every suite at tiny sizes) and checks its tables,
# targets and JSON; then draws the plots of bench_plot.py from those results. No check depends on timing.
import json
import subprocess
import sys

import pytest

MICRO_FIGURES = ["green_yield threads=2", "green_yield threads=1000", "green_yield threads=10000",
                 "green_yield threads=100000", "pthread_condvar_switch threads=2", "pthread_futex_switch threads=2",
                 "green_spawn_join", "pthread_create_join"]
SMOKE_THREADS = 200
SMOKE_MAX_LIVE = 2000
SMOKE_CONNECTIONS = 20
ECHO_SERVERS = ["echo_threads (sprig)", "echo_threads (native)", "echo_epoll (native)"]
CORUN = ["corun_tasks", "corun_io", "corun_http"]
TARGETS = ["yield at 10,000 green threads <= 10 ns", "spawn+join <= 100 ns", "spawn+join >= 100x faster",
           "RSS per idle green thread", "1,000,000 live threads", "echo at 10,000 connections >= 0.9x",
           "echo at 10,000 connections >= 2.3x"]


@pytest.fixture(scope="module")
def smoke(repo_root, build_dir, tmp_path_factory):
    """(stdout, results) of one smoke run."""
    json_path = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run([sys.executable, str(repo_root / "scripts/bench.py"), "--smoke", "--build", str(build_dir),
                           "--json", str(json_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(json_path.read_text())


def rows_starting(stdout, prefix):
    return [line for line in stdout.splitlines() if line.startswith(prefix)]


def test_micro_rows_pair_each_figure_with_its_native_twin(smoke):
    stdout, results = smoke
    table_rows = rows_starting(stdout, ("green_", "pthread_"))
    for figure in MICRO_FIGURES:
        assert any(figure in row for row in table_rows), f"no row for {figure}:\n{stdout}"
    for twin in ("pthread_condvar_switch", "pthread_futex_switch"):
        assert any(row.startswith("green_yield threads=10000 ") and twin in row for row in table_rows)
    assert any(row.startswith("green_spawn_join ") and "pthread_create_join" in row for row in table_rows)
    for figure in MICRO_FIGURES:
        entry = results["figures"][figure]
        assert entry["unit"] == "ns"
        assert len(entry["samples"]) == 1 and entry["samples"][0] > 0
        assert entry["min"] <= entry["median"] <= entry["max"]


def test_idle_thread_memory_is_measured_natively_and_under_sprig(smoke):
    stdout, results = smoke
    for name in ("idle_rss_per_thread", "idle_pte_per_thread"):
        assert rows_starting(stdout, f"{name} threads={SMOKE_THREADS} "), stdout
        for runtime in ("sprig", "native"):
            entry = results["figures"][f"{name} runtime={runtime} threads={SMOKE_THREADS}"]
            assert entry["unit"] == "KiB"
    # Each thread wrote one page of its stack: that page at least is resident, in both runs.
    for runtime in ("sprig", "native"):
        assert results["figures"][f"idle_rss_per_thread runtime={runtime} threads={SMOKE_THREADS}"]["median"] >= 4


def test_most_live_threads_run_is_capped_in_smoke_and_all_were_alive(smoke):
    stdout, results = smoke
    assert rows_starting(stdout, "max_live_threads (threads)"), stdout
    for runtime in ("sprig", "native"):
        entry = results["figures"][f"max_live_threads runtime={runtime}"]
        assert entry["unit"] == "threads" and entry["samples"] == [SMOKE_MAX_LIVE]
        assert entry["info"] == [f"created={SMOKE_MAX_LIVE} stop=limit"]
        assert results["figures"][f"max_live_threads_peak_rss runtime={runtime}"]["median"] > 0


def test_echo_servers_all_measured_with_ratios(smoke):
    stdout, results = smoke
    rows = rows_starting(stdout, f"{SMOKE_CONNECTIONS} ")
    for server in ECHO_SERVERS:
        assert any(server in row for row in rows), stdout
    assert "sprig / native threads" in stdout and "sprig / native epoll" in stdout
    assert "server and load generator not pinned" in stdout
    for server, runtime in (("echo_threads", "sprig"), ("echo_threads", "native"), ("echo_epoll", "native")):
        params = f"server={server} runtime={runtime} connections={SMOKE_CONNECTIONS}"
        assert results["figures"][f"echo_rate {params}"]["median"] > 0
        assert results["figures"][f"echo_rate {params}"]["unit"] == "round trips/s"
        assert 0 < results["figures"][f"echo_p50 {params}"]["median"] <= results["figures"][f"echo_p99 {params}"]["median"]
        assert results["figures"][f"echo_server_peak_rss {params}"]["median"] > 0
    echo_ratios = [c for c in results["comparisons"] if c["sprig"].startswith("echo_rate")]
    assert len(echo_ratios) == 2 and all(c["ratio"] > 0 and c["ratio_of"] == "sprig/native" for c in echo_ratios)


def test_http_server_measured_natively_and_under_sprig(smoke):
    stdout, results = smoke
    assert "HTTP: tests/demo/http_server.c" in stdout, stdout
    for runtime in ("native", "sprig"):
        params = f"runtime={runtime} connections=50"
        assert results["figures"][f"http_rate {params}"]["median"] > 0
        assert results["figures"][f"http_rate {params}"]["unit"] == "requests/s"
        assert results["figures"][f"http_errors {params}"]["median"] == 0
    assert results["figures"]["http_server_os_threads runtime=sprig connections=50"]["median"] <= 2
    http_ratios = [c for c in results["comparisons"] if c["sprig"].startswith("http_rate")]
    assert len(http_ratios) == 1 and http_ratios[0]["ratio"] > 0


def test_corun_workloads_reported(smoke):
    stdout, results = smoke
    for program in CORUN:
        assert rows_starting(stdout, program), stdout
        rates = [e for e in results["figures"].values() if e["figure"] == "corun_rate" and e["params"]["program"] == program]
        assert len(rates) == 1 and rates[0]["median"] > 0


def test_targets_and_units(smoke):
    stdout, results = smoke
    for label in TARGETS:
        assert label in stdout, f"target {label!r} not printed:\n{stdout}"
    assert results["smoke"] is True and results["reps"] == 1
    for entry in results["figures"].values():
        assert entry["unit"] in results["units"]
    assert {type(target["met"]) for target in results["targets"][:3]} == {bool}
    # The sizes these targets name are not run in a smoke run: they say so instead of met or missed.
    assert [target["met"] for target in results["targets"][3:]] == [None] * 4
    assert all(c["ratio"] > 0 for c in results["comparisons"])


def test_plots_drawn_from_results(smoke, repo_root, tmp_path):
    _, results = smoke
    script = repo_root / "scripts/bench_plot.py"
    smoke_path = tmp_path / "smoke.json"
    smoke_path.write_text(json.dumps(results))
    refused = subprocess.run([sys.executable, str(script), "--results", str(smoke_path), "--out", str(tmp_path)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "smoke" in refused.stderr
    results["smoke"] = False
    full_path = tmp_path / "full.json"
    full_path.write_text(json.dumps(results))
    done = subprocess.run([sys.executable, str(script), "--results", str(full_path), "--out", str(tmp_path / "docs")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("bench-echo.png", "bench-memory.png"):
        assert (tmp_path / "docs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
