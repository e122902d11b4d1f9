"""Feed autodiscovery, without network: the caller fetches, these functions only read what came back.

- `looks_like_feed` sniffs a response: is it a feed, or a page to search for feed links?
- `discover_links` reads the feed links a page offers.
- `candidate_paths` lists the usual feed addresses to probe when a page offers none.

Pages are hostile: parsing never touches the network, input is capped, and broken markup gives [] instead
of an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from tidings.core.models import FeedLink

MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_ANCHOR_LINKS = 10
MAX_TITLE_CHARS = 300

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
LINK_TYPES = FEED_TYPES | {"application/json", "application/rdf+xml", "text/xml", "application/xml"}
PROBE_PATHS = (
    "/feed",
    "/feed/",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feed.json",
    "/?feed=rss2",
)

_SNIFF_BYTES = 8192
_WEB_SCHEMES = ("http", "https")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
# A DOCTYPE's internal subset runs to its first "]" only: no nested choices, so no catastrophic backtracking.
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[[^\]]*\])*>)", re.S | re.I)
_ROOT = re.compile(r"\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_JSON_FEED = re.compile(r'"version"\s*:\s*"https?:(?:\\?/){2}jsonfeed\.org\\?/version\\?/')
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_HREF_NOISE = re.compile(r"[\t\n\r]")
_HREF_EDGES = "".join(chr(c) for c in range(0x21))
_ANCHOR_SUFFIXES = (".rss", ".xml", "atom.xml", "feed.json", "/index.xml", "/feed", "/rss")
_ANCHOR_LABELS = frozenset({"rss", "atom", "feed"})
_FEED_QUERY = re.compile(r"(?:^|&)feed=(?:rss2?|atom|rdf)(?:&|$)", re.I)


# Sniffing


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """True if a response is a feed (RSS, Atom, RDF or JSON Feed) rather than a page.

    The body decides first, whatever the server claims: an `<rss>`, `<feed>` or `<rdf:RDF>` root (after any
    BOM, XML declaration, comments and DOCTYPE) or a JSON Feed version is a feed; an HTML page is not. When
    the start of the body says neither, a feed content type is believed.
    """
    text = _sniff_text(body[:_SNIFF_BYTES])
    if _is_json_feed(text) or _root_name(text) in _FEED_ROOTS:
        return True
    if _HTML.search(text):
        return False
    return _media_type(content_type) in FEED_TYPES


def _sniff_text(head: bytes) -> str:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "replace")
    return head.decode("utf-8", "replace")


def _is_json_feed(text: str) -> bool:
    return text.lstrip().startswith("{") and _JSON_FEED.search(text) is not None


def _root_name(text: str) -> str | None:
    """Local name of the first element, lowercased, after the XML prolog."""
    position = 0
    while (prolog := _PROLOG.match(text, position)) and prolog.end() > position:
        position = prolog.end()
    root = _ROOT.match(text, position)
    return root.group(1).lower() if root else None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


# Links in a page


def discover_links(html: bytes | str, base_url: str) -> list[FeedLink]:
    """The feeds a page links to, best first; [] if none or if the page cannot be read.

    `<link rel="alternate">` (or `rel="feed"`) with a feed type comes first; failing those, same-site `<a>`
    links that look like feeds (at most 10). Addresses are absolute http(s), resolved against `<base href>`
    and then `base_url`, without duplicates; comment feeds come after the others.
    """
    doc = _parse_html(html)
    if doc is None:
        return []
    base = _base_of(doc, base_url)
    links = _link_tag_feeds(doc, base)
    if links:
        return _comments_last(links)
    return _comments_last(_anchor_feeds(doc, base, base_url))[:MAX_ANCHOR_LINKS]


def _parse_html(html: bytes | str) -> Any:
    text = html[:MAX_PAGE_BYTES] if isinstance(html, str) else _decode_page(html[:MAX_PAGE_BYTES])
    parser = lxml.html.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )
    try:
        return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.LxmlError, ValueError):
        return None


def _decode_page(data: bytes) -> str:
    """Decode a page as a browser would: BOM, then `<meta charset>`, then UTF-8, then Windows-1252."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    declared = _META_CHARSET.search(data[:4096])
    if declared and (text := _decode_as(data, declared.group(1).decode("ascii"))) is not None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _decode_as(data: bytes, charset: str) -> str | None:
    charset = charset.lower()
    if charset in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        charset = "cp1252"  # what browsers do
    elif charset.startswith(("utf-16", "utf-32")):
        charset = "utf-8"  # a page that can declare it in ASCII is not UTF-16
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return None


