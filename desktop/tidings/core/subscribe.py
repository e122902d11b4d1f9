"""Subscribing: from an address a person typed to a stored feed; OPML import and export."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import discover as discovery
from . import opml
from .credentials import Secret, origin_of, redact, split_userinfo
from .errors import DiscoveryError, FetchError, TidingsError, UserInputError
from .fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult
from .models import Feed, FeedLink, OPMLDocument, Outline
from .refresh import body_hash, parse_job, store_feed
from .storage import feeds as feed_store
from .textclean import clean_line, clean_url
from .update import PreparedFeed

if TYPE_CHECKING:
    from .library import ImportReport, Library


class ChoiceNeeded(UserInputError):
    """The site offers several feeds: the caller must pick one (1-based)."""

    def __init__(self, url: str, links: list[FeedLink]):
        lines = "\n".join(f"  {i}. {link.title or link.url}  <{link.url}>" for i, link in enumerate(links, 1))
        super().__init__(f"{url} offers {len(links)} feeds; choose one with --pick N:\n{lines}")
        self.links = links


_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")  # javascript:, data:, mailto:; not host:port


def normalize(url: str) -> str:
    """An http(s) address from what a person typed or an OPML file holds: `https://` is put before a bare
    host name; any other scheme (file:, javascript:, data:, feed:...) and an address naming no site are
    refused in words (an OPML import reports them a line each)."""
    url = clean_url(url) or ""
    if not url:
        raise UserInputError("Give the address of a feed or a website.")
    if "://" not in url:
        if _OTHER_SCHEME.match(url):
            raise UserInputError(_not_web(url))
        url = "https://" + url.lstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise UserInputError(_not_web(url))
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        host = None
    if not host:
        raise UserInputError(f"“{_shown(url)}” is not a web address: it names no site.")
    return url


def _not_web(url: str) -> str:
    return f"Tidings subscribes to web addresses (http or https), not “{_shown(url)}”."


def _shown(url: str) -> str:
    url = redact(url)
    return url if len(url) <= 200 else url[:199] + "…"


async def discover(url: str, policy: FetchPolicy) -> list[FeedLink]:
    """Feeds offered at `url`: [url] itself when it is a feed, else the page's links, else the usual paths."""
    async with Fetcher(policy) as fetcher:
        links, _, _ = await _discover(fetcher, normalize(url))
    return links


async def _discover(fetcher: Fetcher, url: str) -> tuple[list[FeedLink], FetchResult | None, str]:
    """The feeds at `url`, the feed itself when it is one, and the page the links were found on.

    Links on the page are the page's, not the user's: one the network policy would not follow from there
    (a private address on another site) is not offered, so it cannot come back as an address "typed"."""
    first = await fetcher.fetch(FetchRequest(url))
    if discovery.looks_like_feed(first.body, first.content_type):
        return [FeedLink(first.url, "", first.content_type or "")], first, first.url
    found_links = discovery.discover_links(first.body, first.url)
    links = [link for link in found_links if await fetcher.permits(_linked(link.url, first.url))]
    if links:
        return links, None, first.url
    for candidate in discovery.candidate_paths(first.url):
        found = await _probe(fetcher, _linked(candidate, first.url))
        if found:
            return [FeedLink(found.url, "", found.content_type or "")], found, first.url
    if found_links:
        raise DiscoveryError(
            f"{url} links only to feeds at private or local network addresses, which Tidings does not "
            "follow from a page; type the feed's address yourself if you trust it."
        )
    raise DiscoveryError(
        f"No feed was found at {url}: the page links to none, and none of the usual addresses "
        "(/feed, /rss.xml, /atom.xml, …) answered with one."
    )


def _linked(url: str, page: str) -> FetchRequest:
    return FetchRequest(url, linked_from=page)


async def _probe(fetcher: Fetcher, request: FetchRequest) -> FetchResult | None:
    try:
        result = await fetcher.fetch(request)
    except FetchError:
        return None
    return result if discovery.looks_like_feed(result.body, result.content_type) else None


