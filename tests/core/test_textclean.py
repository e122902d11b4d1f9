"""Text hygiene: no control character is ever stored, bidi controls never reach a plain-text field, and the
rules are idempotent and leave printable text alone (`core.textclean`, applied in `update.to_row` and
`storage.feeds`)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.core.feeds import parse_feed
from tidings.core.models import ParsedEntry, ParsedFeed
from tidings.core.storage import feeds as feed_store
from tidings.core.storage import stories as story_store
from tidings.core.storage.db import connect
from tidings.core.textclean import BIDI_CONTROLS, clean_html, clean_line, clean_text, clean_url
from tidings.core.update import prepare

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
BIDI = re.compile(f"[{BIDI_CONTROLS}]")
BODY_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # tab and newline allowed

# Text rich in what matters here: controls, bidi controls and marks, surrogates, odd whitespace.
NASTY = st.sampled_from(
    list("\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1c\x1f\x7f\x80\x85\x9b\x9f\xa0\u2028\u2029")
    + list(BIDI_CONTROLS)
    + ["\u200e", "\u200f", "\u061c", "\ud800", "\udfff", "\ufeff", "\u200b", "\u200d"]
)
TEXT = st.lists(st.one_of(NASTY, st.characters(), st.sampled_from(list("ab <>&é שלום "))), max_size=60).map(
    "".join
)
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs",)).filter(str.isprintable), max_size=60)


@given(TEXT)
def test_a_line_has_no_control_or_bidi_control_and_single_spaces(value: str) -> None:
    line = clean_line(value)
    assert not CONTROLS.search(line) and not BIDI.search(line)
    assert line == line.strip() and "  " not in line


@given(TEXT)
def test_text_and_html_keep_only_tab_and_newline(value: str) -> None:
    for cleaned in (clean_text(value), clean_html(value)):
        assert not BODY_CONTROLS.search(cleaned)
    assert not BIDI.search(clean_text(value))


@given(TEXT)
def test_cleaning_is_idempotent(value: str) -> None:
    for clean in (clean_line, clean_text, clean_html, clean_url):
        once = clean(value)
        assert clean(once) == once if once is not None else clean("") is None


@given(PRINTABLE)
def test_printable_text_is_left_as_it_is(value: str) -> None:
    assert clean_text(value) == value
    assert clean_html(value) == value
    assert clean_line(value) == " ".join(value.split())  # only runs of spaces change


def test_what_goes_and_what_stays() -> None:
    spoof = "Invoice \u202egpj.exe"  # shows as "Invoice exe.jpg" where the override is honoured
    assert clean_line(spoof) == "Invoice gpj.exe"
    assert clean_line("a\x00b\tc\nd\x1be \u2066x\u2069") == "ab c de x"
    hebrew = "\u05e9\u05dc\u05d5\u05dd \u200fabc"  # bidi marks stay
    assert clean_line(hebrew) == hebrew
    assert clean_text("one\r\ntwo\rthree\x00\x85\u202e") == "one\ntwo\nthree"
    assert clean_html("<p>a\r\n\tb\x0c\x9b\u202e</p>") == "<p>a\n\tb\u202e</p>"  # the article's own bidi
    assert clean_url(" https://x.example/\u202ea\x00b ") == "https://x.example/ab"
    assert clean_url("\x00\u2066") is None and clean_url(None) is None


@settings(max_examples=60, deadline=None)
@given(title=TEXT, author=TEXT, summary=TEXT, content=TEXT, feed_title=TEXT)
def test_prepared_rows_carry_no_control_characters(
    title: str, author: str, summary: str, content: str, feed_title: str
) -> None:
    entry = ParsedEntry(
        guid="g",
        link="https://example.org/\u202ea\x01",
        title=title,
        author=author or None,
        summary_html=summary,
        content_html=content,
        published=datetime(2024, 1, 2, tzinfo=UTC),
        updated=None,
        image_url="https://example.org/i.png\x00",
    )
    prepared = prepare(_feed(feed_title, entry))
    assert _line_ok(prepared.title) and _line_ok(prepared.description)
    (row,) = prepared.rows
    for line in (row.title, row.author or "", row.url or "", row.image_url or ""):
        assert _line_ok(line)
    for body in (row.summary, row.content, row.text):
        assert not BODY_CONTROLS.search(body)
    assert not BIDI.search(row.text)


def _feed(title: str, *entries: ParsedEntry) -> ParsedFeed:
    return ParsedFeed(
        title=title,
        format="rss20",
        entries=entries,
        site_url="https://example.org/\x07",
        description="about\x00 \u202ethis",
        icon_url=None,
        language=None,
        parser="test",
    )


def _line_ok(value: str) -> bool:
    return not CONTROLS.search(value) and not BIDI.search(value)


HOSTILE_FEED = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
    b"<title>Feed &#x202E;eltit\x01</title><link>https://example.org/</link>"
    b"<description>desc&#x2066;ription</description>"
    b"<item><guid>a</guid><title>Cheap &#x202E;gpj.exe&#x202C; now\x07</title>"
    b"<author>a@b (Mal&#x2067;lory)</author><link>https://example.org/a&#x202E;</link>"
    b"<description>&lt;p&gt;bo\x08dy &amp;#0; &amp;#x1b; &#x9b;&lt;/p&gt;</description></item>"
    b"</channel></rss>"
)


def test_a_hostile_feed_stores_clean_text(tmp_path: Path) -> None:
    """Through the real parser and the store: every text column of every stored row is clean."""
    parsed = parse_feed(HOSTILE_FEED.replace(b"\x01", b"").replace(b"\x07", b"").replace(b"\x08", b""))
    raw = parse_feed(HOSTILE_FEED, url="https://example.org/feed")  # the parser may repair or refuse C0
    conn = connect(tmp_path / "t.sqlite3")
    for n, feed in enumerate((parsed, raw)):
        prepared = prepare(feed)
        fid = feed_store.add_feed(conn, f"https://example.org/feed{n}", title=prepared.title)
        story_store.insert(conn, fid, list(prepared.rows))
        feed_store.record_metadata(
            conn, fid, title=prepared.title, site_url=None, description=prepared.description, icon_url=None
        )
    _assert_store_clean(conn)
    assert conn.execute("SELECT title FROM stories").fetchone()[0] == "Cheap gpj.exe now"


def test_feed_titles_folders_and_errors_are_cleaned_as_stored(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    fid = feed_store.add_feed(
        conn,
        "https://example.org/feed",
        title="T\x00itle\u202e",
        user_title="Mine\x1b[31m\u2068",
        folder="News\x07 / \u202eWorld",
    )
    feed_store.rename_feed(conn, fid, "Re\x00named\u202d")
    feed_store.record_error(conn, fid, "The server said \x1b[2J\u202eoops", next_check=None)
    _assert_store_clean(conn)
    feed = feed_store.get_feed(conn, fid)
    assert (feed.title, feed.folder) == ("Renamed", "News / World")
    assert feed.error is not None and feed.error.message == "The server said [2Joops"


def _assert_store_clean(conn: sqlite3.Connection) -> None:
    columns = {
        "feeds": ("title", "user_title", "description", "site_url", "icon_url", "error_message"),
        "folders": ("name",),
        "stories": ("url", "title", "author", "summary", "content", "text", "image_url"),
    }
    for table, names in columns.items():
        for row in conn.execute(f"SELECT {', '.join(names)} FROM {table}"):
            for name, value in zip(names, row, strict=True):
                if value is None:
                    continue
                pattern = BODY_CONTROLS if name in ("summary", "content") else CONTROLS
                assert not pattern.search(value), (table, name, value)
                if name not in ("summary", "content"):
                    assert not BIDI.search(value), (table, name, value)
