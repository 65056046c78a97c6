# threading_sync.py - 1,000 Python threads meeting on a Lock, an RLock, a Condition, a Semaphore,
# an Event, a Barrier and queue.Queue; prints only results that do not depend on scheduling.
import queue
import sys
import threading
import time

THREADS = 1000
ROUNDS = 20

counter_lock = threading.Lock()
reentrant = threading.RLock()
counter = 0
arrived = 0
arrival = threading.Condition()
gate = threading.Event()
room = threading.Semaphore(50)
in_room = 0
most_in_room = 0
room_lock = threading.Lock()
barrier = threading.Barrier(THREADS)
work = queue.Queue()
answers = queue.Queue()
peak_alive = 0


def worker(index):
    global counter, arrived, in_room, most_in_room, peak_alive
    # Condition: everyone arrives before anyone goes on (all 1,000 alive at once).
    with arrival:
        arrived += 1
        peak_alive = max(peak_alive, threading.active_count() - 1)
        arrival.notify_all()
        while arrived < THREADS:
            arrival.wait(timeout=10)
    gate.wait(timeout=10)
    for _ in range(ROUNDS):
        with counter_lock:
            counter += 1
        with reentrant:
            with reentrant:
                counter_value = counter
    del counter_value
    # Semaphore: at most 50 inside at once; a short sleep inside makes them overlap.
    with room:
        with room_lock:
            in_room += 1
            most_in_room = max(most_in_room, in_room)
        time.sleep(0.001)
        with room_lock:
            in_room -= 1
    position = barrier.wait(timeout=20)
    # Queue: take jobs until the sentinel, answer each.
    while True:
        job = work.get(timeout=10)
        if job is None:
            work.task_done()
            break
        answers.put(job * job)
        work.task_done()
    return position


threads = [threading.Thread(target=worker, args=(i,), name=f"w{i}") for i in range(THREADS)]
for thread in threads:
    thread.start()
with arrival:
    while arrived < THREADS:
        arrival.wait(timeout=10)
gate.set()
for job in range(5000):
    work.put(job)
for _ in range(THREADS):
    work.put(None)
work.join()
for thread in threads:
    thread.join(timeout=30)
alive = sum(thread.is_alive() for thread in threads)
total = 0
count = 0
while not answers.empty():
    total += answers.get_nowait()
    count += 1
print(f"threads {THREADS}, all alive at once: {peak_alive == THREADS}")
print(f"lock counter {counter} (want {THREADS * ROUNDS})")
print(f"semaphore: never more than 50 inside: {most_in_room <= 50}, more than one at once: {most_in_room > 1}")
print(f"queue answers {count}, sum of squares {total} (want {sum(j * j for j in range(5000))})")
print(f"still alive after join: {alive}, active_count {threading.active_count()}")
sys.exit(0 if alive == 0 else 1)
