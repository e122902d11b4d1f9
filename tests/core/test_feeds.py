"""Feed parsing: real feeds from the benchmark corpus, handmade edge cases, JSON Feed, hostile input.

The fast (lxml) path must store what the feedparser path stores: every XML fixture is parsed both ways.
"""

from __future__ import annotations

import builtins
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tidings.core.errors import FeedParseError
from tidings.core.feeds import parse_date, parse_feed
from tidings.core.models import ParsedFeed

DATA = Path(__file__).parent.parent / "data" / "feeds"
HOSTILE = DATA / "hostile"
URL = "https://example.org/feed.xml"
XML_FIXTURES = sorted(p.name for p in DATA.glob("*.xml"))
READ_BY_FEEDPARSER = {
    "node-feedparser__illegally-nested.xml",  # items nested in items: the fast path would miss some
    "fastfeedparser__osm-pl.xml",  # an unclosed CDATA section
    "rss-parser__uolNoticias_rss.xml",  # Latin-1 bytes in a document that declares no encoding
}
REPAIRED = {"fastfeedparser__705749c3b1bd02d8.xml", "feedreader__AtomSpecialCharacters.xml"}


def load(name: str, *, url: str = URL, fast: bool = True, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((DATA / name).read_bytes(), url=url, content_type=content_type, fast=fast)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def stored(feed: ParsedFeed) -> tuple[object, ...]:
    """What we store of a feed, HTML reduced to present / absent (the two parsers serialize XHTML
    differently: <br/> or <br></br>)."""
    entries = tuple(
        (
            e.guid,
            e.link,
            e.title,
            e.author,
            e.published,
            e.updated,
            e.image_url,
            bool(e.summary_html),
            bool(e.content_html),
        )
        for e in feed.entries
    )
    head = (feed.title, feed.format, feed.site_url, feed.description, feed.icon_url, feed.language)
    return head + entries


# --- real feeds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_fast_path_stores_what_feedparser_stores(name: str) -> None:
    assert stored(load(name)) == stored(load(name, fast=False))


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_each_fixture_takes_the_expected_path(name: str) -> None:
    feed = load(name)
    assert feed.parser == ("feedparser" if name in READ_BY_FEEDPARSER else "fast")
    assert any("repaired" in w for w in feed.warnings) == (name in REPAIRED)
    assert load(name, fast=False).parser == "feedparser"


@pytest.mark.parametrize(
    ("name", "fmt", "count", "title"),
    [
        ("feedreader__Rss20FinanzenNet.xml", "rss20", 15, "Analysen Ticker - www.finanzen.net"),
        ("feedreader__Rss20ISO88591Intranet30.xml", "rss20", 30, "intranet30"),
        ("netnewswire__DaringFireball_atom.xml", "atom10", 48, "Daring Fireball"),
        ("feedreader__Rss10OrfAt.xml", "rss10", 50, "news.ORF.at"),
        ("netnewswire__bio_rdf.xml", "rss10", 30, "bioRxiv Subject Collection: Plant Biology"),
        ("feedreader__Rss091Stadtfeuerwehr.xml", "rss09x", 15, "Stadtfeuerwehr Weiz - Einsätze"),
        ("rss-parser__uolNoticias_rss.xml", "rss", 15, "UOL Noticias"),
        ("node-feedparser__iconv.xml", "rss20", 10, "Новости Оренбурга и области / Раздел Новости"),
        ("node-feedparser__illegally-nested.xml", "rss20", 20, "PCMag.com: the Official John C. Dvorak RS…"),
        ("feedreader__AtomBattleNet.xml", "atom10", 11, "StarCraft® II"),
    ],
)
def test_formats_counts_and_titles(name: str, fmt: str, count: int, title: str) -> None:
    feed = load(name)
    assert (feed.format, len(feed.entries)) == (fmt, count)
    assert feed.title == title or (title.endswith("…") and feed.title.startswith(title[:-1]))


IMAGES = "https://restofworld.org/wp-content/uploads"


def test_rss_entry_with_content_media_and_dublin_core() -> None:
    entry = load("fastfeedparser__14333881097406c7.xml").entries[0]
    assert entry.title == "Polymarket courts Chinese users despite strict online gambling ban"
    assert entry.guid == "https://restofworld.org/2026/polymarket-china-betting-ban/"
    assert entry.link.startswith("https://restofworld.org/2026/polymarket-china-betting-ban/?utm_source=rss")
    assert entry.author == "Viola Zhou"
    assert entry.published == utc(2026, 2, 17, 11, 0, 0)
    assert entry.image_url == IMAGES + "/2026/02/Polymarkets-Chinese-320x320.jpg"
    assert entry.summary_html and entry.content_html


def test_latin1_feed_is_decoded() -> None:
    feed = load("feedreader__Rss20ISO88591Intranet30.xml")
    assert feed.entries[0].title == "SVART MÅNAD - DÖDSOLYCKA i Vetlanda"
    assert feed.entries[0].author == "Höglandsnytt"
    assert feed.entries[0].published == utc(2018, 8, 19, 7, 14)


def test_windows_1251_feed_in_the_userland_namespace() -> None:
    entry = load("node-feedparser__iconv.xml").entries[0]
    assert entry.title == "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"
    assert entry.link == "http://www.oren.ru/news/2743422/"
    assert entry.image_url == "http://www.oren.ru/upload/iblock/be8/stroitelstvo_krany.jpg"


def test_atom_with_xml_base_and_html_titles() -> None:
    feed = load("netnewswire__OneFootTsunami_atom.xml")
    first = feed.entries[0]
    assert first.title == "Link: Pillow Fight Leaves 24 Concussed"
    assert first.link.startswith("http://www.nytimes.com/2015/09/05/us/at-west-point-annual-pillow-fight")
    assert (first.guid, first.author) == ("http://onefoottsunami.com/?p=14863", "Paul Kafasis")
    assert first.published == utc(2015, 9, 8, 14, 21, 41)


def test_atom_relative_links_resolve_against_the_feed_address() -> None:
    feed = load("node-feedparser__tpm-with-fragment-base_atom.xml", url="https://tpm.example/feed")
    story = "hannity-announces-fox-hired-sebastian-gorka-national-security-strategist"
    assert feed.entries[0].link == f"https://tpm.example/livewire/{story}"


def test_rdf_items_use_rdf_about_as_guid() -> None:
    entry = load("rss-parser__craigslist_rss.xml").entries[0]
    assert entry.guid == entry.link == "http://sfbay.craigslist.org/eby/apa/6186664607.html"
    assert entry.published == utc(2017, 6, 21, 17, 33, 10)


def test_podcast_image_comes_from_itunes() -> None:
    feed = load("netnewswire__theomnishow_rss.xml")
    assert feed.icon_url == "https://theomnishow.omnigroup.com/assets/img/omnishow-cover-1x3000.jpg"
    assert feed.entries[0].image_url == feed.icon_url
    assert feed.entries[0].author == "The Omni Group"


def test_repaired_feed_keeps_every_entry() -> None:
    feed = load("fastfeedparser__705749c3b1bd02d8.xml")  # a bare "&" in a title
    assert len(feed.entries) == 15
    assert "TMIL: Google Chrome: Record, replay & measure user flows" in [e.title for e in feed.entries]


# --- handmade edge cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["handmade-entities.xml", "handmade-atom.xml", "handmade-rss.xml"])
def test_handmade_fixtures_take_the_fast_path(name: str) -> None:
    assert load(name).parser == "fast"


def test_entities_and_markup_in_titles_become_plain_text() -> None:
    titles = [e.title for e in load("handmade-entities.xml").entries]
    assert titles == [
        "AT&T buys T-Mobile",
        "Double & escaped",
        "CDATA markup & more",
        "Quotes “curly” and ’",
        "Windows – dash",  # &#150; means the Windows-1252 en dash
        "Use the <div> tag",  # no closing tag: text about HTML, kept as written
        "Lots of space and a tab",
        "Café mojibake",  # UTF-8 read as Latin-1, repaired
        "Shown <script>alert(1)</script> as text",
        "Bold move",
    ]


def test_atom_text_constructs_links_and_media() -> None:
    feed = load("handmade-atom.xml", url="https://blog.example.com/feed.atom")
    assert (feed.title, feed.description) == ("Kitchen & Garden", "Plain <subtitle>")
    assert (feed.site_url, feed.icon_url, feed.language) == (
        "https://blog.example.com/",
        "https://blog.example.com/favicon.ico",
        "en",
    )
    first, second, third = feed.entries
    assert first.title == "Tomatoes & basil"
    assert first.link == "https://blog.example.com/posts/tomatoes"  # rel=alternate, not rel=related
    assert first.image_url == "https://blog.example.com/img/tomato.jpg"
    assert first.author == "Ana Gómez"
    assert (first.published, first.updated) == (utc(2024, 2, 28, 8, 30), utc(2024, 2, 29, 10))
    assert first.summary_html == "<p>Short &amp; sweet</p>"
    assert first.content_html == '<p>Grow <a href="tomatoes/more">them</a>.</p>'  # the div's children
    assert (second.title, second.content_html) == ("An xhtml title", "<p>Escaped <b>HTML</b></p>")
    assert second.published == second.updated == utc(2024, 3, 1, 12)
    assert second.image_url == "https://cdn.example.com/thumb2.jpg"
    assert (third.link, third.content_html) == (None, "<p>Plain text<br>with a line break</p>")


NEWS = "https://news.example.org"


def test_rss_guids_links_authors_dates_and_images() -> None:
    feed = load("handmade-rss.xml", url="https://news.example.org/feed/rss.xml")
    assert (feed.site_url, feed.icon_url) == (f"{NEWS}/", f"{NEWS}/logo.png")
    assert (feed.description, feed.language) == ("Feeds & edge cases", "en-GB")
    permalink, private, relative, script, empty = feed.entries
    assert permalink.link == permalink.guid == "https://news.example.org/a/1"
    assert (permalink.author, permalink.published) == ("Eda Itor", utc(2010, 9, 6, 5, 1))
    assert (private.guid, private.link, private.author) == ("item-2", None, "Dee Creator")
    assert private.published == utc(2010, 9, 7, 8, 30)  # "10:30 GMT+2", no seconds
    assert (private.summary_html, private.content_html) == ("Teaser", "<p>Full <b>story</b></p>")
    assert relative.link == "https://news.example.org/feed/stories/3.html?a=1&b=2"
    assert relative.published == relative.updated == utc(2010, 9, 8, 10)  # dc:date
    assert relative.image_url == "https://news.example.org/media/3.jpg"  # the image enclosure
    assert (script.link, script.published, script.image_url) == (None, None, "https://cdn.example.org/4.png")
    assert (empty.title, empty.guid, empty.summary_html) == ("", None, "Untitled & unlinked")  # raw HTML


def test_relative_links_without_an_address_are_dropped() -> None:
    entry = load("handmade-rss.xml", url=None).entries[2]
    assert entry.link is None and entry.image_url is None


def test_a_doctype_sends_the_feed_to_feedparser() -> None:
    body = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Caf&eacute;</title><link>http://x.example/</link>'
        b"<item><title>N&uuml;sse</title><link>http://x.example/1</link></item></channel></rss>"
    )
    feed = parse_feed(body, url=URL)
    assert (feed.parser, feed.format) == ("feedparser", "rss09x")
    assert (feed.title, feed.entries[0].title) == ("Café", "Nüsse")


