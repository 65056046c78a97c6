# test_bench_smoke.py - runs scripts/bench.py --smoke and checks its table rows, targets and JSON.
import json
import subprocess
import sys

FIGURES = ["green_yield threads=2", "green_yield threads=1000", "green_yield threads=10000",
           "green_yield threads=100000", "pthread_condvar_switch threads=2", "pthread_futex_switch threads=2",
           "green_spawn_join", "pthread_create_join"]


def test_bench_smoke_prints_every_figure_and_writes_json(repo_root, build_dir, tmp_path):
    json_path = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(repo_root / "scripts/bench.py"), "--smoke", "--build", str(build_dir),
                           "--json", str(json_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    table_rows = [line for line in done.stdout.splitlines() if line.startswith(("green_", "pthread_"))]
    for figure in FIGURES:
        assert any(figure in row for row in table_rows), f"no row for {figure}:\n{done.stdout}"
    for twin in ("pthread_condvar_switch", "pthread_futex_switch"):
        assert any(row.startswith("green_yield threads=10000 ") and twin in row for row in table_rows)
    assert any(row.startswith("green_spawn_join ") and "pthread_create_join" in row for row in table_rows)
    assert "yield at 10,000 green threads <= 10 ns" in done.stdout
    assert "spawn+join >= 100x faster" in done.stdout

    results = json.loads(json_path.read_text())
    assert results["unit"] == "ns" and results["smoke"] is True and results["reps"] == 1
    for figure in FIGURES:
        entry = results["figures"][figure]
        assert entry["unit"] == "ns"
        assert len(entry["samples"]) == 1 and entry["samples"][0] > 0
        assert entry["min"] <= entry["median"] <= entry["max"]
    assert len(results["comparisons"]) == 9
    assert all(comparison["ratio"] > 0 for comparison in results["comparisons"])
    assert {type(target["met"]) for target in results["targets"]} == {bool}
