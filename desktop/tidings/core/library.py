"""The facade the CLI and the UI talk to: one object per open library (data folder)."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .credentials import CredentialStore, MemoryCredentials, Secret
from .errors import TidingsError, UserInputError, login_needed
from .models import Feed, FeedLink, FeedOutcome, FetchPolicy, Folder, RefreshReport, SearchHit, Story
from .storage import articles as article_store
from .storage import feeds as feed_store
from .storage import images as image_store
from .storage import stories as story_store
from .storage.db import DB_NAME, connect
from .storage.lock import FileLock
from .storage.stories import ALL, PageKey, StoryFilter
from .storage.writer import Writer

if TYPE_CHECKING:
    from .annotating import Annotator
    from .articles import ArticleReport
    from .collection import Collection
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

    def write(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> T:
        """Run `work` in the writer; returns once committed (`durable`: fsynced in a transaction alone)."""
        return self.writer.call(work, durable=durable)

    @functools.cached_property
    def collection(self) -> Collection:
        """Saved stories and topics."""
        from .collection import Collection

        return Collection(self)

    @functools.cached_property
    def annotations(self) -> Annotator:
        """Highlights and notes."""
        from .annotating import Annotator

        return Annotator(self)

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

    def search(
        self, query: str, flt: StoryFilter = ALL, *, limit: int = 50, marks: tuple[str, str] = ("[", "]")
    ) -> list[SearchHit]:
        """Stories matching `query`, best first, each with a snippet whose matches are between `marks`."""
        return story_store.search(self.reader(), query, flt, limit=limit, marks=marks)

    # -- changing ---------------------------------------------------------------------------------
    def mark_read(self, story_ids: list[int], read: bool = True) -> int:
        return self.write(lambda c: story_store.set_flag(c, story_ids, read=read))

    def star(self, story_ids: list[int], starred: bool = True) -> int:
        return self.write(lambda c: story_store.set_flag(c, story_ids, starred=starred))

    def mark_all_read(self, flt: StoryFilter = ALL) -> list[int]:
        return self.write(lambda c: story_store.mark_all_read(c, flt))

    def purge_old(
        self, keep_days: int, *, unread: bool = False, cancel: threading.Event | None = None
    ) -> int:
        """Delete stories that arrived over `keep_days` ago and are read (any, with `unread`); never starred,
        saved or annotated ones. A purged story does not come back. Returns how many went (0: keep_days <= 0)."""
        from .retention import purge

        return purge(self.write, keep_days, unread=unread, cancel=cancel)

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
        import asyncio

        from . import subscribe

        return asyncio.run(subscribe.discover(url, self.policy))

    def add_feed(
        self, url: str, *, folder: str | None = None, pick: int | None = None, login: Secret | None = None
    ) -> Feed:
        """Subscribe to a feed or a site; raises subscribe.ChoiceNeeded when a site offers several, and
        errors.LoginNeededError on a 401: ask, then call again for `err.url` with a `login`."""
        from . import subscribe  # imported on use: reading needs no network stack

        return subscribe.add(self, url, folder=folder, pick=pick, login=login)

    def import_opml(self, data: bytes) -> ImportReport:
        from . import subscribe

        return subscribe.import_opml(self, data)

    def export_opml(self) -> bytes:
        from . import subscribe

        return subscribe.export_opml(self)

    # -- logins (keyring; these block on D-Bus: call them off the GUI thread) ----------------------
    def set_login(self, feed_id: int, user: str, password: str) -> str | None:
        """Keep an HTTP Basic login for the feed, sent only to the feed's own site, and make the feed due.

        Returns None when the keyring keeps it, else the sentence saying why it lasts this session only."""
        if not (user or password):
            raise UserInputError("Give a user name and a password.")
        return self._keep_login(feed_id, Secret("basic", user, password))

    def set_token(self, feed_id: int, token: str) -> str | None:
        """Keep a bearer token for the feed (sent as `Authorization: Bearer`); returns as set_login."""
        return self._keep_login(feed_id, Secret("bearer", "", token.strip()))

    def _keep_login(self, feed_id: int, secret: Secret) -> str | None:
        from .credentials import origin_of

        origin = origin_of(self.feed(feed_id).url)
        self.credentials.set(feed_id, Secret(secret.kind, secret.username, secret.password, origin))
        self.write(lambda c: feed_store.set_auth(c, feed_id, secret.kind))
        return self.credentials.storage_warning()

    def forget_login(self, feed_id: int) -> None:
        """Delete the feed's login from the keyring (and from this session's memory)."""
        self.credentials.delete(feed_id)
        self.write(lambda c: feed_store.set_auth(c, feed_id, None))

    def login_user(self, feed_id: int) -> str | None:
        """The user name of the feed's saved login ("" for a token), to fill in a login form; None: none."""
        secret = self.credentials.get(feed_id) if self.feed(feed_id).auth else None
        return secret.username if secret else None

    def login_storage_warning(self) -> str | None:
        """None when logins are kept in the keyring, else the sentence saying why they last this session."""
        return self.credentials.storage_warning()

    @staticmethod
    def needs_login(feed: Feed) -> bool:
        """Whether the feed's last error was a 401 that a login (or a new one) would fix."""
        return feed.error is not None and login_needed(feed.error.message)

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
        """Fetch and extract the pages of stories (newer than `after_id`) of feeds read as full articles,
        try again the pages earlier runs could not reach (a few times), then download the images of good
        articles of feeds that keep images. Blocks on the network: not on the GUI thread."""
        from .articles import ArticleRun

        conn = self.reader()
        feeds = article_store.article_feeds(conn)
        jobs = article_store.missing(conn, feeds, after_id) + article_store.retries(conn, feeds)
        return ArticleRun(self.writer, self.policy, cancel or threading.Event()).fetch(jobs)

    def refetch_articles(
        self, story_ids: list[int], *, cancel: threading.Event | None = None
    ) -> ArticleReport:
        """Fetch these stories' pages again, whatever their feed's setting. A stored page is asked for with
        its ETag/Last-Modified, and kept when the server says it has not changed (HTTP 304)."""
        from .articles import ArticleRun

        jobs = article_store.refetch_jobs(self.reader(), story_ids)
        return ArticleRun(self.writer, self.policy, cancel or threading.Event()).fetch(jobs)

    def reextract(self, story_ids: list[int] | None = None) -> ArticleReport:
        """Extract stored pages again with this version's extractor; fetches nothing."""
        from .articles import ArticleRun

        stored = article_store.pages(self.reader(), story_ids)
        return ArticleRun(self.writer, self.policy).reextract(stored)

    # -- feed icons ---------------------------------------------------------------------------------
    def fetch_icons(self, *, cancel: threading.Event | None = None) -> int:
        """Fetch the icons of feeds that never had one looked for (once per feed). Blocks on the network."""
        from . import icons

        wanted = set(icons.missing(self.reader()))
        return icons.fetch_icons(
            self.writer, [f for f in self.feeds() if f.id in wanted], self.policy, cancel
        )

    def feed_icons(self) -> dict[int, bytes]:
        """The stored icon of each feed that has one, by feed id."""
        from .storage import icons as icon_store

        return icon_store.stored(self.reader())

    def newest_story_id(self) -> int:
        return article_store.newest_story(self.reader())

    def article(self, story_id: int) -> article_store.StoredArticle | None:
        return article_store.get(self.reader(), story_id)

    # -- article images ---------------------------------------------------------------------------
    def image(self, url: str) -> tuple[bytes, str] | None:
        """The stored image at `url` (bytes, content type), from the store only: never the network.
        None when it was never downloaded or was refused. `url` may be written either way (`café` or
        `caf%C3%A9`): it is normalized as the stored addresses are."""
        from .images import normalize_url

        return image_store.get(self.reader(), normalize_url(url))

    def set_images(self, feed_id: int, on: bool) -> None:
        """Download the images of this feed's articles for offline reading (the default), or not."""
        self.write(lambda c: image_store.set_images(c, feed_id, on))

    def images_on(self, feed_id: int) -> bool:
        return image_store.images_on(self.reader(), feed_id)


def _not_due(state: feed_store.FeedState) -> FeedOutcome:
    if (state.next_check or 0) - time.time() > 30 * 86_400:  # a 410: the site said the feed is gone
        why = "Not checked any more: the site said this feed is gone. Refresh it by hand to try again."
        return FeedOutcome(state.id, state.url, "skipped", error=why)
    when = datetime.fromtimestamp(state.next_check or 0).strftime("%H:%M")
    why = f"after {state.error_count} failures" if state.error_count else "as the server asked"
    return FeedOutcome(state.id, state.url, "skipped", error=f"Not due until {when} ({why}).")
