"""The facade the CLI and the UI talk to: one object per open library (data folder)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .credentials import CredentialStore, MemoryCredentials
from .errors import TidingsError
from .models import Feed, FeedLink, FeedOutcome, FetchPolicy, Folder, RefreshReport, SearchHit, Story
from .storage import articles as article_store
from .storage import feeds as feed_store
from .storage import stories as story_store
from .storage.db import DB_NAME, connect
from .storage.lock import FileLock
from .storage.stories import ALL, PageKey, StoryFilter
from .storage.writer import Writer

if TYPE_CHECKING:
    from .articles import ArticleReport
    from .refresh import Progress

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    already: int
    folders: int
    credentials: int
    errors: tuple[str, ...] = ()


class Library:
    """An open data folder: the writer, a read connection per thread, and the credential store."""

    def __init__(
        self, folder: Path, *, credentials: CredentialStore | None = None, policy: FetchPolicy | None = None
    ):
        self.folder = folder
        self.path = folder / DB_NAME
        self.credentials = credentials or MemoryCredentials()
        self.policy = policy or FetchPolicy()
        self.writer = Writer(self.path, before_commit=story_store.index_pending)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------
    def close(self) -> None:
        self.writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (WAL: reads never wait for the writer)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return self.writer.call(work)

    def lock(self, name: str, purpose: str) -> FileLock:
        return FileLock(self.folder / f"{name}.lock", purpose)

    # -- reading ----------------------------------------------------------------------------------
    def feeds(self) -> list[Feed]:
        return feed_store.list_feeds(self.reader())

    def feed(self, feed_id: int) -> Feed:
        return feed_store.get_feed(self.reader(), feed_id)

    def find_feed(self, ref: str) -> int:
        return feed_store.find_feed(self.reader(), ref)

    def folders(self) -> list[Folder]:
        return feed_store.list_folders(self.reader())

    def stories(
        self, flt: StoryFilter = ALL, *, after: PageKey | None = None, limit: int = 200
    ) -> list[tuple[Story, PageKey]]:
        return story_store.page(self.reader(), flt, after=after, limit=limit)

    def story(self, story_id: int) -> Story:
        return story_store.get(self.reader(), story_id)

    def count(self, flt: StoryFilter = ALL) -> int:
        return story_store.count(self.reader(), flt)

    def search(self, query: str, flt: StoryFilter = ALL, *, limit: int = 50) -> list[SearchHit]:
        return story_store.search(self.reader(), query, flt, limit=limit)

    # -- changing ---------------------------------------------------------------------------------
    def mark_read(self, story_ids: list[int], read: bool = True) -> int:
        return self.write(lambda c: story_store.set_flag(c, story_ids, read=read))

    def star(self, story_ids: list[int], starred: bool = True) -> int:
        return self.write(lambda c: story_store.set_flag(c, story_ids, starred=starred))

    def mark_all_read(self, flt: StoryFilter = ALL) -> list[int]:
        return self.write(lambda c: story_store.mark_all_read(c, flt))

    def rename_feed(self, feed_id: int, title: str) -> None:
        self.write(lambda c: feed_store.rename_feed(c, feed_id, title))

    def move_feed(self, feed_id: int, folder: str | None) -> None:
        self.write(lambda c: feed_store.move_feed(c, feed_id, folder))

    def remove_feed(self, feed_id: int) -> None:
        feed = self.feed(feed_id)
        self.write(lambda c: feed_store.remove_feed(c, feed_id))
        if feed.auth:
            with contextlib.suppress(TidingsError):
                self.credentials.delete(feed_id)

    # -- subscribing ------------------------------------------------------------------------------
    def discover(self, url: str) -> list[FeedLink]:
        """The feeds behind `url` (itself when it is a feed). Blocks on the network: not on the GUI thread."""
        from . import subscribe

        return asyncio.run(subscribe.discover(url, self.policy))

    def add_feed(self, url: str, *, folder: str | None = None, pick: int | None = None) -> Feed:
        """Subscribe to a feed or a site; raises subscribe.ChoiceNeeded when a site offers several."""
        from . import subscribe  # imported on use: reading needs no network stack

        return subscribe.add(self, url, folder=folder, pick=pick)

    def import_opml(self, data: bytes) -> ImportReport:
        from . import subscribe

        return subscribe.import_opml(self, data)

    def export_opml(self) -> bytes:
        from . import subscribe

        return subscribe.export_opml(self)

    # -- refreshing -------------------------------------------------------------------------------
    def refresh(
        self,
        ids: list[int] | None = None,
        *,
        force: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        articles: bool = False,
    ) -> RefreshReport:
        """Refresh the named feeds, or every feed that is due (back-off, Retry-After and max-age passed).

        Feeds left alone because they are not due appear in the report as "skipped", with when they are due.
        """
        from .refresh import RefreshRun

        newest = article_store.newest_story(self.reader())
        states = feed_store.states(self.reader(), ids)
        now = time.time()
        due = [s for s in states if force or ids or s.next_check is None or s.next_check <= now]
        due_ids = {s.id for s in due}
        waiting = [_not_due(s) for s in states if s.id not in due_ids]
        run = RefreshRun(self.writer, self.credentials, self.policy, cancel or threading.Event(), progress)
        report = run.run(due)
        outcomes = tuple(sorted((*report.outcomes, *waiting), key=lambda o: o.feed_id))
        pages = self.fetch_articles(after_id=newest, cancel=cancel) if articles and report.new else None
        return RefreshReport(outcomes, report.seconds, pages)

    # -- articles ---------------------------------------------------------------------------------
    def set_show(self, feed_id: int, mode: str) -> None:
        """Show a feed's stories as the feed's content, the full article, or decide by itself ("auto")."""
        self.write(lambda c: article_store.set_show(c, feed_id, mode))

    def fetch_articles(self, *, after_id: int = 0, cancel: threading.Event | None = None) -> ArticleReport:
        """Fetch and extract the pages of stories (newer than `after_id`) of feeds read as full articles."""
        from .articles import ArticleRun

        conn = self.reader()
        jobs = article_store.missing(conn, article_store.article_feeds(conn), after_id)
        return ArticleRun(self.writer, self.policy, cancel or threading.Event()).fetch(jobs)

    def reextract(self, story_ids: list[int] | None = None) -> ArticleReport:
        """Extract stored pages again with this version's extractor; fetches nothing."""
        from .articles import ArticleRun

        stored = article_store.pages(self.reader(), story_ids)
        return ArticleRun(self.writer, self.policy).reextract(stored)

    def newest_story_id(self) -> int:
        return article_store.newest_story(self.reader())

    def article(self, story_id: int) -> article_store.StoredArticle | None:
        return article_store.get(self.reader(), story_id)


def _not_due(state: feed_store.FeedState) -> FeedOutcome:
    when = datetime.fromtimestamp(state.next_check or 0).strftime("%H:%M")
    why = f"after {state.error_count} failures" if state.error_count else "as the server asked"
    return FeedOutcome(state.id, state.url, "skipped", error=f"Not due until {when} ({why}).")
