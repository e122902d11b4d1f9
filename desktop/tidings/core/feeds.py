"""Parse feed bytes (RSS, RDF, Atom, JSON Feed) into `ParsedFeed`.

Three readers fill the same drafts: the lxml fast path for RSS and Atom 1.0 (`feedxml`; ~1-2 ms a
feed), feedparser for everything else (XML we cannot repair, charset conflicts, DOCTYPEs, Atom 0.3;
~100 ms a feed), and JSON Feed (`jsonfeed`). One set of rules here turns a draft into models, so a feed
gives the same stories whichever reader took it. Nothing here opens a file or a network address: only
the bytes given are read.
"""

from __future__ import annotations

import codecs
import functools
import html
import html.entities
import io
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml.etree import XMLSyntaxError

from tidings.core.drafts import NO_IMAGE, EntryDraft, FeedDraft, content_kind, image_rank, join_url
from tidings.core.errors import FeedParseError
from tidings.core.feedxml import parse_fast
from tidings.core.jsonfeed import read_json_feed
from tidings.core.models import ParsedEntry, ParsedFeed

_BOM = b"\xef\xbb\xbf"
_JSON_TYPES = ("application/feed+json", "application/json")
_ASCII_COMPATIBLE = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_CONTROL_BYTES = bytes(range(9)) + b"\x0b\x0c" + bytes(range(14, 32))
_BAD_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#\d+|#[xX][\da-fA-F]+);)(?:([A-Za-z][A-Za-z\d]*);)?")
_ROOT_START = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s[^>]*>")
_SAFE_ENTITY = re.compile(rb'<!ENTITY\s+\w+\s+"[^&%"<]{0,100}"\s*>')
_FORMATS = {"rss090": "rss09x", "rss091n": "rss09x", "rss091u": "rss09x", "rss092": "rss09x"}
_FORMATS |= {"rss093": "rss09x", "rss094": "rss09x", "atom01": "atom03", "atom02": "atom03"}

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database or UI wants them
# Linear on hostile text: an unclosed script or comment runs to the end, a tag stops at the next "<".
_HIDDEN = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)", re.I | re.S)
_BLOCKS = r"br|p|div|li|h[1-6]|tr|t[dh]|blockquote|pre|[uod]l|d[td]|hr|table"
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCKS})\b[^<>]*>", re.I)  # these separate words: replaced by a space
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[!?][^<>]*>")
_MAX_TEXT = 4000  # characters kept of a title, author or description (a 50 MB "title" is an attack)
_CLOSE_TAG = re.compile(r"</(\w+)>")
_ENTITY_REF = re.compile(r"&#?\w+;")
_HTTP_URL = re.compile(r"https?://[^/?#\s]", re.I)


# feedparser is imported on first use: it costs ~90 ms, and most feeds never need it (the fast path reads
# them), which matters in every parse worker's start-up.
@functools.cache
def _html_elements() -> frozenset[str]:
    from feedparser.sanitizer import _HTMLSanitizer

    return frozenset(_HTMLSanitizer.acceptable_elements)


def _feedparser_date(text: str) -> Any:
    from feedparser.datetimes import _parse_date

    return _parse_date(text)


def _feedparser_w3dtf(text: str) -> Any:
    from feedparser.datetimes.w3dtf import _parse_date_w3dtf

    return _parse_date_w3dtf(text)


