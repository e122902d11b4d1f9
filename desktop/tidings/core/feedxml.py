"""The fast path: well-formed RSS 0.9x/1.0/2.0 and Atom 1.0 read with lxml, into drafts.

feedparser reads everything but costs ~100 ms of CPU per real feed; this reads the common case in about
one, and finds the same values for what we store. It follows feedparser's rules where they decide a
value (which title or summary wins, a guid as link, a second summary becoming the content...), so that
both paths agree. `parse_fast` returns None, or raises, whenever feedparser should read the document
instead (a DOCTYPE, an unknown root, items in unexpected places, XML that is not well-formed).

The drafts (`FeedDraft`, `EntryDraft`) hold raw values as a parser found them; every parser (this one,
feedparser's mapping and JSON Feed) fills them and `tidings.core.feeds` turns them into models.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .drafts import (
    EntryDraft,
    FeedDraft,
    content_kind,
    fix_text,
    image_rank,
    join_url,
    split_author,
)
from .xmlsafe import safe_parser

ATOM = "{http://www.w3.org/2005/Atom}"
RSS10 = "{http://purl.org/rss/1.0/}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Namespaces (lowercased, as feedparser matches them) and the prefix our handler keys use; "" is the core
# vocabulary shared by RSS and Atom.
_PREFIXES = {
    "http://www.w3.org/2005/atom": "",
    "http://purl.org/atom/ns#": "",
    "http://purl.org/rss/1.0/": "",
    "http://my.netscape.com/rdf/simple/0.9/": "",
    "http://blogs.law.harvard.edu/tech/rss": "",
    "http://purl.org/rss/1.0/modules/rss091#": "",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://search.yahoo.com/mrss/": "media",
    "http://search.yahoo.com/mrss": "media",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/1999/xhtml": "xhtml",
}
_RSS_VERSIONS = {"0.91": "rss09x", "0.92": "rss09x", "0.93": "rss09x", "0.94": "rss09x"}
_ITEM_TAGS = ("item", "entry", f"{ATOM}entry", f"{RSS10}item", f"{RSS090}item")
# The prolog only: atomic groups keep the lazy matches from running on into the document.
_DOCTYPE = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?>(?:<\?.*?\?>|<!--.*?-->)\s*)*<!DOCTYPE", re.S)
_LINK_REF = re.compile(r"&([A-Za-z0-9_]+);")
_XMLNS = re.compile(r"""\sxmlns(?::[\w.-]+)?=(?:"[^"]*"|'[^']*')(?=[^<>]*>)""")
_KEYS: dict[str, str] = {}


def parse_fast(body: bytes, url: str | None) -> FeedDraft | None:
    """Parse well-formed RSS or Atom 1.0 with lxml, or return None when feedparser must read it.

    Raises lxml.etree.XMLSyntaxError when the document is not well-formed.
    """
    if _DOCTYPE.match(body) or b"<!ENTITY" in body:
        return None  # documents with a DTD are feedparser's (`feeds` drops risky entity declarations)
    root = etree.fromstring(body, safe_parser())
    if root.getroottree().docinfo.doctype:
        return None
    reader = _ROOT_READERS.get(root.tag) or (_read_rss if _element_key(root) == "rss" else None)
    return reader(root, _Context(url, b"xml:base" in body)) if reader else None


@dataclass(slots=True)
class _Context:
    url: str | None
    has_base: bool  # the document uses xml:base somewhere
    atom: bool = False  # feedparser guesses HTML in "text" fields except in Atom


# --- documents -----------------------------------------------------------------------------------------


def _read_rss(root: Any, ctx: _Context) -> FeedDraft | None:
    ns = root.tag[: root.tag.find("}") + 1]  # RSS 2.0 in a namespace (backend.userland.com) is rare
    channel = root.find(f"{ns}channel")
    if channel is None:
        return None
    version = root.get("version", "")
    fmt = _RSS_VERSIONS.get(version) or ("rss20" if version.startswith("2.") else "rss")
    items = [*channel.iterchildren(f"{ns}item"), *root.iterchildren(f"{ns}item")]
    return _read_document(root, channel, items, fmt, ctx, f"{ns}item")


