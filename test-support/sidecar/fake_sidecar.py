"""Test double for the supervisor: speaks the sidecar's ready-line protocol with no model behind it.

Modes: ok (serves /health and /slow), exit (writes to stderr and exits at once),
noready (never prints the ready line), hang (ready, then /health never answers).
"""

import http.server
import json
import os
import sys
import threading
import time

mode = sys.argv[sys.argv.index("--mode") + 1] if "--mode" in sys.argv else "ok"
secret = os.environ.get("ORCHARD_SIDECAR_SECRET", "")


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if mode == "exit":
    sys.stderr.write("Traceback (most recent call last):\n")
    sys.stderr.write("RuntimeError: fake sidecar refuses to start\n")
    sys.stderr.flush()
    sys.exit(3)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.headers.get("Authorization") != f"Bearer {secret}":
            self.send_response(401)
            self.end_headers()
            return
        if self.path == "/health":
            if mode == "hang":
                time.sleep(3600)
            body = json.dumps({"status": "ok", "pid": os.getpid()}).encode()
        elif self.path == "/slow":
            time.sleep(3600)
            body = b"{}"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
out({"ts": time.time(), "level": "info", "event": "starting", "mode": mode})
sys.stderr.write("fake sidecar: a line on stderr\n")
sys.stderr.flush()
if mode != "noready":
    out({"event": "ready", "port": server.server_address[1], "pid": os.getpid()})
threading.Thread(target=server.serve_forever, daemon=True).start()
while True:
    time.sleep(3600)
