"""Feed icons: fetched once per feed (the icon the feed names, else the site's /favicon.ico), checked, kept.

A failure is kept too, with its reason, so an icon-less site is not asked on every refresh. Only PNG, GIF,
JPEG, WebP and ICO bytes are kept, never SVG (it can carry scripts), at most `MAX_ICON_BYTES`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from urllib.parse import urljoin

from .errors import FetchError
from .fetch import Fetcher, FetchRequest
from .images import ImageRefused, inspect
from .models import Feed, FetchPolicy
from .storage.icons import missing, save, stored
from .storage.writer import Writer

MAX_ICON_BYTES = 256 * 1024
ACCEPT_ICON = "image/png, image/x-icon, image/vnd.microsoft.icon, image/gif, image/jpeg, image/webp;q=0.9"
ICO_MAGIC = b"\x00\x00\x01\x00"
ICO_TYPES = ("image/x-icon", "image/vnd.microsoft.icon", "image/ico", "image/icon")


def candidates(feed: Feed) -> list[str]:
    """Where a feed's icon may be: the icon or logo its document names, then the site's favicon."""
    urls = [feed.icon_url] if feed.icon_url else []
    site = feed.site_url or feed.url
    if site.lower().startswith(("http://", "https://")):
        urls.append(urljoin(site, "/favicon.ico"))
    return [u for u in dict.fromkeys(urls) if u.lower().startswith(("http://", "https://"))]


def checked_icon(data: bytes, content_type: str | None) -> str:
    """The media type of the icon in `data`; raises ImageRefused for anything else."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if data.startswith(ICO_MAGIC) and (
        declared in ICO_TYPES or declared.startswith("image/") or not declared
    ):
        if len(data) < 22 or data[4:6] == b"\x00\x00":
            raise ImageRefused("The icon file is empty or damaged.")
        return "image/x-icon"
    if declared in ICO_TYPES and not data.startswith(ICO_MAGIC):
        declared = "image/png"  # servers label PNG favicons as ICO: judge by the bytes
    return inspect(data, declared).content_type


def fetch_icons(
    writer: Writer, feeds: list[Feed], policy: FetchPolicy, cancel: threading.Event | None = None
) -> int:
    """Fetch the icons of `feeds` (politely, as the refresh does); returns how many were kept."""
    if not feeds:
        return 0
    return asyncio.run(
        _fetch_all(writer, feeds, dataclasses.replace(policy, max_bytes=MAX_ICON_BYTES), cancel)
    )


async def _fetch_all(
    writer: Writer, feeds: list[Feed], policy: FetchPolicy, cancel: threading.Event | None
) -> int:
    async with Fetcher(policy) as fetcher:
        kept = await asyncio.gather(*(_one(writer, fetcher, feed, cancel) for feed in feeds))
    return sum(kept)


async def _one(writer: Writer, fetcher: Fetcher, feed: Feed, cancel: threading.Event | None) -> bool:
    failure = "The feed names no icon and its site has none."
    for url in candidates(feed):
        if cancel is not None and cancel.is_set():
            return False
        try:
            result = await fetcher.fetch(FetchRequest(url, accept=ACCEPT_ICON, linked_from=feed.url))
            kind = checked_icon(result.body, result.content_type)
        except (FetchError, ImageRefused) as exc:
            failure = f"No icon at {url}: {exc}"
            continue
        keep = functools.partial(save, feed_id=feed.id, data=result.body, content_type=kind, failure=None)
        await asyncio.wrap_future(writer.submit(keep))
        return True
    gone = functools.partial(save, feed_id=feed.id, data=None, content_type=None, failure=failure)
    await asyncio.wrap_future(writer.submit(gone))
    return False


__all__ = ["candidates", "checked_icon", "fetch_icons", "missing", "save", "stored"]
