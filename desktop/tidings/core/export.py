"""Stories exported for reading elsewhere: one self-contained HTML file, Markdown, or an EPUB 3 book.

The article HTML given is already sanitized; it is parsed again and rebuilt from the sanitizer's allowlist
(defence in depth) and serialised by lxml, so the output is well-formed whatever came in, and every piece of
metadata is escaped. Highlights are re-anchored (`annotations.reanchor`) in the article's normalised text and
marked with <mark>; a story's notes and highlights follow it, orphans included. Images come from the caller
(url -> (bytes, content type)); the type is taken from the bytes, and an image that is not there or not a
PNG, JPEG, GIF or WebP is left out (its alt text stays): nothing is ever loaded from the network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree

from . import markdown
from .annotation_formats import markdown_escape, markdown_notes, markdown_url
from .annotations import COLORS, Annotation, normalise_map, reanchor
from .errors import UserInputError
from .export_blocks import BLOCKS as _BLOCKS
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, absolute_url

ImageData = tuple[bytes, str]  # the bytes and the content type the server gave

XHTML = "http://www.w3.org/1999/xhtml"
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
OPS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
EPUB_MIMETYPE = b"application/epub+zip"
_NAMESPACE = uuid.UUID("0b3f6a52-8d0e-4d5e-9a3c-746964796578")

# The tags after which `sanitize.html_to_text` starts a new paragraph: the walk below reads the same text.
_DROPPED = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_DIGITS = re.compile(r"\d{1,5}")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

CSS = """body { font-family: Georgia, serif; line-height: 1.5; max-width: 42em; margin: 0 auto; padding: 1em; }
img { max-width: 100%; height: auto; }
.meta { color: #555; font-size: 0.9em; }
.notes { border-top: 1px solid #ccc; margin-top: 2em; font-size: 0.95em; }
.notes blockquote { margin: 0.5em 0; }
.orphan { color: #a33; font-style: italic; }
.noteref { font-size: 0.7em; }
""" + "".join(f"mark.hl-{name} {{ background-color: {color}; }}\n" for name, color in COLORS.items())


@dataclass(frozen=True, slots=True)
class ExportStory:
    """One story to export. `html` is the sanitized article; `source` the feed or site name."""

    title: str
    html: str
    url: str | None = None
    byline: str | None = None
    source: str | None = None
    published: datetime | None = None
    language: str | None = None
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True, slots=True)
class _Highlight:
    start: int  # in the raw text of the walk
    end: int
    number: int  # in the story's list of highlights
    annotation: Annotation


@dataclass(frozen=True, slots=True)
class _Placed:
    """A story's highlights found in its article, in reading order, and those that were not."""

    highlights: tuple[_Highlight, ...] = ()
    orphans: tuple[Annotation, ...] = ()


ImageHook = Callable[[str], str | None]  # original src -> src to write, or None to leave the image out


# Public API


def export_html(stories: Sequence[ExportStory], images: Mapping[str, ImageData], *, title: str) -> str:
    """One self-contained HTML5 document: images inlined as data: URIs, no external resource, a Content
    Security Policy that forbids loading any."""
    root = etree.Element("html", lang=_language(None, stories))
    head = _sub(root, "head")
    _sub(head, "meta", attrs={"charset": "utf-8"})
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    _sub(head, "meta", attrs={"http-equiv": "Content-Security-Policy", "content": policy})
    _sub(head, "meta", attrs={"name": "viewport", "content": "width=device-width, initial-scale=1"})
    _sub(head, "title", title)
    _sub(head, "style", CSS)
    body = _sub(root, "body")
    if len(stories) > 1:
        _contents(body, title, [(f"#story-{i}", s.title) for i, s in enumerate(stories, 1)])
    hook = _data_uri_hook(images)
    for number, story in enumerate(stories, 1):
        article = _sub(body, "article", attrs={"id": f"story-{number}"})
        _story(article, story, hook)
    html: str = etree.tostring(root, method="html", encoding="unicode")
    return "<!DOCTYPE html>\n" + html


def export_markdown(stories: Sequence[ExportStory], *, title: str) -> str:
    """Markdown: each story's article (highlights as `==words==`), then its notes. Images keep their web
    address."""
    parts = [f"# {markdown_escape(title)}"] if len(stories) > 1 else []
    for story in stories:
        parts.append(_story_markdown(story, level=2 if len(stories) > 1 else 1))
    return "\n\n".join(parts).strip() + "\n"


def export_epub(
    stories: Sequence[ExportStory],
    images: Mapping[str, ImageData],
    *,
    title: str,
    language: str | None = None,
    identifier: str | None = None,
    modified: datetime | None = None,
) -> bytes:
    """An EPUB 3 book: one XHTML document a story, a navigation document, the images as files. Same input,
    same bytes: the identifier defaults to one made from the stories, and `modified` (default now) dates the
    files."""
    if not stories:
        raise UserInputError("There is nothing to export.")
    moment = (modified or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    book_language = _language(language, stories)
    files: dict[str, tuple[bytes, str]] = {}  # path in OEBPS -> (bytes, media type)
    hook = _epub_image_hook(images, files)
    names = [f"story-{i:03d}.xhtml" for i in range(1, len(stories) + 1)]
    chapters = [_chapter(story, hook, book_language) for story in stories]
    nav = _nav(title, list(zip(names, (s.title for s in stories), strict=True)), book_language)
    opf = _package(title, book_language, identifier or _book_id(stories), moment, names, files)
    return _zip(
        [
            ("META-INF/container.xml", _container()),
            ("OEBPS/content.opf", opf),
            ("OEBPS/nav.xhtml", nav),
            ("OEBPS/style.css", CSS.encode()),
            *((f"OEBPS/{name}", data) for name, data in zip(names, chapters, strict=True)),
            *((f"OEBPS/{path}", data) for path, (data, _) in sorted(files.items())),
        ],
        moment,
    )


# One story, as a tree


def _story(parent: Any, story: ExportStory, hook: ImageHook) -> None:
    """The story's header, its article with highlights marked, and its notes, appended to `parent`."""
    header = _sub(parent, "header")
    _sub(header, "h1", story.title or "Untitled")
    meta = _meta_line(story)
    if meta:
        _sub(header, "p", meta, {"class": "meta"})
    url = absolute_url(story.url, None) if story.url else None
    if url:
        _sub(_sub(header, "p", attrs={"class": "meta"}), "a", url, {"href": url})
    elif story.url:
        _sub(header, "p", story.url, {"class": "meta"})
    content = _sub(parent, "div", attrs={"class": "content"})
    placed = _article(content, story, hook)
    _notes(parent, story, placed)


def _meta_line(story: ExportStory) -> str:
    parts = [story.byline, story.source, story.published.date().isoformat() if story.published else None]
    return " · ".join(_clean(p) for p in parts if p and _clean(p).strip())


def _article(parent: Any, story: ExportStory, hook: ImageHook) -> _Placed:
    root = _parse(story.html)
    placed = _place(_walk_text(root), story.annotations)
    _rebuild(root, parent, placed, hook)
    return placed


def _parse(html: str) -> Any:
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return lxml.html.fragment_fromstring("", create_parent="div")


def _tokens(element: Any) -> Iterator[tuple[str, Any]]:
    """The tree in document order: ("open", el), ("text", str), ("close", el). Both walks read this."""
    yield "open", element
    if element.text:
        yield "text", _clean(element.text)
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() not in _DROPPED:
            yield from _tokens(child)
        if child.tail:
            yield "text", _clean(child.tail)
    yield "close", element


def _step(kind: str, value: Any) -> int:
    """How much of the walk's raw text a token is: its text, or one space at a block's edges."""
    if kind == "text":
        return len(value)
    return 1 if str(value.tag).lower() in _BLOCKS else 0


def _walk_text(root: Any) -> str:
    return "".join(value if kind == "text" else " " * _step(kind, value) for kind, value in _tokens(root))


def _place(raw: str, annotations: Sequence[Annotation]) -> _Placed:
    """Each highlight re-anchored in the article's normalised text, its span mapped back to the raw text."""
    text, offsets = normalise_map(raw)
    found, orphans = [], []
    for annotation in annotations:
        if annotation.anchor is None:
            continue
        where = reanchor(text, annotation.anchor)
        if where.start is None or where.end is None:
            orphans.append(annotation)
        else:
            found.append((offsets[where.start], offsets[where.end - 1] + 1, annotation))
    found.sort(key=lambda f: (f[0], f[1]))
    highlights = tuple(_Highlight(s, e, n, a) for n, (s, e, a) in enumerate(found, 1))
    return _Placed(highlights, tuple(orphans))


def _rebuild(root: Any, parent: Any, placed: _Placed, hook: ImageHook) -> None:
    """Copy the allowlisted tree under `parent`, marking the highlights in its text."""
    stack, cursor = [parent], 0
    for kind, value in _tokens(root):
        if kind == "text":
            _marked_text(stack[-1], value, cursor, placed.highlights)
        elif kind == "open":
            stack.append(_copy(stack[-1], value, hook) if value is not root else parent)
        else:
            stack.pop()
        cursor += _step(kind, value)


def _copy(parent: Any, source: Any, hook: ImageHook) -> Any:
    """The element `source` recreated under `parent` with its allowed attributes, or `parent` itself (its
    content goes there) when the tag is not allowed or an image is left out."""
    tag = str(source.tag).lower()
    if tag not in ALLOWED_TAGS:
        return parent
    attrs = _attributes(tag, source)
    if tag == "img":
        src = hook(source.get("src", ""))
        if src is None:
            alt = _clean(source.get("alt", "")).strip()
            if alt:
                _sub(parent, "span", f"[{alt}]", {"class": "image-missing"})
            return parent
        attrs["src"] = src
    return _sub(parent, tag, attrs=attrs)


def _attributes(tag: str, source: Any) -> dict[str, str]:
    attrs = {}
    for name in sorted(ALLOWED_ATTRIBUTES.get(tag, ())):
        value = source.get(name)
        if value is None or name == "src":
            continue
        if name == "href":
            value = absolute_url(value, None)
        elif name in {"width", "height", "colspan", "rowspan", "start"}:
            value = value.strip() if _DIGITS.fullmatch(value.strip()) else None
        if value is not None:
            attrs[name] = _clean(value)
    return attrs


def _marked_text(parent: Any, text: str, start: int, highlights: Sequence[_Highlight]) -> None:
    """Append `text` (at `start` in the raw text) to `parent`, with <mark> around highlighted parts and a
    note number where a highlight with a note ends."""
    end = start + len(text)
    inside = [h for h in highlights if h.start < end and h.end > start]
    if not inside:
        _append_text(parent, text)
        return
    edges = {start, end, *(h.start for h in inside), *(h.end for h in inside)}
    cuts = sorted(c for c in edges if start <= c <= end)
    for a, b in itertools.pairwise(cuts):
        covering = [h for h in inside if h.start <= a and b <= h.end]
        piece = text[a - start : b - start]
        if covering and piece.strip():
            top = covering[-1].annotation
            attrs = {"class": f"hl hl-{top.color}"} | ({"title": _clean(top.note)} if top.note else {})
            _sub(parent, "mark", piece, attrs)
        else:
            _append_text(parent, piece)
        for h in inside:
            if h.end == b and h.annotation.note.strip():
                _sub(parent, "sup", str(h.number), {"class": "noteref"})


def _notes(parent: Any, story: ExportStory, placed: _Placed) -> None:
    """The story's notes: on the whole story, then each highlight with its note, then the orphans."""
    whole = [a for a in story.annotations if a.anchor is None and a.note.strip()]
    if not (whole or placed.highlights or placed.orphans):
        return
    section = _sub(parent, "section", attrs={"class": "notes"})
    _sub(section, "h2", "Notes")
    for annotation in whole:
        _note_text(section, annotation.note)
    if placed.highlights or placed.orphans:
        items = _sub(section, "ol")
        for h in placed.highlights:
            _highlight_item(items, h.annotation, orphan=False)
        for annotation in placed.orphans:
            _highlight_item(items, annotation, orphan=True)


def _highlight_item(items: Any, annotation: Annotation, *, orphan: bool) -> None:
    item = _sub(items, "li")
    quote = annotation.anchor.quote.exact if annotation.anchor else ""
    _sub(_sub(item, "blockquote"), "mark", quote, {"class": f"hl hl-{annotation.color}"})
    if orphan:
        _sub(item, "p", "Not found in this version of the text.", {"class": "orphan"})
    _note_text(item, annotation.note)


def _note_text(parent: Any, note: str) -> None:
    for paragraph in re.split(r"\n\s*\n", note.strip()):
        if not paragraph.strip():
            continue
        p = _sub(parent, "p")
        for i, line in enumerate(paragraph.strip().splitlines()):
            if i:
                _sub(p, "br")
            _append_text(p, line)


def _contents(parent: Any, title: str, entries: list[tuple[str, str]]) -> Any:
    nav = _sub(parent, "nav", attrs={"id": "toc"})
    _sub(nav, "h1", title)
    items = _sub(nav, "ol")
    for href, label in entries:
        _sub(_sub(items, "li"), "a", label or "Untitled", {"href": href})
    return nav


# Trees


def _sub(parent: Any, tag: str, text: str | None = None, attrs: Mapping[str, str] | None = None) -> Any:
    """A child element in `parent`'s namespace; text and attributes cleaned of what XML cannot hold."""
    namespace = etree.QName(parent).namespace
    name = f"{{{namespace}}}{tag}" if namespace else tag
    child = etree.SubElement(parent, name, {k: _clean(v) for k, v in (attrs or {}).items()})
    if text:
        child.text = _clean(text)
    return child


def _append_text(parent: Any, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + _clean(text)
    else:
        parent.text = (parent.text or "") + _clean(text)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _language(language: str | None, stories: Sequence[ExportStory]) -> str:
    for candidate in (language, *(s.language for s in stories)):
        if candidate and _LANGUAGE.fullmatch(candidate):
            return candidate
    return "en"


# Images


def sniff_image(data: bytes) -> str | None:
    """The media type of image bytes we can embed (PNG, JPEG, GIF, WebP), from their signature."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _data_uri_hook(images: Mapping[str, ImageData]) -> ImageHook:
    def inline(src: str) -> str | None:
        data = images.get(src, (b"", ""))[0]
        kind = sniff_image(data)
        return f"data:{kind};base64,{base64.b64encode(data).decode()}" if kind else None

    return inline


def _epub_image_hook(images: Mapping[str, ImageData], files: dict[str, tuple[bytes, str]]) -> ImageHook:
    def store(src: str) -> str | None:
        data = images.get(src, (b"", ""))[0]
        kind = sniff_image(data)
        if kind is None:
            return None
        path = f"images/{hashlib.sha256(data).hexdigest()[:20]}{_EXTENSIONS[kind]}"
        files[path] = (data, kind)
        return path

    return store


# EPUB


def _chapter(story: ExportStory, hook: ImageHook, book_language: str) -> bytes:
    valid = story.language and _LANGUAGE.fullmatch(story.language)
    language = story.language if story.language and valid else book_language
    root, body = _xhtml(story.title or "Untitled", language)
    _story(_sub(body, "article"), story, hook)
    return _xml(root, doctype="<!DOCTYPE html>")


def _xhtml(title: str, language: str) -> tuple[Any, Any]:
    root = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML, "epub": OPS})
    root.set("lang", language)
    root.set(XML_LANG, language)
    head = _sub(root, "head")
    _sub(head, "meta", attrs={"charset": "utf-8"})
    _sub(head, "title", title)
    _sub(head, "link", attrs={"rel": "stylesheet", "type": "text/css", "href": "style.css"})
    return root, _sub(root, "body")


def _nav(title: str, entries: list[tuple[str, str]], language: str) -> bytes:
    root, body = _xhtml(title, language)
    nav = _contents(body, title, entries)
    nav.set(f"{{{OPS}}}type", "toc")
    return _xml(root, doctype="<!DOCTYPE html>")


def _package(
    title: str,
    language: str,
    identifier: str,
    modified: datetime,
    chapters: list[str],
    files: dict[str, tuple[bytes, str]],
) -> bytes:
    package = etree.Element(f"{{{OPF}}}package", nsmap={None: OPF, "dc": DC})
    package.attrib.update({"version": "3.0", "unique-identifier": "pub-id", XML_LANG: language})
    metadata = _sub(package, "metadata")
    for name, value in (("identifier", identifier), ("title", title or "Tidings"), ("language", language)):
        element = etree.SubElement(
            metadata, f"{{{DC}}}{name}", {"id": "pub-id"} if name == "identifier" else {}
        )
        element.text = _clean(value)
    _sub(metadata, "meta", modified.strftime("%Y-%m-%dT%H:%M:%SZ"), {"property": "dcterms:modified"})
    manifest = _sub(package, "manifest")
    _sub(manifest, "item", attrs=_item("nav", "nav.xhtml", "application/xhtml+xml") | {"properties": "nav"})
    _sub(manifest, "item", attrs=_item("css", "style.css", "text/css"))
    for name in chapters:
        _sub(manifest, "item", attrs=_item(name.removesuffix(".xhtml"), name, "application/xhtml+xml"))
    for path, (_, kind) in sorted(files.items()):
        _sub(manifest, "item", attrs=_item("img-" + path.rsplit("/", 1)[-1].split(".")[0], path, kind))
    spine = _sub(package, "spine")
    for name in chapters:
        _sub(spine, "itemref", attrs={"idref": name.removesuffix(".xhtml")})
    return _xml(package)


def _item(item_id: str, href: str, media_type: str) -> dict[str, str]:
    return {"id": item_id, "href": href, "media-type": media_type}


def _container() -> bytes:
    root = etree.Element(f"{{{CONTAINER}}}container", nsmap={None: CONTAINER}, version="1.0")
    rootfile = _sub(_sub(root, "rootfiles"), "rootfile")
    rootfile.attrib.update({"full-path": "OEBPS/content.opf", "media-type": "application/oebps-package+xml"})
    return _xml(root)


def _xml(root: Any, doctype: str | None = None) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype=doctype)
    return data


def _book_id(stories: Sequence[ExportStory]) -> str:
    key = "\n".join(f"{s.url or ''}\t{s.title}" for s in stories)
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}"


def _zip(entries: list[tuple[str, bytes]], moment: datetime) -> bytes:
    """The OCF container: `mimetype` first, stored, without extra fields; the rest deflated."""
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [("mimetype", EPUB_MIMETYPE), *entries]:
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = 0o644 << 16
            stored = name == "mimetype"
            archive.writestr(info, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# Markdown


def _story_markdown(story: ExportStory, *, level: int) -> str:
    parts = [f"{'#' * level} {markdown_escape(_clean(story.title) or 'Untitled')}"]
    meta = _meta_line(story)
    if meta:
        parts.append(f"*{markdown_escape(meta)}*")
    if story.url:
        parts.append(f"Source: <{markdown_url(story.url)}>")
    holder = etree.Element("div")
    placed = _article(holder, story, lambda src: src or None)
    parts.append(markdown.blocks(holder))
    whole = [a for a in story.annotations if a.anchor is None]
    notes = markdown_notes([*whole, *(h.annotation for h in placed.highlights)])
    if placed.orphans:
        notes += "\n*Not found in this version of the text:*\n\n" + markdown_notes(placed.orphans)
    if notes.strip():
        parts.append(f"{'#' * (level + 1)} Notes\n\n{notes.strip()}")
    return "\n\n".join(p for p in parts if p.strip())
