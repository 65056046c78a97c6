# test_curl.py - curl under sprig: 40 downloads from a local http.server through --parallel, compared with a native curl.
import hashlib
import random
import re

from harness import PYTHON, Program, assert_ran, record, require, run_program, wait_for_output

SERVING = re.compile(r"Serving HTTP on 127\.0\.0\.1 port (\d+)")
FILES = 40


def test_curl_parallel(preload, tmp_path):
    """curl --parallel (its own poll loop over 20 transfers at a time, rate-limited so that its poll
    timeouts matter) fetching 40 files; the same report and the same bytes as a native curl."""
    python = require(PYTHON, "python3")
    curl = require("curl", "curl")
    site = tmp_path / "site"
    site.mkdir()
    generator = random.Random(99)
    expected = {}
    for index in range(FILES):
        data = generator.randbytes(1000 + 2500 * index)
        (site / f"f{index}.bin").write_bytes(data)
        expected[index] = hashlib.sha256(data).hexdigest()
    server = Program([python, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", site, "0"], False,
                     preload)
    with server:
        port = wait_for_output(server, SERVING).group(1)
        outcomes = {}
        downloaded = {}
        for under_sprig in (False, True):
            out_dir = tmp_path / ("sprig" if under_sprig else "native")
            out_dir.mkdir()
            argv = [curl, "-sS", "--parallel", "--parallel-max", "20", "--limit-rate", "400k",
                    "-w", "%{http_code} %{size_download} %{filename_effective}\\n"]
            for index in range(FILES):
                argv += ["-o", out_dir / f"f{index}.bin", f"http://127.0.0.1:{port}/f{index}.bin"]
            outcome = run_program(argv, under_sprig, preload, timeout=30)
            # Transfers end in any order: compare the sorted report, without the directory.
            outcome.stdout = "\n".join(sorted(line.replace(str(out_dir) + "/", "")
                                              for line in outcome.stdout.splitlines())) + "\n"
            outcomes[under_sprig] = outcome
            downloaded[under_sprig] = {index: hashlib.sha256((out_dir / f"f{index}.bin").read_bytes()).hexdigest()
                                       for index in range(FILES) if (out_dir / f"f{index}.bin").exists()}
        server_outcome = server.stop()
    native, sprig = outcomes[False], outcomes[True]
    record("curl --parallel", native, sprig)
    report = f"{native.describe()}\n{sprig.describe()}\nserver: {server_outcome.summary()}"
    assert_ran(native, report)
    assert_ran(sprig, report)
    assert native.status == 0 and downloaded[False] == expected, f"native curl failed\n{report}"
    assert sprig.stdout == native.stdout, f"curl's report differs\n{report}"
    assert sprig.status == native.status, report
    assert downloaded[True] == expected, f"the files curl wrote under sprig differ\n{report}"
    # curl is one thread here (no name to resolve): the check is that sprig ran it and added none.
    assert sprig.preloaded, f"libsprig.so not seen in curl's maps\n{report}"
    assert sprig.max_threads <= max(native.max_threads, 1), report
