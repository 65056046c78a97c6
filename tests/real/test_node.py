# test_node.py - node under sprig (libuv's thread pool and V8's platform threads green): fs with the promise and callback APIs, an http server with 200 concurrent requests from the same process, and pbkdf2/scrypt on the thread pool.
import pathlib
import re

from harness import assert_green, require, run_compared

SCRIPT = pathlib.Path(__file__).resolve().parent / "node" / "fs_http_crypto.js"
FS_LINE = re.compile(r"^fs: f\d\d\.txt \d+ [0-9a-f]{16} ok$", re.M)
CRYPTO_LINE = re.compile(r"^crypto: (pbkdf2|scrypt) \d [0-9a-f]{64}$", re.M)


def test_node_fs_http_crypto(preload):
    node = require("node", "nodejs")
    argv = [node, SCRIPT]
    native, sprig, report = run_compared("node fs_http_crypto.js", argv, preload, timeout=40, names=True)
    assert native.status == 0, f"the script fails natively\n{report}"
    assert native.stdout.startswith("fs: 20 files, readdir same both ways\n"), report
    assert len(FS_LINE.findall(native.stdout)) == 20, report
    assert "\nhttp: 200 requests, 200 right bodies, " in native.stdout, report
    assert len(CRYPTO_LINE.findall(native.stdout)) == 10 and native.stdout.endswith("\ndone\n"), report
    assert sprig.stdout == native.stdout, f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    # Natively: main, libuv's four pool threads, V8's four platform workers (node's default
    # --v8-pool-size=4), its delayed-task thread and the inspector's signal thread (11 here).
    assert_green(native, sprig, report, native_at_least=9)
