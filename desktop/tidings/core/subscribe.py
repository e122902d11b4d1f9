"""Subscribing: from an address a person typed to a stored feed; OPML import and export."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from typing import TYPE_CHECKING

from . import discover as discovery
from . import opml
from .credentials import Secret, split_userinfo
from .errors import DiscoveryError, FetchError, TidingsError, UserInputError
from .fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult
from .models import Feed, FeedLink, OPMLDocument, Outline
from .refresh import parse_job
from .storage import feeds as feed_store
from .storage import stories as story_store
from .update import PreparedFeed

if TYPE_CHECKING:
    from .library import ImportReport, Library


class ChoiceNeeded(UserInputError):
    """The site offers several feeds: the caller must pick one (1-based)."""

    def __init__(self, url: str, links: list[FeedLink]):
        lines = "\n".join(f"  {i}. {link.title or link.url}  <{link.url}>" for i, link in enumerate(links, 1))
        super().__init__(f"{url} offers {len(links)} feeds; choose one with --pick N:\n{lines}")
        self.links = links


def normalize(url: str) -> str:
    url = url.strip()
    if not url:
        raise UserInputError("Give the address of a feed or a website.")
    if "://" not in url:
        url = "https://" + url.lstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise UserInputError(f"Tidings subscribes to web addresses (http or https), not “{url}”.")
    return url


async def discover(url: str, policy: FetchPolicy) -> list[FeedLink]:
    """Feeds offered at `url`: [url] itself when it is a feed, else the page's links, else the usual paths."""
    async with Fetcher(policy) as fetcher:
        links, _ = await _discover(fetcher, normalize(url))
    return links


async def _discover(fetcher: Fetcher, url: str) -> tuple[list[FeedLink], FetchResult | None]:
    first = await fetcher.fetch(FetchRequest(url))
    if discovery.looks_like_feed(first.body, first.content_type):
        return [FeedLink(first.url, "", first.content_type or "")], first
    links = discovery.discover_links(first.body, first.url)
    if links:
        return links, None
    for candidate in discovery.candidate_paths(first.url):
        found = await _probe(fetcher, candidate)
        if found:
            return [FeedLink(found.url, "", found.content_type or "")], found
    raise DiscoveryError(
        f"No feed was found at {url}: the page links to none, and none of the usual addresses "
        "(/feed, /rss.xml, /atom.xml, …) answered with one."
    )


async def _probe(fetcher: Fetcher, url: str) -> FetchResult | None:
    try:
        result = await fetcher.fetch(FetchRequest(url))
    except FetchError:
        return None
    return result if discovery.looks_like_feed(result.body, result.content_type) else None


def add(library: Library, url: str, *, folder: str | None, pick: int | None) -> Feed:
    clean, secret = split_userinfo(normalize(url))
    result, prepared = asyncio.run(_resolve(library.policy, clean, secret, pick))
    feed_id = library.write(lambda c: _insert_feed(c, result, prepared, folder, secret is not None))
    if secret:
        library.credentials.set(feed_id, secret)
    return library.feed(feed_id)


async def _resolve(
    policy: FetchPolicy, url: str, secret: Secret | None, pick: int | None
) -> tuple[FetchResult, PreparedFeed]:
    from .refresh import _request  # the same auth handling as a refresh
    from .storage.feeds import FeedState

    async with Fetcher(policy) as fetcher:
        if secret:  # a feed behind a login is fetched directly: never send the password to a probe
            result = await fetcher.fetch(_request(FeedState(0, url, None, None, None, None, 0, "basic"), secret))
        else:
            links, result = await _discover(fetcher, url)
            if result is None:
                result = await fetcher.fetch(FetchRequest(_choose(url, links, pick).url))
    prepared = await asyncio.get_running_loop().run_in_executor(
        None, parse_job, result.body, result.url, result.content_type
    )
    if isinstance(prepared, str):
        raise DiscoveryError(f"{result.url} is not a feed Tidings can read: {prepared}")
    return result, prepared


def _choose(url: str, links: list[FeedLink], pick: int | None) -> FeedLink:
    if pick is None:
        if len(links) == 1:
            return links[0]
        raise ChoiceNeeded(url, links)
    if not 1 <= pick <= len(links):
        raise UserInputError(f"Choose a number from 1 to {len(links)} with --pick.")
    return links[pick - 1]


