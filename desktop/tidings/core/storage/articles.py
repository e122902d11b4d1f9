"""The page behind a story and what was extracted from it."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from tidings.core.errors import NotFoundError, UserInputError

from . import images as image_store

SHOW_MODES = ("auto", "feed", "article")
SUMMARY_ONLY_CHARS = 600  # a feed whose entries average less text than this carries summaries only
PAGES_PER_FEED = 20  # newest stories per feed whose page one run fetches
MAX_ATTEMPTS = 3  # fetches of a page that could not be reached, over several runs, before giving up
RETRY_SECONDS = 30 * 60  # an unreachable page is fetched again on a run at least this much later
RETRIES_PER_RUN = 200


@dataclass(frozen=True, slots=True)
class StoredArticle:
    story_id: int
    url: str
    extractor_version: str | None
    title: str | None
    byline: str | None
    html: str
    text: str
    is_article: bool
    confidence: float
    failure: str | None


@dataclass(frozen=True, slots=True)
class PageRow:
    """What an extraction produced, ready to store (`page` is the page as fetched)."""

    story_id: int
    url: str
    page: bytes | None  # None when the page could not be fetched
    content_type: str | None
    extractor_version: str
    title: str | None
    byline: str | None
    published: int | None
    lead_image: str | None
    canonical_url: str | None
    language: str | None
    html: str
    text: str
    is_article: bool
    confidence: float
    failure: str | None
    etag: str | None = None  # the page's validators, sent back when it is fetched again
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class PageJob:
    """A page to fetch for a story; validators set when a page is stored (conditional GET)."""

    story_id: int
    url: str
    feed_chars: int  # length of the feed's own text, to tell a cut extraction
    etag: str | None = None
    last_modified: str | None = None
    has_page: bool = False


def newest_story(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM stories").fetchone()[0])


def set_show(conn: sqlite3.Connection, feed_id: int, mode: str) -> None:
    if mode not in SHOW_MODES:
        raise UserInputError(f"Show is one of {', '.join(SHOW_MODES)}, not “{mode}”.")
    if conn.execute("UPDATE feeds SET show = ? WHERE id = ?", (mode, feed_id)).rowcount == 0:
        raise NotFoundError(f"There is no feed {feed_id}.")


def article_feeds(conn: sqlite3.Connection) -> list[int]:
    """Feeds whose stories are read as full articles: set so, or automatic and summary-only."""
    rows = conn.execute(
        "SELECT f.id, f.show, avg(length(s.content) = 0), avg(length(s.text)) FROM feeds f"
        " LEFT JOIN stories s ON s.feed_id = f.id GROUP BY f.id"
    )
    return [r[0] for r in rows if r[1] == "article" or (r[1] == "auto" and _summary_only(r[2], r[3]))]


def _summary_only(no_content_share: float | None, mean_chars: float | None) -> bool:
    return no_content_share is not None and no_content_share >= 0.8 and (mean_chars or 0) < SUMMARY_ONLY_CHARS


def missing(
    conn: sqlite3.Connection, feed_ids: list[int], after_id: int = 0, per_feed: int = PAGES_PER_FEED
) -> list[PageJob]:
    """The newest `per_feed` stories of each of `feed_ids` that are newer than `after_id` and have no
    article yet: a first refresh does not fetch a feed's whole archive."""
    if not feed_ids:
        return []
    marks = ",".join("?" * len(feed_ids))
    rows = conn.execute(
        "SELECT id, url, chars FROM (SELECT s.id, s.url, length(s.text) AS chars, row_number() OVER"
        " (PARTITION BY s.feed_id ORDER BY s.sort_time DESC, s.id DESC) AS n FROM stories s"
        " LEFT JOIN articles a ON a.story_id = s.id"
        f" WHERE s.feed_id IN ({marks}) AND a.story_id IS NULL AND s.url IS NOT NULL AND s.id > ?)"
        " WHERE n <= ? ORDER BY id",
        [*feed_ids, after_id, per_feed],
    )
    return [PageJob(r[0], r[1], r[2]) for r in rows]


def retries(conn: sqlite3.Connection, feed_ids: list[int], now: float | None = None) -> list[PageJob]:
    """Stories of `feed_ids` whose page could not be reached on an earlier run (at least `RETRY_SECONDS`
    ago), fewer than `MAX_ATTEMPTS` times. A page that was fetched but gave no article is not fetched
    again: `reextract` covers it."""
    if not feed_ids:
        return []
    before = (now if now is not None else time.time()) - RETRY_SECONDS
    marks = ",".join("?" * len(feed_ids))
    rows = conn.execute(
        "SELECT a.story_id, s.url, length(s.text) FROM articles a JOIN stories s ON s.id = a.story_id"
        f" WHERE s.feed_id IN ({marks}) AND a.page IS NULL AND s.url IS NOT NULL"
        " AND a.attempts BETWEEN 1 AND ? AND a.fetched_at <= ? ORDER BY a.story_id DESC LIMIT ?",
        [*feed_ids, MAX_ATTEMPTS - 1, before, RETRIES_PER_RUN],
    )
    return [PageJob(r[0], r[1], r[2]) for r in rows]