def _read_rdf(root: Any, ctx: _Context) -> FeedDraft | None:
    for ns, fmt in ((RSS10, "rss10"), (RSS090, "rss09x")):
        channel = root.find(f"{ns}channel")
        if channel is not None:
            items = [*root.iterchildren(f"{ns}item"), *channel.iterchildren(f"{ns}item")]
            return _read_document(root, channel, items, fmt, ctx)
    return None


def _read_atom(root: Any, ctx: _Context) -> FeedDraft | None:
    ctx.atom = True
    return _read_document(root, root, list(root.iterchildren(f"{ATOM}entry")), "atom10", ctx)


def _read_document(
    root: Any, head: Any, items: list[Any], fmt: str, ctx: _Context, item_tag: str = "item"
) -> FeedDraft | None:
    if sum(1 for _ in root.iter(*_ITEM_TAGS, item_tag)) != len(items):
        return None  # entries somewhere feedparser would find them and we would not
    feed = _read_head(head, ctx, FeedDraft(format=fmt, language=root.get(XML_LANG)))
    feed.entries = [_read_item(item, ctx) for item in items]
    return feed


_ROOT_READERS: dict[str, Callable[[Any, _Context], FeedDraft | None]] = {
    "rss": _read_rss,
    f"{RDF}RDF": _read_rdf,
    f"{ATOM}feed": _read_atom,
}


# --- element helpers -----------------------------------------------------------------------------------


def _key(tag: str) -> str:
    """Handler key of a Clark-notation tag (cached: tags repeat in every item)."""
    key = _KEYS.get(tag)
    if key is None:
        key = _tag_key(tag)
        if len(_KEYS) < 4096:  # hostile documents may invent endless tags
            _KEYS[tag] = key
    return key


def _tag_key(tag: str) -> str:
    """Handler key of a Clark-notation tag: "title", "dc:creator", "media:content"; "?" if the namespace
    is unknown."""
    if tag[0] != "{":
        return tag.lower()
    ns, _, local = tag[1:].partition("}")
    ns = ns.lower()
    prefix = "" if "backend.userland.com/rss" in ns else _PREFIXES.get(ns)
    if prefix is None:
        return "?"
    return f"{prefix}:{local.lower()}" if prefix else local.lower()


def _children(el: Any) -> Iterable[tuple[str, Any]]:
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            yield _element_key(child), child


def _element_key(el: Any) -> str:
    key = _key(el.tag)
    return _foreign_key(el) if key == "?" else key


def _foreign_key(el: Any) -> str:
    """feedparser names an element of an unknown namespace by its prefix as written: a feed declaring
    xmlns:dc="https://purl.org/dc/elements/1.1/" (sic) still has dc:creator."""
    local = el.tag.rpartition("}")[2].lower()
    return f"{el.prefix.lower()}:{local}" if el.prefix else local


def _text(el: Any) -> str:
    return fix_text((el.text or "").strip())


def _attr(el: Any, *names: str) -> str:
    """The first non-empty attribute among names (feedparser's url > uri > href order)."""
    for name in names:
        value = el.get(name)
        if value:
            return str(value)
    return ""


def _is_permalink(el: Any) -> bool:
    for name, value in el.items():
        if name.lower() == "ispermalink":
            return bool(value == "true")
    return True


def _markup(el: Any, kind: str) -> tuple[str, str]:
    """Text of a text construct and its kind; child elements make it XHTML markup, as in feedparser."""
    if kind == "xhtml":
        return fix_text(_xhtml_inner(el).strip()), "xhtml"
    if len(el) == 0:
        return _text(el), kind
    return fix_text(_serialize(el).strip()), "xhtml"


