"""A tiny stand-in for LINE's Messaging API on 127.0.0.1: it dedupes pushes by X-Line-Retry-Key as LINE does
(a repeated key answers 409 and is not delivered again), can be told to answer 429 or 500, and can hold its
answer to a push it has accepted (`hold_when`), so a test knows the sender is mid-send."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLine:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []  # every push that reached us
        self.delivered: list[dict] = []  # what a member's phone would show
        self.accepted: dict[str, str] = {}  # retry key -> request id
        self.answer = 200  # 200, 429 or 500
        self.lock = threading.Lock()
        # the first push whose text this accepts is delivered, then answered only once `release` is set
        self.hold_when: Callable[[str], bool] | None = None
        self.holding = threading.Event()  # set when that push has arrived (and been delivered)
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:  # noqa: ANN002
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("X-Line-Retry-Key")
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "retry_key": key,
                            "auth": self.headers.get("Authorization"),
                            "body": json.loads(raw or b"{}"),
                        }
                    )
                    if fake.answer != 200:
                        status, out, headers = fake.answer, {"message": "try later"}, {}
                    elif key and key in fake.accepted:
                        status, out = 409, {"message": "The retry key is already accepted"}
                        headers = {"x-line-accepted-request-id": fake.accepted[key]}
                    else:
                        rid = str(uuid.uuid4())
                        if key:
                            fake.accepted[key] = rid
                        fake.delivered.append(fake.requests[-1])
                        status, out, headers = 200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}, {"x-line-request-id": rid}
                    hold = status == 200 and fake.hold_when is not None and fake.hold_when(pushed_text(fake.requests[-1]))
                    if hold:
                        fake.hold_when = None
                if hold:
                    fake.holding.set()
                    fake.release.wait(60)
                data = json.dumps(out).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the sender is gone (a killed worker): LINE has the message all the same
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeLine:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def pushed_text(request: dict) -> str:
    return " ".join(m.get("text", "") for m in request["body"].get("messages") or [])
