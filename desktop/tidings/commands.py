"""What each CLI subcommand does, on top of the core library."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from .cli import emit_json, positive
from .core.credentials import LazyCredentials, Secret, origin_of
from .core.errors import CredentialsError, LoginNeededError, UserInputError, login_needed
from .core.library import Library
from .core.models import Feed, RefreshReport, Story
from .core.paths import data_dir
from .core.sanitize import html_to_text
from .core.storage.stories import StoryFilter


def _warn(message: str) -> None:
    print(f"tidings: {message}", file=sys.stderr)


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[Library]:
    library = Library(data_dir(args.data_dir), credentials=LazyCredentials(_warn))
    try:
        yield library
    finally:
        library.close()


# -- subscriptions --------------------------------------------------------------------------------
def cmd_add(args: argparse.Namespace) -> int:
    login = _given_login(args)
    with opened(args) as lib:
        try:
            feed = lib.add_feed(args.url, folder=args.folder, pick=args.pick, login=login)
        except LoginNeededError as exc:
            if exc.refused or login is not None or not _interactive():
                raise _login_advice(exc) from exc
            feed = lib.add_feed(exc.url, folder=args.folder, login=_ask_login(args.user, exc.url, exc.scheme))
    where = f" in {feed.folder}" if feed.folder else ""
    print(f"Added feed {feed.id}: {feed.title} <{feed.url}>{where}, {feed.total} stories.")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed_id = lib.find_feed(args.feed)
        lib.rename_feed(feed_id, args.title)
        print(f"Feed {feed_id} is now called {lib.feed(feed_id).title}.")
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed_id = lib.find_feed(args.feed)
        lib.move_feed(feed_id, args.folder)
    print(f"Feed {feed_id} moved to {args.folder or 'the top level'}.")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed = lib.feed(lib.find_feed(args.feed))
        lib.remove_feed(feed.id)
    print(f"Removed feed {feed.id} ({feed.title}) and its {feed.total} stories.")
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed = lib.feed(lib.find_feed(args.feed))
        if lib.login_storage_warning():  # said already; a login kept in memory would die with this command
            raise CredentialsError(
                "Nothing was saved: without a secure keyring, it would die with this command."
            )
        user = lib.login_user(feed.id)
        login = _given_login(args, user) or _ask_login(args.user or user, feed.url, feed.auth or "")
        if login.kind == "bearer":
            warning = lib.set_token(feed.id, login.password)
        else:
            warning = lib.set_login(feed.id, login.username, login.password)
    if warning:
        raise CredentialsError("Nothing was saved in the keyring.")
    print(f"Saved the login for feed {feed.id} ({feed.title}); it is sent only to {origin_of(feed.url)}.")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed = lib.feed(lib.find_feed(args.feed))
        lib.forget_login(feed.id)
    print(f"Forgot the login for feed {feed.id} ({feed.title}).")
    return 0


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _given_login(args: argparse.Namespace, user: str | None = None) -> Secret | None:
    """The login the options bring: --token-stdin, or --password-stdin with --user (or the saved user)."""
    if args.token_stdin:
        return Secret("bearer", "", _read_secret("access token"))
    if not args.password_stdin:
        return None
    user = args.user or user
    if user is None:
        raise UserInputError("Give the user name with --user (the password comes from standard input).")
    return Secret("basic", user, _read_secret("password"))


def _read_secret(what: str) -> str:
    import getpass

    if _interactive():  # typed: not echoed
        return getpass.getpass(f"{what.capitalize()}: ")
    value = sys.stdin.read().rstrip("\r\n")
    if not value:
        raise UserInputError(f"No {what} came on standard input.")
    return value


def _ask_login(user: str | None, url: str, scheme: str) -> Secret:
    """Ask at the terminal: a token when the server asks for a bearer token, else a user and password."""
    import getpass
    from urllib.parse import urlsplit

    if not _interactive():
        raise UserInputError(
            "Give the login with --user NAME --password-stdin, or --token-stdin (standard input is not a "
            "terminal, so Tidings cannot ask)."
        )
    host = urlsplit(url).hostname or url
    if scheme == "bearer":
        return Secret("bearer", "", getpass.getpass(f"Access token for {host}: ").strip())
    if not user:
        print(f"User name for {host}: ", end="", file=sys.stderr, flush=True)
        user = sys.stdin.readline().strip()
    return Secret("basic", user, getpass.getpass(f"Password for {user} at {host}: "))


def _login_advice(exc: LoginNeededError) -> UserInputError:
    if exc.refused:
        return UserInputError(f"{exc.url} refused the login (HTTP 401).")
    return UserInputError(
        f"{exc.url} needs a login (HTTP 401): add it again with --user NAME --password-stdin, "
        "or --token-stdin for an access token."
    )


def cmd_import_opml(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{args.file} cannot be read: {exc.strerror or exc}.") from exc
    with opened(args) as lib:
        report = lib.import_opml(data)
    for line in report.errors:
        _warn(line)
    print(
        f"Imported {report.added} feeds in {report.folders} folders"
        f" ({report.already} already subscribed, {report.credentials} passwords moved to the keyring)."
    )
    return 0


def cmd_export_opml(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        data = lib.export_opml()
    if args.file is None:
        sys.stdout.buffer.write(data)
        return 0
    try:
        args.file.write_bytes(data)
    except OSError as exc:
        raise UserInputError(f"{args.file} cannot be written: {exc.strerror or exc}.") from exc
    print(f"Wrote {args.file}.")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        ids = [lib.find_feed(ref) for ref in args.feeds] or None
        lock = lib.lock("refresh", "refreshing feeds")
        lock.acquire(timeout=max(args.wait, 0), on_wait=_warn)
        try:
            report = lib.refresh(ids, force=args.force, articles=args.articles)
        finally:
            lock.release()
    if args.json:
        emit_json(_report_json(report))
    else:
        _print_report(report)
    return 0


def _report_json(report: RefreshReport) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for o in report.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return {
        "feeds": len(report.outcomes),
        "seconds": round(report.seconds, 3),
        "new": report.new,
        "changed": sum(o.changed for o in report.outcomes),
        "by_status": counts,
        "outcomes": [dataclasses.asdict(o) for o in report.outcomes],
        "articles": dataclasses.asdict(report.articles) if report.articles is not None else None,
    }


def _print_report(report: RefreshReport) -> None:
    for o in report.errors:
        hint = f" Log in with `tidings login {o.feed_id}`." if login_needed(o.error) else ""
        print(f"feed {o.feed_id} <{o.url}>: {o.error}{hint}")
    for o in report.outcomes:
        if o.moved_to:
            print(f"feed {o.feed_id} moved permanently to {o.moved_to}")
    summary = _report_json(report)
    by = summary["by_status"]
    if report.articles is not None:
        a = report.articles
        print(
            f"Articles: {a.extracted} extracted, {a.failed} without an article, {a.unreachable} pages unreachable."
        )
    print(
        f"Refreshed {len(report.outcomes)} feeds in {report.seconds:.1f} s: {by.get('updated', 0)} updated "
        f"({summary['new']} new stories, {summary['changed']} changed), "
        f"{by.get('not-modified', 0)} not modified, {by.get('unchanged', 0)} unchanged, "
        f"{by.get('skipped', 0)} not due yet, {len(report.errors)} with errors."
    )


# -- reading --------------------------------------------------------------------------------------
def _feed_json(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "folder": feed.folder,
        "unread": feed.unread,
        "total": feed.total,
        "last_checked": _iso(feed.last_checked),
        "last_error": feed.error.message if feed.error else None,
        "error_since": _iso(feed.error.at) if feed.error else None,
        "failures": feed.error.count if feed.error else 0,
        "next_check": _iso(feed.next_check),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def cmd_feeds(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feeds = lib.feeds()
    if args.json:
        emit_json([_feed_json(f) for f in feeds])
        return 0
    if not feeds:
        print("No feeds yet: add one with `tidings add URL` or `tidings import-opml FILE`.")
    for f in feeds:
        folder = f"[{f.folder}] " if f.folder else ""
        error = f"  ! {f.error.message} ({f.error.count}x)" if f.error else ""
        print(f"{f.id:>5}  {f.unread:>5} unread  {folder}{f.title}  <{f.url}>{error}")
    return 0


def _story_json(story: Story, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": story.id,
        "feed_id": story.feed_id,
        "feed": story.feed_title,
        "title": story.title,
        "url": story.url,
        "published": _iso(story.published),
        "read": story.read,
        "starred": story.starred,
    }
    if full:
        data |= {
            "author": story.author,
            "text": html_to_text(story.content_html or story.summary_html),
            "content_html": story.content_html,
            "summary_html": story.summary_html,
            "image_url": story.image_url,
        }
    return data


def cmd_stories(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed_ids = (lib.find_feed(args.feed),) if args.feed else None
        rows = lib.stories(
            StoryFilter(feed_ids, args.unread, args.starred), limit=positive(args.limit, "--limit")
        )
    stories = [s for s, _key in rows]
    if args.json:
        emit_json([_story_json(s) for s in stories])
        return 0
    for s in stories:
        mark = ("*" if s.starred else " ") + (" " if s.read else "•")
        when = s.published.strftime("%Y-%m-%d %H:%M") if s.published else " " * 16
        print(f"{s.id:>7} {mark} {when}  {s.title}  — {s.feed_title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        story = lib.story(args.story)
        article = lib.article(story.id)
    good = article is not None and article.is_article and not article.failure
    if args.json:
        extra = {
            "article": dataclasses.asdict(article) if article else None,
            "shown": "article" if good else "feed",
        }
        emit_json(_story_json(story, full=True) | extra)
        return 0
    print(story.title)
    print(" · ".join(x for x in (story.feed_title, story.author or "", _iso(story.published) or "") if x))
    if story.url:
        print(story.url)
    print()
    if good and article is not None:
        print(article.text)
        return 0
    if article is not None and article.failure:
        print(f"(The feed's text: {article.failure})\n")
    text = html_to_text(story.content_html or story.summary_html)
    print(text or "(This story has no text in the feed.)")
    return 0


def cmd_fetch_articles(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        a = lib.fetch_articles()
    print(
        f"Articles: {a.extracted} extracted, {a.failed} without an article, {a.unreachable} pages unreachable."
    )
    print(f"Images: {a.images} stored, {a.images_failed} refused or unreachable.")
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    if not args.all and not args.stories:
        raise UserInputError("Give story numbers, or --all.")
    with opened(args) as lib:
        report = lib.reextract(None if args.all else args.stories)
    print(f"Extracted {report.extracted} articles again ({report.failed} gave no article).")
    return 0


def cmd_show_as(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed_id = lib.find_feed(args.feed)
        lib.set_show(feed_id, args.mode)
    print(f"Feed {feed_id} is shown as: {args.mode}.")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        hits = lib.search(args.query, limit=positive(args.limit, "--limit"))
    if args.json:
        emit_json([_story_json(h.story) | {"snippet": h.snippet, "rank": h.rank} for h in hits])
        return 0
    if not hits:
        print(f"No story matches “{args.query}”.")
    for h in hits:
        print(f"{h.story.id:>7}  {h.story.title}  — {h.story.feed_title}\n         {h.snippet}")
    return 0


def _flag(args: argparse.Namespace, **flag: bool) -> int:
    if not args.stories:
        raise UserInputError("Give one or more story numbers.")
    with opened(args) as lib:
        changed = (
            lib.mark_read(args.stories, flag["read"])
            if "read" in flag
            else lib.star(args.stories, flag["star"])
        )
    print(f"{changed} of {len(args.stories)} stories changed.")
    return 0


def cmd_mark_read(args: argparse.Namespace) -> int:
    if args.all:
        with opened(args) as lib:
            feed_ids = (lib.find_feed(args.feed),) if args.feed else None
            ids = lib.mark_all_read(StoryFilter(feed_ids))
        print(f"Marked {len(ids)} stories read.")
        return 0
    return _flag(args, read=True)


def cmd_mark_unread(args: argparse.Namespace) -> int:
    return _flag(args, read=False)


def cmd_star(args: argparse.Namespace) -> int:
    return _flag(args, star=True)


def cmd_unstar(args: argparse.Namespace) -> int:
    return _flag(args, star=False)


# -- articles -------------------------------------------------------------------------------------
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


def cmd_extract(args: argparse.Namespace) -> int:
    from .core.extract import extract_article

    page, url = _page_bytes(args.source, args.url)
    article = extract_article(page, url)
    if args.format == "json":
        emit_json(dataclasses.asdict(article))
    elif args.format == "html":
        print(article.html)
    else:
        _print_article(article)
    return 0


def _page_bytes(source: str, url: str | None) -> tuple[bytes, str | None]:
    """A local file as it is, or a web page through the same capped, polite fetcher as feeds."""
    from pathlib import Path

    if not source.lower().startswith(("http://", "https://")):
        try:
            return Path(source).read_bytes(), url
        except OSError as exc:
            raise UserInputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    import asyncio

    from .core.fetch import Fetcher, FetchRequest
    from .core.models import FetchPolicy

    async def fetch() -> tuple[bytes, str]:
        async with Fetcher(FetchPolicy()) as fetcher:
            result = await fetcher.fetch(FetchRequest(source, accept=ACCEPT_PAGE))
        return result.body, result.url

    return asyncio.run(fetch())


def _print_article(article: Any) -> None:
    if article.failure:
        _warn(article.failure)
    print(article.title)
    details = [article.byline or "", _iso(article.published) or "", article.canonical_url or ""]
    if any(details):
        print(" · ".join(d for d in details if d))
    print()
    print(article.text)