def _xhtml_inner(el: Any) -> str:
    """An Atom xhtml construct: the children of its single wrapping div, else all its children."""
    kids = [child for child in el if isinstance(child.tag, str)]
    outside = (el.text or "").strip() or any((child.tail or "").strip() for child in kids)
    if len(kids) == 1 and _key(kids[0].tag) in ("xhtml:div", "div") and not outside:
        el = kids[0]
    return _serialize(el)


def _serialize(el: Any) -> str:
    """Inline markup as HTML text, without the namespace declarations lxml copies onto each element."""
    parts = [html.escape(el.text or "", quote=False)]
    parts.extend(etree.tostring(child, encoding="unicode", with_tail=True) for child in el)
    markup = "".join(parts)
    return _XMLNS.sub("", markup) if " xmlns" in markup else markup


def _base_of(el: Any, url: str | None) -> str:
    """The xml:base in scope for el, resolved from the feed address down."""
    chain = [el.get(XML_BASE), *(a.get(XML_BASE) for a in el.iterancestors())]
    base = url or ""
    for value in reversed(chain):
        if value:
            base = join_url(base, value.strip()) or base
    return base


def _resolve(ctx: _Context, el: Any, value: str) -> str:
    """Absolute against xml:base when the document has one; the feed address is applied at the end."""
    if not ctx.has_base:
        return value
    return join_url(_base_of(el, ctx.url), value) or value


def _href(el: Any) -> str | None:
    """A link's address, in feedparser's order; an empty href still counts (as the base address)."""
    return _attr(el, "url", "uri") or el.get("href")


def _kind(ctx: _Context, el: Any, default: str) -> str:
    """The kind of a text construct; RSS "text" is feedparser's "guess" (HTML if it looks like HTML)."""
    mime = el.get("type")
    kind = default if mime is None else (content_kind(mime, default) or "text")
    return "guess" if kind == "text" and not ctx.atom else kind


# --- feed head -----------------------------------------------------------------------------------------


def _read_head(head: Any, ctx: _Context, feed: FeedDraft) -> FeedDraft:
    title_locked = link_seen = False
    for key, el in _children(head):
        if key in ("title", "dc:title") and not title_locked:
            feed.title, feed.title_type = _markup(el, _kind(ctx, el, "text"))
            title_locked = bool(feed.title)
        elif key == "link":
            feed.site_url = _feed_link(ctx, el, feed.site_url)
            link_seen = link_seen or _href(el) is None or _is_alternate_html(el)
        elif key in ("id", "guid") and not link_seen and _is_permalink(el):
            feed.site_url, link_seen = _resolve(ctx, el, _text(el)), True  # feedparser: an id acts as link
        else:
            _read_head_field(feed, key, el, ctx)
    return feed


def _read_head_field(feed: FeedDraft, key: str, el: Any, ctx: _Context) -> None:
    if key in ("description", "dc:description", "media:description"):
        feed.description, feed.description_type = _markup(el, _kind(ctx, el, "html"))
    elif key in ("subtitle", "tagline", "itunes:subtitle"):
        feed.description, feed.description_type = _markup(el, _kind(ctx, el, "text"))
    elif key in ("language", "dc:language"):
        feed.language = _text(el)
    elif key == "image":
        urls = [_resolve(ctx, url, _text(url)) for k, url in _children(el) if k == "url"]
        feed.image = urls[-1] if urls else feed.image
    elif key == "itunes:image":
        feed.image = _resolve(ctx, el, _attr(el, "href", "url")) or feed.image
    elif key in ("icon", "logo"):
        setattr(feed, key, _resolve(ctx, el, _text(el)))


def _feed_link(ctx: _Context, el: Any, current: str | None) -> str | None:
    href = _href(el)
    if href is None:
        return _resolve(ctx, el, _LINK_REF.sub(r"&\g<1>", _text(el)))
    if _is_alternate_html(el):
        return _resolve(ctx, el, href)
    return current


