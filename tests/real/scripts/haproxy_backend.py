# haproxy_backend.py - the backend of test_haproxy.py, run natively: an HTTP/1.1 keep-alive server on a
# free loopback port (printed) that answers every GET with a short text. (http.server's own handler
# speaks HTTP/1.0 and closes each connection, and its listen backlog of 5 makes wrk time out.)
import http.server

BODY = b"hello from the backend\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024


with Server(("127.0.0.1", 0), Handler) as server:
    print(f"listening on 127.0.0.1 port {server.server_address[1]}", flush=True)
    server.serve_forever()
