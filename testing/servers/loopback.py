"""A threaded HTTP server on 127.0.0.1 (port chosen by the OS) that passes every request to one function."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

Handle = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    def __init__(self, handle: Handle, name: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                handle(self)

            def do_POST(self) -> None:
                handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # tests read what they need from the server's own records

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test that stops a server.
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=name, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class LoopbackService:
    """`start()`, `stop()` and `url` for a test server whose requests all go to its `_handle` method."""

    _thread_name: ClassVar[str]
    _http: LoopbackServer | None = None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._http = LoopbackServer(self._handle, self._thread_name)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    @property
    def url(self) -> str:
        assert self._http is not None, f"{type(self).__name__}.start() first"
        return self._http.url


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)