def refetch_jobs(conn: sqlite3.Connection, story_ids: list[int]) -> list[PageJob]:
    """Pages to fetch again on request. A stored page is asked for where it came from, with its validators,
    so an unchanged page costs a 304."""
    jobs = []
    for story_id in story_ids:
        row = conn.execute(
            "SELECT s.url, length(s.text), a.url, a.page IS NOT NULL, a.etag, a.last_modified FROM stories s"
            " LEFT JOIN articles a ON a.story_id = s.id WHERE s.id = ?",
            (story_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"There is no story {story_id}.")
        story_url, chars, page_url, has_page, etag, last_modified = row
        if has_page:
            jobs.append(PageJob(story_id, page_url, chars, etag, last_modified, has_page=True))
        elif story_url:
            jobs.append(PageJob(story_id, story_url, chars))
        else:
            raise UserInputError(f"Story {story_id} has no link to fetch.")
    return jobs


def pages(
    conn: sqlite3.Connection, story_ids: list[int] | None
) -> list[tuple[int, str, bytes, str | None, int]]:
    """Stored pages to re-extract: (story id, url, page, content type, feed text length)."""
    sql = (
        "SELECT a.story_id, a.url, a.page, a.content_type, length(s.text) FROM articles a"
        " JOIN stories s ON s.id = a.story_id WHERE a.page IS NOT NULL"
    )
    if story_ids is None:
        return [tuple(r) for r in conn.execute(sql + " ORDER BY a.story_id")]
    found = []
    for story_id in story_ids:
        row = conn.execute(sql + " AND a.story_id = ?", (story_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"Story {story_id} has no stored page to extract again.")
        found.append(tuple(row))
    return found


def save(conn: sqlite3.Connection, row: PageRow, search_text: str | None, *, attempts: int = 0) -> None:
    """Store a fetched page and its extraction (replacing an older one); a good one also feeds the search
    index. Its images are listed again on the next run."""
    conn.execute(
        "INSERT OR REPLACE INTO articles (story_id, url, fetched_at, page, content_type, extractor_version,"
        " title, byline, published, lead_image, canonical_url, language, html, text, is_article, confidence,"
        " failure, etag, last_modified, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        (row.story_id, row.url, int(time.time()), row.page, row.content_type, row.extractor_version, row.title,
         row.byline, row.published, row.lead_image, row.canonical_url, row.language, row.html, row.text,
         int(row.is_article), row.confidence, row.failure, row.etag, row.last_modified, attempts),
    )  # fmt: skip
    image_store.forget_list(conn, row.story_id)
    if search_text:
        conn.execute("UPDATE stories SET text = ? WHERE id = ?", (search_text, row.story_id))


def save_extraction(conn: sqlite3.Connection, row: PageRow, search_text: str | None) -> None:
    """Store a new extraction of the stored page: the page, its validators and when it was fetched stay."""
    conn.execute(
        "UPDATE articles SET extractor_version = ?, title = ?, byline = ?, published = ?, lead_image = ?,"
        " canonical_url = ?, language = ?, html = ?, text = ?, is_article = ?, confidence = ?, failure = ?"
        " WHERE story_id = ?",
        (row.extractor_version, row.title, row.byline, row.published, row.lead_image, row.canonical_url,
         row.language, row.html, row.text, int(row.is_article), row.confidence, row.failure, row.story_id),
    )  # fmt: skip
    image_store.forget_list(conn, row.story_id)
    if search_text:
        conn.execute("UPDATE stories SET text = ? WHERE id = ?", (search_text, row.story_id))


def save_unreachable(conn: sqlite3.Connection, row: PageRow, *, transient: bool) -> None:
    """A fetch that failed. A page already stored is kept as it is (nothing stored is lost); otherwise the
    failure is stored, counting attempts so a transient failure is tried again, a few times."""
    stored = conn.execute(
        "SELECT page IS NOT NULL, attempts FROM articles WHERE story_id = ?", (row.story_id,)
    ).fetchone()
    if stored is not None and stored[0]:
        return
    attempts = ((stored[1] if stored is not None else 0) + 1) if transient else MAX_ATTEMPTS
    save(conn, row, None, attempts=attempts)


def not_modified(
    conn: sqlite3.Connection, story_id: int, etag: str | None, last_modified: str | None
) -> None:
    """The server says the stored page is current: keep it, note when it was checked."""
    conn.execute(
        "UPDATE articles SET fetched_at = ?, attempts = 0, etag = coalesce(?, etag),"
        " last_modified = coalesce(?, last_modified) WHERE story_id = ?",
        (int(time.time()), etag, last_modified, story_id),
    )


def get(conn: sqlite3.Connection, story_id: int) -> StoredArticle | None:
    row = conn.execute(
        "SELECT story_id, url, extractor_version, title, byline, html, text, is_article, confidence, failure"
        " FROM articles WHERE story_id = ?",
        (story_id,),
    ).fetchone()
    if row is None:
        return None
    story_id, url, version, title, byline, html, text, is_article, confidence, failure = row
    return StoredArticle(
        story_id, url, version, title, byline, html, text, bool(is_article), confidence, failure
    )


def page_of(conn: sqlite3.Connection, story_id: int) -> tuple[bytes, str | None] | None:
    """The stored page behind a story, as fetched, and its content type."""
    row = conn.execute("SELECT page, content_type FROM articles WHERE story_id = ?", (story_id,)).fetchone()
    return (bytes(row[0]), row[1]) if row is not None and row[0] is not None else None
