"""The network policy (issue 7, item 1) against the loopback server, whose log shows what was asked for.

- http(s) only, at the start and at every redirect; at most 5 redirects; a loop ends within the deadline;
- an overall deadline per document, over every redirect; a cap on the decoded size (compression bombs);
- a private or loopback address only where the user gave it (netpolicy's rule): a redirect from a public
  host to 127.0.0.1, 169.254.169.254, ::ffff:127.0.0.1, 2130706433... is refused before any connection,
  and so are private links, images and icons found in a public feed; DNS is asked once and the connection
  goes to the address that was checked;
- a fixed User-Agent, no cookies, no Referer; TLS verified against the host name, TLS 1.2 at least;
- faults: a reset mid-body, a lying Content-Length, 401, 410 (gone: no longer checked), 429 + Retry-After.

Tests run everything on 127.0.0.1, so a fake resolver stands for DNS: it sends `public.test` (and a few
other names) to the loopback server and says that, reached by those names, 127.0.0.1 is a public server.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import ipaddress
import socket
import ssl
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.loopback import DATA, Handler, LoopbackServer, Response, zeros_compressed
from tidings.core.credentials import MemoryCredentials
from tidings.core.errors import LOGIN_NEEDED, DiscoveryError, FetchError
from tidings.core.fetch import USER_AGENT, Fetcher, FetchRequest, FetchResult, _ssl_context
from tidings.core.library import Library
from tidings.core.models import FetchPolicy
from tidings.core.netpolicy import AddressRefused, IPAddress, literal_address, public_address
from tidings.core.storage import feeds as feed_store
from tidings.core.transport import H11Transport

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
PNG = (DATA / "images" / "photo.png").read_bytes()
REFUSED = "private or local network address"
PARAGRAPHS = [
    "The harbour reopened on Tuesday after three days of repairs to the sea wall, the port authority said.",
    "Fishing boats were the first to leave, followed by the morning ferry to the islands, which had been "
    "cancelled since the weekend when waves of up to six metres broke over the quay.",
    "Engineers will inspect the northern breakwater again next week, and the authority said a longer closure "
    "in the spring could not be ruled out while the damage to its foundations is assessed by divers.",
]


class FakeResolver:
    """DNS for tests. `names` maps a name to its answers, one list per lookup (the last one repeated);
    127.0.0.1 reached through a name in `public` stands for a public server. Every lookup is recorded."""

    def __init__(self, names: dict[str, list[list[str]]], public: set[str]):
        self.names = names
        self.public = public
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        answers = self.names.get(host.lower())
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = answers[min(self.asked.count(host) - 1, len(answers) - 1)]
        return [ipaddress.ip_address(a) for a in answer]

    def is_public(self, host: str, address: IPAddress) -> bool:
        return (host.lower() in self.public and address == LOOPBACK) or public_address(address)


def names() -> dict[str, list[list[str]]]:
    return {
        "public.test": [["127.0.0.1"]],  # a public site (served by the loopback server)
        "cdn.public.test": [["127.0.0.1"]],  # another public site
        "intranet.test": [["127.0.0.1"]],  # a private name (10.x in real life) on the loopback server
        "localhost": [["127.0.0.1", "::1"]],
        "private.test": [["10.0.0.7"]],
        "mixed.test": [["127.0.0.1", "10.0.0.7"]],  # a public address and a private one
        "rebind.test": [["127.0.0.1"], ["10.9.9.9"]],  # public at the first lookup, private after
    }


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver(names(), {"public.test", "cdn.public.test", "mixed.test", "rebind.test"})


@pytest.fixture
def policy(resolver: FakeResolver) -> FetchPolicy:
    return FetchPolicy(
        connect_timeout=1, read_timeout=1, deadline=3, max_bytes=1024 * 1024, resolver=resolver
    )


@pytest.fixture
def lib(tmp_path: Path, policy: FetchPolicy) -> Iterator[Library]:
    library = Library(tmp_path / "data", credentials=MemoryCredentials(), policy=policy)
    yield library
    library.close()


@pytest.fixture
def no_system_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every name the system resolver is asked for: the test names must never reach it."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def spy(host: object, *args: object, **kwargs: object) -> object:
        if isinstance(host, str | bytes) and literal_address(str(host)) is None:
            asked.append(str(host))
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return asked


def at(server: LoopbackServer, host: str, path: str, scheme: str = "http") -> str:
    return f"{scheme}://{host}:{server.server_address[1]}{path}"


def fetch(policy: FetchPolicy, *requests: FetchRequest) -> list[FetchResult]:
    """Fetch `requests` one after the other with one fetcher (as a refresh does)."""

    async def go() -> list[FetchResult]:
        async with Fetcher(policy) as fetcher:
            return [await fetcher.fetch(r) for r in requests]

    return asyncio.run(go())


def rss(links: list[str], title: str = "Feed", extra: str = "") -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>One sentence about story {i}.</description></item>"
        for i, link in enumerate(links)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>{extra}{items}</channel></rss>"
    ).encode()


def article(images_html: str = "") -> bytes:
    body = f"<p>{PARAGRAPHS[0]}</p>{images_html}<p>{PARAGRAPHS[1]}</p><p>{PARAGRAPHS[2]}</p>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Harbour</title>"
        "<meta property='og:type' content='article'></head>"
        f"<body><article><h1>Harbour reopens</h1>{body}</article></body></html>"
    ).encode()


def add(library: Library, url: str) -> int:
    return library.write(lambda c: feed_store.add_feed(c, url, images=True))


def paths(server: LoopbackServer) -> list[str]:
    return [p.split("?")[0] for p in server.paths()]


# -- which addresses are public ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),  # a public IPv4 address, written as IPv6
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("0.0.0.0", False),  # reaches this machine on Linux
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),  # unique local
        ("fd12:3456::1", False),
        ("fe80::1", False),  # link-local
        ("fec0::1", False),  # site-local (deprecated, still not public)
        ("ff02::1", False),  # multicast
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:169.254.169.254", False),
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b:1::1", False),  # local-use NAT64
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2001:db8::1", False),  # documentation
    ],
)
def test_public_addresses_are_told_from_private_ones(address: str, public: bool) -> None:
    assert public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f000001", "127.0.0.1"),  # hex
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),  # short
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::1", "::1"),
        ("example.org", None),
        ("deadbeef", None),  # a name, though it reads as hex
        ("1.2.3.4 x", None),  # inet_aton would take this; a host cannot be it
    ],
)
def test_ip_literals_are_recognised_in_every_notation(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address


# -- http(s) only, redirects, deadline, size --------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/feed", "data:text/xml,<rss/>", "javascript:alert(1)"]
)
def test_only_web_addresses_are_fetched(policy: FetchPolicy, url: str) -> None:
    with pytest.raises(FetchError, match="only follows web addresses"):
        fetch(policy, FetchRequest(url))


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "data:text/xml,<rss/>", "gopher://x/"]
)
def test_a_redirect_to_another_scheme_is_refused(
    server: LoopbackServer, policy: FetchPolicy, target: str
) -> None:
    server.redirect("/feed.xml", target)
    with pytest.raises(FetchError, match="only follows web addresses"):
        fetch(policy, FetchRequest(at(server, "public.test", "/feed.xml")))
    assert paths(server) == ["/feed.xml"]


def test_every_hop_is_checked_and_there_are_at_most_five(server: LoopbackServer, policy: FetchPolicy) -> None:
    for i in range(6):
        server.redirect(f"/r{i}", at(server, "cdn.public.test" if i % 2 else "public.test", f"/r{i + 1}"))
    server.serve("/r5", b"<rss/>")
    assert fetch(policy, FetchRequest(at(server, "public.test", "/r0")))[0].body == b"<rss/>"  # 5 hops
    server.redirect("/r5", "/r6")
    server.log.clear()
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch(policy, FetchRequest(at(server, "public.test", "/r0")))
    assert len(server.log) == 6  # the sixth redirect is not followed
    server.redirect("/r3", at(server, "127.0.0.1", "/secret"))  # the fourth hop, checked like the first
    server.log.clear()
    with pytest.raises(AddressRefused):
        fetch(policy, FetchRequest(at(server, "public.test", "/r0")))
    assert paths(server) == ["/r0", "/r1", "/r2", "/r3"]


def test_a_redirect_loop_ends_quickly(server: LoopbackServer, policy: FetchPolicy) -> None:
    server.redirect_loop("/a", "/b")
    started = time.monotonic()
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch(policy, FetchRequest(at(server, "public.test", "/a")))
    assert time.monotonic() - started < 1.5
    assert paths(server) == ["/a", "/b"] * 3


def test_the_deadline_covers_every_hop_and_a_drip_fed_body(server: LoopbackServer) -> None:
    quick = FetchPolicy(connect_timeout=1, read_timeout=1, deadline=1.5)

    def slow_redirect(target: str) -> object:
        def route(h: Handler) -> Response:
            time.sleep(0.6)  # under the read timeout every time: only the overall deadline stops it
            return Response(302, b"", {"Location": target})

        return route

    for i in range(4):
        server.routes[f"/s{i}"] = slow_redirect(f"/s{i + 1}")  # type: ignore[assignment]
    server.drip("/drip", 5)
    for path in ("/s0", "/drip"):
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"longer than 1\.5 seconds"):
            fetch(quick, FetchRequest(server.url(path)))
        assert time.monotonic() - started < 2.2


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_cap_in_bounded_memory(
    server: LoopbackServer, policy: FetchPolicy, encoding: str
) -> None:
    server.bomb("/bomb.xml", encoding=encoding)  # 1 GiB of zeros in about 1 MB
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="too large"):
            fetch(policy, FetchRequest(at(server, "public.test", "/bomb.xml")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 3
    assert peak < 16 * policy.max_bytes  # the cap is 1 MB: never the gigabyte


def test_a_bomb_behind_a_small_first_gzip_member_is_capped_too(
    server: LoopbackServer, policy: FetchPolicy
) -> None:
    hidden = gzip.compress(b"<rss version='2.0'/>") + zeros_compressed(64 << 20)
    server.routes["/b.xml"] = lambda h: Response(200, hidden, {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        fetch(policy, FetchRequest(at(server, "public.test", "/b.xml")))
    two = gzip.compress(b"<rss version='2.0'>") + gzip.compress(b"</rss>")  # members are all read
    server.routes["/two.xml"] = lambda h: Response(200, two, {"Content-Encoding": "gzip"})
    assert (
        fetch(policy, FetchRequest(at(server, "public.test", "/two.xml")))[0].body
        == b"<rss version='2.0'></rss>"
    )


def test_a_refresh_stops_a_bomb_at_the_cap_and_keeps_the_stories(
    server: LoopbackServer, lib: Library
) -> None:
    server.serve("/feed.xml", rss(["https://example.org/1", "https://example.org/2"]))
    feed_id = add(lib, at(server, "public.test", "/feed.xml"))
    lib.refresh()
    # 256 MiB in about 260 KB: under the cap as sent, so the cap that stops it is the decoded one (the
    # refresh fetches bodies compressed and decodes them in a worker)
    server.bomb("/feed.xml", size=256 << 20)
    started = time.monotonic()
    outcome = lib.refresh([feed_id]).outcomes[0]
    assert time.monotonic() - started < 5
    assert outcome.status == "error" and "too large" in (outcome.error or "")
    assert lib.feed(feed_id).total == 2


# -- private addresses -------------------------------------------------------------------------------------
PRIVATE_TARGETS = [
    "127.0.0.1",
    "127.0.0.2",
    "[::ffff:127.0.0.1]",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "127.1",
    "0.0.0.0",
    "[::1]",
    "[::]",
    "localhost",
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "[fc00::1]",
    "[fe80::1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "private.test",
    "mixed.test",  # one of its addresses is private: the name counts as private
]


@pytest.mark.parametrize("host", PRIVATE_TARGETS)
def test_a_redirect_from_a_public_host_to_a_private_address_is_refused_before_connecting(
    server: LoopbackServer, policy: FetchPolicy, host: str
) -> None:
    server.serve("/secret", b"<rss version='2.0'><channel><title>intranet</title></channel></rss>")
    location = server.redirect_to_loopback("/feed.xml", "/secret", host=host)
    with pytest.raises(AddressRefused, match=REFUSED) as info:
        fetch(policy, FetchRequest(at(server, "public.test", "/feed.xml")))
    assert "redirected" in str(info.value) and f"to {urlsplit(location).hostname}" in str(info.value)
    assert paths(server) == ["/feed.xml"]  # nothing was asked of the target


def test_a_refused_permanent_redirect_does_not_move_the_feed(server: LoopbackServer, lib: Library) -> None:
    server.serve("/secret", rss(["https://example.org/1"]))
    server.redirect_to_loopback("/feed.xml", "/secret", status=301)
    feed_id = add(lib, at(server, "public.test", "/feed.xml"))
    outcome = lib.refresh().outcomes[0]
    assert outcome.status == "error" and REFUSED in (outcome.error or "") and outcome.moved_to is None
    feed = lib.feed(feed_id)
    assert feed.url == at(server, "public.test", "/feed.xml") and feed.total == 0
    assert feed.error is not None and REFUSED in feed.error.message
    assert "/secret" not in paths(server)


def test_an_address_the_user_typed_may_be_private(server: LoopbackServer, lib: Library) -> None:
    server.serve("/feed.xml", rss(["https://example.org/1"], "Intranet"))
    for host in ("127.0.0.1", "localhost", "intranet.test"):
        feed = lib.add_feed(at(server, host, "/feed.xml"))  # subscribing: typed by the user
        assert feed.title == "Intranet"
        lib.remove_feed(feed.id)
    server.redirect("/old.xml", at(server, "intranet.test", "/mid.xml"), 302)  # private to private: fine
    server.redirect("/mid.xml", at(server, "localhost", "/feed.xml"), 302)
    feed_id = add(lib, at(server, "127.0.0.1", "/old.xml"))
    assert lib.refresh().outcomes[0].status == "updated"
    assert lib.feed(feed_id).total == 1


def test_a_chain_that_reached_a_public_address_never_goes_private_again(
    server: LoopbackServer, policy: FetchPolicy
) -> None:
    server.redirect("/a", at(server, "public.test", "/b"))
    server.redirect("/b", at(server, "127.0.0.1", "/secret"))
    server.serve("/secret", b"intranet")
    with pytest.raises(AddressRefused, match=REFUSED):
        fetch(policy, FetchRequest(at(server, "intranet.test", "/a")))
    assert paths(server) == ["/a", "/b"]


def test_an_imported_opml_address_counts_as_the_users(server: LoopbackServer, lib: Library) -> None:
    """The choice made: importing an OPML file is the user's act, usually their own export from another
    reader, and intranet feeds must survive the move. The import itself fetches nothing; the refresh
    then treats these addresses as typed. Links inside those feeds are still held to the rule."""
    server.serve("/feed.xml", rss(["https://example.org/1"], "NAS"))
    opml = (
        "<?xml version='1.0'?><opml version='2.0'><head><title>mine</title></head><body>"
        f"<outline text='NAS' type='rss' xmlUrl='{at(server, '127.0.0.1', '/feed.xml')}'/></body></opml>"
    ).encode()
    assert lib.import_opml(opml).added == 1
    assert server.log == []  # the import fetched nothing
    assert lib.refresh().outcomes[0].status == "updated"


def test_dns_is_asked_once_and_the_connection_goes_to_the_checked_address(
    server: LoopbackServer, policy: FetchPolicy, resolver: FakeResolver, no_system_dns: list[str]
) -> None:
    server.serve("/a", b"a")
    server.serve("/b", b"b")
    first = fetch(
        policy, FetchRequest(at(server, "rebind.test", "/a")), FetchRequest(at(server, "rebind.test", "/b"))
    )
    assert [r.body for r in first] == [b"a", b"b"]
    assert resolver.asked == ["rebind.test"]  # once per fetcher: the second request used the same answer
    assert no_system_dns == []  # and the transport never asked the system (which knows no rebind.test)
    server.redirect("/go", at(server, "rebind.test", "/a"))
    with pytest.raises(AddressRefused, match=r"rebind\.test \(10\.9\.9\.9\)"):  # the name rebound: checked
        fetch(policy, FetchRequest(at(server, "public.test", "/go")))
    assert paths(server) == ["/a", "/b", "/go"]


def test_a_kept_alive_connection_is_no_way_around_the_check(
    server: LoopbackServer, policy: FetchPolicy
) -> None:
    server.serve("/a", b"a")
    server.serve("/b", b"b")
    typed = FetchRequest(server.url("/a"))  # the user's own address: a kept-alive connection to 127.0.0.1
    linked = FetchRequest(server.url("/b"), linked_from=at(server, "public.test", "/feed.xml"))
    with pytest.raises(AddressRefused, match=REFUSED):
        fetch(policy, typed, linked)
    assert paths(server) == ["/a"]


# -- links found in feeds and pages ------------------------------------------------------------------------
def test_pages_linked_from_a_public_feed_must_be_public(server: LoopbackServer, lib: Library) -> None:
    server.serve("/private.html", article(), "text/html")
    server.serve("/public.html", article(), "text/html")
    links = [at(server, "127.0.0.1", "/private.html"), at(server, "public.test", "/public.html")]
    server.serve("/feed.xml", rss(links))
    feed_id = add(lib, at(server, "public.test", "/feed.xml"))
    lib.set_show(feed_id, "article")
    report = lib.refresh(articles=True)
    assert report.articles is not None and report.articles.unreachable == 1
    assert "/private.html" not in paths(server) and "/public.html" in paths(server)
    stories = {s.url: s.id for s, _ in lib.stories()}
    refused = lib.article(stories[links[0]])
    assert refused is not None and REFUSED in (refused.failure or "")


def test_a_private_feed_may_link_its_own_site_only(server: LoopbackServer, lib: Library) -> None:
    server.serve("/same.html", article(), "text/html")
    server.serve("/other.html", article(), "text/html")
    server.serve(
        "/feed.xml", rss([at(server, "127.0.0.1", "/same.html"), at(server, "localhost", "/other.html")])
    )
    feed_id = add(lib, at(server, "127.0.0.1", "/feed.xml"))
    lib.set_show(feed_id, "article")
    lib.refresh(articles=True)
    assert "/same.html" in paths(server) and "/other.html" not in paths(server)


def test_images_in_a_public_feeds_articles_must_be_public(server: LoopbackServer, lib: Library) -> None:
    private, public = (
        at(server, "127.0.0.1", "/img/harbour.png"),
        at(server, "cdn.public.test", "/img/boats.png"),
    )
    figures = "".join(f'<figure><img src="{src}" alt="a picture"></figure>' for src in (private, public))
    server.serve("/story.html", article(figures), "text/html")
    server.serve("/img/harbour.png", PNG, "image/png")
    server.serve("/img/boats.png", PNG, "image/png")
    server.serve("/feed.xml", rss([at(server, "public.test", "/story.html")]))
    feed_id = add(lib, at(server, "public.test", "/feed.xml"))
    lib.set_show(feed_id, "article")
    report = lib.refresh(articles=True)
    assert report.articles is not None and report.articles.extracted == 1
    assert "/img/boats.png" in paths(server) and "/img/harbour.png" not in paths(server)


def test_icons_named_by_a_public_feed_must_be_public(server: LoopbackServer, lib: Library) -> None:
    server.serve("/icon.png", PNG, "image/png")
    server.serve("/favicon.ico", PNG, "image/png")
    feed_id = add(lib, at(server, "public.test", "/feed.xml"))
    lib.write(
        lambda c: c.execute(
            "UPDATE feeds SET icon_url = ?, site_url = ? WHERE id = ?",
            (at(server, "127.0.0.1", "/icon.png"), at(server, "public.test", "/"), feed_id),
        )
    )
    assert lib.fetch_icons() == 1
    assert paths(server) == ["/favicon.ico"]  # the private icon was never asked for


def test_discovery_offers_no_private_feed_from_a_public_page(server: LoopbackServer, lib: Library) -> None:
    def page(*hrefs: str) -> bytes:
        links = "".join(f"<link rel='alternate' type='application/rss+xml' href='{h}'>" for h in hrefs)
        return f"<html><head>{links}</head><body>Hello</body></html>".encode()

    server.serve("/intranet.xml", rss(["https://example.org/1"]))
    server.serve("/news.xml", rss(["https://example.org/2"]))
    private, public = at(server, "127.0.0.1", "/intranet.xml"), at(server, "public.test", "/news.xml")
    server.serve("/both.html", page(private, public), "text/html")
    server.serve("/private.html", page(private), "text/html")
    assert [link.url for link in lib.discover(at(server, "public.test", "/both.html"))] == [public]
    with pytest.raises(DiscoveryError, match="private or local network addresses"):
        lib.add_feed(at(server, "public.test", "/private.html"))
    assert "/intranet.xml" not in paths(server)  # not probed, not fetched
    assert lib.feeds() == []


# -- what every request carries ----------------------------------------------------------------------------
def test_requests_carry_a_fixed_user_agent_and_no_cookie_referer_or_login(
    server: LoopbackServer, lib: Library
) -> None:
    server.routes["/a.xml"] = lambda h: Response(
        200, rss([at(server, "public.test", "/story.html")], "A"), {"Set-Cookie": "id=feed-a; Path=/"}
    )
    server.serve("/b.xml", rss(["https://example.org/1"], "B"))
    server.routes["/story.html"] = lambda h: Response(
        200, article(f'<img src="{at(server, "public.test", "/p.png")}">'), {"Set-Cookie": "id=page"}
    )
    server.serve("/p.png", PNG, "image/png")
    server.serve("/favicon.ico", PNG, "image/png")
    a = add(lib, at(server, "public.test", "/a.xml"))
    add(lib, at(server, "127.0.0.1", "/b.xml"))
    lib.set_show(a, "article")
    lib.refresh(articles=True)
    lib.refresh(force=True)
    lib.fetch_icons()
    assert {"/a.xml", "/b.xml", "/story.html", "/p.png", "/favicon.ico"} <= set(paths(server))
    for seen in server.log:
        assert seen.headers["user-agent"] == USER_AGENT, seen
        assert not {"cookie", "referer", "authorization"} & set(seen.headers), seen


# -- TLS ---------------------------------------------------------------------------------------------------
def tls_server(maximum: ssl.TLSVersion | None = None) -> LoopbackServer:
    server = LoopbackServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if maximum is not None:  # an old server: TLS 1.0 and 1.1 only
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
        context.set_ciphers("ALL:@SECLEVEL=0")
    context.load_cert_chain(DATA / "tls" / "cert.pem", DATA / "tls" / "key.pem")  # for 127.0.0.1 only
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve("/feed.xml", b"<rss/>")
    return server.start()


def trusting(policy: FetchPolicy) -> Fetcher:
    """A fetcher whose TLS settings are Tidings' own, plus trust in the test certificate."""

    def context() -> ssl.SSLContext:
        made = _ssl_context()
        made.load_verify_locations(DATA / "tls" / "cert.pem")
        return made

    return Fetcher(policy, H11Transport(ssl_context=context, connect_timeout=1, read_timeout=1))


