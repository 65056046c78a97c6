# memcached_client.py PORT - stores 10,000 keys in memcached over 8 connections at once (so every
# worker thread gets some), reads every key back, and prints what the server reports.
import socket
import sys
import threading

KEYS = 10000
CONNECTIONS = 8
BATCH = 250

port = int(sys.argv[1])
stored = [0] * CONNECTIONS
read_back = [0] * CONNECTIONS


def value_of(key):
    return b"value-of-%d-" % key + b"x" * (key % 97)


def session(index):
    keys = range(index, KEYS, CONNECTIONS)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        replies = connection.makefile("rb")
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            connection.sendall(b"".join(
                b"set key:%d %d 0 %d\r\n%s\r\n" % (key, key % 65536, len(value_of(key)), value_of(key))
                for key in batch))
            for _ in batch:
                if replies.readline() == b"STORED\r\n":
                    stored[index] += 1
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            connection.sendall(b"get " + b" ".join(b"key:%d" % key for key in batch) + b"\r\n")
            while True:
                header = replies.readline()
                if header in (b"END\r\n", b""):
                    break
                _, name, flags, length = header.split()
                data = replies.read(int(length) + 2)[:-2]
                key = int(name.split(b":")[1])
                if data == value_of(key) and int(flags) == key % 65536:
                    read_back[index] += 1


sessions = [threading.Thread(target=session, args=(index,)) for index in range(CONNECTIONS)]
for thread in sessions:
    thread.start()
for thread in sessions:
    thread.join(timeout=60)

with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
    replies = connection.makefile("rb")
    connection.sendall(b"incr counter 1\r\nset counter 0 0 1\r\n5\r\nincr counter 37\r\ndelete key:0\r\nget key:0\r\n")
    small = [replies.readline().strip().decode() for _ in range(5)]
    connection.sendall(b"stats\r\n")
    stats = {}
    while True:
        line = replies.readline()
        if line in (b"END\r\n", b""):
            break
        _, name, value = line.decode().split(None, 2)
        stats[name] = value.strip()

print(f"stored {sum(stored)} of {KEYS}, read back {sum(read_back)} of {KEYS}")
print(f"incr, set, incr, delete, get: {small}")
print(f"server: threads {stats.get('threads')}, curr_items {stats.get('curr_items')}, "
      f"total_items {stats.get('total_items')}, get_hits {stats.get('get_hits')}")
