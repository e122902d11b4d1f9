"""Read and write OPML subscription lists, safely and faithfully.

Every OPML file is hostile input: the parser never resolves entities, never loads a DTD, never touches the
network and never processes XInclude; a DOCTYPE that declares entities is refused outright.

Fidelity: an outline keeps every attribute as written (`Outline.attrs`), and the document keeps its head
elements in order (`OPMLDocument.head`), so writing a parsed document gives back the same tree.

Namespaced attributes (RSS Guard's `rssguard:icon`, Thunderbird's `fz:quickMode`) keep their prefixed name.
So that an outline stays writable on its own (Tidings stores `attrs` and exports them in a new document),
its attrs start with one `("xmlns:<prefix>", uri)` pseudo-attribute per prefix it uses; `head` does the same
for namespaced head elements. The writer turns those into namespace declarations (on the root element when
they agree), never into plain attributes or head elements.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from tidings.core.errors import OPMLError
from tidings.core.models import OPMLDocument, Outline
from tidings.core.xmlsafe import safe_parser

MAX_OPML_BYTES = 50 * 1024 * 1024

NOT_OPML = "This file is not an OPML subscription list."

Attrs = tuple[tuple[str, str], ...]

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_NS_ENTRY = "xmlns:"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_BARE_AMPERSAND = re.compile(rb"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_NAMED_REFERENCE = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Reading


def parse_opml(data: bytes) -> OPMLDocument:
    """Parse an OPML file. Raises OPMLError, in words, for anything that is not a readable OPML list."""
    root = _parse_xml(data)
    body = _child(root, "body")
    if _local_name(root.tag) != "opml" or body is None:
        raise OPMLError(NOT_OPML)
    head = _child(root, "head")
    entries = _head_entries(head) if head is not None else ()
    return OPMLDocument(
        title=_title_of(entries),
        outlines=tuple(_outlines(body)),
        head=entries,
        version=root.get("version") or "2.0",
    )


def _parse_xml(data: bytes) -> Any:
    if len(data) > MAX_OPML_BYTES:  # first: refused at once, before anything copies or reads the bytes
        raise OPMLError(
            f"This file is too large to be an OPML subscription list (over {MAX_OPML_BYTES // 2**20} MB)."
        )
    if not data.strip():
        raise OPMLError("This file is empty: there is no subscription list in it.")
    try:
        root = etree.fromstring(data, safe_parser(recover=False))
    except etree.XMLSyntaxError:
        root = _parse_broken(data)
    _refuse_entities(root)
    return root


def _parse_broken(data: bytes) -> Any:
    """Second chance for the slightly broken OPML some readers write (bare `&`, HTML entities)."""
    try:
        root = etree.fromstring(_repair(data), safe_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise OPMLError(NOT_OPML)
    return root


def _refuse_entities(root: Any) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise OPMLError(
            "This OPML file declares XML entities, which Tidings refuses to read for safety. "
            "Export the list again from your feed reader."
        )


def _repair(data: bytes) -> bytes:
    """Escape bare ampersands and turn HTML named entities into character references."""
    return _NAMED_REFERENCE.sub(_numeric_reference, _BARE_AMPERSAND.sub(b"&amp;", data))


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_PREDEFINED:
        return match.group(0)
    codepoint = html.entities.name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % codepoint if codepoint else b"&amp;" + match.group(0)[1:]


def _child(element: Any, name: str) -> Any:
    return next((c for c in _elements(element) if _local_name(c.tag) == name), None)


def _elements(element: Any) -> Iterator[Any]:
    return (c for c in element if isinstance(c.tag, str))


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _head_entries(head: Any) -> Attrs:
    nsmap: dict[str | None, str] = {}
    for element in _elements(head):
        nsmap = {**element.nsmap, **nsmap}
    return _named(((_element_name(e), e.text or "") for e in _elements(head)), nsmap)


def _element_name(element: Any) -> str:
    """The tag as written; an OPML file with a default namespace is read as if it had none."""
    tag: str = element.tag
    if tag.startswith("{") and tag[1:].partition("}")[0] == element.nsmap.get(None):
        return _local_name(tag)
    return tag


def _title_of(entries: Attrs) -> str:
    return next((text.strip() for name, text in entries if name == "title"), "")


def _outlines(parent: Any) -> Iterator[Outline]:
    for element in _elements(parent):
        if _local_name(element.tag).lower() == "outline":
            yield _read_outline(element)


def _read_outline(element: Any) -> Outline:
    return _make_outline(_named(element.attrib.items(), element.nsmap), tuple(_outlines(element)))


def _named(pairs: Iterable[tuple[str, str]], nsmap: dict[str | None, str]) -> Attrs:
    """Names as written (`prefix:local`), after an `xmlns:<prefix>` pseudo-entry for each prefix used."""
    named = tuple((_qualified_name(name, nsmap), value) for name, value in pairs)
    prefixes = dict.fromkeys(n.partition(":")[0] for n, _ in named if ":" in n and not n.startswith("xml:"))
    declarations = tuple((_NS_ENTRY + p, nsmap[p]) for p in prefixes if p in nsmap)
    return declarations + named


def _qualified_name(clark: str, nsmap: dict[str | None, str]) -> str:
    """`{uri}local` back to `prefix:local`, as it was written."""
    if not clark.startswith("{"):
        return clark
    uri, _, local = clark[1:].partition("}")
    if uri == _XML_NS:
        return "xml:" + local
    prefix = next((p for p, u in nsmap.items() if p and u == uri), None)
    return f"{prefix}:{local}" if prefix else clark


def _make_outline(attrs: Attrs, children: tuple[Outline, ...] = ()) -> Outline:
    return Outline(text=_text_of(attrs), xml_url=_xml_url_of(attrs), attrs=attrs, children=children)


def _attr(attrs: Attrs, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in attrs if k.lower() == wanted), None)


def _text_of(attrs: Attrs) -> str:
    return (_attr(attrs, "text") or "").strip() or (_attr(attrs, "title") or "").strip()


def _xml_url_of(attrs: Attrs) -> str | None:
    return (_attr(attrs, "xmlUrl") or "").strip() or None


# Building


def feed_outline(title: str, xml_url: str, html_url: str | None = None) -> Outline:
    """A feed outline as Tidings exports it: `type`, `text`, `title`, `xmlUrl` and, if known, `htmlUrl`."""
    attrs: Attrs = (("type", "rss"), ("text", title), ("title", title), ("xmlUrl", xml_url))
    return _make_outline(attrs + ((("htmlUrl", html_url),) if html_url else ()))


def folder_outline(name: str, children: tuple[Outline, ...]) -> Outline:
    """A folder outline as Tidings exports it: `text` and `title`, with its feeds as children."""
    return _make_outline((("text", name), ("title", name)), children)


# Writing


def write_opml(doc: OPMLDocument) -> bytes:
    """Serialize a document as indented UTF-8 OPML with an XML declaration.

    Attributes are written as they are in `Outline.attrs`, except that an outline whose `text` or `xml_url`
    was changed (e.g. with `dataclasses.replace`) has the matching attribute updated. A prefixed name whose
    namespace is declared nowhere (only broken files have those) is left out.
    """
    namespaces = _namespaces(doc)
    root = etree.Element("opml", nsmap=namespaces or None)
    root.set("version", doc.version)
    _write_head(etree.SubElement(root, "head"), _head_for_write(doc), namespaces)
    body = etree.SubElement(root, "body")
    for outline in doc.outlines:
        _write_outline(body, outline, namespaces)
    etree.indent(root, space="  ")
    serialized: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return _DECLARATION + serialized + b"\n"


def _namespaces(doc: OPMLDocument) -> dict[str, str]:
    """Every namespace the document uses, first declaration of a prefix first: declared once, on the root."""
    found: dict[str, str] = {}
    for prefix, uri in _declarations_in(doc.head, doc.outlines):
        found.setdefault(prefix, uri)
    return found


def _declarations_in(head: Attrs, outlines: tuple[Outline, ...]) -> Iterator[tuple[str, str]]:
    yield from _declarations(head).items()
    for outline in outlines:
        yield from _declarations_in(outline.attrs, outline.children)


def _declarations(attrs: Attrs) -> dict[str, str]:
    return {name[len(_NS_ENTRY) :]: uri for name, uri in attrs if name.startswith(_NS_ENTRY)}


def _head_for_write(doc: OPMLDocument) -> Attrs:
    if _title_of(doc.head) == doc.title:
        return doc.head
    if any(n == "title" for n, _ in doc.head):
        return tuple((n, doc.title if n == "title" else t) for n, t in doc.head)
    return (("title", doc.title), *doc.head)


def _write_head(head: Any, entries: Attrs, namespaces: dict[str, str]) -> None:
    for name, text in entries:
        tag = _clark_name(name, namespaces)
        if tag is not None:
            etree.SubElement(head, tag).text = _xml_safe(text)


def _write_outline(parent: Any, outline: Outline, inherited: dict[str, str]) -> None:
    local = {p: uri for p, uri in _declarations(outline.attrs).items() if inherited.get(p) != uri}
    element = etree.SubElement(parent, "outline", nsmap=local or None)
    scope = {**inherited, **local}
    for name, value in _attrs_for_write(outline):
        key = _clark_name(name, scope)
        if key is not None:
            element.set(key, _xml_safe(value))
    for child in outline.children:
        _write_outline(element, child, scope)


def _attrs_for_write(outline: Outline) -> Attrs:
    attrs = outline.attrs
    if _text_of(attrs) != outline.text:
        attrs = _set_attr(attrs, "text", outline.text)
    if _xml_url_of(attrs) != outline.xml_url:
        attrs = _set_xml_url(attrs, outline.xml_url)
    return attrs


def _set_attr(attrs: Attrs, name: str, value: str) -> Attrs:
    if _attr(attrs, name) is None:
        return (*attrs, (name, value))
    first = next(i for i, (k, _) in enumerate(attrs) if k.lower() == name.lower())
    return tuple((k, value) if i == first else (k, v) for i, (k, v) in enumerate(attrs))


def _set_xml_url(attrs: Attrs, xml_url: str | None) -> Attrs:
    if xml_url is not None:
        return _set_attr(attrs, "xmlUrl", xml_url)
    return tuple((k, v) for k, v in attrs if k.lower() != "xmlurl")


def _clark_name(name: str, namespaces: dict[str, str]) -> str | None:
    """`prefix:local` to `{uri}local`; None for a declaration or a prefix nobody declared."""
    prefix, colon, local = name.partition(":")
    if not colon or name.startswith("{"):
        return name
    if name.startswith(_NS_ENTRY):
        return None
    uri = _XML_NS if prefix == "xml" else namespaces.get(prefix)
    return f"{{{uri}}}{local}" if uri else None


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry at all (C0 controls, lone surrogates, U+FFFE/U+FFFF)."""
    return _XML_ILLEGAL.sub("", text)


# Reading as a flat list


def flatten(doc: OPMLDocument) -> list[tuple[str | None, Outline]]:
    """Every feed outline with its folder name (None at top level), in document order.

    Nested folders are named by joining their names with " / "; outlines that are neither a feed nor a
    folder are skipped. Outlines nested under a feed stay in that feed's folder.
    """
    return list(_walk(doc.outlines, None))


def _walk(outlines: tuple[Outline, ...], folder: str | None) -> Iterator[tuple[str | None, Outline]]:
    for outline in outlines:
        if outline.xml_url:
            yield folder, outline
            yield from _walk(outline.children, folder)
        elif outline.children:
            yield from _walk(outline.children, _join(folder, outline.text))


def _join(folder: str | None, name: str) -> str | None:
    if not name:
        return folder
    return name if folder is None else f"{folder} / {name}"
