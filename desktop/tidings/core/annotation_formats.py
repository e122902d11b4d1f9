"""Annotations out and in: W3C Web Annotation JSON-LD (export and import, round-trip exact) and Markdown
(`==highlight==` and the note, with the source link)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as percent_encode

from .annotations import (
    _EXTRACTOR_KEY,
    _ID_NAMESPACE,
    COLORS,
    DEFAULT_COLOR,
    TIDINGS_NS,
    W3C_CONTEXT,
    Anchor,
    Annotation,
    AnnotationFormatError,
    ImportedAnnotation,
    TextPositionSelector,
    TextQuoteSelector,
)

# W3C Web Annotation JSON-LD


def to_w3c(annotations: Iterable[Annotation], story_url: str, *, label: str | None = None) -> dict[str, Any]:
    """The annotations of one story as a W3C AnnotationCollection (JSON-LD, ready for `json.dumps`)."""
    return to_w3c_collection([(story_url, annotations)], label=label)


def to_w3c_collection(
    stories: Iterable[tuple[str, Iterable[Annotation]]], *, label: str | None = None
) -> dict[str, Any]:
    """The annotations of several stories, given as (story url, annotations), in one AnnotationCollection."""
    items = [_annotation_to_w3c(a, url) for url, annotations in stories for a in annotations]
    doc: dict[str, Any] = {
        "@context": [W3C_CONTEXT, {"tidings": TIDINGS_NS}],
        "id": f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, ' '.join(item['id'] for item in items))}",
        "type": "AnnotationCollection",
    }
    if label:
        doc["label"] = label
    doc["total"] = len(items)
    doc["first"] = {"type": "AnnotationPage", "startIndex": 0, "items": items}
    return doc


def _annotation_to_w3c(annotation: Annotation, url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": annotation.id,
        "type": "Annotation",
        "motivation": "commenting" if annotation.note else "highlighting",
        "created": _iso(annotation.created),
    }
    if annotation.modified is not None:
        out["modified"] = _iso(annotation.modified)
    if annotation.note:
        out["body"] = {"type": "TextualBody", "value": annotation.note, "format": "text/plain"}
        out["body"]["purpose"] = "commenting"
    out["target"] = _target_to_w3c(annotation, url)
    color = annotation.color
    out["stylesheet"] = {
        "type": "CssStylesheet",
        "value": f".{color} {{ background-color: {COLORS[color]}; }}",
    }
    return out


def _target_to_w3c(annotation: Annotation, url: str) -> dict[str, Any]:
    target: dict[str, Any] = {"source": url, "styleClass": annotation.color}
    where = annotation.anchor
    if where is None:
        return target
    quote = where.quote
    selectors: list[dict[str, Any]] = [
        {"type": "TextQuoteSelector", "exact": quote.exact, "prefix": quote.prefix, "suffix": quote.suffix}
    ]
    if where.position is not None:
        position = where.position
        selectors.append({"type": "TextPositionSelector", "start": position.start, "end": position.end})
    target["selector"] = selectors
    if where.extractor_version:
        target[_EXTRACTOR_KEY] = where.extractor_version
    return target


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_w3c(doc: Any, *, now: datetime | None = None) -> list[ImportedAnnotation]:
    """The annotations of a W3C document (an AnnotationCollection with its pages embedded, an AnnotationPage,
    one Annotation or a list of them), as `json.loads` gives it. Exact for what `to_w3c` writes; lenient with
    other tools' files. An annotation without an id gets one made from its content (importing twice gives the
    same ids); one without a creation time gets `now`. Raises AnnotationFormatError."""
    received = now or datetime.now(UTC)
    return [_annotation_from_w3c(item, index, received) for index, item in enumerate(_w3c_items(doc), 1)]


def _w3c_items(doc: Any) -> Iterator[Any]:
    if isinstance(doc, list):
        yield from doc
        return
    if not isinstance(doc, dict):
        raise AnnotationFormatError("This is not a W3C annotation document.")
    kinds = _types(doc)
    if "Annotation" in kinds:
        yield doc
    elif "AnnotationPage" in kinds:
        yield from _page_items(doc)
    elif "AnnotationCollection" in kinds:
        yield from _collection_items(doc)
    else:
        raise AnnotationFormatError("This is not a W3C annotation document (no Annotation type).")


def _collection_items(collection: dict[str, Any]) -> Iterator[Any]:
    page = collection.get("first")
    if page is None and collection.get("total", 0) == 0:
        return
    while isinstance(page, dict):
        yield from _page_items(page)
        page = page.get("next")
    if page is not None:
        raise AnnotationFormatError("The annotation collection links to pages it does not contain.")


def _page_items(page: dict[str, Any]) -> list[Any]:
    items = page.get("items", [])
    if not isinstance(items, list):
        raise AnnotationFormatError("An annotation page has no list of items.")
    return items


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("type", obj.get("@type"))
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _annotation_from_w3c(item: Any, index: int, now: datetime) -> ImportedAnnotation:
    if not isinstance(item, dict):
        raise AnnotationFormatError(f"Annotation {index} is not an object.")
    name = f"Annotation {index} ({item.get('id', 'no id')})"
    try:
        source, target = _read_target(item.get("target"))
        annotation = Annotation(
            id=_text(item.get("id")) or _content_id(item),
            anchor=_read_anchor(target),
            created=_read_time(item.get("created")) or _read_time(item.get("modified")) or now,
            note=_read_note(item),
            color=_read_color(target),
            modified=_read_time(item.get("modified")),
        )
    except (ValueError, TypeError) as error:
        raise AnnotationFormatError(f"{name} cannot be read: {error}.") from None
    return ImportedAnnotation(source, annotation)


def _read_target(target: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(target, list):
        target = target[0] if target else None
    if isinstance(target, str) and target:
        return target, {}
    if isinstance(target, dict) and isinstance(target.get("source"), str) and target["source"]:
        return target["source"], target
    raise ValueError("it has no target page")


def _read_anchor(target: dict[str, Any]) -> Anchor | None:
    selectors = target.get("selector", [])
    selectors = selectors if isinstance(selectors, list) else [selectors]
    by_type = {next(iter(_types(s)), ""): s for s in selectors if isinstance(s, dict)}
    quote, position = by_type.get("TextQuoteSelector"), by_type.get("TextPositionSelector")
    if quote is None:
        if selectors:
            raise ValueError("its selectors have no TextQuoteSelector")
        return None
    exact = quote.get("exact")
    if not isinstance(exact, str) or not exact:
        raise ValueError("its TextQuoteSelector has no exact text")
    return Anchor(
        TextQuoteSelector(exact, _text(quote.get("prefix")), _text(quote.get("suffix"))),
        None if position is None else _read_position(position),
        _text(target.get(_EXTRACTOR_KEY)),
    )


def _read_position(selector: dict[str, Any]) -> TextPositionSelector:
    start, end = selector.get("start"), selector.get("end")
    if type(start) is not int or type(end) is not int:
        raise ValueError("its TextPositionSelector has no whole-number start and end")
    return TextPositionSelector(start, end)


def _read_note(item: dict[str, Any]) -> str:
    if isinstance(item.get("bodyValue"), str):
        return str(item["bodyValue"])
    bodies = item.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    notes = [
        b["value"]
        for b in bodies
        if isinstance(b, dict) and isinstance(b.get("value"), str) and b.get("purpose") != "tagging"
    ]
    return "\n\n".join(notes)


def _read_color(target: dict[str, Any]) -> str:
    style = target.get("styleClass")
    return style if isinstance(style, str) and style in COLORS else DEFAULT_COLOR


def _read_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("a time is not text")
    moment = datetime.fromisoformat(value)
    return (moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _content_id(item: dict[str, Any]) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, json.dumps(item, sort_keys=True, default=str))}"


# Markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^([ \t]*)([#>+=-]|\d+[.)])", re.M)


def to_markdown(annotations: Sequence[Annotation], story_url: str | None, *, title: str | None = None) -> str:
    """A story's annotations in Markdown: its title as a heading, the source link, then `markdown_notes`."""
    head = f"## {markdown_escape(title or story_url or 'Untitled')}\n\n"
    if story_url:
        head += f"Source: <{markdown_url(story_url)}>\n\n"
    return head + markdown_notes(sorted(annotations, key=_reading_order))


