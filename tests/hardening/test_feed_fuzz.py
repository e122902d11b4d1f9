"""Fuzzing the feed pipeline: whatever bytes a server sends, parsing returns prepared rows or an error in words
(nothing escapes the per-feed wrapper), and what would be stored is clean and, once sanitized, safe.

Longer runs: `TIDINGS_FUZZ_EXAMPLES=20000 pytest tests/hardening/test_feed_fuzz.py`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.refresh import parse_job
from tidings.core.sanitize import sanitize_html
from tidings.core.update import PreparedFeed

EXAMPLES = int(os.environ.get("TIDINGS_FUZZ_EXAMPLES", "300"))
FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
SEEDS = [p.read_bytes() for p in sorted(FEEDS.glob("*.xml")) + sorted(FEEDS.glob("*.json"))][:12]
HOSTILE_BITS = [
    b"<script>alert(1)</script>", b"<img src=x onerror=alert(1)>", b"javascript:alert(1)", b"\x00", b"\xff\xfe",
    b"&#xD800;", b"&#x110000;", b"<!ENTITY x 'y'>", b"]]>", b"<![CDATA[", b"\xe2\x80\xae", b"<a href='file:///etc'>",
    b"<svg onload=x>", b'<?xml version="1.0" encoding="\xff"?>', b"<" * 50, b"</item>" * 20,
]  # fmt: skip
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@st.composite
def mangled_feed(draw: st.DrawFn) -> bytes:
    """A real feed cut, spliced with hostile bits and random bytes."""
    base = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(base)))
        insert = draw(st.one_of(st.sampled_from(HOSTILE_BITS), st.binary(max_size=40)))
        cut = draw(st.integers(0, 30))
        base = base[:at] + insert + base[at + cut :]
    return base


def check(result: PreparedFeed | str) -> None:
    if isinstance(result, str):
        assert result and "Traceback" not in result  # the feed's error, in words
        return
    for row in result.rows:
        assert not CONTROL.search(row.title or "") and not CONTROL.search(row.author or "")
        for html in (row.summary, row.content):
            assert_safe(sanitize_html(html, row.url))


def assert_safe(safe: str) -> None:
    """Parsed as a browser would: no script or style element, no event handler, only web or mail addresses
    (words like "onerror=" inside text or an escaped attribute value are harmless, and allowed)."""
    if not safe.strip():
        return
    root = lxml.html.fragment_fromstring(safe, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in ("script", "style", "iframe", "object", "embed", "form"), (
            element.tag
        )
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            if name.lower() in ("href", "src"):
                assert value.startswith(("http://", "https://", "mailto:")), value


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_feed(), st.sampled_from([None, "application/rss+xml", "application/feed+json", "text/html"]))
def test_mangled_feeds_become_rows_or_an_error_in_words(body: bytes, content_type: str | None) -> None:
    check(parse_job(body, "https://news.example/feed", content_type))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "gzip", "deflate", "br"]))
def test_random_bytes_with_any_encoding_never_escape(body: bytes, encoding: str | None) -> None:
    check(parse_job(body, "https://news.example/feed", "application/xml", encoding))


def test_the_safety_check_itself_catches_what_it_must() -> None:
    for unsafe in (
        '<p onclick="x()">a</p>',
        "<script>x()</script>",
        '<a href="javascript:x">a</a>',
        '<img src="/dev/zero">',
    ):
        try:
            assert_safe(unsafe)
        except AssertionError:
            continue
        raise AssertionError(f"not caught: {unsafe}")
    assert_safe('<p>the words onerror= and &lt;script&gt; are text</p><a href="https://x.example/">a</a>')