def _is_alternate_html(el: Any) -> bool:
    rel = el.get("rel", "alternate").lower()
    default = "application/atom+xml" if rel == "self" else "text/html"
    link_type = (el.get("type") or default).lower()
    return rel == "alternate" and (content_kind(link_type, "") in ("html", "xhtml"))


# --- entries -------------------------------------------------------------------------------------------


class _Item:
    """One entry being read, with the bookkeeping feedparser uses to decide which value wins."""

    __slots__ = (
        "ctx",
        "draft",
        "has_content",
        "has_detail",
        "link_seen",
        "summary_at",
        "summary_set",
        "title_at",
        "title_lock",
    )

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.draft = EntryDraft()
        self.title_lock = -1  # depth of the first non-empty title: later titles as deep are ignored
        self.title_at: int | None = None  # depth of the stored title / summary: shallower ones win
        self.summary_at: int | None = None
        self.summary_set = False
        self.has_content = False
        self.link_seen = False
        self.has_detail = False  # an author name/email is known


def _read_item(el: Any, ctx: _Context) -> EntryDraft:
    item = _Item(ctx)
    about = el.get(f"{RDF}about")
    if about:
        item.draft.guid = about
    _walk(item, el, 1)
    return item.draft


def _walk(item: _Item, parent: Any, depth: int) -> None:
    for el in parent:
        tag = el.tag
        if tag.__class__ is not str:
            continue
        key = _KEYS.get(tag) or _key(tag)
        if key == "?":
            key = _foreign_key(el)
        handler = _ENTRY_HANDLERS.get(key)
        if handler is not None:
            handler(item, el, depth)
        elif key not in _SKIP and len(el):
            _walk(item, el, depth + 1)


def _on_title(item: _Item, el: Any, depth: int, media: bool = False) -> None:
    if -1 < item.title_lock <= depth:
        return
    value, kind = _markup(el, _kind(item.ctx, el, "text"))
    if item.title_at is None or depth <= item.title_at:
        item.draft.title, item.draft.title_type, item.title_at = value, kind, depth
    if value and not media:
        item.title_lock = depth


def _on_media_title(item: _Item, el: Any, depth: int) -> None:
    _on_title(item, el, depth, media=True)


def _on_link(item: _Item, el: Any, depth: int) -> None:
    href = _href(el)
    if href is None:
        value = _text(el)
        value = _LINK_REF.sub(r"&\g<1>", value.replace("&amp;", "&")) if "&" in value else value
        item.draft.link, item.link_seen = _resolve(item.ctx, el, value), True
    elif _is_alternate_html(el):
        item.draft.link, item.link_seen = _resolve(item.ctx, el, href), True
    elif el.get("rel", "").lower() == "enclosure":
        _add_image(item, 2, _resolve(item.ctx, el, href), "", el.get("type"))


def _on_guid(item: _Item, el: Any, depth: int) -> None:
    value = _text(el)
    if not _is_permalink(el):
        item.draft.guid = value
        return
    # feedparser resolves a permalink guid against xml:base (never against the feed address, which
    # would change every guid when a feed moves)
    item.draft.guid = join_url(_base_of(el, None), value) if item.ctx.has_base and value else value
    if not item.link_seen:
        item.draft.link, item.link_seen = _resolve(item.ctx, el, value), True


def _on_description(item: _Item, el: Any, depth: int) -> None:
    _summary_or_content(item, el, depth, "html")


def _on_summary(item: _Item, el: Any, depth: int) -> None:
    _summary_or_content(item, el, depth, "text")


def _summary_or_content(item: _Item, el: Any, depth: int, default: str) -> None:
    """feedparser turns a second summary into the content when there is none."""
    if item.summary_set and not item.has_content:
        _on_content(item, el, depth)
        return
    value, kind = _markup(el, _kind(item.ctx, el, default))
    if item.summary_at is None or depth <= item.summary_at:
        item.draft.summary, item.draft.summary_type, item.summary_at = value, kind, depth
    item.summary_set = True