def _insert_feed(conn: sqlite3.Connection, result: FetchResult, prepared: PreparedFeed, folder: str | None,
                 has_secret: bool) -> int:  # fmt: skip
    feed_id = feed_store.add_feed(
        conn, result.url, title=prepared.title, folder=folder, site_url=prepared.site_url,
        auth="basic" if has_secret else None,
    )  # fmt: skip
    feed_store.record_metadata(
        conn, feed_id, title=prepared.title, site_url=prepared.site_url, description=prepared.description,
        icon_url=prepared.icon_url,
    )  # fmt: skip
    story_store.insert(conn, feed_id, prepared.rows)
    body_hash = hashlib.sha256(result.body).hexdigest()
    feed_store.record_success(conn, feed_id, etag=result.etag, last_modified=result.last_modified,
                              next_check=None, body_hash=body_hash)  # fmt: skip
    return feed_id


# -- OPML ----------------------------------------------------------------------------------------
def import_opml(library: Library, data: bytes) -> ImportReport:
    """Add every feed of an OPML document; fetches and executes nothing. Credentials go to the keyring."""
    from .library import ImportReport

    document = opml.parse_opml(data)
    entries = opml.flatten(document)
    secrets: dict[str, Secret] = {}
    errors: list[str] = []
    prepared = []
    for folder, outline in entries:
        item = _import_item(folder, outline, secrets, errors)
        if item:
            prepared.append(item)
    added, already, ids = library.write(lambda c: _insert_outlines(c, prepared))
    stored = _store_secrets(library, ids, secrets, errors)
    folders = len({f for f, _o in entries if f})
    return ImportReport(added, already, folders, stored, tuple(errors))


def _import_item(folder: str | None, outline: Outline, secrets: dict[str, Secret],
                 errors: list[str]) -> tuple[str | None, str, Outline] | None:  # fmt: skip
    try:
        clean, secret = split_userinfo(normalize(outline.xml_url or ""))
    except (UserInputError, ValueError) as exc:
        errors.append(f"Skipped “{outline.text}”: {exc}")
        return None
    if secret:
        secrets[clean] = secret
        outline = _without_userinfo(outline, clean)
    return folder, clean, outline


def _without_userinfo(outline: Outline, clean: str) -> Outline:
    attrs = tuple((k, clean if k.lower() == "xmlurl" else v) for k, v in outline.attrs)
    return Outline(outline.text, clean, attrs, outline.children)


def _insert_outlines(conn: sqlite3.Connection,
                     items: list[tuple[str | None, str, Outline]]) -> tuple[int, int, dict[str, int]]:  # fmt: skip
    added = already = 0
    ids: dict[str, int] = {}
    for folder, url, outline in items:
        try:
            ids[url] = feed_store.add_feed(
                conn, url, user_title=outline.text, folder=folder, opml_attrs=outline.attrs
            )
            added += 1
        except UserInputError:
            already += 1
    return added, already, ids


def _store_secrets(library: Library, ids: dict[str, int], secrets: dict[str, Secret], errors: list[str]) -> int:
    stored = 0
    for url, secret in secrets.items():
        if url not in ids:
            continue
        try:
            library.credentials.set(ids[url], secret)
            library.write(lambda c, fid=ids[url]: c.execute("UPDATE feeds SET auth = 'basic' WHERE id = ?", (fid,)))
            stored += 1
        except TidingsError as exc:
            errors.append(f"The password for {url} could not be stored: {exc}")
    return stored


def export_opml(library: Library) -> bytes:
    """The subscription list as OPML 2.0, folders kept, with no credentials in it."""
    conn = library.reader()
    folders: dict[str | None, list[Outline]] = {}
    for feed in library.feeds():
        folders.setdefault(feed.folder, []).append(_outline(conn, feed))
    outlines: list[Outline] = list(folders.pop(None, []))
    for name, children in folders.items():
        outlines.append(Outline(name or "", None, (("text", name or ""), ("title", name or "")), tuple(children)))
    return opml.write_opml(OPMLDocument("Tidings subscriptions", tuple(outlines)))


def _outline(conn: sqlite3.Connection, feed: Feed) -> Outline:
    attrs = feed_store.opml_attrs(conn, feed.id)
    if attrs:  # imported: give back what was written, with the current address and title
        return Outline(feed.title, feed.url, _refresh_attrs(attrs, feed))
    return opml.feed_outline(feed.title, feed.url, feed.site_url)


def _refresh_attrs(attrs: tuple[tuple[str, str], ...], feed: Feed) -> tuple[tuple[str, str], ...]:
    """The imported attributes, with the address and name as they are now (moved or renamed since)."""
    named = {k.lower(): v for k, v in attrs}
    renamed = named.get("text", named.get("title")) != feed.title
    out = []
    for key, value in attrs:
        if key.lower() == "xmlurl":
            value = feed.url
        elif renamed and key.lower() in ("text", "title"):
            value = feed.title
        out.append((key, value))
    return tuple(out)
