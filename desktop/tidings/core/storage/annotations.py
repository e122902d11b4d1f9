"""Highlights and notes in the store. Each is written in a transaction of its own, durably (the caller
passes `durable=True` to the writer), and is never deleted by anything but the person."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tidings.core.annotations import Anchor, Annotation, TextPositionSelector, TextQuoteSelector
from tidings.core.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    """An annotation with where it belongs: its story, the text it is anchored in (`source`: "article" or
    "feed"), and the status of the last re-anchoring."""

    story_id: int
    annotation: Annotation
    source: str = "article"
    status: str = "exact"


_COLUMNS = (
    "story_id, uuid, color, exact, prefix, suffix, start, end, source, text_version, status, note, created,"
    " modified"
)


def insert(conn: sqlite3.Connection, item: StoredAnnotation) -> None:
    if conn.execute("SELECT 1 FROM stories WHERE id = ?", (item.story_id,)).fetchone() is None:
        raise NotFoundError(f"There is no story {item.story_id}.")
    conn.execute(
        f"INSERT INTO annotations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(item)
    )


def replace(conn: sqlite3.Connection, item: StoredAnnotation) -> None:
    """Write an annotation again (edited, re-anchored, or restored by an undo)."""
    conn.execute("DELETE FROM annotations WHERE uuid = ?", (item.annotation.id,))
    insert(conn, item)


def delete(conn: sqlite3.Connection, uuid: str) -> StoredAnnotation:
    found = get(conn, uuid)
    conn.execute("DELETE FROM annotations WHERE uuid = ?", (uuid,))
    return found


def get(conn: sqlite3.Connection, uuid: str) -> StoredAnnotation:
    row = conn.execute(f"SELECT {_COLUMNS} FROM annotations WHERE uuid = ?", (uuid,)).fetchone()
    if row is None:
        raise NotFoundError(f"There is no annotation {uuid}.")
    return _stored(row)


def of_story(conn: sqlite3.Connection, story_id: int) -> list[StoredAnnotation]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM annotations WHERE story_id = ? ORDER BY coalesce(start, -1), id", (story_id,)
    )
    return [_stored(r) for r in rows]


def annotated_stories(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT DISTINCT story_id FROM annotations ORDER BY story_id")]


def exists(conn: sqlite3.Connection, uuid: str) -> bool:
    return conn.execute("SELECT 1 FROM annotations WHERE uuid = ?", (uuid,)).fetchone() is not None


def _row(item: StoredAnnotation) -> tuple[object, ...]:
    a = item.annotation
    anchor = a.anchor
    quote = anchor.quote if anchor else None
    position = anchor.position if anchor else None
    return (
        item.story_id, a.id, a.color if anchor else None, quote.exact if quote else None,
        quote.prefix if quote else None, quote.suffix if quote else None,
        position.start if position else None, position.end if position else None, item.source,
        anchor.extractor_version if anchor else None, item.status, a.note, _seconds(a.created),
        _seconds(a.modified or a.created),
    )  # fmt: skip


def _stored(r: Any) -> StoredAnnotation:
    (
        story_id,
        uuid,
        color,
        exact,
        prefix,
        suffix,
        start,
        end,
        source,
        version,
        status,
        note,
        created,
        modified,
    ) = r
    anchor = None
    if exact:
        position = (
            TextPositionSelector(int(start), int(end)) if start is not None and end is not None else None
        )
        quote = TextQuoteSelector(str(exact), str(prefix or ""), str(suffix or ""))
        anchor = Anchor(quote, position, str(version or ""))
    annotation = Annotation(
        id=str(uuid), anchor=anchor, created=_time(created), note=str(note or ""),
        color=str(color) if color else "yellow", modified=_time(modified),
    )  # fmt: skip
    return StoredAnnotation(int(story_id), annotation, str(source), str(status))


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _time(value: object) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)  # type: ignore[arg-type]