def _on_content(item: _Item, el: Any, depth: int, default: str = "text") -> None:
    item.has_content = True
    kind = content_kind(el.get("type"), default)
    if kind is None:
        return  # a media type we cannot show (base64 image...)
    value, kind = _markup(el, "guess" if kind == "text" and not item.ctx.atom else kind)
    item.draft.contents.append((value, kind))
    if not item.summary_set:  # feedparser copies the content to an absent summary
        item.draft.summary, item.draft.summary_type, item.summary_set = value, kind, True


def _on_encoded(item: _Item, el: Any, depth: int) -> None:
    _on_content(item, el, depth, "html")


def _on_author(item: _Item, el: Any, depth: int) -> None:
    if len(el) == 0:
        _text_author(item, _text(el))
        return
    for key, child in _children(el):
        # a name wins over an e-mail address, as in feedparser's author_detail
        if key in ("name", "itunes:name") or (key in ("email", "itunes:email") and not item.draft.author):
            item.draft.author, item.has_detail = (child.text or "").strip(), True


def _text_author(item: _Item, value: str) -> None:
    """An author as text, "jo@example.com (Jo)" giving Jo; the first wins, as in feedparser."""
    if item.has_detail or not value:
        return
    name, email = split_author(value)
    if name or email:
        item.draft.author, item.has_detail = name or email, True


def _on_published(item: _Item, el: Any, depth: int) -> None:
    item.draft.published = _text(el)


def _on_updated(item: _Item, el: Any, depth: int) -> None:
    item.draft.updated = _text(el)


def _on_thumbnail(item: _Item, el: Any, depth: int) -> None:
    _add_image(item, 0, _resolve(item.ctx, el, el.get("url") or _text(el)), "image", None)


def _on_media_content(item: _Item, el: Any, depth: int) -> None:
    url = _resolve(item.ctx, el, el.get("url") or "")
    _add_image(item, 1, url, el.get("medium"), el.get("type"))
    _walk(item, el, depth + 1)


def _on_enclosure(item: _Item, el: Any, depth: int) -> None:
    url = _resolve(item.ctx, el, _attr(el, "url", "uri", "href"))
    _add_image(item, 2, url, "", el.get("type"))


def _on_itunes_image(item: _Item, el: Any, depth: int) -> None:
    _add_image(item, 3, _resolve(item.ctx, el, _attr(el, "href", "url")), "image", None)


def _add_image(item: _Item, rank: int, url: str, medium: str | None, mime: str | None) -> None:
    rank = image_rank(rank, url, medium, mime)
    if rank < item.draft.image_rank:
        item.draft.image, item.draft.image_rank = url, rank


_ENTRY_HANDLERS: dict[str, Callable[[_Item, Any, int], None]] = {
    "title": _on_title,
    "dc:title": _on_title,
    "media:title": _on_media_title,
    "link": _on_link,
    "guid": _on_guid,
    "id": _on_guid,
    "description": _on_description,
    "dc:description": _on_description,
    "media:description": _on_description,
    "summary": _on_summary,
    "itunes:summary": _on_summary,
    "content": _on_content,
    "content:encoded": _on_encoded,
    "fullitem": _on_encoded,
    "author": _on_author,
    "dc:creator": _on_author,
    "dc:author": _on_author,
    "itunes:author": _on_author,
    "pubdate": _on_published,
    "published": _on_published,
    "issued": _on_published,
    "dcterms:issued": _on_published,
    "updated": _on_updated,
    "modified": _on_updated,
    "dc:date": _on_updated,
    "dcterms:modified": _on_updated,
    "lastbuilddate": _on_updated,
    "media:thumbnail": _on_thumbnail,
    "media:content": _on_media_content,
    "enclosure": _on_enclosure,
    "itunes:image": _on_itunes_image,
}
# Subtrees feedparser does not read into the entry (or reads into another object).
_SKIP = frozenset({"source", "image", "textinput", "category", "contributor", "xhtml:body", "body", "?"})
