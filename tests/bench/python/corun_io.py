"""corun_io.py - corun's second workload in Python: pairs of tasks ping-pong messages over
socketpairs (tests/examples/corun_io.c is its C twin on sprig's direct API).

usage: python3 corun_io.py MODE [PAIRS] [MESSAGES]
  threading  two threading.Threads per pair on blocking sockets with a timeout; run natively or
             under LD_PRELOAD=libsprig.so (sprig's green threads)
  gevent     the same threading code after gevent's monkey.patch_all() (greenlets)
  asyncio    two asyncio tasks per pair on asyncio streams over the same socketpairs
For each pair a pinger sends MESSAGES 64-byte requests, one at a time, and checks each reply; a
ponger answers each (value * 3 + 1, text "pong"). Every pair talks over an AF_UNIX socketpair:
corun_io.c gives odd pairs two pipes instead, but a pipe is not natural in all three modes (gevent
does not patch os.read on a pipe: a blocking read would stop every greenlet), so here there are
socketpairs only. Nor are there corun_io.c's four file writes offloaded to its thread pool: the
workload is the ping-pong.
Prints "pairs=P messages=M exchanged=X ok=1 checksum=C elapsed_ms=E mode=M" and exits 0 if every
reply was right. Every wait is bounded: socket timeouts for threads, one overall timeout for asyncio.
"""

import sys

# gevent must patch before anything else is imported: the threading code below then runs on
# greenlets and gevent's sockets.
if sys.argv[1:2] == ["gevent"]:
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

MODES = ("threading", "gevent", "asyncio")
IO_TIMEOUT_S = 20.0
JOIN_TIMEOUT_S = 30.0
# pair, seq, value, text: the 64 bytes of corun_io.c's struct message
MESSAGE = struct.Struct("<IIQ48s")
MASK64 = (1 << 64) - 1


def request_of(pair, seq):
    return (pair, seq, (pair * 1000003 + seq) & MASK64, f"ping {pair}/{seq}".encode())


def reply_to(message):
    pair, seq, value, text = message
    return pair, seq, (value * 3 + 1) & MASK64, b"pong" + text[4:]


def reply_is_right(reply, request):
    return (reply[0] == request[0] and reply[1] == request[1] and reply[2] == (request[2] * 3 + 1) & MASK64
            and reply[3].startswith(b"pong"))


class Pair:
    def __init__(self, index, messages):
        self.index = index
        self.messages = messages
        self.pinger_end, self.ponger_end = socket.socketpair()
        self.good_replies = 0
        self.checksum = 0  # the sum of the reply values, mod 2**64

    def close(self):
        self.pinger_end.close()
        self.ponger_end.close()

    def count(self, reply, request):
        if reply_is_right(reply, request):
            self.good_replies += 1
            self.checksum = (self.checksum + reply[2]) & MASK64


def expected_checksum(pair_count, messages):
    total = 0
    for pair in range(pair_count):
        for seq in range(messages):
            total += request_of(pair, seq)[2] * 3 + 1
    return total & MASK64


# ---- threads (natively, under sprig, or gevent's greenlets) -----------------------------------


def receive_message(sock):
    """One whole message from a blocking socket, or None at end of stream; socket.timeout past the
    socket's timeout."""
    data = b""
    while len(data) < MESSAGE.size:
        chunk = sock.recv(MESSAGE.size - len(data))
        if not chunk:
            return None
        data += chunk
    return MESSAGE.unpack(data)


def run_pinger(pair):
    sock = pair.pinger_end
    try:
        for seq in range(pair.messages):
            request = request_of(pair.index, seq)
            sock.sendall(MESSAGE.pack(*request))
            reply = receive_message(sock)
            if reply is None:
                break
            pair.count(reply, request)
    except OSError as error:
        print(f"corun_io: pinger {pair.index}: {error}", file=sys.stderr)


def run_ponger(pair):
    sock = pair.ponger_end
    try:
        for _ in range(pair.messages):
            message = receive_message(sock)
            if message is None:
                break
            sock.sendall(MESSAGE.pack(*reply_to(message)))
    except OSError as error:
        print(f"corun_io: ponger {pair.index}: {error}", file=sys.stderr)


def run_threads(pairs):
    threads = []
    for pair in pairs:
        pair.pinger_end.settimeout(IO_TIMEOUT_S)
        pair.ponger_end.settimeout(IO_TIMEOUT_S)
        for body in (run_pinger, run_ponger):
            thread = threading.Thread(target=body, args=(pair,), daemon=True)
            try:
                thread.start()
            except RuntimeError as error:  # "can't start new thread"
                print(f"corun_io: thread for pair {pair.index}: {error}", file=sys.stderr)
                return
            threads.append(thread)
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


# ---- asyncio ------------------------------------------------------------------------------------


async def async_pinger(pair):
    reader, writer = await asyncio.open_connection(sock=pair.pinger_end)
    try:
        for seq in range(pair.messages):
            request = request_of(pair.index, seq)
            writer.write(MESSAGE.pack(*request))
            await writer.drain()
            reply = MESSAGE.unpack(await reader.readexactly(MESSAGE.size))
            pair.count(reply, request)
    except (OSError, asyncio.IncompleteReadError) as error:
        print(f"corun_io: pinger {pair.index}: {error!r}", file=sys.stderr)
    finally:
        writer.close()


async def async_ponger(pair):
    reader, writer = await asyncio.open_connection(sock=pair.ponger_end)
    try:
        for _ in range(pair.messages):
            message = MESSAGE.unpack(await reader.readexactly(MESSAGE.size))
            writer.write(MESSAGE.pack(*reply_to(message)))
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError) as error:
        print(f"corun_io: ponger {pair.index}: {error!r}", file=sys.stderr)
    finally:
        writer.close()


def run_asyncio(pairs):
    async def run_all():
        tasks = []
        for pair in pairs:
            tasks.append(asyncio.create_task(async_pinger(pair)))
            tasks.append(asyncio.create_task(async_ponger(pair)))
        _, pending = await asyncio.wait(tasks, timeout=JOIN_TIMEOUT_S)
        for late in pending:
            late.cancel()
        if pending:
            print(f"corun_io: {len(pending)} tasks still running after {JOIN_TIMEOUT_S:g} s", file=sys.stderr)
            await asyncio.wait(pending, timeout=1.0)

    asyncio.run(run_all())


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        print(f"usage: {sys.argv[0]} {{{','.join(MODES)}}} [PAIRS] [MESSAGES]", file=sys.stderr)
        return 2
    signal.alarm(60)  # a safety net: never outlive a test run
    mode = sys.argv[1]
    pair_count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    messages = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    pairs = [Pair(index, messages) for index in range(pair_count)]

    started = time.monotonic()
    if mode == "asyncio":
        run_asyncio(pairs)
    else:
        run_threads(pairs)
    elapsed_ms = (time.monotonic() - started) * 1000

    for pair in pairs:
        pair.close()
    exchanged = sum(pair.good_replies for pair in pairs)
    checksum = sum(pair.checksum for pair in pairs) & MASK64
    ok = exchanged == pair_count * messages and checksum == expected_checksum(pair_count, messages)
    print(f"pairs={pair_count} messages={messages} exchanged={exchanged} ok={int(ok)} checksum={checksum:016x} "
          f"elapsed_ms={elapsed_ms:.0f} mode={mode}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