def test_the_http_charset_wins_over_the_declaration() -> None:
    body = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\xe9</title>'
    body += b"</channel></rss>"
    feed = parse_feed(body, content_type="text/xml; charset=ISO-8859-1")
    assert (feed.parser, feed.title) == ("feedparser", "Café")
    utf8 = body.replace(b"\xe9", b"\xc3\xa9")
    assert parse_feed(utf8, content_type="text/xml; charset=UTF-8").parser == "fast"


def test_parsers_can_run_in_threads() -> None:
    names = XML_FIXTURES * 2
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda name: stored(load(name)), names))
    assert results == [stored(load(name)) for name in names]


# --- JSON Feed -----------------------------------------------------------------------------------------


def test_json_feed_1_1() -> None:
    feed = load("jsonfeed-1.1.json", url="https://json.example.org/feed.json")
    assert (feed.parser, feed.format, feed.language) == ("json", "json11", "en-US")
    assert (feed.title, feed.site_url) == ("JSON & Friends", "https://json.example.org/")
    assert feed.icon_url == "https://json.example.org/icon.png"
    first, second, wrong_types, boolean_id = feed.entries  # "not an item" is skipped
    assert (first.guid, first.title, first.link) == ("1", "First <post>", "https://json.example.org/posts/1")
    assert (first.author, first.image_url) == ("Jo Writer", "https://json.example.org/1.jpg")
    assert (first.published, first.updated) == (utc(2024, 5, 1, 14), utc(2024, 5, 2))
    assert (first.summary_html, first.content_html) == ("<p>Hello</p>", "<p>Hello <b>world</b></p>")
    assert (second.guid, second.link) == ("2", "https://elsewhere.example.com/2")
    assert second.content_html == "<p>Line one</p><p>Line &lt;two&gt;</p>"
    assert second.image_url == "https://json.example.org/banner2.png"
    assert (wrong_types.guid, wrong_types.title) == ("3.5", "")
    assert (wrong_types.link, wrong_types.published, wrong_types.author) == (None, None, None)
    assert (boolean_id.guid, boolean_id.title) == (None, "Boolean id")