def fetch_with(fetcher: Fetcher, url: str) -> FetchResult:
    async def go() -> FetchResult:
        async with fetcher:
            return await fetcher.fetch(FetchRequest(url))

    return asyncio.run(go())


def test_tls_is_verified_against_the_host_name() -> None:
    context = _ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the old server's TLS versions
def test_tls_certificates_names_and_versions(policy: FetchPolicy) -> None:
    server = tls_server()
    try:
        with pytest.raises(FetchError, match="could not be verified"):  # self-signed: not trusted
            fetch(policy, FetchRequest(at(server, "127.0.0.1", "/feed.xml", "https")))
        assert fetch_with(trusting(policy), at(server, "127.0.0.1", "/feed.xml", "https")).body == b"<rss/>"
        with pytest.raises(FetchError, match="could not be verified"):  # the name is checked, not the IP
            fetch_with(trusting(policy), at(server, "public.test", "/feed.xml", "https"))
    finally:
        server.stop()
    old = tls_server(maximum=ssl.TLSVersion.TLSv1_1)
    try:
        with pytest.raises(FetchError, match=r"secure connection to 127\.0\.0\.1 failed"):  # no downgrade
            fetch_with(trusting(policy), at(old, "127.0.0.1", "/feed.xml", "https"))
    finally:
        old.stop()
    assert len(server.log) == 1 and old.log == []  # only the trusted, checked one was ever answered