def add(
    library: Library, url: str, *, folder: str | None, pick: int | None, login: Secret | None = None
) -> Feed:
    """Subscribe to `url`. A login (given, or as `user:password@` in the address) is sent only to that
    address's site and kept in the credential store; a 401 raises LoginNeededError (ask, then call
    again with `login`)."""
    clean, secret = split_userinfo(normalize(url))
    if login is not None:
        secret = dataclasses.replace(login, origin=origin_of(clean))
    result, prepared = asyncio.run(_resolve(library.policy, clean, secret, pick))
    kind = secret.kind if secret else None
    feed_id = library.write(lambda c: _insert_feed(c, result, prepared, folder, kind))
    if secret:
        library.credentials.set(feed_id, secret)
    return library.feed(feed_id)


async def _resolve(
    policy: FetchPolicy, url: str, secret: Secret | None, pick: int | None
) -> tuple[FetchResult, PreparedFeed]:
    from .refresh import _request  # the same auth handling as a refresh
    from .storage.feeds import FeedState

    result: FetchResult | None
    async with Fetcher(policy) as fetcher:
        if secret:  # a feed behind a login is fetched directly: never send the password to a probe
            result = await fetcher.fetch(
                _request(FeedState(0, url, None, None, None, None, 0, secret.kind), secret)
            )
        else:
            links, result, page = await _discover(fetcher, url)
            if result is None:
                result = await fetcher.fetch(_linked(_choose(url, links, pick).url, page))
    if result is None:  # every branch above sets it; this keeps the type checker honest
        raise DiscoveryError(f"No feed was found at {url}.")
    prepared = await asyncio.get_running_loop().run_in_executor(
        None,
        parse_job,
        result.body,
        result.url,
        result.content_type,
        result.content_encoding,
        policy.max_bytes,
    )  # a feed fetched with a login comes as a refresh fetches it: maybe still compressed
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


def _insert_feed(
    conn: sqlite3.Connection,
    result: FetchResult,
    prepared: PreparedFeed,
    folder: str | None,
    auth: str | None,
) -> int:
    feed_id = feed_store.add_feed(
        conn, result.url, title=prepared.title, folder=folder, site_url=prepared.site_url, auth=auth
    )
    store_feed(feed_id, prepared, result, None, body_hash(result))(conn)  # stored as a refresh would
    return feed_id


# -- OPML ----------------------------------------------------------------------------------------
Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Planned:
    folder: str | None  # the path, "News / World"
    url: str
    outline: Outline
    levels: list[Attrs]  # OPML attributes of each folder on the path


def import_opml(library: Library, data: bytes) -> ImportReport:
    """Add every feed of an OPML document in its order, folders nested as written; fetches and
    executes nothing. Credentials in addresses go to the keyring and never into the store."""
    from .library import ImportReport

    document = opml.parse_opml(data)
    secrets: dict[str, Secret] = {}
    errors: list[str] = []
    planned = [p for p in _walk(document.outlines, [], secrets, errors) if p]
    added, already, ids = library.write(lambda c: _insert_outlines(c, planned))
    stored = _store_secrets(library, ids, secrets, errors)
    folders = len({p.folder for p in planned if p.folder})
    return ImportReport(added, already, folders, stored, tuple(errors))


def _walk(
    outlines: tuple[Outline, ...], path: list[Outline], secrets: dict[str, Secret], errors: list[str]
) -> list[_Planned | None]:
    out: list[_Planned | None] = []
    for outline in outlines:
        if outline.xml_url:
            out.append(_plan(path, outline, secrets, errors))
            out += _walk(outline.children, path, secrets, errors)  # a feed holding feeds: keep them all
        elif outline.children and outline.text.strip():
            out += _walk(outline.children, [*path, outline], secrets, errors)
        elif outline.children:  # a nameless group: its feeds belong to the enclosing folder
            out += _walk(outline.children, path, secrets, errors)
    return out


