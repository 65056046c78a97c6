# test_io_syscalls.py - how many system calls sprig's blocking I/O makes, against the same program run natively.
import re


def reads_per_message(output):
    match = re.search(r"reads_per_message=([0-9.]+)", output)
    assert match, f"no reads_per_message in: {output!r}"
    return float(match.group(1))


def test_echo_reads_once_per_message(binary_of, preload, results, run):
    """net_echo_reads.c: 4 connections x 500 request/response round trips. Natively each message costs two
    blocking reads (the server's and the client's). Under sprig a read that returned less than it asked
    for (the stream was empty after it) makes the next read wait for readiness first, so the count stays
    near native; trying first would add a read that fails with EAGAIN to each side of each message
    (about 4 per message, as sprig did before)."""
    binary = binary_of("net_echo_reads.c")
    native = run(binary)
    sprig = run(binary, preload=preload)
    assert native.status == 0 and not native.timed_out, native.stderr
    assert sprig.status == 0 and not sprig.timed_out, sprig.stderr
    assert "messages=2000 failed=0" in sprig.stdout
    native_reads = reads_per_message(native.stdout)
    sprig_reads = reads_per_message(sprig.stdout)
    results["net_echo_reads.c"] = {"equal": None, "summary": f"reads per message: native {native_reads}, "
                                                          f"sprig {sprig_reads}"}
    assert native_reads < 2.5  # the control: the count measures what it should
    assert sprig_reads < 2.5
