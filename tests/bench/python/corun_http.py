"""corun_http.py - corun's third workload in Python: a small HTTP/1.1 server and 1,000 concurrent
clients in one process, each client on its own connection (tests/examples/corun_http.c is its C
twin on sprig's direct API).

usage: python3 corun_http.py MODE [CLIENTS]
  threading  a thread that accepts, one threading.Thread per connection, one per client, on
             blocking sockets with a timeout; run natively or under LD_PRELOAD=libsprig.so
  gevent     the same threading code after gevent's monkey.patch_all() (greenlets)
  asyncio    asyncio.start_server and one asyncio task per client, on asyncio streams
The server listens on 127.0.0.1 (a free port) and answers GET /page?id=N with a page naming N
(corun_http.c's page); each client reads the response by its Content-Length and checks the body.
Prints "fetched=F ok=K served=S elapsed_ms=E mode=M" and exits 0 if every client got its page.
Every wait is bounded: socket timeouts for threads, one overall timeout for asyncio.
"""

import sys

# gevent must patch before anything else is imported: the threading code below then runs on
# greenlets and gevent's sockets.
if sys.argv[1:2] == ["gevent"]:
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

MODES = ("threading", "gevent", "asyncio")
IO_TIMEOUT_S = 20.0
JOIN_TIMEOUT_S = 30.0
MAX_HEAD = 2048
MAX_BODY = 4096
BACKLOG = 4096
REQUEST_LINE = re.compile(rb"GET /page\?id=(\d+) HTTP/1\.1\r\n")
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)\r\n", re.IGNORECASE)
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class ProtocolError(Exception):
    pass


def render_page(client_id):
    """The page for client_id: a line naming it, then some filler lines (corun_http.c's page)."""
    lines = [f"<html><body><h1>page for client {client_id}</h1>\n"]
    lines += [f"<p>line {line} of client {client_id}</p>\n" for line in range(20)]
    lines.append("</body></html>\n")
    return "".join(lines).encode()


def response_to(head):
    """The response to a request head, and whether it is a page (not a 400)."""
    match = REQUEST_LINE.match(head)
    if match is None:
        return BAD_REQUEST, False
    body = render_page(int(match.group(1)))
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)), True


def request_for(client_id, port):
    return f"GET /page?id={client_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()


def body_length(head):
    """The Content-Length of a 200 response's head (the head ends with its blank line)."""
    if not head.startswith(b"HTTP/1.1 200 "):
        raise ProtocolError("status line " + repr(head.partition(b"\r\n")[0]))
    match = CONTENT_LENGTH.search(head)
    if match is None or int(match.group(1)) > MAX_BODY:
        raise ProtocolError("no Content-Length, or too long")
    return int(match.group(1))


class Counts:
    """What the clients and the server did; threads add to it under its lock."""

    def __init__(self):
        self.fetched = 0  # a 200 response with a whole body came back
        self.ok = 0  # and it was the page asked for
        self.served = 0  # pages the server wrote whole
        self.lock = threading.Lock()

    def add(self, fetched=0, ok=0, served=0):
        with self.lock:
            self.fetched += fetched
            self.ok += ok
            self.served += served


def open_listener():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(BACKLOG)
    return listener


# ---- threads (natively, under sprig, or gevent's greenlets) -----------------------------------


def read_head(sock):
    """Reads until the blank line that ends the head: (head, the body bytes that came with it)."""
    data = b""
    while len(data) < MAX_HEAD:
        chunk = sock.recv(MAX_HEAD - len(data))
        if not chunk:
            raise ProtocolError("connection closed in the head")
        data += chunk
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            return data[:end + 4], data[end + 4:]
    raise ProtocolError("head too long")


def serve_connection(conn, counts):
    with conn:
        try:
            conn.settimeout(IO_TIMEOUT_S)
            head, _ = read_head(conn)
            response, is_page = response_to(head)
            conn.sendall(response)
            counts.add(served=int(is_page))
        except (OSError, ProtocolError) as error:
            print(f"corun_http: server connection: {error!r}", file=sys.stderr)