def _plan(
    path: list[Outline], outline: Outline, secrets: dict[str, Secret], errors: list[str]
) -> _Planned | None:
    try:
        clean, secret = split_userinfo(normalize(outline.xml_url or ""))
    except (UserInputError, ValueError) as exc:
        errors.append(f"Skipped “{clean_line(outline.text)[:200]}”: {exc}")  # the file's words, one line
        return None
    if secret:
        secrets[clean] = secret
        outline = _with_address(outline, clean)
    folder = feed_store.FOLDER_SEPARATOR.join(" ".join(o.text.split()) for o in path) or None
    return _Planned(folder, clean, outline, [o.attrs for o in path])


def _with_address(outline: Outline, clean: str) -> Outline:
    attrs = tuple((k, clean if k.lower() == "xmlurl" else v) for k, v in outline.attrs)
    return Outline(outline.text, clean, attrs, outline.children)


def _insert_outlines(conn: sqlite3.Connection, items: list[_Planned]) -> tuple[int, int, dict[str, int]]:
    added = already = 0
    ids: dict[str, int] = {}
    for item in items:
        try:
            ids[item.url] = feed_store.add_feed(
                conn,
                item.url,
                user_title=item.outline.text,
                folder=item.folder,
                opml_attrs=item.outline.attrs,
                folder_attrs=item.levels,
            )
            added += 1
        except UserInputError:
            already += 1
    return added, already, ids


def _store_secrets(
    library: Library, ids: dict[str, int], secrets: dict[str, Secret], errors: list[str]
) -> int:
    stored = 0
    for url, secret in secrets.items():
        if url not in ids:
            continue
        try:
            library.credentials.set(ids[url], secret)
            library.write(functools.partial(feed_store.set_auth, feed_id=ids[url], kind=secret.kind))
            stored += 1
        except TidingsError as exc:
            errors.append(f"The password for {url} could not be stored: {exc}")
    return stored


def export_opml(library: Library) -> bytes:
    """The subscription list as OPML 2.0 in the user's order, folders nested, with no credentials in it.

    Feeds and folders that came from an OPML file are written with the attributes they came with."""
    conn = library.reader()
    feeds = {f.id: f for f in library.feeds()}
    items: dict[int | None, list[tuple[int, int, Outline | int]]] = {}
    for place in feed_store.feed_places(conn):
        items.setdefault(place.folder_id, []).append(
            (place.position, 1, _outline(feeds[place.feed_id], place.attrs))
        )
    folders = feed_store.folder_rows(conn)
    for folder in folders:
        items.setdefault(folder.parent_id, []).append((folder.position, 0, folder.id))
    by_id = {f.id: f for f in folders}
    return opml.write_opml(OPMLDocument("Tidings subscriptions", _level(items, by_id, None)))


def _level(
    items: dict[int | None, list[tuple[int, int, Outline | int]]],
    folders: dict[int, feed_store.FolderRow],
    parent: int | None,
) -> tuple[Outline, ...]:
    out = []
    for _position, _kind, item in sorted(items.get(parent, []), key=lambda t: (t[0], t[1])):
        if isinstance(item, Outline):
            out.append(item)
        else:
            out.append(_folder(folders[item], _level(items, folders, item)))
    return tuple(out)


def _folder(row: feed_store.FolderRow, children: tuple[Outline, ...]) -> Outline:
    if not row.attrs:
        return opml.folder_outline(row.name, children)
    return Outline(row.name, None, row.attrs, children)


def _outline(feed: Feed, attrs: Attrs) -> Outline:
    if attrs:  # imported: give back what was written, with the current address and title
        return Outline(feed.title, feed.url, _refresh_attrs(attrs, feed))
    return opml.feed_outline(feed.title, feed.url, feed.site_url)


def _refresh_attrs(attrs: Attrs, feed: Feed) -> Attrs:
    """The imported attributes, with the address and name as they are now (moved or renamed since)."""
    named = {k.lower(): v.strip() for k, v in attrs}
    renamed = (named.get("text") or named.get("title")) != feed.title
    out = []
    for key, value in attrs:
        if key.lower() == "xmlurl" and value.strip() != feed.url:
            value = feed.url
        elif renamed and key.lower() in ("text", "title"):
            value = feed.title
        out.append((key, value))
    return tuple(out)
