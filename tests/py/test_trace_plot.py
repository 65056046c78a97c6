# test_trace_plot.py - scripts/trace_plot.py draws a real SPRIG_TRACE file: the demo's trace_workers under sprig.
import json
import subprocess
import sys


def test_trace_of_six_workers_is_drawn(repo_root, build_dir, tmp_path):
    trace = tmp_path / "trace.json"
    picture = tmp_path / "trace.png"
    env = {"PATH": "/usr/bin:/bin", "SPRIG_TRACE": str(trace)}
    done = subprocess.run([str(repo_root / "scripts" / "sprig"), str(build_dir / "demo" / "trace_workers")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stdout == "six workers done\n", done.stderr
    events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = {event["args"]["name"] for event in events if event.get("ph") == "M"}
    assert {f"worker-{i}" for i in range(6)} <= {name.split(" ")[0] for name in names}
    drawn = subprocess.run([sys.executable, str(repo_root / "scripts" / "trace_plot.py"), str(trace), str(picture)],
                           capture_output=True, text=True, timeout=120)
    assert drawn.returncode == 0, drawn.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
