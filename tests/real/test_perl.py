# test_perl.py - Debian's perl under sprig: 200 ithreads (threads, threads::shared with lock and cond_timedwait), compared with its native run.
import subprocess

import pytest

from harness import SCRIPTS, assert_green, require, run_compared


def require_ithreads():
    """/usr/bin/perl (perl-base) with the threads modules, which come with the package perl (libperl5.36)."""
    perl = require("perl", "perl")
    loaded = subprocess.run([perl, "-Mthreads", "-Mthreads::shared", "-e", "1"], capture_output=True, text=True,
                            timeout=20)
    if loaded.returncode != 0:
        pytest.skip(f"perl cannot load threads and threads::shared (the Debian package perl is not installed): "
                    f"{loaded.stderr.strip()}")
    return perl


def test_perl_200_ithreads(preload):
    """200 Perl ithreads, all alive at once: each computes, keeps its own copies of the interpreter's
    variables, adds to threads::shared data under lock, sleeps 0.2-0.4 s and is joined."""
    perl = require_ithreads()
    argv = [perl, SCRIPTS / "perl_ithreads.pl"]
    native, sprig, report = run_compared("perl perl_ithreads.pl", argv, preload, timeout=60)
    assert native.status == 0, f"the script fails natively\n{report}"
    assert "wrong thread-local values: 0;" in native.stdout, report
    assert sprig.stdout == native.stdout, f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    assert_green(native, sprig, report, native_at_least=150)
