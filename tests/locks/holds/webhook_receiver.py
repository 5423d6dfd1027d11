"""A local webhook receiver for tests and the fault script: verifies signatures, records deliveries,
acknowledges duplicates idempotently, and can be told to fail the first N attempts."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-SC-Timestamp"]
                expected = (
                    "v1="
                    + hmac.new(receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                # One signature per signing secret (two while a rotation overlaps): any one of them will do.
                offered = (self.headers["X-SC-Signature"] or "").split(",")
                with receiver.lock:
                    if not any(hmac.compare_digest(expected, part.strip()) for part in offered):
                        receiver.bad_signatures += 1
                        self.send_response(401)
                    elif receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        self.send_response(503)
                    else:
                        receiver.requests.append(
                            {
                                "delivery": self.headers["X-SC-Delivery"],
                                "event": self.headers["X-SC-Event"],
                                **json.loads(body),
                            }
                        )
                        self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def unique_deliveries(self) -> dict[str, dict]:
        with self.lock:
            return {r["delivery"]: r for r in self.requests}