def test_json_feed_1_0() -> None:
    feed = load("jsonfeed-1.0.json")
    assert (feed.format, feed.title) == ("json10", "Old JSON")
    assert feed.icon_url == "https://old.example.org/favicon.ico"
    assert [(e.guid, e.author, e.content_html) for e in feed.entries] == [
        ("a", "Item Author", "<p>Text only</p>"),
        ("b", None, "<p>B</p>"),
    ]
    assert feed.entries[0].published == utc(2019, 1, 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://example.com/not-json-feed", "items": []}', "not a JSON Feed"),
        (b'{"title": "no version"}', "not a JSON Feed"),
        (b'{"version": 1.1}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", ', "neither a feed nor JSON"),
        (b'{"a":' * 100_000, "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
        (b"[1, 2]", "not a JSON Feed"),
    ],
)
def test_json_that_is_not_a_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, content_type="application/json")


def test_json_feed_with_hostile_types_still_parses() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": ["x"], "items": {"id": 1}}'
    feed = parse_feed(body)
    assert (feed.title, feed.entries) == ("", ())
    assert feed.warnings == ("The JSON Feed has no list of items.",)


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 06 Sep 2010 00:01:00 +0000", utc(2010, 9, 6, 0, 1)),
        ("Mon, 06 Sep 2010 00:01:00 EST", utc(2010, 9, 6, 5, 1)),
        ("Mon, 06 Sep 2010 00:01 GMT", utc(2010, 9, 6, 0, 1)),  # no seconds
        ("Mon, 06 Sep 2010 00:01:00 GMT+2", utc(2010, 9, 5, 22, 1)),
        ("Mon, 06 Sep 2010 00:01:00 -05:30", utc(2010, 9, 6, 5, 31)),
        ("6 Sep 2010 00:01:00 CEST", utc(2010, 9, 5, 22, 1)),
        ("Mon, 06 Sep 2010 00:01:00", utc(2010, 9, 6, 0, 1)),  # no zone: UTC
        ("Mo, 06 Okt 2010 10:00:00 +0200", utc(2010, 10, 6, 8)),
        ("Mon, 6 Sep 10 00:01:00 GMT", utc(2010, 9, 6, 0, 1)),  # two-digit year: feedparser's rule
        ("2010-09-06T00:01:00Z", utc(2010, 9, 6, 0, 1)),
        ("2010-09-06T00:01:00.123456+05:30", utc(2010, 9, 5, 18, 31)),
        ("2010-09-06", utc(2010, 9, 6)),
        ("2010-09", utc(2010, 9, 1)),
        ("Mon Sep  6 00:01:00 2010", utc(2010, 9, 6, 0, 1)),  # asctime
        ("2010-13-01T00:00:00Z", None),
        ("99999-01-01T00:00:00Z", None),
        ("Sun, 01 Jan 0001 00:00:00 +0100", None),  # before year 1 in UTC
        ("Fri, 31 Dec 9999 23:59:59 -0500", None),  # after year 9999 in UTC
        ("Mon, 32 Sep 2010 00:01:00 GMT", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


# --- hostile input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.xml", "The server returned an empty document."),
        ("page.html", r"did not return a feed \(it looks like an HTML page\)"),
        ("garbage.bin", r"did not return a feed \(it looks like binary data\)"),
        ("bad-encoding-name.xml", "The feed could not be read"),
        ("surrogate.xml", "The feed could not be read"),
    ],
)
def test_hostile_documents_raise_feed_parse_error(name: str, message: str) -> None:
    for fast in (True, False):
        with pytest.raises(FeedParseError, match=message):
            parse_feed((HOSTILE / name).read_bytes(), url=URL, fast=fast)


