"""Article images kept for offline reading: content-addressed bytes, one row per address, and each
article's list of the images it shows.

Three tables (migration 3):

* `image_data(sha256, bytes, width, height)`: the bytes, once per content, however many addresses or
  stories show them. BLOBs in SQLite rather than files in the data folder: a write is in the same
  transaction as the rows that point at it (no orphan file after a crash, no fsync dance), the library stays
  one file to copy or back up, and article images are small (capped at 5 MB, most well under 1 MB), the range
  where SQLite reads blobs about as fast as the file system.
* `images(url, sha256, content_type, fetched_at, failure, attempts)`: what became of an address. A failure
  is kept with its sentence so it is not fetched on every run; a transient one (network, HTTP 5xx) is tried
  again after `RETRY_SECONDS`, `MAX_ATTEMPTS` times at most.
* `article_images(story_id, position, url)`: the images an article shows, in order. Garbage collection
  follows it: an address no article lists any more is deleted, and so are bytes no address points at.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tidings.core.errors import NotFoundError
from tidings.core.sanitize import sanitize_html

MAX_ATTEMPTS = 3
RETRY_SECONDS = 30 * 60
ARTICLES_PER_RUN = 200  # articles whose image lists one run makes
IMAGES_PER_RUN = 600  # images one run fetches at most
STORIES_PER_RUN = 200  # stories whose own images one run lists
RECENT_DAYS = 14  # a new subscription's archive is not downloaded: only recent stories' images


@dataclass(frozen=True, slots=True)
class Picture:
    """An image that passed the checks, ready to store."""

    sha256: str
    content_type: str
    width: int
    height: int


def set_images(conn: sqlite3.Connection, feed_id: int, on: bool) -> None:
    if conn.execute("UPDATE feeds SET images = ? WHERE id = ?", (int(on), feed_id)).rowcount == 0:
        raise NotFoundError(f"There is no feed {feed_id}.")


def images_on(conn: sqlite3.Connection, feed_id: int) -> bool:
    row = conn.execute("SELECT images FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"There is no feed {feed_id}.")
    return bool(row[0])


def get(conn: sqlite3.Connection, url: str) -> tuple[bytes, str] | None:
    """The stored bytes and content type of the image at `url`, or None (never fetched, or refused)."""
    row = conn.execute(
        "SELECT d.bytes, i.content_type FROM images i JOIN image_data d ON d.sha256 = i.sha256 WHERE i.url = ?",
        (url,),
    ).fetchone()
    return (bytes(row[0]), str(row[1])) if row is not None else None


# -- the lists of images articles show -----------------------------------------------------------------
_GOOD_ARTICLE_OF_AN_IMAGE_FEED = (
    "FROM articles a JOIN stories s ON s.id = a.story_id JOIN feeds f ON f.id = s.feed_id"
    " WHERE a.is_article AND a.failure IS NULL"
    " AND (f.images AND f.show != 'feed' OR a.story_id IN (SELECT story_id FROM saved))"  # saved: always
)


def unlisted(conn: sqlite3.Connection, limit: int = ARTICLES_PER_RUN) -> list[tuple[int, str, str | None]]:
    """(story id, html, lead image) of good articles of feeds that keep images, not listed yet."""
    rows = conn.execute(
        f"SELECT a.story_id, a.html, a.lead_image {_GOOD_ARTICLE_OF_AN_IMAGE_FEED} AND NOT a.images_listed"
        " ORDER BY a.story_id DESC LIMIT ?",
        (limit,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


def unlisted_stories(
    conn: sqlite3.Connection, limit: int = STORIES_PER_RUN
) -> list[tuple[int, str, str | None]]:
    """(story id, feed html, feed image) of recent stories of feeds that keep images whose own text shows
    images, not listed yet."""
    since = int(time.time()) - RECENT_DAYS * 86_400
    rows = conn.execute(
        "SELECT s.id, s.content || ' ' || s.summary, s.url, s.image_url FROM stories s"
        " JOIN feeds f ON f.id = s.feed_id"
        " WHERE (f.images OR s.id IN (SELECT story_id FROM saved)) AND NOT s.images_listed"
        " AND (s.sort_time >= ? OR s.id IN (SELECT story_id FROM saved))"
        " AND (instr(s.content, '<img') OR instr(s.summary, '<img') OR s.image_url IS NOT NULL)"
        " ORDER BY s.id DESC LIMIT ?",
        (since, limit),
    )
    return [(r[0], sanitize_html(r[1], r[2]), r[3]) for r in rows]


def set_story_list(conn: sqlite3.Connection, story_id: int, urls: Sequence[str]) -> None:
    """Replace the list of images a story's own (feed) text shows."""
    conn.execute("DELETE FROM story_images WHERE story_id = ?", (story_id,))
    conn.executemany(
        "INSERT INTO story_images (story_id, position, url) VALUES (?, ?, ?)",
        [(story_id, n, url) for n, url in enumerate(urls)],
    )
    conn.execute("UPDATE stories SET images_listed = 1 WHERE id = ?", (story_id,))


