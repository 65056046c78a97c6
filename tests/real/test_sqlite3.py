# test_sqlite3.py - the sqlite3 shell under sprig: a script read from a pipe writes and reads a database file (regular-file I/O, WAL, VACUUM).
import subprocess
import time

from harness import Program, assert_ran, record, require

SCRIPT = """\
PRAGMA journal_mode=WAL;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO t(name, value) SELECT 'row' || x, x * 1.5 FROM c;
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(value), min(name), max(name) FROM t;
BEGIN;
UPDATE t SET value = value * 2 WHERE id % 3 = 0;
DELETE FROM t WHERE id % 7 = 0;
COMMIT;
SELECT count(*), printf('%.1f', sum(value)) FROM t;
PRAGMA wal_checkpoint(TRUNCATE);
VACUUM;
PRAGMA integrity_check;
SELECT name, value FROM t WHERE name IN ('row1', 'row500', 'row19998') ORDER BY id;
.mode csv
SELECT id, name FROM t ORDER BY id DESC LIMIT 3;
"""


def run_script(sqlite3, database, under_sprig, preload):
    shell = Program([sqlite3, database], under_sprig, preload, stdin=subprocess.PIPE)
    with shell:
        # Hold the script back until the sampler has seen libsprig.so mapped (under sprig; natively,
        # until it has looked once), then send it; the shell reads it from the pipe and ends at end
        # of file.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
                shell.outcome.preloaded if under_sprig else shell.outcome.preloaded is not None):
            time.sleep(0.01)
        shell.process.stdin.write(SCRIPT.encode())
        shell.process.stdin.close()
        outcome = shell.wait(timeout=30)
    # A second shell reads the file the first one wrote.
    reader = Program([sqlite3, "-readonly", database, "SELECT count(*), max(id) FROM t;"], under_sprig, preload)
    with reader:
        again = reader.wait(timeout=30)
    return outcome, again


def test_sqlite3_script(preload, tmp_path):
    sqlite3 = require("sqlite3", "sqlite3")
    native, native_again = run_script(sqlite3, tmp_path / "native.db", False, preload)
    sprig, sprig_again = run_script(sqlite3, tmp_path / "sprig.db", True, preload)
    record("sqlite3", native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}\n{native_again.describe()}\n{sprig_again.describe()}"
    for outcome in (native, sprig, native_again, sprig_again):
        assert_ran(outcome, report)
    assert native.status == 0 and "ok\n" in native.stdout, f"the script fails natively\n{report}"
    assert sprig.stdout == native.stdout and sprig.status == native.status, f"output differs\n{report}"
    assert sprig_again.stdout == native_again.stdout == "17143|20000\n", report
    assert (tmp_path / "sprig.db").read_bytes() == (tmp_path / "native.db").read_bytes(), (
        f"the database files differ\n{report}")
    # sqlite3 has no threads of its own: the check is that sprig ran it and added none.
    assert sprig.preloaded and native.preloaded is not True, report
    assert sprig.max_threads <= 1, report