def test_feedparser_crash_on_a_nul_in_the_encoding_is_a_feed_parse_error() -> None:
    body = (HOSTILE / "nul-encoding.xml").read_bytes()
    with pytest.raises(FeedParseError, match="could not be read"):
        parse_feed(body, fast=False)
    feed = parse_feed(body)  # the fast path drops the NUL and says so
    assert (feed.title, feed.warnings[0][:32]) == ("NUL in the encoding", "The feed is not well-formed XML ")


@pytest.mark.parametrize("name", ["billion-laughs.xml", "billion-laughs-oneline.xml"])
def test_billion_laughs_is_defused_quickly(name: str) -> None:
    started = time.process_time()
    feed = parse_feed((HOSTILE / name).read_bytes(), url=URL)
    assert time.process_time() - started < 1.0
    assert feed.parser == "feedparser"
    assert len(feed.title) < 100 and feed.entries[0].title == "Laugh"


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title></channel></rss>'
    ).encode()
    assert "top secret" not in parse_feed(body).title


def test_control_characters_never_reach_titles() -> None:
    item = b'{"id": "a\\u0000", "title": "x\\u0000y\\u001bz\\ud800"}'
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + item + b"]}"
    entry = parse_feed(body).entries[0]
    assert (entry.guid, entry.title) == ("a", "xyz")