# -- faults ------------------------------------------------------------------------------------------------
def test_a_reset_mid_body_is_an_error_and_nothing_stored_changes(
    server: LoopbackServer, lib: Library
) -> None:
    body = rss([f"https://example.org/{i}" for i in range(3)])
    server.serve("/feed.xml", body)
    feed_id = add(lib, server.url("/feed.xml"))
    lib.refresh()
    server.reset_mid_body("/feed.xml", rss([f"https://example.org/{i}" for i in range(9)]), after=200)
    outcome = lib.refresh([feed_id]).outcomes[0]
    assert outcome.status == "error" and "broke off the connection" in (outcome.error or "")
    assert lib.feed(feed_id).total == 3


def test_a_content_length_lie_is_an_error_or_cut_where_it_said(
    server: LoopbackServer, policy: FetchPolicy
) -> None:
    server.wrong_length("/longer", b"<rss/>", declared=5000)  # promises more than it sends
    with pytest.raises(FetchError, match="broke off the connection"):
        fetch(policy, FetchRequest(server.url("/longer")))
    server.wrong_length("/shorter", b"<rss/>HTTP/1.1 200 OK\r\n\r\nsmuggled", declared=6)
    server.serve("/next", b"next")
    first, second = fetch(policy, FetchRequest(server.url("/shorter")), FetchRequest(server.url("/next")))
    assert first.body == b"<rss/>" and second.body == b"next"  # the rest is never read as an answer


