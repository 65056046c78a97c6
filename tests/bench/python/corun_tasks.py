"""corun_tasks.py - corun's first workload in Python: 10,000 concurrent tasks that sleep 10-100 ms
each, compute a small checksum and are all joined (tests/examples/corun_tasks.c is its C twin on
sprig's direct API).

usage: python3 corun_tasks.py MODE [TASKS]
  threading  one threading.Thread per task, time.sleep, Thread.join; run natively or under
             LD_PRELOAD=libsprig.so (sprig's green threads)
  gevent     the same threading code after gevent's monkey.patch_all() (greenlets)
  asyncio    one asyncio task per task, asyncio.sleep, asyncio.wait
The sleeps are those of corun_tasks.c: glibc's rand() after srand(42), 10 + rand() % 91 ms, so
sum_sleep_ms is the C program's (552,316 ms for 10,000 tasks). The checksum is FNV-1a over the
task's id, CHECKSUM_ROUNDS rounds (the C program does 1,000; a CPython loop is ~100 times slower,
and 1,000 rounds would make every mode measure the interpreter, not the threads).
Prints "tasks=N finished=F checksum_ok=1 checksum=X sum_sleep_ms=S elapsed_ms=E mode=M" and exits
0 if every task finished in time with the right checksum. Every wait is bounded.
"""

import sys

# gevent must patch before anything else is imported: the threading code below then runs on
# greenlets.
if sys.argv[1:2] == ["gevent"]:
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

MODES = ("threading", "gevent", "asyncio")
JOIN_TIMEOUT_S = 30.0
CHECKSUM_ROUNDS = 16
FNV_OFFSET = 14695981039346656037
FNV_PRIME = 1099511628211
MASK64 = (1 << 64) - 1


def glibc_rand(seed, count):
    """The first count values of glibc's rand() after srand(seed) (random_r's TYPE_3 generator)."""
    state = [seed]
    for i in range(1, 31):
        hi, lo = divmod(state[i - 1], 127773)
        word = 16807 * lo - 2836 * hi
        state.append(word + 2147483647 if word < 0 else word)
    state += state[0:3]
    for i in range(34, 344):
        state.append((state[i - 31] + state[i - 3]) & 0xFFFFFFFF)
    values = []
    for i in range(344, 344 + count):
        state.append((state[i - 31] + state[i - 3]) & 0xFFFFFFFF)
        values.append(state[i] >> 1)
    return values


def little_work(task_id):
    """A small checksum: FNV-1a of the task's id, CHECKSUM_ROUNDS rounds."""
    value = FNV_OFFSET
    for round_ in range(CHECKSUM_ROUNDS):
        value = ((value ^ (task_id + round_)) * FNV_PRIME) & MASK64
    return value


def run_threads(sleeps, results):
    """One thread per task, started one after another, then all joined (each join bounded)."""

    def task(task_id, sleep_ms):
        time.sleep(sleep_ms / 1000)
        results[task_id] = little_work(task_id)

    threads = []
    for task_id, sleep_ms in enumerate(sleeps):
        thread = threading.Thread(target=task, args=(task_id, sleep_ms), daemon=True)
        try:
            thread.start()
        except RuntimeError as error:  # "can't start new thread"
            print(f"corun_tasks: thread {task_id}: {error}", file=sys.stderr)
            break
        threads.append(thread)
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def run_asyncio(sleeps, results):
    async def task(task_id, sleep_ms):
        await asyncio.sleep(sleep_ms / 1000)
        results[task_id] = little_work(task_id)

    async def run_all():
        tasks = [asyncio.create_task(task(task_id, sleep_ms)) for task_id, sleep_ms in enumerate(sleeps)]
        _, pending = await asyncio.wait(tasks, timeout=JOIN_TIMEOUT_S)
        for late in pending:
            late.cancel()

    asyncio.run(run_all())


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        print(f"usage: {sys.argv[0]} {{{','.join(MODES)}}} [TASKS]", file=sys.stderr)
        return 2
    signal.alarm(60)  # a safety net: never outlive a test run
    mode = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    sleeps = [10 + value % 91 for value in glibc_rand(42, count)]
    results = [None] * count

    started = time.monotonic()
    if mode == "asyncio":
        run_asyncio(sleeps, results)
    else:
        run_threads(sleeps, results)
    elapsed_ms = (time.monotonic() - started) * 1000

    finished = sum(result is not None for result in results)
    checksum_ok = all(result == little_work(task_id) for task_id, result in enumerate(results))
    checksum = 0
    for result in results:
        checksum ^= result or 0
    print(f"tasks={count} finished={finished} checksum_ok={int(checksum_ok)} checksum={checksum:016x} "
          f"sum_sleep_ms={sum(sleeps)} elapsed_ms={elapsed_ms:.0f} mode={mode}", flush=True)
    return 0 if finished == count and checksum_ok else 1


if __name__ == "__main__":
    sys.exit(main())