def markdown_notes(annotations: Iterable[Annotation]) -> str:
    """The annotations in the order given: a highlight as `==words==`, a note as its paragraphs."""
    blocks = []
    for annotation in annotations:
        if annotation.anchor is not None:
            blocks.append(_highlight(annotation.anchor.quote.exact))
        if annotation.note.strip():
            blocks.append(_note(annotation.note))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _note(text: str) -> str:
    paragraphs = ("\n".join(line.strip() for line in p.splitlines()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(markdown_escape(p).replace("\n", "\\\n") for p in paragraphs if p.strip())


def _highlight(words: str) -> str:
    escaped = markdown_escape(words).replace("=\\=", "==").replace("=", "\\=")
    return f"=={escaped}=="


def _reading_order(annotation: Annotation) -> tuple[int, int]:
    where = annotation.anchor
    if where is None:
        return (0, 0)
    return (1, where.position.start if where.position is not None else 0)


def markdown_escape(text: str) -> str:
    """Plain text that Markdown shows as it is (inline marks, line-start blocks and `==` escaped)."""
    text = _MD_LINE_START.sub(r"\1\\\2", _MD_INLINE.sub(r"\\\1", text))
    return text.replace("==", "=\\=")


def markdown_url(url: str) -> str:
    """`url` safe between angle brackets: `<url>` or `[text](<url>)`."""
    return re.sub(r"[\s<>\x00-\x1f\x7f]", lambda m: percent_encode(m.group()), url)