def test_a_401_says_a_login_is_needed(server: LoopbackServer, lib: Library) -> None:
    server.status("/feed.xml", 401)
    feed_id = add(lib, server.url("/feed.xml"))
    assert lib.refresh().outcomes[0].error == LOGIN_NEEDED
    assert Library.needs_login(lib.feed(feed_id))


def test_a_gone_feed_is_no_longer_checked_until_refreshed_by_hand(
    server: LoopbackServer, lib: Library
) -> None:
    server.serve("/feed.xml", rss(["https://example.org/1"]))
    feed_id = add(lib, server.url("/feed.xml"))
    lib.refresh()
    server.status("/feed.xml", 410)
    outcome = lib.refresh(force=True).outcomes[0]
    assert outcome.status == "error" and outcome.http_status == 410
    feed = lib.feed(feed_id)
    assert (
        feed.error is not None and "gone" in feed.error.message and "stopped checking" in feed.error.message
    )
    assert feed.next_check is not None and feed.next_check.timestamp() > time.time() + 300 * 86400
    assert feed.total == 1  # the stories stay
    server.log.clear()
    assert lib.refresh().outcomes[0].status == "skipped" and server.log == []
    lib.refresh([feed_id])  # by hand: asked again
    assert len(server.log) == 1


@pytest.mark.parametrize("in_date_form", [False, True])
def test_429_retry_after_is_respected(server: LoopbackServer, lib: Library, in_date_form: bool) -> None:
    retry = email.utils.formatdate(time.time() + 600, usegmt=True) if in_date_form else "600"
    server.status("/feed.xml", 429, retry_after=retry)
    feed_id = add(lib, server.url("/feed.xml"))
    outcome = lib.refresh().outcomes[0]
    assert outcome.status == "error" and "slow down" in (outcome.error or "")
    next_check = lib.feed(feed_id).next_check
    assert next_check is not None and 590 <= next_check.timestamp() - time.time() <= 601
    server.log.clear()
    assert lib.refresh().outcomes[0].status == "skipped" and server.log == []


