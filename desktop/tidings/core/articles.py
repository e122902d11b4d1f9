"""Full articles for stories whose feed carries only summaries: fetch the page, extract it, keep both.

The page is stored as fetched, so a later, better extractor re-extracts without fetching again. An
extraction that failed or looks cut is kept with its reason, and the reader shows the feed's text instead:
never worse than the feed. A page fetched again is asked for conditionally (a 304 keeps the stored one); a
page that could not be reached is tried again on later runs, a few times. After the pages, the images of
good articles are downloaded into the store for offline reading (see `images`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import FetchError
from .fetch import Fetcher, FetchRequest, FetchResult
from .images import MAX_IMAGE_BYTES, ImageReport, ImageRun, image_urls
from .models import FetchPolicy
from .refresh import ParsePool
from .storage import articles as article_store
from .storage import images as image_store
from .storage.articles import PageJob, PageRow
from .storage.writer import Writer
from .textclean import clean_line

T = TypeVar("T")

ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
LOOKS_CUT = 0.5  # an article under half the feed's own text is not the story
# what became of one page
EXTRACTED, FAILED, UNREACHABLE, NOT_MODIFIED, CANCELLED = "extracted", "failed", "unreachable", "304", "-"


@dataclass(frozen=True, slots=True)
class ArticleReport:
    extracted: int = 0
    failed: int = 0  # fetched, but no article (failure kept with its reason)
    unreachable: int = 0  # the page could not be fetched
    not_modified: int = 0  # fetched again and unchanged (HTTP 304): the stored page kept
    images: int = 0  # article images downloaded and stored
    images_failed: int = 0  # images refused (type, size, tracking pixel) or unreachable


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
        story_id, url, page, content_type, EXTRACTOR_VERSION, clean_line(article.title or "") or None,
        clean_line(article.byline or "") or None,
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

    def fetch(self, jobs: list[PageJob]) -> ArticleReport:
        """Fetch and extract the pages of `jobs`, then fetch the images of good articles; blocking."""
        with ParsePool(len(jobs)) as pool:
            return asyncio.run(self._fetch_all(jobs, pool))

    def reextract(self, stored: list[tuple[int, str, bytes, str | None, int]]) -> ArticleReport:
        """Extract stored pages again (a newer extractor), without fetching anything."""
        with ParsePool(len(stored)) as pool:
            rows = [pool.executor().submit(extract_job, *item) for item in stored]
            results = [future.result() for future in rows]
        for row in results:
            self.writer.call(functools.partial(_save, row=row, fetched=False))
        return _report([EXTRACTED if row.is_article else FAILED for row in results], ImageReport())

    async def _fetch_all(self, jobs: list[PageJob], pool: ParsePool) -> ArticleReport:
        outcomes: list[str] = []
        if jobs:
            feeds = await self._write(functools.partial(feed_addresses, story_ids=[j.story_id for j in jobs]))
            async with Fetcher(self.policy) as fetcher:
                outcomes = list(await asyncio.gather(*(self._one(fetcher, pool, job, feeds) for job in jobs)))
        images = await self._images() if not self.cancel.is_set() else ImageReport()
        return _report(outcomes, images)

    async def _one(self, fetcher: Fetcher, pool: ParsePool, job: PageJob, feeds: dict[int, str]) -> str:
        if self.cancel.is_set():
            return CANCELLED
        feed_url = feeds.get(job.story_id, "")  # a link from the feed: private only on the feed's own site
        request = FetchRequest(job.url, job.etag, job.last_modified, accept=ACCEPT_PAGE, linked_from=feed_url)
        try:
            result = await fetcher.fetch(request)
        except FetchError as exc:
            await self._unreachable(job, f"The page could not be fetched: {exc}", _transient(exc))
            return UNREACHABLE
        if result.not_modified:
            return await self._not_modified(job, result)
        async with pool.slots:
            row = await asyncio.get_running_loop().run_in_executor(
                pool.executor(), extract_job, job.story_id, result.url, result.body, result.content_type,
                job.feed_chars,
            )  # fmt: skip
        row = dataclasses.replace(row, etag=result.etag, last_modified=result.last_modified)
        await self._write(functools.partial(_save, row=row, fetched=True))
        return EXTRACTED if row.is_article else FAILED

    async def _not_modified(self, job: PageJob, result: FetchResult) -> str:
        if not job.has_page:  # a 304 to a request without validators: nothing to keep
            await self._unreachable(job, "The server answered “not modified” to a plain request.", True)
            return UNREACHABLE
        await self._write(
            functools.partial(article_store.not_modified, story_id=job.story_id, etag=result.etag,
                              last_modified=result.last_modified)
        )  # fmt: skip
        return NOT_MODIFIED

    async def _unreachable(self, job: PageJob, failure: str, transient: bool) -> None:
        row = _failed_row(job.story_id, job.url, None, None, failure)
        await self._write(functools.partial(article_store.save_unreachable, row=row, transient=transient))

    async def _images(self) -> ImageReport:
        """List the images of good articles not listed yet, fetch the pending ones, drop unused ones."""
        await self._write(_list_images)
        plan = await self._write(image_store.pending)
        report = ImageReport()
        if plan:
            policy = dataclasses.replace(self.policy, max_bytes=MAX_IMAGE_BYTES)
            feeds = await self._write(functools.partial(feed_addresses, story_ids=[s for s, _ in plan]))
            async with Fetcher(policy) as fetcher:  # after the pages: the per-host bound still holds
                report = await ImageRun(fetcher, self._write, self.cancel, feeds=feeds).run(plan)
        await self._write(image_store.collect_garbage)
        return report

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.wrap_future(self.writer.submit(work))


def feed_addresses(conn: sqlite3.Connection, story_ids: list[int]) -> dict[int, str]:
    """The address of each story's feed: the site its links may be private on (netpolicy)."""
    rows = conn.execute(
        "SELECT s.id, f.url FROM stories s JOIN feeds f ON f.id = s.feed_id"
        " WHERE s.id IN (SELECT value FROM json_each(?))",
        (json.dumps(story_ids),),
    )
    return {r[0]: r[1] for r in rows}


def _list_images(conn: sqlite3.Connection) -> None:
    for story_id, html, lead_image in image_store.unlisted(conn):
        image_store.set_list(conn, story_id, image_urls(html, lead_image))
    for story_id, html, feed_image in image_store.unlisted_stories(conn):
        image_store.set_story_list(conn, story_id, image_urls(html, feed_image))


def _transient(exc: FetchError) -> bool:
    """Worth another try on a later run: the network, a timeout, the server's trouble, or a page not there
    yet (feeds often list a story before its page is published)."""
    return exc.status is None or exc.status >= 500 or exc.status in (404, 408, 425, 429)


def _save(conn: sqlite3.Connection, row: PageRow, *, fetched: bool) -> None:
    from .sanitize import search_text

    good = row.is_article and row.failure is None
    text = search_text(row.html) if good else None
    if fetched:
        article_store.save(conn, row, text)
    else:
        article_store.save_extraction(conn, row, text)


def _report(outcomes: Sequence[str], images: ImageReport) -> ArticleReport:
    return ArticleReport(
        extracted=outcomes.count(EXTRACTED),
        failed=outcomes.count(FAILED),
        unreachable=outcomes.count(UNREACHABLE),
        not_modified=outcomes.count(NOT_MODIFIED),
        images=images.stored,
        images_failed=images.failed,
    )