def _base_of(doc: Any, page_url: str) -> str:
    """The page's `<base href>` (the first one with an href), if it is a usable web address."""
    for element in doc.iter("base"):
        if element.get("href") is not None:
            return _resolve(page_url, element.get("href")) or page_url
    return page_url


def _link_tag_feeds(doc: Any, base: str) -> list[FeedLink]:
    links: list[FeedLink] = []
    for element in doc.iter("link"):
        kind = _feed_link_type(element)
        url = _resolve(base, element.get("href")) if kind is not None else None
        if kind is not None and url and not _is_api_json(kind, url):
            links.append(FeedLink(url=url, title=_clean_text(element.get("title")), type=kind))
    return _unique(links)


def _feed_link_type(element: Any) -> str | None:
    rels = (element.get("rel") or "").lower().split()
    kind = _media_type(element.get("type"))
    if "alternate" in rels and kind in LINK_TYPES:
        return kind
    if "feed" in rels and (not kind or kind in LINK_TYPES):
        return kind
    return None


def _is_api_json(kind: str, url: str) -> bool:
    """WordPress offers its REST API as `rel="alternate" type="application/json"` on every page."""
    return kind == "application/json" and "/wp-json/" in url


def _anchor_feeds(doc: Any, base: str, page_url: str) -> list[FeedLink]:
    links: list[FeedLink] = []
    for anchor in doc.iter("a"):
        url = _resolve(base, anchor.get("href"))
        if url and _same_site(url, page_url):
            label = _clean_text(anchor.text_content())
            if label.lower() in _ANCHOR_LABELS or _looks_like_feed_address(url):
                links.append(FeedLink(url=url, title=label))
    return _unique(links)


def _looks_like_feed_address(url: str) -> bool:
    parts = urlsplit(url)
    path = parts.path.lower()
    if "sitemap" in path:
        return False
    return path.rstrip("/").endswith(_ANCHOR_SUFFIXES) or _FEED_QUERY.search(parts.query) is not None


def _same_site(url: str, page_url: str) -> bool:
    a, b = _host(url), _host(page_url)
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _resolve(base: str, href: str | None) -> str | None:
    """An absolute http(s) address for `href`, or None (empty, `javascript:`, `data:`, malformed...)."""
    href = _HREF_NOISE.sub("", href or "").strip(_HREF_EDGES)
    if not href:
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in _WEB_SCHEMES and parts.hostname else None


def _clean_text(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_TITLE_CHARS]


def _unique(links: Iterable[FeedLink]) -> list[FeedLink]:
    first: dict[str, FeedLink] = {}
    for link in links:
        first.setdefault(link.url, link)
    return list(first.values())


def _comments_last(links: list[FeedLink]) -> list[FeedLink]:
    return sorted(links, key=_is_comments_feed)


def _is_comments_feed(link: FeedLink) -> bool:
    return "comments" in link.title.lower() or "comments" in link.url.lower()


# Places to probe


def candidate_paths(page_url: str) -> list[str]:
    """Absolute addresses where a feed often lives, for a page that links none, most specific first.

    The usual paths under the page's own path (when it has one), then under the site root; the page
    itself is left out. [] for anything that is not an http(s) address.
    """
    try:
        parts = urlsplit(page_url.strip())
    except ValueError:
        return []
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.hostname:
        return []
    origin = f"{parts.scheme.lower()}://{parts.netloc}"
    urls = (origin + folder + path for folder in _probe_folders(parts.path) for path in PROBE_PATHS)
    page = _comparable(page_url)
    return [url for url in dict.fromkeys(urls) if _comparable(url) != page]


def _probe_folders(path: str) -> Iterator[str]:
    """The page's folder ("/blog" for "/blog/", "/blog" and "/blog/index.html"), then the root ("")."""
    last = path.rpartition("/")[2]
    folder = path.rpartition("/")[0] if "." in last else path
    if folder.rstrip("/"):
        yield folder.rstrip("/")
    yield ""


def _comparable(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))
