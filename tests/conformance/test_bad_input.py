# test_bad_input.py - every row of shim/hooks.def called with bad pointers, fds, counts, flags and timeouts,
# natively and under sprig: the same return value, errno and fate (returned, killed, hung) for every case.
import pathlib
import subprocess

import pytest

from test_exports import hooks_def_names

CASES_DIR = pathlib.Path(__file__).resolve().parent / "bad_input"
COMPILE = ["gcc", "-O1", "-pthread", "-Wall", "-Wextra", "-Werror"]
RUN_TIMEOUT_S = 600

# Cases whose result under sprig differs from native by design: "hook label" -> (the sprig(7) DIVERGENCES
# entry that says why, sprig's result). The test checks that each still differs, exactly so, and that the
# entry is in sprig(7).
OWN_FDS = "sprig's own descriptors"
CHECKS = "Error checks glibc does not make"
DIVERGENCES = {
    # Natively the highest open fd is one of the program's; under sprig it is sprig's control socket or
    # epoll instance, which the program cannot close or dup2() onto.
    "close sprig_epoll_fd": (OWN_FDS, "-1 EBADF"),
    "close sprig_high_fd": (OWN_FDS, "-1 EBADF"),
    "dup2 sprig_epoll_fd_same": (OWN_FDS, "-1 EBADF"),
    "dup2 sprig_high_fd": (OWN_FDS, "-1 EBUSY"),
    "dup2 sprig_high_fd_same": (OWN_FDS, "-1 EBADF"),
    "dup3 sprig_high_fd": (OWN_FDS, "-1 EBUSY"),
    # sprig's descriptors 3072 and 3073 make the kernel's fd table 4096 long: select() looks at more bits.
    "select closed_fd_above_fd_table": (OWN_FDS, "-1 EBADF"),
    "select nfds_1025_past_sets": (OWN_FDS, "-1 EFAULT"),
    "select nfds_int_max": (OWN_FDS, "-1 EFAULT"),
    "select nfds_int_max_null_timeout": (OWN_FDS, "-1 EFAULT"),
    "pselect nfds_1025_past_sets": (OWN_FDS, "-1 EFAULT"),
    "pselect nfds_int_max": (OWN_FDS, "-1 EFAULT"),
    # glibc neither checks the owner nor keeps the object unwritten: it writes a read-only one and faults.
    "pthread_mutex_unlock unlocked": (CHECKS, "error EPERM"),
    "pthread_mutex_unlock readonly_mutex": (CHECKS, "error EPERM"),
    "pthread_rwlock_unlock unlocked": (CHECKS, "error EPERM"),
    "pthread_rwlock_unlock read_locked_by_other": (CHECKS, "error EPERM"),
    "pthread_rwlock_unlock write_locked_by_other": (CHECKS, "error EPERM"),
    "pthread_rwlock_unlock readonly_rwlock": (CHECKS, "error EPERM"),
}


@pytest.fixture(scope="module")
def bad_input_binary(sprig_build):
    sources = sorted(CASES_DIR.glob("*.c"))
    binary = sprig_build / "conformance" / "bad_input"
    binary.parent.mkdir(parents=True, exist_ok=True)
    newest = max(path.stat().st_mtime for path in [*sources, CASES_DIR / "bad_input.h"])
    if not binary.exists() or binary.stat().st_mtime < newest:
        subprocess.run([*COMPILE, "-o", str(binary), *map(str, sources)], check=True, capture_output=True,
                       text=True, timeout=300)
    return binary


def results_of(run):
    """The runner's lines as {"hook label": result}."""
    assert run.status == 0 and not run.timed_out, run.describe()
    results = {}
    for line in run.stdout.splitlines():
        case, _, result = line.partition(": ")
        assert result, f"not a case line: {line!r}"
        results[case] = result
    return results


def listed_cases(binary):
    output = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True, timeout=30)
    return [line for line in output.stdout.splitlines() if line]


def test_every_hook_has_a_case(bad_input_binary, repo_root):
    """A new row of hooks.def without a case fails here, and so does a case of a row that is gone."""
    covered = {case.split(" ")[0] for case in listed_cases(bad_input_binary)}
    rows = hooks_def_names(repo_root)
    assert sorted(rows - covered) == [], "rows of shim/hooks.def with no bad-input case"
    assert sorted(covered - rows) == [], "bad-input cases of functions hooks.def does not list"


def test_bad_input_as_native(bad_input_binary, preload, run, results, repo_root):
    cases = listed_cases(bad_input_binary)
    assert len(cases) == len(set(cases)), "two cases with one name"
    native = results_of(run(bad_input_binary, timeout=RUN_TIMEOUT_S))
    sprig = results_of(run(bad_input_binary, preload=preload, timeout=RUN_TIMEOUT_S))
    assert sorted(native) == sorted(cases) and sorted(sprig) == sorted(cases)

    # A case must say something natively: no hang, no failed fixture.
    bad_cases = {case: result for case, result in native.items() if result in ("hung", "exited 99")}
    assert bad_cases == {}, "cases that hang natively or whose fixture failed"

    manual = (repo_root / "man" / "sprig.7").read_text()
    differing = {}
    for case in cases:
        if case in DIVERGENCES:
            entry, documented = DIVERGENCES[case]
            assert f".B {entry}\n" in manual, f"{case}: sprig(7) has no entry {entry!r}"
            assert native[case] != documented, f"{case}: now equal to native ({native[case]}): drop it"
            assert sprig[case] == documented, f"{case}: {sprig[case]}, sprig(7) ({entry}) says {documented}"
        elif native[case] != sprig[case]:
            differing[case] = f"native {native[case]!r}, sprig {sprig[case]!r}"
    equal = len(cases) - len(differing) - len(DIVERGENCES)
    results["bad_input"] = {
        "equal": None,
        "summary": f"{len(cases)} cases over {len({case.split(' ')[0] for case in cases})} rows of hooks.def, "
                   f"{equal} equal to native, {len(DIVERGENCES)} as sprig(7) lists, {len(differing)} differ",
    }
    assert differing == {}, "bad-input cases that differ from native"