def test_a_429_rests_the_whole_host_for_the_rest_of_the_refresh(
    tmp_path: Path, server: LoopbackServer
) -> None:
    policy = FetchPolicy(connect_timeout=1, read_timeout=1, deadline=3, per_host=1)
    lib = Library(tmp_path / "one", credentials=MemoryCredentials(), policy=policy)
    try:
        server.status("/a.xml", 429, retry_after="300")
        server.serve("/b.xml", rss(["https://example.org/1"]))
        a, b = add(lib, server.url("/a.xml")), add(lib, server.url("/b.xml"))
        by_id = {o.feed_id: o for o in lib.refresh().outcomes}
        assert paths(server) == ["/a.xml"]  # b's site asked for a rest: b was not asked at all
        assert by_id[b].status == "error" and "asked Tidings to wait (HTTP 429)" in (by_id[b].error or "")
        for feed_id in (a, b):
            next_check = lib.feed(feed_id).next_check
            assert next_check is not None and next_check.timestamp() > time.time() + 280
    finally:
        lib.close()


def test_the_loopback_server_logs_every_request_whatever_its_method(server: LoopbackServer) -> None:
    """What the other tests rely on: a request the app should not make would show in the log."""
    for method in ("HEAD", "POST", "OPTIONS"):
        with socket.create_connection(server.server_address) as sock:
            sock.sendall(f"{method} /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 405")
    assert [(s.method, s.path) for s in server.log] == [("HEAD", "/x"), ("POST", "/x"), ("OPTIONS", "/x")]
