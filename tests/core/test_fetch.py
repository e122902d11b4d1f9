"""The fetcher against a loopback server: validators, compression, redirects, limits, errors in words."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib

import brotli
import pytest

from tests.loopback import LoopbackServer, Response
from tidings.core.errors import FetchError
from tidings.core.fetch import Fetcher, FetchRequest, FetchResult, retry_after_seconds
from tidings.core.models import FetchPolicy

FAST = FetchPolicy(connect_timeout=1, read_timeout=1, deadline=3, max_bytes=1024 * 1024)
BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def fetch(request: FetchRequest, policy: FetchPolicy = FAST) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(policy) as fetcher:
            return await fetcher.fetch(request)

    return asyncio.run(go())


def test_conditional_get_sends_validators_and_gets_304(server: LoopbackServer) -> None:
    server.serve_conditional("/f.xml", BODY, '"v1"', "Mon, 02 Jan 2023 00:00:00 GMT")
    first = fetch(FetchRequest(server.url("/f.xml")))
    assert first.status == 200 and first.body == BODY and first.etag == '"v1"'
    second = fetch(FetchRequest(server.url("/f.xml"), etag=first.etag, last_modified=first.last_modified))
    assert second.not_modified and second.body == b""
    sent = server.requests_to("/f.xml")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Jan 2023 00:00:00 GMT"


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),
    ],  # raw deflate, as some servers send
)
def test_compressed_bodies_are_decoded(server: LoopbackServer, encoding: str, pack: object) -> None:
    packed = pack(BODY)  # type: ignore[operator]
    server.routes["/c.xml"] = lambda h: Response(200, packed, {"Content-Encoding": encoding})
    result = fetch(FetchRequest(server.url("/c.xml")))
    assert result.body == BODY
    assert "br" in server.log[0].headers["accept-encoding"]


def test_permanent_redirect_chain_reports_the_new_address(server: LoopbackServer) -> None:
    server.redirect("/old.xml", "/older.xml", 301)
    server.redirect("/older.xml", server.url("/new.xml"), 308)
    server.serve("/new.xml", BODY)
    result = fetch(FetchRequest(server.url("/old.xml")))
    assert result.body == BODY and result.moved_to == server.url("/new.xml")


def test_temporary_redirect_keeps_the_address(server: LoopbackServer) -> None:
    server.redirect("/old.xml", "/tmp.xml", 301)
    server.redirect("/tmp.xml", "/new.xml", 302)
    server.serve("/new.xml", BODY)
    result = fetch(FetchRequest(server.url("/old.xml")))
    assert result.body == BODY and result.moved_to is None


def test_at_most_five_redirects(server: LoopbackServer) -> None:
    for i in range(10):
        server.redirect(f"/r{i}", f"/r{i + 1}", 302)
    server.serve("/r5", BODY)
    assert fetch(FetchRequest(server.url("/r0"))).body == BODY  # five hops: fine
    server.redirect("/loop", "/loop", 301)
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch(FetchRequest(server.url("/loop")))
    assert len(server.requests_to("/loop")) == 6


def test_redirect_to_another_scheme_is_refused(server: LoopbackServer) -> None:
    server.redirect("/x", "file:///etc/passwd", 302)
    with pytest.raises(FetchError, match="only follows web addresses"):
        fetch(FetchRequest(server.url("/x")))


def test_a_silent_server_times_out_in_words(server: LoopbackServer) -> None:
    server.hang("/hang", 3)
    started = time.monotonic()
    with pytest.raises(FetchError, match="stopped sending data for 1 seconds"):
        fetch(FetchRequest(server.url("/hang")))
    assert time.monotonic() - started < 2.5


def test_a_drip_fed_body_stops_at_the_deadline(server: LoopbackServer) -> None:
    server.drip("/drip", 10)
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than 3 seconds"):
        fetch(FetchRequest(server.url("/drip")))
    assert time.monotonic() - started < 4


def test_an_endless_body_stops_at_the_size_cap(server: LoopbackServer) -> None:
    server.endless("/endless")
    with pytest.raises(FetchError, match="too large"):
        fetch(FetchRequest(server.url("/endless")))


def test_a_declared_oversized_body_is_refused_before_download(server: LoopbackServer) -> None:
    server.serve("/big", b"x" * (FAST.max_bytes + 1))
    with pytest.raises(FetchError, match="too large"):
        fetch(FetchRequest(server.url("/big")))


def test_a_gzip_bomb_stops_at_the_cap(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros in ~64 KB
    server.routes["/bomb"] = lambda h: Response(200, bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        fetch(FetchRequest(server.url("/bomb")))


@pytest.mark.parametrize(
    ("status", "words"),
    [(404, "not found"), (410, "gone"), (401, "needs a login"), (500, "internal error"), (403, "refused")],
)
def test_http_errors_in_words(server: LoopbackServer, status: int, words: str) -> None:
    server.routes["/e"] = lambda h: Response(status, b"nope")
    with pytest.raises(FetchError, match=words) as info:
        fetch(FetchRequest(server.url("/e")))
    assert info.value.status == status


def test_429_carries_retry_after(server: LoopbackServer) -> None:
    server.routes["/slow"] = lambda h: Response(429, b"", {"Retry-After": "120"})
    with pytest.raises(FetchError, match="slow down") as info:
        fetch(FetchRequest(server.url("/slow")))
    assert info.value.retry_after == 120


def test_retry_after_dates_and_caps() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("Wed, 15 Nov 2023 00:13:20 GMT", now) == pytest.approx(7200, abs=1)
    assert retry_after_seconds("9999999", now) == 24 * 3600
    assert retry_after_seconds("soon", now) is None


def test_max_age_is_read(server: LoopbackServer) -> None:
    server.serve("/m", BODY, **{"Cache-Control": "public, max-age=600"})
    assert fetch(FetchRequest(server.url("/m"))).max_age == 600


def test_connection_refused_in_words() -> None:
    with pytest.raises(FetchError, match="refused the connection"):
        fetch(FetchRequest("http://127.0.0.1:9/feed"))


def test_no_cookies_are_kept_between_requests(server: LoopbackServer) -> None:
    server.routes["/set"] = lambda h: Response(200, BODY, {"Set-Cookie": "track=1; Path=/"})
    server.serve("/next", BODY)

    async def go() -> None:
        async with Fetcher(FAST) as fetcher:
            await fetcher.fetch(FetchRequest(server.url("/set")))
            await fetcher.fetch(FetchRequest(server.url("/next")))

    asyncio.run(go())
    assert "cookie" not in server.requests_to("/next")[0].headers


def test_per_host_bound_is_respected(server: LoopbackServer) -> None:
    active = 0
    peak = 0

    def slow(h: object) -> Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        time.sleep(0.2)
        active -= 1
        return Response(200, BODY)

    server.routes["/slow"] = slow

    async def go() -> None:
        async with Fetcher(FetchPolicy(per_host=2, total=10)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(FetchRequest(server.url("/slow"))) for _ in range(6)))

    asyncio.run(go())
    assert peak == 2


def test_connections_are_kept_alive_and_stale_ones_replaced(server: LoopbackServer) -> None:
    server.serve("/a", BODY)
    server.routes["/close"] = lambda h: Response(200, BODY, {"Connection": "close"})

    async def go() -> None:
        async with Fetcher(FAST) as fetcher:
            for _ in range(3):
                await fetcher.fetch(FetchRequest(server.url("/a")))
            await fetcher.fetch(FetchRequest(server.url("/close")))  # the server hangs up after this one
            result = await fetcher.fetch(FetchRequest(server.url("/a")))  # so a new connection is needed
            assert result.body == BODY

    asyncio.run(go())
    ports = [s.client_port for s in server.log]
    assert len(set(ports[:4])) == 1 and ports[4] != ports[3]


def test_chunked_and_close_delimited_bodies(server: LoopbackServer) -> None:
    def chunked(h: object) -> None:
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Transfer-Encoding", "chunked")  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        for part in (BODY[:10], BODY[10:]):
            h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))  # type: ignore[attr-defined]
        h.wfile.write(b"0\r\n\r\n")  # type: ignore[attr-defined]

    server.routes["/chunked"] = chunked
    assert fetch(FetchRequest(server.url("/chunked"))).body == BODY


def test_a_server_that_does_not_speak_http_is_an_error_in_words(server: LoopbackServer) -> None:
    def garbage(h: object) -> None:
        h.wfile.write(b"\x16\x03\x01 this is not http\r\n\r\n")  # type: ignore[attr-defined]

    server.routes["/garbage"] = garbage
    with pytest.raises(FetchError, match=r"not HTTP|broke off"):
        fetch(FetchRequest(server.url("/garbage")))


def test_an_untrusted_certificate_is_refused_in_words() -> None:
    """TLS is verified: a self-signed loopback server is not trusted (and nothing is downgraded to http)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.loopback import DATA

    class Quiet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(DATA / "tls" / "cert.pem", DATA / "tls" / "key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(FetchError, match="could not be verified"):
            fetch(FetchRequest(f"https://127.0.0.1:{httpd.server_address[1]}/feed.xml"))
    finally:
        httpd.shutdown()
        httpd.server_close()
