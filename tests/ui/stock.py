"""Real feeds and stories written through the core storage, for the window tests."""

from __future__ import annotations

import hashlib

from tidings.core.library import Library
from tidings.core.storage import feeds, stories
from tidings.core.update import StoryRow

START = 1_735_000_000  # 2024-12-24, a fixed clock: screenshots and orders do not drift


def add_feed(
    library: Library, url: str, title: str, *, folder: str | None = None, error: str | None = None
) -> int:
    feed_id = library.write(lambda c: feeds.add_feed(c, url, title=title, folder=folder))
    if error:
        library.write(lambda c: feeds.record_error(c, feed_id, error, next_check=None))
    return feed_id


def story_row(
    feed_id: int, n: int, *, title: str = "", content: str = "", author: str | None = None
) -> StoryRow:
    content = content or f"<p>Story {n} of feed {feed_id}.</p>"
    return StoryRow(
        uid=f"{feed_id}-{n}",
        url=f"https://example.com/{feed_id}/{n}",
        title=title or f"Story {n} of feed {feed_id}",
        author=author,
        summary="",
        content=content,
        text="",
        image_url=None,
        published=START + n * 60,
        updated=None,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
    )


def add_stories(library: Library, feed_id: int, count: int) -> None:
    rows = [story_row(feed_id, n) for n in range(count)]
    library.write(lambda c: stories.insert(c, feed_id, rows))


def add_story(library: Library, feed_id: int, n: int, **fields: str) -> int:
    row = story_row(feed_id, n, **fields)
    library.write(lambda c: stories.insert(c, feed_id, [row]))
    return next(s.id for s, _key in library.stories() if s.title == row.title)
