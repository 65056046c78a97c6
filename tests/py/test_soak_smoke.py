# test_soak_smoke.py - scripts/soak.py (`make soak`) at a small size: 200 connections for 3 s under sprig, every
# echoed byte checked by echo_soak_client; the soak must pass with nothing mismatched, lost or failed.
import subprocess
import sys

CONNECTIONS = 200
SECONDS = 3


def test_soak_passes_with_every_byte_back(repo_root, build_dir, fields):
    done = subprocess.run([sys.executable, str(repo_root / "scripts/soak.py"), "--build", str(build_dir),
                           "--connections", str(CONNECTIONS), "--seconds", str(SECONDS), "--seed", "7"],
                          capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = [line for line in done.stdout.splitlines() if line.startswith("soak result=")]
    assert len(lines) == 1, output
    result = fields(lines[0].replace("soak ", "", 1), "result")
    assert result["result"] == "ok" and result["runtime"] == "sprig", output
    assert int(result["connections"]) == int(result["connected"]) == CONNECTIONS, output
    assert int(result["mismatches"]) == 0 and int(result["errors"]) == 0 and int(result["lost"]) == 0, output
    assert int(result["messages"]) > CONNECTIONS and int(result["min_messages"]) > 0, output
    assert int(result["bytes_sent"]) == int(result["bytes_received"]) == int(result["server_bytes"]) > 0, output
    # One green thread per connection, not one OS thread.
    assert 1 <= int(result["os_threads_max"]) < CONNECTIONS, output
