# socketserver_clients.py - socketserver.ThreadingTCPServer (a thread per connection) and 1,000
# client threads in the same process, all connected at once, each sending a line and reading
# back the server's answer.
import socket
import socketserver
import sys
import threading

CLIENTS = 1000


class UpperCase(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(256)
        self.wfile.write(line.upper())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = CLIENTS


server = Server(("127.0.0.1", 0), UpperCase)
port = server.server_address[1]
serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
serving.start()

all_connected = threading.Barrier(CLIENTS + 1)
answers = [None] * CLIENTS


def client(index):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        all_connected.wait(timeout=30)
        connection.sendall(b"hello from client %d\n" % index)
        received = b""
        while not received.endswith(b"\n"):
            chunk = connection.recv(256)
            if not chunk:
                break
            received += chunk
        answers[index] = received


clients = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
for thread in clients:
    thread.start()
all_connected.wait(timeout=30)
# 1,000 client threads, the server thread and main are alive; the handler threads come and go.
print(f"clients connected at once: {CLIENTS}")
for thread in clients:
    thread.join(timeout=30)
server.shutdown()
serving.join(timeout=10)
server.server_close()
right = sum(answers[index] == b"HELLO FROM CLIENT %d\n" % index for index in range(CLIENTS))
print(f"right answers: {right} of {CLIENTS}")
print(f"example: {answers[7]!r}")
sys.exit(0 if right == CLIENTS else 1)