def test_a_path_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes((DATA / "handmade-rss.xml").read_bytes())
    opened: list[object] = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    for body in (str(feed_file).encode(), b"/etc/passwd", b"file:///etc/passwd"):
        with pytest.raises(FeedParseError, match="did not return a feed"):
            parse_feed(body)
    assert opened == []


def test_an_address_is_never_fetched(server: LoopbackServer) -> None:
    server.serve("/feed.xml", (DATA / "handmade-rss.xml").read_bytes())
    for body in (server.url("/feed.xml").encode(), b"http://127.0.0.1:1/x"):
        with pytest.raises(FeedParseError, match="did not return a feed"):
            parse_feed(body)
    assert server.log == []


def test_any_crash_inside_a_parser_becomes_feed_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    import feedparser

    monkeypatch.setattr(feedparser, "parse", explode)
    with pytest.raises(FeedParseError, match=r"could not be read \(RuntimeError: boom\)"):
        parse_feed(b"<rss><channel><title>x</title></channel></rss>", fast=False)


def test_an_external_dtd_is_never_read(tmp_path: Path) -> None:
    dtd = tmp_path / "ext.dtd"
    dtd.write_text('<!ENTITY secret "TOPSECRET-LEAK"><!ATTLIST title leak CDATA "TOPSECRET-DEFAULT">')
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>1</guid>'
        "<description>&secret;</description></item></channel></rss>"
    ).encode()
    for fast in (True, False):
        try:
            feed = parse_feed(body, url="http://example.org/", fast=fast)
        except FeedParseError:
            continue
        assert "TOPSECRET" not in repr(feed)
