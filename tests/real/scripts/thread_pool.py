# thread_pool.py - concurrent.futures.ThreadPoolExecutor: 64 workers run 2,000 tasks that sleep,
# lock and hand results back through futures; as_completed, map, wait and exceptions.
import concurrent.futures
import hashlib
import sys
import threading
import time

WORKERS = 64
TASKS = 2000

lock = threading.Lock()
running = 0
most_running = 0


def task(number):
    global running, most_running
    with lock:
        running += 1
        most_running = max(most_running, running)
    time.sleep(0.002)  # parks: the other workers go on
    digest = hashlib.sha256(str(number).encode()).hexdigest()[:8]
    with lock:
        running -= 1
    if number % 500 == 499:
        raise ValueError(f"task {number} failed on purpose")
    return number, digest


with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pool") as pool:
    futures = [pool.submit(task, number) for number in range(TASKS)]
    done = 0
    failed = []
    combined = hashlib.sha256()
    results = {}
    for future in concurrent.futures.as_completed(futures, timeout=60):
        try:
            number, digest = future.result()
            results[number] = digest
            done += 1
        except ValueError as error:
            failed.append(str(error))
    for number in sorted(results):
        combined.update(results[number].encode())
    squares = list(pool.map(lambda x: x * x, range(100), timeout=30))
    waited = concurrent.futures.wait([pool.submit(time.sleep, 0.01) for _ in range(WORKERS)], timeout=30)
    workers_started = len(pool._threads)

print(f"tasks {TASKS}: {done} done, {len(failed)} failed: {sorted(failed)}")
print(f"digest of the results: {combined.hexdigest()[:16]}")
print(f"map: sum of squares {sum(squares)}")
print(f"wait: {len(waited.done)} done, {len(waited.not_done)} not done")
print(f"workers started: {workers_started}, ran at once: more than 1: {most_running > 1}")
print(f"threads left: {threading.active_count()}")
sys.exit(0)