_RFC822 = re.compile(
    r"\s*(?:[^\W\d_]+\.?,?\s*)?(\d{1,2})[\s-]+([^\W\d_]{3})[^\W\d_]*\.?[\s-]+(\d{4}),?\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([A-Za-z]{1,5}|(?:(?:GMT|UTC?)\s*)?[+-][\d:]{1,5})?\s*"
)
_ISO_LIKE = re.compile(r"\d{4,}-")
_NUMERIC_ZONE = re.compile(r"(?:GMT|UTC?)?([+-])(\d{1,2}):?(\d\d)?")
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9}
_MONTHS |= {"oct": 10, "nov": 11, "dec": 12}
_MONTHS |= {"mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12}
_MONTHS |= {"fév": 2, "fev": 2, "avr": 4, "aoû": 8, "déc": 12, "gen": 1, "mag": 5, "giu": 6, "lug": 7}
_MONTHS |= {"set": 9, "ott": 10}
# feedparser's zone names (unknown names count as UTC there too), plus a few common in real feeds.
_ZONES = {"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "ADT": -3, "AST": -4, "AT": -4, "EDT": -4, "EST": -5}
_ZONES |= {"ET": -5, "CDT": -5, "CST": -6, "CT": -6, "MDT": -6, "MST": -7, "MT": -7, "PDT": -7, "PST": -8}
_ZONES |= {"PT": -8, "A": -1, "N": 1, "M": -12, "Y": 12, "MET": 1, "MEST": 2, "CET": 1, "CEST": 2}
_ZONES |= {"EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "BST": 1, "MSK": 3, "JST": 9, "KST": 9, "HKT": 8}
_ZONES |= {"SGT": 8, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13}
_ZONE_CACHE = {"GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "+0000": 0, "-0000": 0}


def parse_feed(
    body: bytes, *, url: str | None = None, content_type: str | None = None, fast: bool = True
) -> ParsedFeed:
    """Parse a fetched feed document: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1.

    `body` is the document as served; `url` its address, used only to make relative links absolute
    (never fetched or opened); `content_type` the HTTP Content-Type header, whose charset wins over the
    document's own declaration, as RFC 3023 and feedparser have it. `fast=False` skips the lxml fast
    path and reads with feedparser (for checks and debugging).

    Raises FeedParseError, with a sentence for the user, for anything that is not a feed we can read.
    """
    try:
        return _parse(bytes(body), url, content_type, fast)
    except FeedParseError:
        raise
    except Exception as exc:  # a crash in any parser is a bad feed, never a bug that stops a refresh
        raise FeedParseError(f"The feed could not be read ({_reason(exc)}).") from exc


def _parse(body: bytes, url: str | None, content_type: str | None, fast: bool) -> ParsedFeed:
    body = _trim(body)
    if not body.strip():
        raise FeedParseError("The server returned an empty document.")
    if _is_json(body, content_type):
        return _finish(read_json_feed(body), url)
    draft = _read_fast(body, url, content_type) if fast else None
    return _finish(draft or _read_with_feedparser(body, content_type), url)


def _trim(body: bytes) -> bytes:
    """Whitespace before the XML declaration makes the document ill-formed; drop it (keeping a BOM)."""
    bom = _BOM if body.startswith(_BOM) else b""
    rest = body[len(bom) :]
    return bom + rest.lstrip() if rest[:1].isspace() else body


def _is_json(body: bytes, content_type: str | None) -> bool:
    first = body[3:4] if body.startswith(_BOM) else body[:1]
    return first == b"{" or (_mime(content_type) in _JSON_TYPES and first != b"<")


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'")
    return None


def _read_fast(body: bytes, url: str | None, content_type: str | None) -> FeedDraft | None:
    charset = _charset(content_type)
    if charset and _codec(charset) != _declared_encoding(body):
        return None  # the HTTP charset wins: feedparser knows how to apply it
    try:
        return parse_fast(body, url)
    except XMLSyntaxError as error:
        return _read_repaired(body, url, error)
    except Exception:  # anything unexpected: feedparser reads it or explains why not
        return None


def _read_repaired(body: bytes, url: str | None, error: XMLSyntaxError) -> FeedDraft | None:
    """Documents with the few defects feedparser forgives (see `_repair_xml`) still take the fast path."""
    try:
        fixed = _repair_xml(body)
        draft = parse_fast(fixed, url) if fixed is not None else None
    except Exception:
        return None
    if draft is not None:
        draft.warnings.append(f"The feed is not well-formed XML ({error.msg}); it was repaired and read.")
    return draft


# --- repairs -----------------------------------------------------------------------------------------


def _repair_xml(body: bytes) -> bytes | None:
    """The document with the defects feedparser's lenient parser forgives fixed; None if nothing changed.

    Only for ASCII-compatible encodings: a "UTF-16" label on 8-bit text becomes UTF-8 (as feedparser
    decodes it); control characters are dropped; outside CDATA, a bare & is escaped and HTML entities
    become character references; anything after the root element (an injected script) is cut.
    """
    label = _XML_DECLARATION.match(body)
    codec = _codec(label.group(1).decode("ascii")) if label else "utf-8"
    fixed = body
    if label and codec.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:64]:
        fixed, codec = body[: label.start(1)] + b"utf-8" + body[label.end(1) :], "utf-8"
    if codec not in _ASCII_COMPATIBLE and "<&;".encode(codec, "replace") != b"<&;":
        return None  # UTF-16, EBCDIC...: a byte-level repair would corrupt the text
    fixed = _outside_cdata(fixed.translate(None, _CONTROL_BYTES), _fix_entities)
    fixed = _cut_after_root(fixed)
    return fixed if fixed != body else None


def _declared_encoding(body: bytes) -> str:
    """The encoding a document declares (BOM, else XML declaration, else UTF-8), as a Python codec name."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    label = _XML_DECLARATION.match(body)
    return _codec(label.group(1).decode("ascii")) if label else "utf-8"


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return f"unknown:{name.lower()}"


def _outside_cdata(body: bytes, fix: Callable[[bytes], bytes]) -> bytes:
    parts, last = [], 0
    while (start := body.find(b"<![CDATA[", last)) >= 0 and (end := body.find(b"]]>", start)) >= 0:
        parts += [fix(body[last:start]), body[start : end + 3]]
        last = end + 3
    parts.append(fix(body[last:]))
    return b"".join(parts)


def _fix_entities(text: bytes) -> bytes:
    return _BAD_ENTITY.sub(_fix_entity, text) if b"&" in text else text


def _fix_entity(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name is None:
        return b"&amp;"
    chars = html.entities.html5.get(name.decode("ascii") + ";")
    return "".join(f"&#{ord(char)};" for char in chars).encode() if chars else b"&amp;" + name + b";"


def _cut_after_root(body: bytes) -> bytes:
    root = _ROOT_START.search(body)
    end = body.rfind(b"</" + root.group(1)) if root else -1
    close = body.find(b">", end) if end >= 0 else -1
    return body[: close + 1] if close >= 0 and body[close + 1 :].strip() else body


# --- feedparser --------------------------------------------------------------------------------------


def _read_with_feedparser(body: bytes, content_type: str | None) -> FeedDraft:
    """feedparser over the bytes (a stream, so it never takes them for a path or an address).

    No Content-Location: links are resolved in `_finish`, so guids stay as written whatever the
    address. Sanitizing and URL rewriting in HTML are left to the renderer (the raw HTML is stored).
    """
    headers = {"content-type": content_type} if content_type else {}
    if b"<!ENTITY" in body:
        body = _defuse_entities(body)
    import feedparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedparser.parse(
            io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    version, entries = _fp_str(result, "version"), _fp_list(result, "entries")
    if not version and not entries:
        raise FeedParseError(f"This address did not return a feed (it looks like {_looks_like(body)}).")
    draft = _feedparser_head(_fp_dict(result, "feed"), version)
    draft.entries = [_feedparser_entry(entry) for entry in entries if isinstance(entry, dict)]
    draft.warnings = _feedparser_warnings(result)
    return draft


def _defuse_entities(body: bytes) -> bytes:
    """Drop every entity declaration but short literal ones.

    feedparser means to do the same, but its patterns only see declarations at the start of a line: a
    billion-laughs DTD on one line reaches expat and costs a second or more of CPU. (Text that looks
    like a declaration inside CDATA is dropped too; only documents with a DTD come here.)
    """
    return _ENTITY_DECLARATION.sub(_keep_safe_entity, body)


def _keep_safe_entity(match: re.Match[bytes]) -> bytes:
    return match.group(0) if _SAFE_ENTITY.fullmatch(match.group(0)) else b""


def _feedparser_head(feed: dict[str, object], version: str) -> FeedDraft:
    return FeedDraft(
        format=_FORMATS.get(version, version),
        parser="feedparser",
        title=_fp_str(feed, "title"),
        title_type=_fp_kind(feed, "title_detail"),
        site_url=_fp_str(feed, "link") or None,
        description=_fp_str(feed, "subtitle"),
        description_type=_fp_kind(feed, "subtitle_detail"),
        image=_fp_str(_fp_dict(feed, "image"), "href") or None,
        icon=_fp_str(feed, "icon") or None,
        logo=_fp_str(feed, "logo") or None,
        language=_fp_str(feed, "language") or None,
    )


def _feedparser_entry(entry: dict[str, object]) -> EntryDraft:
    detail = _fp_dict(entry, "author_detail")
    draft = EntryDraft(
        guid=_fp_str(entry, "id") or None,
        link=_fp_str(entry, "link") or None,
        title=_fp_str(entry, "title"),
        title_type=_fp_kind(entry, "title_detail"),
        author=_fp_str(detail, "name") or _fp_str(detail, "email") or _fp_str(entry, "author") or None,
        summary=_fp_str(entry, "summary"),
        summary_type=_fp_kind(entry, "summary_detail"),
        contents=_feedparser_contents(entry),
        published=_fp_str(entry, "published") or None,
        updated=_fp_str(entry, "updated") or None,
    )
    draft.image_rank, draft.image = min(_feedparser_images(entry), key=_rank, default=(NO_IMAGE, None))
    return draft


def _feedparser_contents(entry: dict[str, object]) -> list[tuple[str, str]]:
    contents = entry.get("content")
    parts = contents if isinstance(contents, list) else []
    pairs = [(_fp_str(part, "value"), content_kind(_fp_str(part, "type"), "text")) for part in parts]
    return [(value, kind) for value, kind in pairs if kind]


def _feedparser_images(entry: dict[str, object]) -> list[tuple[int, str | None]]:
    """(rank, url) of every image, in the fast path's order: thumbnail, media, enclosure, itunes."""
    found = [(0, _fp_str(thumb, "url"), "image", "") for thumb in _fp_list(entry, "media_thumbnail")]
    media = _fp_list(entry, "media_content")
    found += [(1, _fp_str(m, "url"), _fp_str(m, "medium"), _fp_str(m, "type")) for m in media]
    links = [link for link in _fp_list(entry, "links") if _fp_str(link, "rel") == "enclosure"]
    found += [(2, _fp_str(link, "href"), "", _fp_str(link, "type")) for link in links]
    found.append((3, _fp_str(_fp_dict(entry, "image"), "href"), "image", ""))
    ranked = [(image_rank(rank, url, medium, mime), url) for rank, url, medium, mime in found]
    return [pair for pair in ranked if pair[0] != NO_IMAGE]


def _rank(pair: tuple[int, str | None]) -> int:
    return pair[0]


def _feedparser_warnings(result: dict[str, object]) -> list[str]:
    from feedparser import NonXMLContentType

    error = dict.get(result, "bozo_exception")
    if not isinstance(error, Exception) or isinstance(error, NonXMLContentType):
        return []  # a feed served as text/html is no news to the user
    return [f"The feed has errors and was read leniently ({_reason(error)})."]


# dict.get, not FeedParserDict.get: its key aliases (url -> href, updated -> published) would blur fields
# and raise DeprecationWarnings.


def _fp_str(mapping: object, key: str) -> str:
    value = dict.get(mapping, key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) else ""


def _fp_dict(mapping: dict[str, object], key: str) -> dict[str, object]:
    value = dict.get(mapping, key)
    return value if isinstance(value, dict) else {}


def _fp_list(mapping: dict[str, object], key: str) -> list[object]:
    value = dict.get(mapping, key)
    return value if isinstance(value, list) else []


def _fp_kind(mapping: dict[str, object], key: str) -> str:
    """feedparser has already guessed text or HTML: its type is final."""
    return content_kind(_fp_str(_fp_dict(mapping, key), "type"), "text") or "text"


# --- drafts to models --------------------------------------------------------------------------------


def _finish(draft: FeedDraft, url: str | None) -> ParsedFeed:
    scrub = draft.parser != "fast"  # XML well-formedness already excludes NULs and lone surrogates
    icons = (_absolute(value, url) for value in (draft.image, draft.icon, draft.logo))
    return ParsedFeed(
        title=plain_text(draft.title, draft.title_type),
        format=draft.format,
        entries=tuple(_finish_entry(entry, url, scrub) for entry in draft.entries),
        site_url=_absolute(draft.site_url, url),
        description=plain_text(draft.description, draft.description_type),
        icon_url=next((icon for icon in icons if icon), None),
        language=clean_text(draft.language or "") or None,
        parser=draft.parser,
        warnings=tuple(draft.warnings),
    )


def _finish_entry(draft: EntryDraft, url: str | None, scrub: bool) -> ParsedEntry:
    values = [value for value, _ in draft.contents]
    summary = "" if draft.summary in values else draft.summary  # feedparser copies content to summary
    bodies = [to_html(value, kind) for value, kind in draft.contents if value.strip()]
    updated = parse_date(draft.updated)
    return ParsedEntry(
        guid=_UNSAFE.sub("", (draft.guid or "").strip()) or None,
        link=_absolute(draft.link, url),
        title=plain_text(draft.title, draft.title_type),
        author=clean_text((draft.author or "")[:_MAX_TEXT]) or None,
        summary_html=_scrub(to_html(summary, draft.summary_type) if summary.strip() else "", scrub),
        content_html=_scrub(max(bodies, key=len, default=""), scrub),
        published=parse_date(draft.published) or updated,
        updated=updated,
        image_url=_absolute(draft.image, url),
    )


def _scrub(value: str, scrub: bool) -> str:
    return _UNSAFE.sub("", value) if scrub else value


def _absolute(value: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, or None (relative without a base, javascript:, mailto:...)."""
    value = (value or "").strip()
    if _HTTP_URL.match(value):
        return _UNSAFE.sub("", value)  # already absolute (urljoin would only rewrite it needlessly)
    joined = _UNSAFE.sub("", join_url(base or "", value)) if value else ""
    return joined if _HTTP_URL.match(joined) else None


# --- text ----------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """One line of plain text: control characters removed, runs of whitespace made one space."""
    return " ".join((_CONTROLS.sub("", text) if _CONTROLS.search(text) else text).split())


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags (and script/style bodies) dropped, entities decoded."""
    if "<" in markup:
        markup = _TAG.sub("", _BLOCK_TAG.sub(" ", _HIDDEN.sub(" ", markup)))
    if "&" in markup:
        markup = html.unescape(markup)
    return clean_text(markup)


def looks_like_html(text: str) -> bool:
    """feedparser's guess for RSS text: a close tag or an entity, and only known HTML tags and entities."""
    if not (_CLOSE_TAG.search(text) or _ENTITY_REF.search(text)):
        return False
    if any(tag.lower() not in _html_elements() for tag in re.findall(r"</?(\w+)", text)):
        return False
    return all(name in html.entities.entitydefs for name in re.findall(r"&(\w+);", text))


def plain_text(value: str, kind: str) -> str:
    """Plain text of a text construct of the given kind ("text", "html", "xhtml" or "guess"), at most
    _MAX_TEXT characters long."""
    value = value[: _MAX_TEXT * 8]
    if kind == "text" or (kind == "guess" and not looks_like_html(value)):
        return clean_text(value)[:_MAX_TEXT]
    return html_to_text(value)[:_MAX_TEXT]


def to_html(value: str, kind: str) -> str:
    """HTML for a text construct: HTML as it is, plain text escaped into paragraphs."""
    if kind == "text" or (kind == "guess" and not looks_like_html(value)):
        return text_to_html(value)
    return value


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate them, single newlines become <br>)."""
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", text))
    return "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs if part)


# --- dates ---------------------------------------------------------------------------------------------


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware UTC datetime (to the second) from an RFC 822 or ISO 8601 date; None if unknown.

    Never raises. Common forms are parsed here; anything else goes to feedparser's date handlers.
    """
    text = (value or "").strip()
    if not text or len(text) > 80:
        return None
    try:
        if _ISO_LIKE.match(text):
            parsed = _parse_iso(text) or _parse_other(text, _feedparser_w3dtf)
        else:
            parsed = _parse_rfc822(text) or _parse_other(text, _feedparser_date)
        return parsed.replace(microsecond=0) if parsed.microsecond else parsed
    except Exception:  # feedparser's handlers raise more than they promise; a bad date is no date
        return None


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _parse_rfc822(text: str) -> datetime | None:
    match = _RFC822.fullmatch(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if not match or not month:
        return None
    day, _, year, hour, minute, second, zone = match.groups()
    offset = _ZONE_CACHE.get(zone or "GMT")
    if offset is None:
        offset = _zone_minutes(zone)
        if offset is None:
            return None
        if len(_ZONE_CACHE) < 512:
            _ZONE_CACHE[zone] = offset
    stamp = datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    return stamp - timedelta(minutes=offset) if offset else stamp


def _zone_minutes(zone: str) -> int | None:
    """Minutes east of UTC for "+0100", "-05:00", "GMT+2", "EST"...; None if not a zone."""
    name = zone.upper().replace(" ", "")
    if name.isalpha():
        return _ZONES.get(name, 0) * 60  # unknown names are UTC, as in feedparser
    match = _NUMERIC_ZONE.fullmatch(name)
    if not match or int(match.group(2)) > 14:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    return -minutes if match.group(1) == "-" else minutes


def _parse_other(text: str, handler: Callable[[str], Any]) -> datetime:
    """feedparser's handlers: all of them (asctime, two-digit years, Korean, Greek...), or for ISO-like
    text only W3DTF (the others turn "2010-13-01" into 2011-01-01)."""
    parsed = handler(text)
    if parsed is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- errors --------------------------------------------------------------------------------------------


def _looks_like(body: bytes) -> str:
    head = body[:2048]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    lower = head.lower().removeprefix(_BOM).lstrip()
    if sum(byte < 9 or 13 < byte < 32 for byte in head) > len(head) // 20:
        return "binary data"
    if lower.startswith(b"<!doctype html") or b"<html" in lower or b"<body" in lower:
        return "an HTML page"
    if lower.startswith(b"<"):
        return "an XML document that is not RSS or Atom"
    if lower.startswith((b"[", b"{")):
        return "JSON that is not a JSON Feed"
    return "plain text"


def _reason(error: BaseException) -> str:
    detail = clean_text(str(error))[:160]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
