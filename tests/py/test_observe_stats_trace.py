# test_observe_stats_trace.py - SPRIG_STATS=1 against a program with known counts, and SPRIG_TRACE's
# Chrome trace-event file: valid JSON, a row and spans per green thread, bounded by its ring buffer.
import collections
import json
import re
import subprocess

import pytest

FILE_BYTES = 64 << 20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("stats") / "64MiB"
    path.write_bytes(b"x" * FILE_BYTES)
    return path


def stats_of(stderr):
    """-> (summary lines as text, {call: (calls, parked, blocked)}, {reason: parks})."""
    calls = {}
    parks = {}
    section = None
    for line in stderr.splitlines():
        if line.startswith("  parks:"):
            section = "parks"
        elif line.startswith("  interposed calls"):
            section = "calls"
        elif line.startswith("  ") and not line.startswith("    "):
            section = None
        elif section == "parks":
            reason, count = line.rsplit(None, 1)
            parks[reason.strip()] = int(count)
        elif section == "calls" and not line.strip().startswith("call "):
            name, total, parked, blocked = line.split()
            calls[name] = (int(total), int(parked), int(blocked))
    return calls, parks


def test_stats_match_a_program_with_known_counts(observe_program, sprig_env, big_file):
    # One worker: the counts below (no mutex contention, one peak) are those of one worker's interleaving.
    result = subprocess.run([str(observe_program("stats_known.c")), str(big_file)], capture_output=True, text=True,
                            timeout=60, env=sprig_env(SPRIG_STATS=1, SPRIG_WORKERS=1))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"counter=1000 read={FILE_BYTES}\n"
    stderr = result.stderr
    assert re.search(r"^sprig: statistics of process \d+ \(SPRIG_STATS=1\)$", stderr, re.MULTILINE), stderr
    assert "  green threads: 11 created, 11 peak alive\n" in stderr
    switches = int(re.search(r"^  switches: (\d+)$", stderr, re.MULTILINE).group(1))
    assert switches >= 50, "each of the 50 sleeps switches to another thread"
    calls, parks = stats_of(stderr)
    assert parks["sleep"] == 50, stderr
    assert 1 <= parks.get("join", 0) <= 10
    assert "mutex" not in parks, "no thread switches while holding the mutex: no contention"
    assert calls["pthread_create"] == (10, 0, 0)
    assert calls["pthread_mutex_lock"] == (1000, 0, 0)
    assert calls["pthread_mutex_unlock"] == (1000, 0, 0)
    assert calls["usleep"] == (50, 50, 0)
    assert calls["read"] == (1, 0, 1), "a 64 MiB read holds the worker for more than 1 ms"
    assert re.search(r"reactor: \d+ polls, \d+ that could sleep; wake-ups: \d+ fd, [1-9]\d* timer", stderr)
    match = re.search(r"stacks: peak (\d+) mapped, ([\d.]+) MiB of address space", stderr)
    assert match and int(match.group(1)) >= 2 and float(match.group(2)) >= 8.0, stderr  # main's 8 MiB + one


def test_stats_are_off_by_default(observe_program, sprig_env, big_file):
    result = subprocess.run([str(observe_program("stats_known.c")), str(big_file)], capture_output=True, text=True,
                            timeout=60, env=sprig_env())
    assert result.returncode == 0 and result.stderr == ""


def spans_by_thread(trace):
    spans = collections.defaultdict(list)
    for event in trace["traceEvents"]:
        if event["ph"] == "X":
            spans[event["tid"]].append(event)
    return spans


def test_trace_is_json_with_a_row_and_spans_per_thread(observe_program, sprig_env, big_file, tmp_path):
    out = tmp_path / "trace.json"
    result = subprocess.run([str(observe_program("stats_known.c")), str(big_file)], capture_output=True, text=True,
                            timeout=60, env=sprig_env(SPRIG_TRACE=out))
    assert result.returncode == 0 and result.stderr == ""
    trace = json.loads(out.read_text())
    assert trace["otherData"]["sprig_events_dropped"] == 0
    names = {event["tid"]: event["args"]["name"] for event in trace["traceEvents"] if event["ph"] == "M"}
    # main (1) and ten threads; with several workers each numbers its threads in its own range.
    assert len(names) == 11 and 1 in names, names
    spans = spans_by_thread(trace)
    assert sorted(spans) == sorted(names)
    for tid, thread_spans in spans.items():
        kinds = collections.Counter(span["name"] for span in thread_spans)
        assert kinds["running"] >= 1, (tid, kinds)
        for span in thread_spans:
            assert span["dur"] >= 0 and span["ts"] >= 0
        if tid > 1:  # each worker thread slept 5 times
            assert kinds["parked: sleep"] == 5, (tid, kinds)
    main_kinds = collections.Counter(span["name"] for span in spans[1])
    assert main_kinds["parked: join"] >= 1
    # A thread's spans follow one another: none overlaps the next.
    for thread_spans in spans.values():
        ordered = sorted(thread_spans, key=lambda span: span["ts"])
        for before, after in zip(ordered, ordered[1:]):
            assert before["ts"] + before["dur"] <= after["ts"] + 0.002


def test_trace_is_bounded_by_its_ring_buffer(observe_program, sprig_env, tmp_path):
    out = tmp_path / "trace.json"
    # 100 threads yielding 50 times each: more than 5,000 switches.
    result = subprocess.run([str(observe_program("yield_many.c"))], capture_output=True, text=True, timeout=60,
                            env=sprig_env(SPRIG_TRACE=out, SPRIG_TRACE_EVENTS=1024))
    assert result.returncode == 0 and result.stdout == "yielded\n", result.stderr
    trace = json.loads(out.read_text())
    assert trace["otherData"]["sprig_events"] > 5000
    assert trace["otherData"]["sprig_events_dropped"] == trace["otherData"]["sprig_events"] - 1024
    spans = [event for event in trace["traceEvents"] if event["ph"] == "X"]
    assert 0 < len(spans) <= 2 * 1024 + 101
    assert {span["name"] for span in spans} <= {"running", "runnable", "parked: join", "parked: scheduler call"}
    assert sum(1 for span in spans if span["name"] == "runnable") > 500
