"""Pure steps of an update: turn a parsed feed into rows, give each story a stable identity, and decide
what is new and what changed. No I/O here: the same functions run in worker processes and in tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from .models import ParsedEntry, ParsedFeed
from .sanitize import search_text
from .textclean import clean_html, clean_line, clean_text, clean_url

MAX_TITLE = 1_000
MAX_FIELD = 2 * 1024 * 1024


class StoryRow(NamedTuple):
    """One entry ready for the store. `published`/`updated` are Unix seconds; `text` is for search.

    A named tuple, not a dataclass: tens of thousands cross from the parse workers per refresh, and a
    slots dataclass pickles through Python code (ten times slower, on the writer's side of the pipe)."""

    uid: str
    url: str | None
    title: str
    author: str | None
    summary: str
    content: str
    text: str
    image_url: str | None
    published: int | None
    updated: int | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class PreparedFeed:
    title: str
    site_url: str | None
    description: str
    icon_url: str | None
    rows: tuple[StoryRow, ...]
    parser: str
    warnings: tuple[str, ...] = ()


def prepare(feed: ParsedFeed) -> PreparedFeed:
    """Rows for every entry of `feed`, identities unique within the document."""
    uids = story_uids(feed.entries)
    seen: set[str] = set()
    rows = []
    for uid, entry in zip(uids, feed.entries, strict=True):
        if uid not in seen:  # a document repeating an entry keeps its first copy
            seen.add(uid)
            rows.append(to_row(uid, entry))
    return PreparedFeed(
        title=clean_line(feed.title)[:MAX_TITLE],
        site_url=clean_url(feed.site_url),
        description=clean_line(feed.description)[:MAX_TITLE],
        icon_url=clean_url(feed.icon_url),
        rows=tuple(rows),
        parser=feed.parser,
        warnings=feed.warnings,
    )


def story_uids(entries: Iterable[ParsedEntry]) -> list[str]:
    """Stable identity per entry: the guid, else the link, else a hash of what the entry says.

    A guid the document repeats for different entries (a broken feed) is not an identity; those
    entries fall back to their link, then to their content.
    """
    entries = list(entries)
    counts: dict[str, int] = {}
    for e in entries:
        if e.guid:
            counts[e.guid] = counts.get(e.guid, 0) + 1
    return [_uid(e, trust_guid=bool(e.guid) and counts[e.guid or ""] == 1) for e in entries]


def _uid(entry: ParsedEntry, *, trust_guid: bool) -> str:
    if trust_guid and entry.guid:
        return "g:" + entry.guid[:2000]
    if entry.link:
        return "l:" + entry.link[:2000]
    return "h:" + _digest(entry.title, entry.summary_html, entry.content_html)


def to_row(uid: str, entry: ParsedEntry) -> StoryRow:
    """The stored form of an entry: the one place parsed text becomes rows, so cleaned here (`textclean`):
    no control characters anywhere, no bidi controls in plain text. The uid is left as it is: it is an
    identity, never shown, and changing it would duplicate stories stored before."""
    summary = clean_html(entry.summary_html[:MAX_FIELD])
    content = clean_html(entry.content_html[:MAX_FIELD])
    title = clean_line(entry.title)[:MAX_TITLE]
    author = clean_line(entry.author or "")[:MAX_TITLE] or None
    link = clean_url(entry.link)
    published = _seconds(entry.published) or _seconds(entry.updated)
    return StoryRow(
        uid=uid,
        url=link,
        title=title,
        author=author,
        summary=summary,
        content=content,
        text=clean_text(search_text(content or summary)),
        image_url=clean_url(entry.image_url),
        published=published,
        updated=_seconds(entry.updated),
        content_hash=_digest(title, link or "", summary, content, str(published), author or ""),
    )


def decide(existing: Mapping[str, str], rows: Iterable[StoryRow]) -> tuple[list[StoryRow], list[StoryRow]]:
    """Split `rows` into (new, changed) given the stored uid -> content_hash of the feed."""
    new: list[StoryRow] = []
    changed: list[StoryRow] = []
    for row in rows:
        stored = existing.get(row.uid)
        if stored is None:
            new.append(row)
        elif stored != row.content_hash:
            changed.append(row)
    return new, changed


def _seconds(when: datetime | None) -> int | None:
    return int(when.timestamp()) if when is not None else None


def _digest(*parts: str) -> str:
    return hashlib.sha1(
        "\x00".join(parts).encode("utf-8", "surrogatepass"), usedforsecurity=False
    ).hexdigest()
