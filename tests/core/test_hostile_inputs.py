"""OPML and JSON Feed read as hostile input, through the library: no entity is expanded, nothing is fetched
on import, only http(s) addresses are accepted (the others get a line in the import report), and a
100 MB file is refused at once in words. Every case has a time budget."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.loopback import Handler, LoopbackServer
from tidings.core import jsonfeed, opml
from tidings.core.errors import FeedParseError, OPMLError, TidingsError
from tidings.core.feeds import parse_feed
from tidings.core.library import Library
from tidings.core.update import prepare

HUNDRED_MB = 100 * 1024 * 1024


@contextmanager
def within(seconds: float) -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < seconds


def outline_file(*outlines: tuple[str, str], doctype: bytes = b"", head: bytes = b"") -> bytes:
    body = "".join(
        f'<outline text="{text}" xmlUrl="{url.replace("&", "&amp;").replace("<", "&lt;")}"/>'
        for text, url in outlines
    )
    return (
        b'<?xml version="1.0"?>\n' + doctype + b'<opml version="2.0"><head>' + head + b"</head><body>"
        + body.encode() + b"</body></opml>"
    )  # fmt: skip


# -- OPML ---------------------------------------------------------------------------------------------
BILLION_LAUGHS = (
    b"<!DOCTYPE opml [\n <!ENTITY a0 'lol'>\n"
    + b"".join(
        b" <!ENTITY a%d '%s'>\n" % (n, b"".join(b"&a%d;" % (n - 1) for _ in range(10))) for n in range(1, 10)
    )
    + b"]>\n"
)
QUADRATIC = b"<!DOCTYPE opml [<!ENTITY big '" + b"x" * 50_000 + b"'>]>\n"


@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic"])
def test_an_entity_bomb_in_opml_is_refused_at_once_and_nothing_is_added(
    library: Library, doctype: bytes
) -> None:
    refs = "&a9;" if doctype is BILLION_LAUGHS else "&big;" * 2000
    data = outline_file((refs, "https://example.org/feed"), doctype=doctype)
    with within(1.0), pytest.raises(OPMLError, match="declares XML entities"):
        library.import_opml(data)
    assert library.feeds() == []


def test_importing_fetches_nothing_not_even_what_the_file_points_at(
    library: Library, server: LoopbackServer
) -> None:
    server.serve("/feed.xml", b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    server.serve("/style.xsl", b"<xsl:stylesheet/>", "application/xslt+xml")
    data = outline_file(
        ("Local", server.url("/feed.xml")),
        ("Other", server.url("/other.xml")),
        doctype=f'<?xml-stylesheet type="text/xsl" href="{server.url("/style.xsl")}"?>\n'.encode(),
        head=f"<ownerId>{server.url('/owner')}</ownerId>".encode(),
    )
    report = library.import_opml(data)
    assert report.added == 2
    assert server.log == []  # no feed, no stylesheet, no owner page: an import only writes the list


HOSTILE_ADDRESSES = {
    "javascript": "javascript:alert(document.cookie)",
    "javascript-mixed-case": " JaVaScRiPt:alert(1)",
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file": "file:///etc/passwd",
    "file-host": "file://localhost/etc/shadow",
    "vbscript": "vbscript:msgbox(1)",
    "mailto": "mailto:someone@example.org",
    "feed-scheme": "feed://example.org/rss",
    "ftp": "ftp://example.org/feed.xml",
    "no-host": "https://",
    "empty-host": "http:///etc/passwd",
}


def test_only_web_addresses_are_imported_and_each_refusal_is_reported(library: Library) -> None:
    outlines = [(name, url) for name, url in HOSTILE_ADDRESSES.items()]
    report = library.import_opml(outline_file(("Good", "https://example.org/feed"), *outlines))
    assert report.added == 1 and [f.url for f in library.feeds()] == ["https://example.org/feed"]
    assert len(report.errors) == len(HOSTILE_ADDRESSES)
    for (name, _url), line in zip(outlines, report.errors, strict=True):
        assert line.startswith(f"Skipped “{name}”: ")
        assert "web address" in line


def test_control_and_bidi_characters_never_reach_the_report_or_the_store(library: Library) -> None:
    data = outline_file(
        ("Nice \u202egnp.exe", "https://example.org/a\u202e"),
        ("Ev\x1bil", "javascript:alert(1)\u2066"),
    )
    report = library.import_opml(data.replace(b"\x1b", b"&#x1b;"))
    assert [f.title for f in library.feeds()] == ["Nice gnp.exe"]
    assert [f.url for f in library.feeds()] == ["https://example.org/a"]
    assert all("\u202e" not in line and "\u2066" not in line for line in report.errors)


def test_a_100_mb_opml_file_is_refused_at_once_in_words(library: Library) -> None:
    head = outline_file(("a", "https://example.org/feed"))
    data = head + b" " * (HUNDRED_MB - len(head))
    with within(1.0), pytest.raises(OPMLError, match=r"too large .*\(over 50 MB\)"):
        library.import_opml(data)
    assert library.feeds() == []


def test_the_opml_size_check_comes_before_anything_reads_the_bytes() -> None:
    with within(0.2), pytest.raises(OPMLError, match="too large"):
        opml.parse_opml(b" " * (opml.MAX_OPML_BYTES + 1))  # blank: would otherwise be "empty"


# -- JSON Feed ------------------------------------------------------------------------------------------
def json_feed(**fields: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", **fields}).encode()


HOSTILE_URLS = [
    "javascript:alert(1)",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "file:///etc/passwd",
    "vbscript:x",
    " JAVASCRIPT:alert(1)",
    "jav\tascript:alert(1)",
]


@pytest.mark.parametrize("bad", HOSTILE_URLS)
def test_json_feed_addresses_must_be_web_addresses(bad: str) -> None:
    body = json_feed(
        home_page_url=bad,
        icon=bad,
        favicon=bad,
        items=[{"id": "1", "url": bad, "external_url": bad, "image": bad, "banner_image": bad, "title": "t"}],
    )
    feed = parse_feed(body, url="https://example.org/feed.json", content_type="application/feed+json")
    prepared = prepare(feed)
    assert (prepared.site_url, prepared.icon_url) == (None, None)
    (row,) = prepared.rows
    assert (row.url, row.image_url) == (None, None)


def test_reading_a_json_feed_fetches_nothing(server: LoopbackServer) -> None:
    here = server.url
    body = json_feed(
        home_page_url=here("/home"),
        feed_url=here("/self"),
        icon=here("/icon.png"),
        favicon=here("/favicon.ico"),
        hubs=[{"type": "WebSub", "url": here("/hub")}],
        authors=[{"name": "A", "url": here("/author"), "avatar": here("/avatar.png")}],
        items=[
            {
                "id": "1",
                "url": here("/item"),
                "image": here("/image.png"),
                "content_html": f'<img src="{here("/inline.png")}"><a href="{here("/link")}">x</a>',
                "attachments": [{"url": here("/podcast.mp3"), "mime_type": "audio/mpeg"}],
            }
        ],
    )
    prepare(parse_feed(body, url=here("/feed.json"), content_type="application/feed+json"))
    assert server.log == []


def test_a_100_mb_json_feed_is_refused_at_once_in_words() -> None:
    head = json_feed(items=[])[:-1]
    body = head + b"," + b" " * (HUNDRED_MB - len(head) - 2) + b"}"
    with within(1.0), pytest.raises(FeedParseError, match=r"too large to read \(over 50 MB\)"):
        parse_feed(body, content_type="application/feed+json")
    assert len(body) > jsonfeed.MAX_JSON_FEED_BYTES


def test_a_100_mb_json_feed_download_stops_at_the_cap(library: Library, server: LoopbackServer) -> None:
    def endless_json(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/feed+json")
        h.send_header("Content-Length", str(HUNDRED_MB))
        h.end_headers()
        h.wfile.write(json_feed(items=[])[:-1] + b',"x":"')
        block = b"x" * 65536
        try:
            for _ in range(HUNDRED_MB // len(block)):
                h.wfile.write(block)
        except OSError:  # the client hung up at its cap
            return

    server.routes["/big.json"] = endless_json
    with within(5.0), pytest.raises(TidingsError, match="too large"):
        library.add_feed(server.url("/big.json"))
    assert library.feeds() == []
