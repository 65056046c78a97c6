# test_lmdb.py - Debian's python3-lmdb under sprig: two processes, 4 threads each, write one LMDB environment
# through its writer mutex (process-shared, robust, in the lock file); no update is lost, readers see
# consistent snapshots, and a writer that dies holding the mutex does not stop the next. Compared with the
# native run.
import subprocess

import pytest

from harness import PYTHON, SCRIPTS, assert_green, assert_ran, record, require, run_program


def require_lmdb():
    """/usr/bin/python3 with the lmdb module (python3-lmdb) and mdb_stat (lmdb-utils)."""
    python = require(PYTHON, "python3")
    require("mdb_stat", "lmdb-utils")
    loaded = subprocess.run([python, "-c", "import lmdb"], capture_output=True, text=True, timeout=20)
    if loaded.returncode != 0:
        pytest.skip(f"python3 cannot import lmdb (the Debian package python3-lmdb is not installed): "
                    f"{loaded.stderr.strip()}")
    return python


def test_lmdb_two_processes_writers(preload, tmp_path):
    """2 processes x 4 threads x 300 write transactions, each a read-modify-write of one counter key, plus a
    reader thread per process; then a child dies inside a write transaction and the parent writes again."""
    python = require_lmdb()
    outcomes = {}
    for label, under_sprig in (("native", False), ("sprig", True)):
        env_dir = tmp_path / label
        env_dir.mkdir()
        outcomes[label] = run_program([python, SCRIPTS / "lmdb_writers.py", env_dir], under_sprig, preload,
                                      timeout=120)
    native, sprig = outcomes["native"], outcomes["sprig"]
    record("python3 lmdb_writers.py", native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}"
    assert_ran(native, report)
    assert_ran(sprig, report)
    assert native.status == 0 and native.stdout.endswith("ok\n"), f"the script fails natively\n{report}"
    assert "keys: 2400, counter: 2400, expected: 2400\n" in native.stdout, report
    assert sprig.stdout.splitlines() == native.stdout.splitlines(), f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    # The parent: main, 4 writers and a reader (its children are not sampled).
    assert_green(native, sprig, report, native_at_least=5)
