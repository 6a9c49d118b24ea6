"""An MJPEG-over-HTTP camera on loopback for vision/tests/live.rs, as IP cameras serve one:

    python3 mjpeg_server.py PORT DIR FPS

Serves the DIR/*.jpg pictures in name order, in a loop, FPS a second, to every client of
http://127.0.0.1:PORT/video.mjpg as one multipart/x-mixed-replace response, and prints "ready"
once it listens. Standard library only.
"""

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BOUNDARY = "myboundary"


def main():
    port, folder, fps = int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    pictures = [p.read_bytes() for p in sorted(folder.glob("*.jpg"))]

    class Camera(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/video.mjpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            start = time.monotonic()
            sent = 0
            try:
                while True:
                    jpeg = pictures[sent % len(pictures)]
                    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                    self.wfile.write(head.encode() + jpeg + b"\r\n")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(max(0.0, start + sent / fps - time.monotonic()))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Camera)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