def set_list(conn: sqlite3.Connection, story_id: int, urls: Sequence[str]) -> None:
    """Replace the list of images the article of `story_id` shows."""
    conn.execute("DELETE FROM article_images WHERE story_id = ?", (story_id,))
    conn.executemany(
        "INSERT INTO article_images (story_id, position, url) VALUES (?, ?, ?)",
        [(story_id, n, url) for n, url in enumerate(urls)],
    )
    conn.execute("UPDATE articles SET images_listed = 1 WHERE story_id = ?", (story_id,))


def unlist(conn: sqlite3.Connection, story_id: int, urls: Sequence[str]) -> None:
    """Drop `urls` from an article's list (its image budget ran out): not fetched on later runs."""
    conn.executemany(
        "DELETE FROM article_images WHERE story_id = ? AND url = ?", [(story_id, url) for url in urls]
    )


def forget_list(conn: sqlite3.Connection, story_id: int) -> None:
    """The article changed (fetched or extracted again): its images are listed again on the next run."""
    conn.execute("DELETE FROM article_images WHERE story_id = ?", (story_id,))
    conn.execute("UPDATE articles SET images_listed = 0 WHERE story_id = ?", (story_id,))


def pending(
    conn: sqlite3.Connection, now: float | None = None, limit: int = IMAGES_PER_RUN
) -> list[tuple[int, list[str]]]:
    """(story id, image urls in order) of the listed images to fetch: never tried, or failed for a
    transient reason long enough ago. Newest articles first."""
    before = (now if now is not None else time.time()) - RETRY_SECONDS
    rows = conn.execute(
        "SELECT ai.story_id, ai.url FROM article_images ai JOIN articles a ON a.story_id = ai.story_id"
        " JOIN stories s ON s.id = ai.story_id JOIN feeds f ON f.id = s.feed_id"
        " LEFT JOIN images i ON i.url = ai.url"
        " WHERE a.is_article AND a.failure IS NULL"
        " AND (f.images AND f.show != 'feed' OR a.story_id IN (SELECT story_id FROM saved))"  # saved: always
        " AND (i.url IS NULL OR (i.sha256 IS NULL AND i.attempts < ? AND i.fetched_at <= ?))"
        " ORDER BY ai.story_id DESC, ai.position LIMIT ?",
        (MAX_ATTEMPTS, before, limit),
    )
    found = (
        list(rows)
        + conn.execute(
            "SELECT si.story_id, si.url FROM story_images si JOIN stories s ON s.id = si.story_id"
            " JOIN feeds f ON f.id = s.feed_id LEFT JOIN images i ON i.url = si.url"
            " WHERE (f.images OR si.story_id IN (SELECT story_id FROM saved))"
            " AND (i.url IS NULL OR (i.sha256 IS NULL AND i.attempts < ? AND i.fetched_at <= ?))"
            " ORDER BY si.story_id DESC, si.position LIMIT ?",
            (MAX_ATTEMPTS, before, limit),
        ).fetchall()
    )
    plan: dict[int, list[str]] = {}
    for story_id, url in found:
        plan.setdefault(story_id, []).append(url)
    return list(plan.items())


# -- images --------------------------------------------------------------------------------------------
def save(conn: sqlite3.Connection, url: str, picture: Picture, data: bytes) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO image_data (sha256, bytes, width, height) VALUES (?, ?, ?, ?)",
        (picture.sha256, data, picture.width, picture.height),
    )
    conn.execute(
        "INSERT OR REPLACE INTO images (url, sha256, content_type, fetched_at, failure, attempts)"
        " VALUES (?, ?, ?, ?, NULL, 0)",
        (url, picture.sha256, picture.content_type, int(time.time())),
    )


def save_failure(conn: sqlite3.Connection, url: str, failure: str, *, transient: bool) -> None:
    """Remember why `url` gave no image; only a transient failure is tried again, and not at once."""
    row = conn.execute("SELECT sha256, attempts FROM images WHERE url = ?", (url,)).fetchone()
    if row is not None and row[0] is not None:
        return  # stored meanwhile (another article's run): keep it
    attempts = (row[1] if row is not None else 0) + 1 if transient else MAX_ATTEMPTS
    conn.execute(
        "INSERT OR REPLACE INTO images (url, sha256, content_type, fetched_at, failure, attempts)"
        " VALUES (?, NULL, NULL, ?, ?, ?)",
        (url, int(time.time()), failure, attempts),
    )


def failure(conn: sqlite3.Connection, url: str) -> str | None:
    row = conn.execute("SELECT failure FROM images WHERE url = ?", (url,)).fetchone()
    return row[0] if row is not None else None


def collect_garbage(conn: sqlite3.Connection) -> int:
    """Delete images no article lists any more (their stories were deleted or extracted again), then bytes
    no image points at. Returns how many addresses went."""
    gone = conn.execute(
        "DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM article_images ai WHERE ai.url = images.url)"
        " AND NOT EXISTS (SELECT 1 FROM story_images si WHERE si.url = images.url)"
    ).rowcount
    conn.execute(
        "DELETE FROM image_data WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.sha256 = image_data.sha256)"
    )
    return gone
