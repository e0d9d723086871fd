"""A fake OpenAI-compatible server on 127.0.0.1, no model: it answers each request in a thread of its own and logs it.

How long a chat request takes, what it answers and whether it fails are set per request body, so tests can make
replies arrive out of order, count the requests in flight at once and fail one request among many.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = dict[str, Any]


class FakeOpenAI:
    """Serves `GET /v1/models` (the listing `models`) and `POST /v1/chat/completions`; logs every request in `received`.

    Each entry of `received` has the request's method, path, decoded body, Authorization header, all its headers and raw
    body, and the monotonic times it `arrived` and `finished` (taken before the response is written, so a client never
    sees an answer whose request still counts as in flight). `peak` is the most requests handled at once.
    """

    def __init__(
        self,
        models: Body,
        *,
        reply: Callable[[Body], str] = lambda _: "Bonjour 👋",
        delay: Callable[[Body], float] = lambda _: 0.0,
        fail: Callable[[Body], int | None] = lambda _: None,
    ) -> None:
        self.models, self.reply, self.delay, self.fail = copy.deepcopy(models), reply, delay, fail
        self.received: list[dict[str, Any]] = []
        self.in_flight = self.peak = 0
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def methods(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.received]

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["method"] == "POST"]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _arrive(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(entry)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def _finish(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["finished"] = time.monotonic()
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                entry = self.log_arrival(None)
                if not self.path.endswith("/models"):
                    self.answer(entry, 404, {"error": "Not Found"})
                    return
                listing = copy.deepcopy(server.models)
                for item in listing.get("data", []) if isinstance(listing.get("data"), list) else []:
                    item["created"] = time.time_ns()  # as llama.cpp: the time of the request
                self.answer(entry, 200, listing)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                entry = self.log_arrival(raw)
                body = entry["body"]
                time.sleep(server.delay(body))
                if status := server.fail(body):
                    self.answer(entry, status, {"error": {"message": "planted failure"}})
                    return
                choice = {"index": 0, "message": {"role": "assistant", "content": server.reply(body)}}
                self.answer(entry, 200, {"id": "x", "object": "chat.completion", "choices": [choice]})

            def log_arrival(self, raw: bytes | None) -> dict[str, Any]:
                entry = {
                    "method": self.command,
                    "path": self.path,
                    "body": None if raw is None else json.loads(raw),
                    "auth": self.headers.get("Authorization"),
                    "headers": self.headers.items(),
                    "raw": raw,
                    "arrived": time.monotonic(),
                }
                server._arrive(entry)
                return entry

            def answer(self, entry: dict[str, Any], status: int, payload: Body) -> None:
                data = json.dumps(payload).encode()
                server._finish(entry)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
