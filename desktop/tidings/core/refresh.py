"""Refreshing feeds: fetch concurrently (politely), parse in worker processes, store through the writer.

The pipeline is retrieve -> parse -> decide -> store. Only retrieval and parsing run in parallel; every
decision is a pure function (update.py) and every write goes through the one writer. Any failure of one
feed, including a crash inside a parser, becomes that feed's error; the others go on.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TypeVar

from .credentials import CredentialStore, Secret
from .errors import FetchError, TidingsError
from .fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult
from .models import FeedOutcome, RefreshReport
from .storage import feeds as feed_store
from .storage import stories as story_store
from .storage.feeds import FeedState, Success
from .storage.writer import Writer
from .update import PreparedFeed, decide

Progress = Callable[[FeedOutcome, int, int], None]
T = TypeVar("T")
BACKOFF_BASE = 60
BACKOFF_MAX = 6 * 3600
GONE_SECONDS = 365 * 24 * 3600  # HTTP 410: left alone until the user refreshes the feed by hand
GONE = " Tidings stopped checking it; refresh the feed by hand to try again, or unsubscribe."
PROCESS_POOL_MIN_FEEDS = 8
IN_FLIGHT_PARSES = 16  # feeds being parsed or waiting for the writer at once
SUCCESS_BATCH = 100  # unchanged feeds' bookkeeping, written together


def parse_job(
    body: bytes,
    url: str,
    content_type: str | None,
    content_encoding: str | None = None,
    max_bytes: int = 10 * 1024 * 1024,
) -> PreparedFeed | str:
    """Decode, parse and prepare one feed body; runs in a worker. Returns rows, or the error in words."""
    from .feeds import parse_feed
    from .fetch import decode_body
    from .update import prepare

    try:
        if content_encoding:
            body = decode_body(body, content_encoding, max_bytes)
        return prepare(parse_feed(body, url=url, content_type=content_type))
    except TidingsError as exc:
        return str(exc)
    except Exception as exc:  # a parser bug must not stop the refresh
        return f"The feed could not be read: the parser failed ({type(exc).__name__})."


class ParsePool:
    """Where parsing runs: worker processes for a big refresh (parsing is its CPU cost), one thread for a
    small one. Started on first use, so a refresh where nothing changed starts no process at all; `warm`
    starts it at once when parsing is certain (feeds never fetched before), while the first requests fly."""

    def __init__(self, feed_count: int):
        self._feed_count = feed_count
        self._executor: Executor | None = None
        self.slots = asyncio.Semaphore(IN_FLIGHT_PARSES)

    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = _make_executor(self._feed_count)
        return self._executor

    def warm(self) -> None:
        executor = self.executor()
        for _ in range(getattr(executor, "_max_workers", 1)):
            executor.submit(int)  # a no-op: the worker processes start (and import the parsers) now

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


def _make_executor(feed_count: int) -> Executor:
    workers = max(1, min(os.cpu_count() or 1, 4))
    if feed_count < PROCESS_POOL_MIN_FEEDS or workers == 1 or getattr(sys, "frozen", False):
        return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tidings-parse")
    import multiprocessing

    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["tidings.core.feeds", "tidings.core.update"])
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)


@dataclass
class RefreshRun:
    writer: Writer
    credentials: CredentialStore
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None

    def __post_init__(self) -> None:
        self._pending: list[concurrent.futures.Future[object]] = []
        self._successes: list[Success] = []

    def run(self, states: list[FeedState]) -> RefreshReport:
        """Refresh `states` (blocking; call from a worker thread or the CLI)."""
        started = time.monotonic()
        secrets = self._secrets(states)
        with ParsePool(len(states)) as pool:
            if sum(1 for s in states if s.body_hash is None) >= PROCESS_POOL_MIN_FEEDS:
                pool.warm()
            outcomes = asyncio.run(self._all(states, secrets, pool))
        return RefreshReport(tuple(sorted(outcomes, key=lambda o: o.feed_id)), time.monotonic() - started)

    def _secrets(self, states: list[FeedState]) -> dict[int, Secret]:
        found: dict[int, Secret] = {}
        for state in states:
            if state.auth:
                try:
                    secret = self.credentials.get(state.id)
                except TidingsError:
                    secret = None
                if secret:
                    found[state.id] = secret
        return found

    async def _all(
        self, states: list[FeedState], secrets: dict[int, Secret], pool: ParsePool
    ) -> list[FeedOutcome]:
        outcomes: list[FeedOutcome] = []
        async with Fetcher(self.policy) as fetcher:
            tasks = [asyncio.create_task(self._one(fetcher, pool, s, secrets.get(s.id))) for s in states]
            watcher = asyncio.create_task(self._cancel_when_asked(tasks))
            for done in asyncio.as_completed(tasks):
                outcome = await done
                outcomes.append(outcome)
                if self.progress:
                    self.progress(outcome, len(outcomes), len(states))
            watcher.cancel()
        await self._settle()
        return outcomes

    async def _cancel_when_asked(self, tasks: list[asyncio.Task[FeedOutcome]]) -> None:
        """Stops downloads already under way too, so quitting never waits for a slow server."""
        while not self.cancel.is_set():
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()

    async def _one(
        self, fetcher: Fetcher, pool: ParsePool, state: FeedState, secret: Secret | None
    ) -> FeedOutcome:
        started = time.monotonic()
        if self.cancel.is_set():
            return FeedOutcome(state.id, state.url, "skipped", error="The refresh was cancelled.")
        try:
            result = await fetcher.fetch(_request(state, secret))
            outcome = await self._store(pool, state, result)
        except asyncio.CancelledError:
            return FeedOutcome(state.id, state.url, "skipped", error="The refresh was cancelled.")
        except FetchError as exc:
            outcome = await self._failed(state, str(exc), exc.status, exc.retry_after)
        except TidingsError as exc:
            outcome = await self._failed(state, str(exc), None, None)
        return _timed(outcome, time.monotonic() - started)

    async def _store(self, pool: ParsePool, state: FeedState, result: FetchResult) -> FeedOutcome:
        next_check = _next_check(result.max_age)
        if result.not_modified:
            self._later(state.id, result, next_check, None)
            return FeedOutcome(state.id, state.url, "not-modified", http_status=304, moved_to=result.moved_to)
        digest = body_hash(result)
        if digest == state.body_hash:
            self._later(state.id, result, next_check, digest)
            return FeedOutcome(
                state.id, state.url, "unchanged", http_status=result.status, moved_to=result.moved_to
            )
        async with pool.slots:  # bounded: parsed feeds waiting for the writer are what costs memory
            prepared = await asyncio.get_running_loop().run_in_executor(
                pool.executor(),
                parse_job,
                result.body,
                result.url,
                result.content_type,
                result.content_encoding,
                self.policy.max_bytes,
            )
            if isinstance(prepared, str):
                return await self._failed(state, prepared, result.status, None)
            new, changed = await self._write(store_feed(state.id, prepared, result, next_check, digest))
        return FeedOutcome(
            state.id,
            state.url,
            "updated",
            new=new,
            changed=changed,
            http_status=result.status,
            moved_to=result.moved_to,
        )

    async def _failed(
        self, state: FeedState, message: str, status: int | None, retry: float | None
    ) -> FeedOutcome:
        delay = retry if retry is not None else min(BACKOFF_BASE * 2**state.error_count, BACKOFF_MAX)
        if status == 410:  # gone for good, the site says: stop asking (a refresh by hand still asks)
            delay, message = GONE_SECONDS, message + GONE
        next_check = int(time.time() + delay)
        await self._write(
            lambda conn: feed_store.record_error(conn, state.id, message, next_check=next_check)
        )
        return FeedOutcome(state.id, state.url, "error", http_status=status, error=message)

    def _later(self, feed_id: int, result: FetchResult, next_check: int | None, digest: str | None) -> None:
        """Queue bookkeeping (validators, times) without waiting: a refresh of unchanged feeds is a
        thousand of these, and each wait cost the event loop a round trip to the writer thread."""
        if result.moved_to:  # rare: written on its own, with the new address
            self._pending.append(
                self.writer.submit(_record_ok(feed_id, result, next_check, digest, result.moved_to))
            )
            return
        self._successes.append(Success(feed_id, result.etag, result.last_modified, next_check, digest))
        if len(self._successes) >= SUCCESS_BATCH:
            self._flush_successes()

    def _flush_successes(self) -> None:
        batch, self._successes = self._successes, []
        if batch:
            self._pending.append(self.writer.submit(lambda conn: feed_store.record_successes(conn, batch)))

    async def _settle(self) -> None:
        """Wait for the queued bookkeeping; a store failure there fails the refresh in words."""
        self._flush_successes()
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.get_running_loop().run_in_executor(None, _all_done, pending)

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.wrap_future(self.writer.submit(work))


def _all_done(futures: list[concurrent.futures.Future[object]]) -> None:
    for future in futures:
        future.result()  # raises the first StoreError


def _request(state: FeedState, secret: Secret | None) -> FetchRequest:
    if secret is not None and not secret.allows(state.url):  # the feed moved to another site
        secret = None
    return FetchRequest(
        state.url, state.etag, state.last_modified, authorization=authorization(secret), decode=False
    )


def authorization(secret: Secret | None) -> str | None:
    """The Authorization header value for a stored secret."""
    if secret is None:
        return None
    if secret.kind == "bearer":
        return f"Bearer {secret.password}"
    pair = f"{secret.username}:{secret.password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def body_hash(result: FetchResult) -> str:
    """Identifies the bytes as sent: the same compressed body twice is the same feed twice."""
    digest = hashlib.blake2b(result.body, digest_size=20)
    digest.update((result.content_encoding or "").encode())
    return digest.hexdigest()


def _next_check(max_age: float | None) -> int | None:
    return int(time.time() + max_age) if max_age else None


def _timed(outcome: FeedOutcome, seconds: float) -> FeedOutcome:
    return FeedOutcome(
        outcome.feed_id,
        outcome.url,
        outcome.status,
        outcome.new,
        outcome.changed,
        outcome.http_status,
        outcome.error,
        outcome.moved_to,
        round(seconds, 3),
    )


def _record_ok(
    feed_id: int, result: FetchResult, next_check: int | None, body_hash: str | None, moved_to: str | None
) -> Callable[[sqlite3.Connection], None]:
    def work(conn: sqlite3.Connection) -> None:
        if moved_to:
            feed_store.move_address(conn, feed_id, moved_to)
        feed_store.record_success(
            conn,
            feed_id,
            etag=result.etag,
            last_modified=result.last_modified,
            next_check=next_check,
            body_hash=body_hash,
        )

    return work


def store_feed(
    feed_id: int, prepared: PreparedFeed, result: FetchResult, next_check: int | None, body_hash: str
) -> Callable[[sqlite3.Connection], tuple[int, int]]:
    def work(conn: sqlite3.Connection) -> tuple[int, int]:
        new, changed = decide(story_store.existing_hashes(conn, feed_id), prepared.rows)
        story_store.insert(conn, feed_id, new, index=False)  # indexed once per writer batch
        story_store.update(conn, feed_id, changed)
        feed_store.record_metadata(
            conn,
            feed_id,
            title=prepared.title,
            site_url=prepared.site_url,
            description=prepared.description,
            icon_url=prepared.icon_url,
        )
        _record_ok(feed_id, result, next_check, body_hash, result.moved_to)(conn)
        return len(new), len(changed)

    return work
