"""Full articles for stories whose feed carries only summaries: fetch the page, extract it, keep both.

The page is stored as fetched, so a later, better extractor re-extracts without fetching again. An
extraction that failed or looks cut is kept with its reason, and the reader shows the feed's text instead:
never worse than the feed.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import FetchError
from .fetch import Fetcher, FetchRequest
from .models import FetchPolicy
from .refresh import ParsePool
from .storage import articles as article_store
from .storage.articles import PageRow
from .storage.writer import Writer

ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
LOOKS_CUT = 0.5  # an article under half the feed's own text is not the story


@dataclass(frozen=True, slots=True)
class ArticleReport:
    extracted: int = 0
    failed: int = 0  # fetched, but no article (failure kept with its reason)
    unreachable: int = 0  # the page could not be fetched


def extract_job(story_id: int, url: str, page: bytes, content_type: str | None, feed_chars: int) -> PageRow:
    """Extract one stored or fetched page; runs in a worker and never raises."""
    from .extract import EXTRACTOR_VERSION, extract_article

    try:
        article = extract_article(page, url)
    except Exception as exc:  # an extractor bug is this story's failure, not the run's
        return _failed_row(story_id, url, page, content_type, f"The extractor failed ({type(exc).__name__}).")
    failure = article.failure
    if failure is None and feed_chars and len(article.text) < LOOKS_CUT * feed_chars:
        failure = (
            "The extracted article is much shorter than the feed's own text, so the feed's text is shown."
        )
    return PageRow(
        story_id, url, page, content_type, EXTRACTOR_VERSION, article.title, article.byline,
        int(article.published.timestamp()) if article.published else None, article.lead_image,
        article.canonical_url, article.language, article.html, article.text,
        article.is_article and failure is None, article.confidence, failure,
    )  # fmt: skip


def _failed_row(
    story_id: int, url: str, page: bytes | None, content_type: str | None, failure: str
) -> PageRow:
    from .extract import EXTRACTOR_VERSION

    return PageRow(story_id, url, page, content_type, EXTRACTOR_VERSION, None, None, None, None, None, None,
                   "", "", False, 0.0, failure)  # fmt: skip


@dataclass
class ArticleRun:
    writer: Writer
    policy: FetchPolicy
    cancel: threading.Event = field(default_factory=threading.Event)

    def fetch(self, jobs: list[tuple[int, str, int]]) -> ArticleReport:
        """Fetch and extract the pages of (story id, url, feed text length); blocking."""
        if not jobs:
            return ArticleReport()
        with ParsePool(len(jobs)) as pool:
            rows = asyncio.run(self._fetch_all(jobs, pool))
        return _report(rows)

    def reextract(self, stored: list[tuple[int, str, bytes, str | None, int]]) -> ArticleReport:
        """Extract stored pages again (a newer extractor), without fetching anything."""
        with ParsePool(len(stored)) as pool:
            rows = [pool.executor().submit(extract_job, *item) for item in stored]
            results = [future.result() for future in rows]
        for row in results:
            self.writer.call(functools.partial(_save, row=row))
        return _report(list(results))

    async def _fetch_all(self, jobs: list[tuple[int, str, int]], pool: ParsePool) -> list[PageRow | None]:
        async with Fetcher(self.policy) as fetcher:
            tasks = [asyncio.create_task(self._one(fetcher, pool, *job)) for job in jobs]
            return list(await asyncio.gather(*tasks))

    async def _one(
        self, fetcher: Fetcher, pool: ParsePool, story_id: int, url: str, feed_chars: int
    ) -> PageRow | None:
        if self.cancel.is_set():
            return None
        try:
            result = await fetcher.fetch(FetchRequest(url, accept=ACCEPT_PAGE))
            page, content_type = result.body, result.content_type
        except FetchError as exc:
            row = _failed_row(story_id, url, None, None, f"The page could not be fetched: {exc}")
            await asyncio.wrap_future(self.writer.submit(lambda conn: _save(conn, row)))
            return None
        async with pool.slots:
            row = await asyncio.get_running_loop().run_in_executor(
                pool.executor(), extract_job, story_id, url, page, content_type, feed_chars
            )
            await asyncio.wrap_future(self.writer.submit(lambda conn: _save(conn, row)))
        return row


def _save(conn: sqlite3.Connection, row: PageRow) -> None:
    from .sanitize import search_text

    good = row.is_article and row.failure is None
    article_store.save(conn, row, search_text(row.html) if good else None)


def _report(rows: Sequence[PageRow | None]) -> ArticleReport:
    extracted = sum(1 for r in rows if r is not None and r.is_article)
    failed = sum(1 for r in rows if r is not None and not r.is_article)
    return ArticleReport(extracted, failed, sum(1 for r in rows if r is None))
