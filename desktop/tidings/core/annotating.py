"""Highlights and notes on stories, as `library.annotations`: made, edited, re-anchored, exported, imported.

A highlight is anchored in the normalised plain text of what the reader shows: the extracted article when it
is good (and the feed is not set to its own text), else the feed's text. Whenever that text changes (a new
extraction, a feed update), the highlights are placed again (`annotations.reanchor`) the next time they are
read; what cannot be placed is an orphan, kept with its quote and shown as such, never dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import annotation_formats as formats
from . import annotations as anno
from .errors import UserInputError
from .sanitize import html_to_text, sanitize_html
from .storage import annotations as store
from .storage.annotations import StoredAnnotation

if TYPE_CHECKING:
    from .library import Library


@dataclass(frozen=True, slots=True)
class StoryText:
    """The text a story's highlights live in: which one, its extractor version, and the text, normalised."""

    source: str  # "article" or "feed"
    version: str
    text: str
    html: str  # the sanitized body it comes from


@dataclass(frozen=True, slots=True)
class PlacedAnnotation:
    """An annotation and where it is now: `start`/`end` in the story's normalised text (None: an orphan, or
    a note on the whole story)."""

    stored: StoredAnnotation
    status: str
    start: int | None = None
    end: int | None = None

    @property
    def annotation(self) -> anno.Annotation:
        return self.stored.annotation


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int = 0
    already: int = 0
    unmatched: tuple[str, ...] = ()  # addresses of no story in the library


