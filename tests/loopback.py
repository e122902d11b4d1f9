"""A loopback HTTP server for tests: scripted routes, a request log, and hostile behaviours
(hanging, drip-feeding, endless bodies, compression bombs, redirect loops and redirects to loopback,
401/410/429 with Retry-After, a reset mid-body, a lying Content-Length). Binds 127.0.0.1 only; never
touches the internet. Every request is logged, whatever its method, before it is answered."""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
import zlib
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

    def do_OTHER(self) -> None:
        """Any other method is logged too (so a test sees it), and refused."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log.append(Seen(self.command, self.path, headers, self.client_address[1]))
        self.send(Response(405, b"", {"Allow": "GET"}))

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_OTHER

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

    # -- scripted faults (issue 7) ------------------------------------------------------------
    def paths(self) -> list[str]:
        """Every path asked for, in order (the query left on)."""
        return [s.path for s in self.log]

    def bomb(self, path: str, size: int = 1 << 30, encoding: str = "gzip") -> None:
        """A compression bomb: `size` bytes of zeros (1 GiB by default) sent as about size/1000 bytes of
        gzip or deflate (Content-Encoding: `encoding`)."""
        packed = zeros_compressed(size, encoding)
        self.routes[path] = lambda h: Response(
            200, packed, {"Content-Type": "application/rss+xml", "Content-Encoding": encoding}
        )

    def redirect_loop(self, *paths: str, status: int = 302) -> None:
        """Each path redirects to the next, the last to the first: a loop that never ends."""
        for here, there in zip(paths, (*paths[1:], paths[0]), strict=True):
            self.redirect(here, there, status)

    def redirect_to_loopback(
        self, path: str, target: str = "/secret", host: str = "127.0.0.1", status: int = 302
    ) -> str:
        """Redirect `path` to `target` on this server written as `host` (127.0.0.1, [::ffff:127.0.0.1],
        2130706433, 0x7f.1, ...); returns the Location sent."""
        location = f"http://{host}:{self.server_address[1]}{target}"
        self.redirect(path, location, status)
        return location

    def status(self, path: str, status: int, retry_after: str | None = None, **headers: str) -> None:
        """An error answer: 401 (with a Basic challenge unless given), 410, 429 or 503 with Retry-After..."""
        extra = dict(headers)
        if retry_after is not None:
            extra["Retry-After"] = retry_after
        if status == 401:
            extra.setdefault("WWW-Authenticate", 'Basic realm="tidings-test"')
        self.routes[path] = lambda h: Response(status, b"", extra)

    def reset_mid_body(self, path: str, body: bytes, after: int) -> None:
        """Headers promising `body`, its first `after` bytes, then a TCP reset (RST)."""

        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[:after])
            h.wfile.flush()
            h.close_connection = True
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()

        self.routes[path] = route

    def wrong_length(self, path: str, body: bytes, declared: int) -> None:
        """`body` sent under a Content-Length of `declared` (more or fewer bytes), then the connection closed."""

        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(declared))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            h.close_connection = True

        self.routes[path] = route


@functools.cache
def zeros_compressed(size: int, encoding: str = "gzip", step: int = 1 << 20) -> bytes:
    """`size` zeros compressed, built in milliseconds: after a full flush the compressor starts afresh, so
    each `step` of zeros compresses to the same bytes, which are repeated instead of recomputed."""
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(bytes(step)) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush(zlib.Z_FINISH)
    count, rest = divmod(size, step)
    assert rest == 0, "size must be a multiple of step"
    if wbits == 31:
        crc = 0
        zero = bytes(step)
        for _ in range(count):
            crc = zlib.crc32(zero, crc)
        head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return head + block * count + end + struct.pack("<II", crc, size & 0xFFFFFFFF)
    adler = 1
    zero = bytes(step)
    for _ in range(count):
        adler = zlib.adler32(zero, adler)
    return b"\x78\xda" + block * count + end + struct.pack(">I", adler)


def read_data(*parts: str) -> bytes:
    return DATA.joinpath(*parts).read_bytes()