def run_server(listener, connections_wanted, counts):
    """Accepts the expected number of connections, one thread each, and joins them."""
    handlers = []
    listener.settimeout(IO_TIMEOUT_S)
    try:
        for _ in range(connections_wanted):
            conn, _ = listener.accept()
            handler = threading.Thread(target=serve_connection, args=(conn, counts), daemon=True)
            handler.start()
            handlers.append(handler)
    except (OSError, RuntimeError) as error:
        print(f"corun_http: accept: {error!r}", file=sys.stderr)
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for handler in handlers:
        handler.join(max(0.0, deadline - time.monotonic()))


def fetch_page(client_id, port, counts):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as sock:
            sock.sendall(request_for(client_id, port))
            head, body = read_head(sock)
            length = body_length(head)
            while len(body) < length:
                chunk = sock.recv(length - len(body))
                if not chunk:
                    raise ProtocolError("connection closed in the body")
                body += chunk
        counts.add(fetched=1, ok=int(body == render_page(client_id)))
    except (OSError, ProtocolError) as error:
        print(f"corun_http: client {client_id}: {error!r}", file=sys.stderr)


def run_threads(client_count, counts):
    listener = open_listener()
    port = listener.getsockname()[1]
    server = threading.Thread(target=run_server, args=(listener, client_count, counts), daemon=True)
    server.start()
    clients = []
    for client_id in range(client_count):
        client = threading.Thread(target=fetch_page, args=(client_id, port, counts), daemon=True)
        try:
            client.start()
        except RuntimeError as error:  # "can't start new thread"
            print(f"corun_http: client {client_id}: {error}", file=sys.stderr)
            break
        clients.append(client)
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for thread in clients + [server]:
        thread.join(max(0.0, deadline - time.monotonic()))
    listener.close()


# ---- asyncio ------------------------------------------------------------------------------------


async def async_read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEAD:
        raise ProtocolError("head too long")
    return head


async def async_serve(reader, writer, counts):
    try:
        head = await async_read_head(reader)
        response, is_page = response_to(head)
        writer.write(response)
        await writer.drain()
        counts.add(served=int(is_page))
    except (OSError, ProtocolError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        print(f"corun_http: server connection: {error!r}", file=sys.stderr)
    finally:
        writer.close()


async def async_fetch(client_id, port, counts):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request_for(client_id, port))
            await writer.drain()
            head = await async_read_head(reader)
            body = await reader.readexactly(body_length(head))
        finally:
            writer.close()
        counts.add(fetched=1, ok=int(body == render_page(client_id)))
    except (OSError, ProtocolError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        print(f"corun_http: client {client_id}: {error!r}", file=sys.stderr)


def run_asyncio(client_count, counts):
    handlers = []

    def on_connection(reader, writer):
        handler = asyncio.create_task(async_serve(reader, writer, counts))
        handlers.append(handler)

    async def run_all():
        server = await asyncio.start_server(on_connection, "127.0.0.1", 0, backlog=BACKLOG)
        port = server.sockets[0].getsockname()[1]
        clients = [asyncio.create_task(async_fetch(client_id, port, counts)) for client_id in range(client_count)]
        _, pending = await asyncio.wait(clients, timeout=JOIN_TIMEOUT_S)
        for late in pending:
            late.cancel()
        if pending:
            print(f"corun_http: {len(pending)} clients still running after {JOIN_TIMEOUT_S:g} s", file=sys.stderr)
            await asyncio.wait(pending, timeout=1.0)
        server.close()
        await asyncio.wait_for(server.wait_closed(), timeout=IO_TIMEOUT_S)
        if handlers:
            await asyncio.wait(handlers, timeout=IO_TIMEOUT_S)

    asyncio.run(run_all())


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        print(f"usage: {sys.argv[0]} {{{','.join(MODES)}}} [CLIENTS]", file=sys.stderr)
        return 2
    signal.alarm(60)  # a safety net: never outlive a test run
    mode = sys.argv[1]
    client_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    counts = Counts()

    started = time.monotonic()
    if mode == "asyncio":
        run_asyncio(client_count, counts)
    else:
        run_threads(client_count, counts)
    elapsed_ms = (time.monotonic() - started) * 1000

    ok = counts.fetched == client_count and counts.ok == client_count and counts.served == client_count
    print(f"fetched={counts.fetched} ok={counts.ok} served={counts.served} elapsed_ms={elapsed_ms:.0f} "
          f"mode={mode}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
