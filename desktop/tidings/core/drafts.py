"""What a feed parser found, before it becomes a model: the drafts every parser fills (the fast XML path,
feedparser's results, JSON Feed) and the small rules they share, so all paths agree."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)(/*)(.*?)")
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)", re.I)
_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)  # feedparser's, so both paths split "jo@example.com (Jo)" the same way
_C1 = re.compile("[\x80-\x9f]")
_C1_CHARS = tuple(chr(code) for code in range(0x80, 0xA0))
_CP1252 = {c: bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in b"\x81\x8d\x8f\x90\x9d"}
NO_IMAGE = 99


@dataclass(slots=True)
class EntryDraft:
    """One entry's raw values as a parser found them.

    A `*_type` is "text", "html", "xhtml" or "guess" (feedparser's rule for RSS text: HTML if it looks
    like HTML). Dates are the strings as written; URLs may still be relative to the feed address.
    """

    guid: str | None = None
    link: str | None = None
    title: str = ""
    title_type: str = "text"
    author: str | None = None
    summary: str = ""
    summary_type: str = "html"
    contents: list[tuple[str, str]] = field(default_factory=list)  # (value, type) in document order
    published: str | None = None
    updated: str | None = None
    image: str | None = None
    image_rank: int = NO_IMAGE  # lower wins: thumbnail, media:content, enclosure, itunes:image


@dataclass(slots=True)
class FeedDraft:
    """A whole feed's raw values as a parser found them (see EntryDraft)."""

    format: str = ""
    parser: str = "fast"
    title: str = ""
    title_type: str = "text"
    site_url: str | None = None
    description: str = ""
    description_type: str = "text"
    image: str | None = None  # RSS image/url or itunes:image
    icon: str | None = None
    logo: str | None = None
    language: str | None = None
    entries: list[EntryDraft] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fix_text(value: str) -> str:
    """feedparser's repairs: UTF-8 read as Latin-1 ("cafÃ©"), and C1 codes meant as Windows-1252."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    # on long (content) strings, str.find is ~10x faster than a regex character class
    c1 = any(char in value for char in _C1_CHARS) if len(value) > 500 else _C1.search(value)
    return value.translate(_CP1252) if c1 else value


def content_kind(mime: str | None, default: str) -> str | None:
    """The kind of a type attribute (Atom names or MIME types): text, html, xhtml; None for others."""
    value = (mime or default).strip().lower()
    if value in ("text", "plain", "text/plain") or (value.startswith("text/") and value != "text/html"):
        return "text"
    if value in ("html", "text/html"):
        return "html"
    if value in ("xhtml", "application/xhtml+xml"):
        return "xhtml"
    return None


def split_author(value: str) -> tuple[str, str]:
    """("Jo", "jo@example.com") from "jo@example.com (Jo)", the way feedparser splits it."""
    match = _EMAIL.search(value)
    if not match:
        return value.strip(), ""
    email = match.group(0)
    name = value.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "").strip()
    name = name[1:] if name.startswith("(") else name
    name = name[:-1] if name.endswith(")") else name
    return name.strip(), email


def join_url(base: str, value: str) -> str:
    """urljoin, after feedparser's fix of extra slashes ("http:///x"); "" when the URL is invalid."""
    try:
        return urljoin(base, _URI_FIXER.sub(r"\1\3", value))
    except ValueError:
        return ""


def image_rank(rank: int, url: str | None, medium: str | None, mime: str | None) -> int:
    """rank when url is an image (by medium, MIME type, or a bare image file name), else NO_IMAGE."""
    if not url:
        return NO_IMAGE
    medium, mime = (medium or "").lower(), (mime or "").lower()
    if medium == "image" or mime.startswith("image/"):
        return rank
    return rank if not medium and not mime and _IMAGE_EXT.search(url) else NO_IMAGE