class Annotator:
    def __init__(self, library: Library):
        self._library = library

    # -- the text -----------------------------------------------------------------------------------
    def story_text(self, story_id: int) -> StoryText:
        library = self._library
        story = library.story(story_id)
        article = library.article(story_id)
        feed_show = library.feed(story.feed_id).show
        if feed_show != "feed" and article is not None and article.is_article and not article.failure:
            body = sanitize_html(article.html, story.url)
            return StoryText(
                "article", article.extractor_version or "", anno.normalise_text(html_to_text(body)), body
            )
        body = sanitize_html(story.content_html or story.summary_html, story.url)
        text = html_to_text(body) if body.strip() else story.text
        return StoryText("feed", "feed", anno.normalise_text(text), body)

    # -- making and changing --------------------------------------------------------------------------
    def highlight(
        self,
        story_id: int,
        quote: str,
        *,
        note: str = "",
        color: str = anno.DEFAULT_COLOR,
        prefix: str = "",
        suffix: str = "",
        near: int | None = None,
    ) -> PlacedAnnotation:
        """Highlight the words `quote` of a story (with the context around them when the quote occurs more
        than once, and `near`, a position in the normalised text). Written durably before it returns."""  # fmt: skip
        text = self.story_text(story_id)
        words = anno.normalise_text(quote)
        if not words:
            raise UserInputError("Choose the words to highlight.")
        if color not in anno.COLORS:
            raise UserInputError(f"A highlight is {', '.join(anno.COLORS)}, not “{color}”.")
        start, end = self._find(
            text.text, words, anno.normalise_text(prefix), anno.normalise_text(suffix), near
        )
        anchor = anno.anchor(text.text, start, end, text.version)
        annotation = anno.Annotation(anno.new_annotation_id(), anchor, _now(), note, color)
        stored = StoredAnnotation(story_id, annotation, text.source, "exact")
        self._library.write(lambda c: store.insert(c, stored), durable=True)
        span = anchor.position or anno.TextPositionSelector(start, end)
        return PlacedAnnotation(stored, "exact", span.start, span.end)

    def note(self, story_id: int, note: str) -> PlacedAnnotation:
        """A note on the whole story."""
        if not note.strip():
            raise UserInputError("Write the note first.")
        self._library.story(story_id)
        stored = StoredAnnotation(
            story_id, anno.Annotation(anno.new_annotation_id(), None, _now(), note.strip())
        )
        self._library.write(lambda c: store.insert(c, stored), durable=True)
        return PlacedAnnotation(stored, "exact")

    def edit(self, uuid: str, *, note: str | None = None, color: str | None = None) -> StoredAnnotation:
        """Change a note or a colour; returns the annotation as it was (for undo)."""
        before = store.get(self._library.reader(), uuid)
        if color is not None and color not in anno.COLORS:
            raise UserInputError(f"A highlight is {', '.join(anno.COLORS)}, not “{color}”.")
        changed = dataclasses.replace(
            before.annotation, note=before.annotation.note if note is None else note,
            color=color or before.annotation.color, modified=_now(),
        )  # fmt: skip
        self._library.write(
            lambda c: store.replace(c, dataclasses.replace(before, annotation=changed)), durable=True
        )
        return before

    def delete(self, uuid: str) -> StoredAnnotation:
        """Delete an annotation; returns it, so an undo can `restore` it."""
        return self._library.write(lambda c: store.delete(c, uuid), durable=True)

    def restore(self, stored: StoredAnnotation) -> None:
        self._library.write(lambda c: store.replace(c, stored), durable=True)

    # -- reading (re-anchored) -----------------------------------------------------------------------------
    def of_story(self, story_id: int) -> list[PlacedAnnotation]:
        """The story's annotations placed in its current text, in reading order; orphans and notes on the
        whole story last. A changed placement is written back (quote, context and position follow the text)."""
        items = store.of_story(self._library.reader(), story_id)
        if not items:
            return []
        text = self.story_text(story_id)
        placed = [self._place(item, text) for item in items]
        changed = [p.stored for p in placed if p.stored != _original(items, p)]
        if changed:
            self._library.write(functools.partial(_replace_all, items=changed), durable=True)
        return sorted(placed, key=lambda p: (p.start is None, p.start or 0))

    def _place(self, item: StoredAnnotation, text: StoryText) -> PlacedAnnotation:
        anchor = item.annotation.anchor
        if anchor is None:
            return PlacedAnnotation(item, "note")
        if anchor.extractor_version == text.version and item.source == text.source and item.status == "exact":
            pos = anchor.position
            if pos is not None and text.text[pos.start : pos.end] == anchor.quote.exact:
                return PlacedAnnotation(item, "exact", pos.start, pos.end)
        found = anno.reanchor(text.text, anchor)
        if not found.placed or found.start is None or found.end is None:
            return PlacedAnnotation(dataclasses.replace(item, status="orphan"), "orphan")
        moved = anno.anchor(text.text, found.start, found.end, text.version)
        annotation = dataclasses.replace(item.annotation, anchor=moved)
        stored = dataclasses.replace(item, annotation=annotation, source=text.source, status=found.status)
        return PlacedAnnotation(stored, found.status, found.start, found.end)

    def _find(self, text: str, words: str, prefix: str, suffix: str, near: int | None) -> tuple[int, int]:
        position = anno.TextPositionSelector(near, near + len(words)) if near is not None else None
        where = anno.Anchor(
            anno.TextQuoteSelector(words, prefix[-anno.CONTEXT_CHARS :], suffix[: anno.CONTEXT_CHARS]),
            position,
        )
        found = anno.reanchor(text, where) if (prefix or suffix or near is not None) else None
        if found is not None and found.placed and found.start is not None and found.end is not None:
            return found.start, found.end
        start = text.find(words)
        if start < 0:
            raise UserInputError(f"The story does not contain “{_short(words)}”.")
        if text.find(words, start + 1) >= 0 and found is None:
            raise UserInputError(f"“{_short(words)}” occurs more than once: quote more words to say which.")
        return start, start + len(words)

    # -- export and import ------------------------------------------------------------------------------------
    def export(self, story_ids: Sequence[int] | None, fmt: str) -> str:
        """The annotations of `story_ids` (None: every annotated story) as Markdown, W3C JSON-LD, or JSON."""
        conn = self._library.reader()
        ids = list(story_ids) if story_ids is not None else store.annotated_stories(conn)
        stories = [(self._library.story(i), [p.annotation for p in self.of_story(i)]) for i in ids]
        if fmt == "md":
            return (
                "\n\n".join(formats.to_markdown(a, s.url, title=s.title) for s, a in stories if a).strip()
                + "\n"
            )
        if fmt == "w3c":
            collection = formats.to_w3c_collection(
                ((s.url or f"tidings:story:{s.id}", a) for s, a in stories)
            )
            return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"
        if fmt == "json":
            return json.dumps([_plain(s.id, s.title, s.url, p) for s, _a in stories for p in self.of_story(s.id)],
                              ensure_ascii=False, indent=2) + "\n"  # fmt: skip
        raise UserInputError(f"Annotations are exported as md, w3c or json, not “{fmt}”.")

    def import_w3c(self, data: bytes | str) -> ImportReport:
        """Add the annotations of a W3C Web Annotation document to the stories whose address they name; one
        already here (same id) is left alone."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserInputError(f"The file is not JSON ({exc}).") from exc
        imported = formats.from_w3c(doc)
        conn = self._library.reader()
        added = already = 0
        unmatched: list[str] = []
        for item in imported:
            story_id = _story_for(conn, item.source)
            if story_id is None:
                unmatched.append(item.source)
                continue
            if store.exists(conn, item.annotation.id):
                already += 1
                continue
            stored = StoredAnnotation(story_id, item.annotation, self.story_text(story_id).source, "moved")
            self._library.write(functools.partial(store.insert, item=stored), durable=True)
            added += 1
        return ImportReport(added, already, tuple(dict.fromkeys(unmatched)))


def _story_for(conn: Any, source: str) -> int | None:
    if source.startswith("tidings:story:") and source.rsplit(":", 1)[1].isdigit():
        row = conn.execute("SELECT id FROM stories WHERE id = ?", (int(source.rsplit(":", 1)[1]),)).fetchone()
    else:
        row = conn.execute(
            "SELECT id FROM stories WHERE url = ?"
            " UNION SELECT story_id FROM articles WHERE url = ? OR canonical_url = ? LIMIT 1",
            (source, source, source),
        ).fetchone()
    return int(row[0]) if row is not None else None


def _replace_all(conn: sqlite3.Connection, items: list[StoredAnnotation]) -> None:
    for item in items:
        store.replace(conn, item)


def _original(items: list[StoredAnnotation], placed: PlacedAnnotation) -> StoredAnnotation | None:
    return next((i for i in items if i.annotation.id == placed.stored.annotation.id), None)


def _plain(story_id: int, title: str, url: str | None, placed: PlacedAnnotation) -> dict[str, object]:
    a = placed.annotation
    return {
        "story": story_id, "title": title, "url": url, "id": a.id, "status": placed.status,
        "quote": a.anchor.quote.exact if a.anchor else None, "note": a.note, "color": a.color if a.anchor else None,
        "created": a.created.isoformat(),
    }  # fmt: skip


def _short(words: str) -> str:
    return words if len(words) <= 60 else words[:57] + "…"


def _now() -> datetime:
    return datetime.now(UTC)
