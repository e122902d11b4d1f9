"""A loopback HTTP server for tests: scripted routes, a request log, and hostile behaviours
(hanging, drip-feeding, endless bodies). Binds 127.0.0.1 only; never touches the internet."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    client_port: int = 0


Route = Callable[["Handler"], Response | None]  # None: the route wrote (or refused) the answer itself


class Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log.append(Seen("GET", self.path, headers, self.client_address[1]))
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            self.send(Response(404, b"not found\n", {"Content-Type": "text/plain"}))
            return
        response = route(self)
        if response is not None:
            self.send(response)

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {"Content-Length": str(len(response.body)), **response.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(response.body)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = {}
        self.log: list[Seen] = []
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (timeouts, size caps) is expected here."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.log if s.path.split("?")[0] == path]

    # -- route builders ------------------------------------------------------------------------
    def serve(self, path: str, body: bytes, content_type: str = "application/xml", **headers: str) -> None:
        self.routes[path] = lambda h: Response(200, body, {"Content-Type": content_type, **headers})

    def serve_conditional(
        self, path: str, body: bytes, etag: str, last_modified: str, content_type: str = "application/rss+xml"
    ) -> None:
        """ETag / Last-Modified validators: answers 304 when the client sends them back."""

        def route(h: Handler) -> Response:
            validators = {"ETag": etag, "Last-Modified": last_modified}
            if h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == last_modified:
                return Response(304, b"", validators)
            return Response(200, body, {"Content-Type": content_type, **validators})

        self.routes[path] = route

    def serve_gzip(self, path: str, body: bytes, content_type: str = "application/xml") -> None:
        packed = gzip.compress(body)
        self.routes[path] = lambda h: Response(
            200, packed, {"Content-Type": content_type, "Content-Encoding": "gzip"}
        )

    def serve_basic(
        self, path: str, body: bytes, user: str, password: str, content_type: str = "application/rss+xml"
    ) -> None:
        """HTTP Basic: the body for the right login, else 401 with a Basic challenge."""
        import base64

        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._guarded(path, body, content_type, expected, 'Basic realm="tidings-test"')

    def serve_bearer(
        self, path: str, body: bytes, token: str, content_type: str = "application/rss+xml"
    ) -> None:
        """A bearer token: the body for the right one, else 401 with a Bearer challenge."""
        self._guarded(path, body, content_type, f"Bearer {token}", 'Bearer realm="tidings-test"')

    def _guarded(self, path: str, body: bytes, content_type: str, expected: str, challenge: str) -> None:
        def route(h: Handler) -> Response:
            if h.headers.get("Authorization") == expected:
                return Response(200, body, {"Content-Type": content_type})
            return Response(
                401, b"login needed\n", {"Content-Type": "text/plain", "WWW-Authenticate": challenge}
            )

        self.routes[path] = route

    def redirect(self, path: str, target: str, status: int = 301) -> None:
        self.routes[path] = lambda h: Response(status, b"", {"Location": target})

    def hang(self, path: str, seconds: float) -> None:
        """Accept the request and say nothing for `seconds`."""

        def route(h: Handler) -> None:
            time.sleep(seconds)

        self.routes[path] = route

    def drip(self, path: str, seconds: float, chunk: bytes = b"<") -> None:
        """Headers at once, then one byte now and then: never times out per read, never ends."""

        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Connection", "close")  # no length: the body ends when the connection does
            h.end_headers()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    h.wfile.write(chunk)
                    h.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)

        self.routes[path] = route

    def endless(self, path: str, limit: int = 200 * 1024 * 1024) -> None:
        """A chunked body that goes on (up to `limit` bytes, so the test itself stays bounded)."""

        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            block = b"<rss>" + b"x" * 65531
            sent = 0
            try:
                while sent < limit:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                    sent += len(block)
            except OSError:
                return

        self.routes[path] = route


def read_data(*parts: str) -> bytes:
    return DATA.joinpath(*parts).read_bytes()
